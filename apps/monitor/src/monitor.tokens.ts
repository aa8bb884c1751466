/** The monitor's database (its own schema), for the use cases that open transactions on it. */
export const MONITOR_DB = Symbol('MONITOR_DB');

/** Where the monitor writes its operational log: the service's pino logger. */
export const MONITOR_LOG = Symbol('MONITOR_LOG');
export interface MonitorLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** The monitor's clock: when records arrive and alerts are raised (specs move it). */
export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;
