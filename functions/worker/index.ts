export * from './price-task.js';
export * from './run-worker.js';
export * from './worker.js';
