export * from './dynamo-client.js';
export * from './dynamo-product-store.js';
export * from './ensure-table.js';
export * from './errors.js';
export * from './product-store.js';
export * from './table-schema.js';
