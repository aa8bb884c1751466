import type { AuditRecord } from './audit-chain.js';
import { toAuditRow, type AuditLog, type ChainPosition } from './audit-log.js';
import type { AuditLogTable } from './audit.migrations.js';

/** A record as `citadel.audit.v1.AuditRecord` carries it (snake_case, int64 seq as number). */
export type DeliveredRecord = Omit<AuditLogTable, 'seq'> & { seq: number };

/** `citadel.monitor.v1.DeliverRequest`: the next records, and the source's own head. */
export interface Delivery {
  records: DeliveredRecord[];
  /** The newest record in the service's own table, delivered or not (a cut tail shows). */
  source_head_seq: number;
  source_head_hash: string;
}

/**
 * The monitor, as the forwarder needs it (`citadel.monitor.v1.MonitorService`, Deliver and
 * GetHead): serviceMain adapts its mTLS client to this; specs use a fake. Both answer the
 * head the monitor holds for the calling service's chain, and both stop when `signal`
 * aborts.
 */
export interface MonitorPort {
  getHead(signal: AbortSignal): Promise<ChainPosition>;
  deliver(delivery: Delivery, signal: AbortSignal): Promise<ChainPosition>;
}

/** Where the forwarder reports an outage and its end (a pino logger fits). */
export interface ForwarderLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** The forwarder's pace; the defaults are the design's, specs shorten them. */
export interface ForwarderTiming {
  /** Look at the table at least this often, since other replicas append to it too. */
  pollMs: number;
  /** Deliver at least this often, records or not, so the monitor sees the source's head. */
  heartbeatMs: number;
  /** The first wait after a failure; it doubles on each failure in a row… */
  backoffMs: number;
  /** …up to this. */
  maxBackoffMs: number;
}

const DEFAULT_TIMING: ForwarderTiming = {
  pollMs: 1_000,
  heartbeatMs: 5_000,
  backoffMs: 200,
  maxBackoffMs: 5_000,
};

/** The most records one Deliver carries (monitor.proto, DeliverRequest). */
export const DELIVERY_PAGE = 500;

/**
 * Ships a service's audit trail, its outbox, to the monitor, which keeps a copy the service
 * cannot rewrite: a record the service later alters, deletes or cuts off disagrees with the
 * monitor's copy.
 *
 * Asks the monitor where its copy ends (GetHead), then delivers the records after it, oldest
 * first, {@link DELIVERY_PAGE} at a time, until none are left; waits for the next append (or
 * a poll: other replicas write the same table), and delivers an empty heartbeat carrying the
 * table's head when it has sent nothing for a while. Any failure is logged once per outage,
 * waited out with a doubling backoff, and delivery resumes from the monitor's head, asked
 * again: at least once (the monitor skips what it already holds), never out of order, and
 * never in the way of an act, which commits its records to the table whatever the monitor's
 * state.
 */
export class AuditForwarder {
  private readonly timing: ForwarderTiming;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  /** An append happened since the forwarder last looked. */
  private appended = false;
  private wakeUp: (() => void) | undefined;
  /** Whether the last call failed: an outage is logged once, at its start and at its end. */
  private failing = false;
  private backoffMs: number;

  constructor(
    private readonly audit: AuditLog,
    private readonly monitor: MonitorPort,
    private readonly log: ForwarderLog,
    timing: Partial<ForwarderTiming> = {},
  ) {
    this.timing = { ...DEFAULT_TIMING, ...timing };
    this.backoffMs = this.timing.backoffMs;
  }

  /** Starts forwarding in the background; {@link stop} ends it for good. */
  start(): void {
    if (this.running) return;
    const stopListening = this.audit.onAppend(() => this.wake());
    this.running = this.run().finally(stopListening);
  }

  /** Ends the loop, cancels the call in flight and waits for it to settle. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wakeUp?.();
    await this.running;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private wake(): void {
    this.appended = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.forward();
      } catch (error) {
        if (this.stopped) return;
        if (!this.failing) {
          this.failing = true;
          this.log.warn(
            { event: 'audit.forward-failed', err: error },
            'audit records cannot reach the monitor; retrying',
          );
        }
        await this.pause(this.backoffMs, false);
        this.backoffMs = Math.min(this.backoffMs * 2, this.timing.maxBackoffMs);
      }
    }
  }

  /**
   * One session with the monitor: from its head, deliver, wait, deliver again, until a call
   * fails (the caller backs off and starts a new session) or the forwarder stops.
   */
  private async forward(): Promise<void> {
    const signal = this.abort.signal;
    let head = await this.monitor.getHead(signal);
    // A new session tells the monitor the table's head at once, records or not.
    let lastDelivery = -Infinity;
    while (!this.stopped) {
      this.appended = false;
      const records = await this.audit.after(head.seq, DELIVERY_PAGE);
      const heartbeatDue = Date.now() - lastDelivery >= this.timing.heartbeatMs;
      if (records.length > 0 || heartbeatDue) {
        // Read after the page, so the head is never behind a record delivered with it.
        const source = await this.audit.head();
        head = await this.monitor.deliver(deliveryOf(records, source), signal);
        lastDelivery = Date.now();
        this.delivered();
        if (records.length === DELIVERY_PAGE) continue;
      }
      const untilHeartbeat = lastDelivery + this.timing.heartbeatMs - Date.now();
      await this.pause(Math.min(this.timing.pollMs, untilHeartbeat), true);
    }
  }

  private delivered(): void {
    this.backoffMs = this.timing.backoffMs;
    if (!this.failing) return;
    this.failing = false;
    this.log.info({ event: 'audit.forward-resumed' }, 'audit records reach the monitor again');
  }

  /** Waits `ms`, or less when the forwarder stops or (when `onAppend`) a record is appended. */
  private pause(ms: number, onAppend: boolean): Promise<void> {
    if (this.stopped || (onAppend && this.appended)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(ms, 0));
      this.wakeUp = () => {
        if (onAppend || this.stopped) done();
      };
    });
  }
}

function deliveryOf(records: readonly AuditRecord[], source: ChainPosition): Delivery {
  return {
    records: records.map((record) => ({ ...toAuditRow(record), seq: record.seq })),
    source_head_seq: source.seq,
    source_head_hash: source.hash,
  };
}
