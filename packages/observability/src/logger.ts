import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * One structured JSON logger per service; every line names the service and its process.
 * A line about a request names its trace itself (`traceFields(span)`).
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
  };
  return pino(options, destination);
}
