export * from './amqp.js';
export * from './framed.js';
export * from './legacy.js';
export * from './money.js';
export * from './product.js';
export * from './time.js';
