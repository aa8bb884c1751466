import { Inject, Injectable } from '@nestjs/common';
import { AuditLog, type RecordAudit } from '@citadel/audit';
import type { DeliverRequest } from '@citadel/contracts';
import type { Kysely, Transaction } from '@citadel/database';
import type { AlertDraft, RaisedAlert } from '../alerts/alert.js';
import { AlertRepository } from '../alerts/alert.repository.js';
import type { MonitorDatabase } from '../monitor.migrations.js';
import { CLOCK, MONITOR_DB, MONITOR_LOG, type Clock, type MonitorLog } from '../monitor.tokens.js';
import { receivedRecord, type ReceivedRecord } from '../rules/record-facts.js';
import { RulesEngine } from '../rules/rules-engine.js';
import {
  BREAK_ALERT_RULE,
  followChain,
  judgeSourceHead,
  type ChainBreakFinding,
  type ChainTip,
} from './chain-continuity.js';
import { ChainRepository, type HeldChain } from './chain.repository.js';
import { readDelivery, type Delivery } from './delivery-request.js';
import { ChainBroken, InvalidDelivery } from './delivery.errors.js';
import { SerialQueue } from './serial-queue.js';

interface DeliveryOutcome {
  head: HeldChain;
  alerts: RaisedAlert[];
  /** Set when the delivery was refused: the break it found, or one noted before. */
  refusal?: ChainBroken;
}

/**
 * Deliver and GetHead: each service's outbox hands its audit records here, oldest first.
 * The chain a delivery extends is the caller's, named by its certificate; whatever its
 * records say, a service can only extend its own chain, and only by records that continue
 * the copy held here (chain-continuity.ts).
 *
 * Each delivery is one transaction: the records it adds, a break it finds and every alert
 * it raises commit together or not at all, so a monitor killed mid-delivery has stored
 * nothing of it, and the retry (at-least-once) stores it once. Deliveries of one chain run
 * one at a time: in this process by a queue per service (a waiting delivery holds no
 * database connection), across replicas by an advisory lock held to the commit.
 */
@Injectable()
export class DeliveryService {
  private readonly queue = new SerialQueue();

  constructor(
    @Inject(MONITOR_DB) private readonly db: Kysely<MonitorDatabase>,
    private readonly chains: ChainRepository,
    private readonly rules: RulesEngine,
    private readonly audit: AuditLog,
    @Inject(MONITOR_LOG) private readonly log: MonitorLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Stores the records of `service`'s chain that continue the monitor's copy and answers
   * the head after them. Throws InvalidDelivery (nothing stored) for a malformed delivery
   * or records of another service, ChainBroken when the chain does not continue the copy
   * (the records before the break are kept, the break is alerted once) or was broken before.
   */
  async deliver(service: string, request: DeliverRequest): Promise<HeldChain> {
    const delivery = await this.read(service, request);
    const outcome = await this.queue.run(service, () => this.store(service, delivery));
    // After the commit: an alert is logged once it is stored, and only then.
    for (const alert of outcome.alerts) this.logAlert(alert);
    if (outcome.refusal) throw outcome.refusal;
    return outcome.head;
  }

  /** Where `service`'s delivery resumes. */
  head(service: string): Promise<HeldChain> {
    return this.chains.head(service);
  }

  private async read(service: string, request: DeliverRequest): Promise<Delivery> {
    try {
      return readDelivery(service, request);
    } catch (error) {
      if (error instanceof InvalidDelivery) await this.recordRefusal(service, error);
      throw error;
    }
  }

  private store(service: string, delivery: Delivery): Promise<DeliveryOutcome> {
    return this.audit.transaction<DeliveryOutcome, MonitorDatabase>(async (trx, record) => {
      const chains = new ChainRepository(trx);
      await chains.lock(service);
      const held = await chains.head(service);
      if (held.broken) return { head: held, alerts: [], refusal: new ChainBroken(service) };

      const now = this.clock();
      const first = delivery.records[0]?.seq ?? held.seq + 1;
      const { fresh, broken } = followChain(
        held,
        delivery.records,
        await chains.hashesBetween(service, first, held.seq),
      );
      const received = fresh.map(receivedRecord);
      await chains.insert(received, now);
      const tip: ChainTip = fresh.at(-1) ?? held;
      const finding =
        broken ?? (await this.judgeSourceHead(chains, service, delivery.sourceHead, tip, now));

      const alerts = new AlertRepository(trx);
      const raised = await this.raise(alerts, await this.evaluateRules(trx, received), now);
      if (finding) {
        await chains.noteBreak(service, finding, now);
        raised.push(...(await this.raise(alerts, [breakAlert(service, finding)], now)));
        recordBreak(record, service, finding);
      }
      return {
        head: {
          service,
          seq: tip.seq,
          hash: tip.hash,
          receivedAt: fresh.length > 0 ? now : held.receivedAt,
          broken: finding !== undefined,
        },
        alerts: raised,
        refusal: finding && new ChainBroken(service, finding),
      };
    });
  }

  /** Compares the head the service reports with the copy, including this delivery's records. */
  private async judgeSourceHead(
    chains: ChainRepository,
    service: string,
    source: ChainTip,
    tip: ChainTip,
    now: Date,
  ): Promise<ChainBreakFinding | undefined> {
    const holdsSource = source.seq >= 1 && source.seq <= tip.seq;
    const hashAtSourceSeq = holdsSource
      ? (await chains.hashesBetween(service, source.seq, source.seq)).get(source.seq)
      : undefined;
    const nextReceivedAt =
      source.seq < tip.seq ? await chains.receivedAt(service, source.seq + 1) : undefined;
    return judgeSourceHead(source, { tipSeq: tip.seq, hashAtSourceSeq, nextReceivedAt }, now);
  }

  /** The rules, record by record in chain order, each in the window ending at its time. */
  private async evaluateRules(
    trx: Transaction<MonitorDatabase>,
    records: readonly ReceivedRecord[],
  ): Promise<AlertDraft[]> {
    const drafts: AlertDraft[] = [];
    for (const record of records) drafts.push(...(await this.rules.evaluate(trx, record)));
    return drafts;
  }

  private async raise(
    alerts: AlertRepository,
    drafts: readonly AlertDraft[],
    now: Date,
  ): Promise<RaisedAlert[]> {
    const raised: RaisedAlert[] = [];
    for (const draft of drafts) {
      const alert = await alerts.raise(draft, now);
      if (alert) raised.push(alert);
    }
    return raised;
  }

  private logAlert(alert: RaisedAlert): void {
    this.log.warn(
      {
        event: 'security.alert',
        rule: alert.rule,
        // `service` is the logger's own (monitor): the stream the alert is about is its source.
        source_service: alert.service,
        actor: alert.actor,
        severity: alert.severity,
        detail: alert.detail,
        trace_id: alert.traceId,
      },
      'security alert',
    );
  }

  /** A refused delivery says little to the caller and all of it to the monitor's own trail. */
  private async recordRefusal(service: string, error: InvalidDelivery): Promise<void> {
    this.log.warn(
      { event: 'monitor.delivery-refused', source_service: service, reason: error.message },
      'delivery refused',
    );
    await this.audit
      .append({
        actor: `service:${service}`,
        action: 'monitor.deliver',
        target: service,
        outcome: 'denied',
        callerService: service,
        detail: error.message,
      })
      .catch((cause: unknown) =>
        this.log.error({ event: 'audit.append-failed', err: cause }, 'audit append failed'),
      );
  }
}

/** The alert a chain break raises: once per break, since the chain is refused after it. */
function breakAlert(service: string, finding: ChainBreakFinding): AlertDraft {
  return {
    rule: BREAK_ALERT_RULE[finding.kind],
    service,
    actor: `service:${service}`,
    severity: 'critical',
    detail: `${service} chain ${finding.kind} at record ${finding.seq}: ${finding.detail}`,
    traceId: '',
    windowKey: `${finding.kind}@${finding.seq}`,
  };
}

/** The break, in the monitor's own audit trail, committed with the alert it raised. */
function recordBreak(record: RecordAudit, service: string, finding: ChainBreakFinding): void {
  record({
    actor: `service:${service}`,
    action: 'monitor.chain-break',
    target: service,
    outcome: 'denied',
    callerService: service,
    detail: `${finding.kind} at record ${finding.seq}: ${finding.detail}`,
  });
}
