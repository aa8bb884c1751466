import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * One structured JSON logger per service; every line names the service and its process.
 * A line about a request names its trace itself (`traceFields(span)`): nothing is read
 * from an ambient context (see `initTracing` for why).
 *
 * Without a `destination`, lines go to stdout through {@link stdoutByTurn}.
 */
export function createLogger(
  service: string,
  level = 'info',
  destination: DestinationStream = stdoutByTurn(),
): Logger {
  const options: LoggerOptions = {
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, destination);
}

/** Every stdout destination, to write what is pending when the process exits. */
const destinations = new Set<() => void>();

/**
 * Stdout, one write per event-loop turn rather than one per line. The access log writes a
 * line per call; under load a turn answers several calls, and a write system call cost
 * more than formatting the line. Nothing waits longer than the turn that logged it, and
 * nothing is held past it (a buffer kept longer is promoted by the GC, and costs more than
 * the calls it saves). Lines still pending when the process exits, however it exits (a
 * thrown error and `process.exit` included), are written then. The writing itself is
 * pino's synchronous destination, with its handling of partial writes and busy pipes.
 */
export function stdoutByTurn(fd = 1): DestinationStream & { flush(cb?: () => void): void } {
  const out = pino.destination({ dest: fd, sync: true });
  let pending: string[] = [];
  const writePending = () => {
    if (pending.length === 0) return;
    const text = pending.length === 1 ? pending[0]! : pending.join('');
    pending = [];
    out.write(text);
  };
  if (destinations.size === 0) process.on('exit', () => destinations.forEach((write) => write()));
  destinations.add(writePending);
  return {
    write(line: string) {
      if (pending.push(line) === 1) setImmediate(writePending);
    },
    flush(cb?: () => void) {
      writePending();
      cb?.();
    },
  };
}
