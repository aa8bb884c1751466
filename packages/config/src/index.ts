export * from './services.js';
export * from './paths.js';
export * from './env.js';
