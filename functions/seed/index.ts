export * from './seed-products.js';
