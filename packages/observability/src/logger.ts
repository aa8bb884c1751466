import { pino, type Logger } from 'pino';

export type { Logger };

/** One structured JSON logger per service; every line names the service and its process. */
export function createLogger(service: string, level = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
