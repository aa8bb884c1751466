export * from './protos.js';
export type * from './messages.js';
