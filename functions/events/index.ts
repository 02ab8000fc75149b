export * from './amqp-product-events.js';
export * from './product-events.js';
