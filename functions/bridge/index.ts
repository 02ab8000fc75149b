export * from './amqp-task-publisher.js';
export * from './bridge-handler.js';
export * from './task-publisher.js';
