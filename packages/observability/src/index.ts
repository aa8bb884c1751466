export { createLogger, type Logger } from './logger.js';
export {
  initTracing,
  otlpTracesUrl,
  type Tracing,
  type TracingEnv,
  type TracingOptions,
} from './tracing.js';
export {
  ServerSpan,
  startEdgeSpan,
  startServerSpan,
  traceFields,
  traceparentOf,
  type TraceContext,
} from './server-span.js';
