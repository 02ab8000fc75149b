export * from './context.js';
export * from './errors.js';
export * from './handlers.js';
export * from './openapi.js';
export * from './router.js';
export * from './schemas.js';
