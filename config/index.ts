export * from './env.js';
export * from './schedule.js';
export * from './topology.js';
