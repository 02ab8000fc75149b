export * from './amqp.js';
export * from './money.js';
export * from './product.js';
export * from './time.js';
