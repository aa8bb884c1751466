import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * One structured JSON logger per service; every line names the service and its process.
 * A line about a request names its trace itself (`traceFields(span)`): nothing is read
 * from an ambient context (see `initTracing` for why).
 */
export function createLogger(
  service: string,
  level = 'info',
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
