export * from './protos.js';
export type * from './messages.js';
export type * from './monitor.messages.js';
