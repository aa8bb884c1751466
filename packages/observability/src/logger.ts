import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { activeTraceFields } from './active-trace.js';

export type { Logger };

/**
 * One structured JSON logger per service; every line names the service and its process,
 * and a line written while a request is served names its trace: `trace_id` and `span_id`
 * of the active span (pino's mixin), so no caller has to pass them. A line that sets them
 * itself (the gRPC access line, about the call's server span) keeps its own.
 *
 * Without a `destination`, lines go to stdout through pino's asynchronous destination
 * (`pino.destination({ sync: false })`): a log line never blocks the event loop on a slow
 * pipe, and pino writes what is still buffered when the process exits, a thrown error and
 * `process.exit` included.
 */
export function createLogger(
  service: string,
  level = 'info',
  destination: DestinationStream = pino.destination({ dest: 1, sync: false }),
): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: activeTraceFields,
  };
  return pino(options, destination);
}
