export * from './services.js';
export * from './paths.js';
export * from './env.js';
export * from './service-env.js';
export * from './service-registry.js';
