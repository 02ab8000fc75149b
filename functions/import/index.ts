export * from './catalogue.js';
export * from './cli.js';
export * from './import-products.js';
