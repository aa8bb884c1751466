export * from './protos.js';
export * from './services.js';
// Every message type, generated from proto/ by ts-proto at build time (buf.gen.yaml,
// scripts/generate.mjs). Types only: the wire is grpc-js and proto-loader's.
export type * from './generated/index.js';
