export { createLogger, type Logger } from './logger.js';
export {
  initTracing,
  otlpTracesUrl,
  type Tracing,
  type TracingEnv,
  type TracingOptions,
} from './tracing.js';
export {
  activeTraceId,
  activeTraceparent,
  ServerSpan,
  startServerSpan,
  traceparentOf,
  type TraceContext,
} from './server-span.js';
