/** One structured event; `main.ts` prints each as one JSON line, tests collect them. */
export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  event: string;
  msg: string;
  [field: string]: unknown;
}

export type VaultLog = (entry: LogEntry) => void;

// pino's numeric levels, so these lines read like every other Citadel service's.
const PINO_LEVELS = { info: 30, warn: 40, error: 50 } as const;

/** Writes `{level, time, service: "vault", pid, event, msg, ...}` lines, like the services' pino. */
export function jsonLineLog(stream: NodeJS.WritableStream = process.stdout): VaultLog {
  return ({ level, event, msg, ...fields }) => {
    const line = {
      level: PINO_LEVELS[level],
      time: new Date().toISOString(),
      service: 'vault',
      pid: process.pid,
      event,
      ...fields,
      msg,
    };
    stream.write(`${JSON.stringify(line)}\n`);
  };
}
