export { createLogger, type Logger } from './logger.js';
export { continueTrace, type TraceContext } from './trace-context.js';
