export { createLogger, type Logger } from './logger.js';
export {
  initTracing,
  otlpTracesUrl,
  processTracing,
  tracingEnvOf,
  type Tracing,
  type TracingEnv,
  type TracingOptions,
} from './tracing.js';
export {
  activeTraceFields,
  activeTraceId,
  traceOfCall,
  type MetadataCarrier,
} from './active-trace.js';
export { clientContextOf, EdgePropagator } from './edge-propagator.js';
