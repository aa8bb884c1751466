import { GENESIS_HASH } from '@citadel/audit';
import { RulesEngine } from '../rules/rules-engine.js';
import { openMonitor, ServiceChain, T0, type MonitorHarness } from '../testing/monitor-harness.js';
import { STALE_HEAD_GRACE_MS } from './chain-continuity.js';
import { ChainBroken, InvalidDelivery } from './delivery.errors.js';

describe('DeliveryService (embedded PostgreSQL)', () => {
  let monitor: MonitorHarness;
  /** Each case extends a chain of its own, so cases do not share heads. */
  let next = 0;
  const freshChain = () => new ServiceChain(`svc-${++next}`);
  const orders = (chain: ServiceChain, count: number, fromMs = T0) => {
    for (let i = 0; i < count; i++) chain.append({ target: `o-${i}` }, fromMs + i * 1000);
  };
  const stored = async (service: string) =>
    (
      await monitor.database.db
        .selectFrom('received_records')
        .select(['seq', 'hash'])
        .where('service', '=', service)
        .orderBy('seq')
        .execute()
    ).map((row) => ({ seq: Number(row.seq), hash: row.hash }));
  const alertsOf = (service: string) =>
    monitor.database.db.selectFrom('alerts').selectAll().where('service', '=', service).execute();
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  beforeAll(async () => {
    monitor = await openMonitor();
  });
  afterAll(() => monitor.close());

  it('stores records delivered in order and answers the head; GetHead agrees', async () => {
    const chain = freshChain();
    expect(await monitor.service.head(chain.service)).toEqual({
      service: chain.service,
      seq: 0,
      hash: GENESIS_HASH,
      receivedAt: undefined,
      broken: false,
    });
    orders(chain, 3);
    expect(await monitor.service.deliver(chain.service, chain.delivery())).toMatchObject({
      seq: 3,
      hash: chain.head.hash,
      broken: false,
    });
    orders(chain, 2, T0 + 10_000);
    await monitor.service.deliver(chain.service, chain.delivery(3));
    expect(await stored(chain.service)).toEqual(
      chain.records.map(({ seq, hash }) => ({ seq, hash })),
    );
    expect(await monitor.service.head(chain.service)).toMatchObject({
      seq: 5,
      hash: chain.head.hash,
      receivedAt: new Date(monitor.clock.now),
    });
  });

  it('skips records it already holds (at-least-once delivery stores each record once)', async () => {
    const chain = freshChain();
    orders(chain, 3);
    await monitor.service.deliver(chain.service, chain.delivery());
    orders(chain, 1, T0 + 5000);
    expect((await monitor.service.deliver(chain.service, chain.delivery())).seq).toBe(4);
    expect(await monitor.service.deliver(chain.service, chain.delivery())).toMatchObject({
      seq: 4,
      broken: false,
    });
    expect(await stored(chain.service)).toHaveLength(4);
    expect(await alertsOf(chain.service)).toEqual([]);
  });

  it('20 concurrent deliveries of the same records store them once, without a break', async () => {
    const chain = freshChain();
    orders(chain, 30);
    const heads = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        monitor.service.deliver(chain.service, chain.delivery(i)),
      ),
    );
    expect(heads.every((head) => head.seq === 30 && !head.broken)).toBe(true);
    expect(await stored(chain.service)).toHaveLength(30);
  });

  it('a delivered record rewritten with every later hash re-computed -> chain-tampered, once, and the chain refused', async () => {
    const chain = freshChain();
    orders(chain, 4);
    await monitor.service.deliver(chain.service, chain.delivery());
    const copy = await stored(chain.service);
    chain.rewrite(2, { actor: 'u-innocent' });

    const error = await refusal(monitor.service.deliver(chain.service, chain.delivery()));
    expect(error).toBeInstanceOf(ChainBroken);
    expect((error as ChainBroken).finding).toMatchObject({ seq: 2, kind: 'rewritten' });
    expect(await stored(chain.service)).toEqual(copy);
    expect(await alertsOf(chain.service)).toMatchObject([
      { rule: 'chain-tampered', actor: `service:${chain.service}`, severity: 'critical' },
    ]);
    expect(await monitor.service.head(chain.service)).toMatchObject({ seq: 4, broken: true });

    // Further deliveries are refused, and the break is not raised again.
    orders(chain, 1, T0 + 60_000);
    expect(await refusal(monitor.service.deliver(chain.service, chain.delivery(4)))).toBeInstanceOf(
      ChainBroken,
    );
    expect(await alertsOf(chain.service)).toHaveLength(1);
    expect(await stored(chain.service)).toEqual(copy);
    const [verdict] = await monitor.audit.find({ action: 'monitor.chain-break' });
    expect(verdict).toMatchObject({ target: chain.service, outcome: 'denied' });
  });

  it('a new record linked to another hash, or whose content does not match its hash -> chain-tampered', async () => {
    const relinked = freshChain();
    orders(relinked, 2);
    await monitor.service.deliver(relinked.service, relinked.delivery(0));
    orders(relinked, 1, T0 + 5000);
    const request = relinked.delivery(2);
    request.records[0]!.prev_hash = 'f'.repeat(64);
    expect(
      ((await refusal(monitor.service.deliver(relinked.service, request))) as ChainBroken).finding,
    ).toMatchObject({ seq: 3, kind: 're-linked' });

    const altered = freshChain();
    orders(altered, 2);
    const edited = altered.delivery();
    edited.records[1]!.actor = 'u-someone-else';
    expect(
      ((await refusal(monitor.service.deliver(altered.service, edited))) as ChainBroken).finding,
    ).toMatchObject({ seq: 2, kind: 'altered' });
    // The record before the break is a fact: it is kept.
    expect(await stored(altered.service)).toEqual([{ seq: 1, hash: altered.records[0]!.hash }]);
    for (const chain of [relinked, altered]) {
      expect(await alertsOf(chain.service)).toMatchObject([{ rule: 'chain-tampered' }]);
    }
  });

  it('records missing between the head and the next delivered -> chain-gap', async () => {
    const chain = freshChain();
    orders(chain, 2);
    await monitor.service.deliver(chain.service, chain.delivery());
    orders(chain, 3, T0 + 5000);
    const request = chain.delivery(2);
    request.records.shift(); // record 3 was deleted at the source
    const error = await refusal(monitor.service.deliver(chain.service, request));
    expect((error as ChainBroken).finding).toMatchObject({ seq: 3, kind: 'gap' });
    expect(await stored(chain.service)).toHaveLength(2);
    expect(await alertsOf(chain.service)).toMatchObject([
      { rule: 'chain-gap', severity: 'critical' },
    ]);
  });

  it("a heartbeat whose head is below the monitor's -> chain-truncated; within the grace it is a stale replica's", async () => {
    const chain = freshChain();
    orders(chain, 5);
    await monitor.service.deliver(chain.service, chain.delivery());
    chain.truncate(3);

    // Just delivered: another replica's forwarder may have read its head before that.
    expect(await monitor.service.deliver(chain.service, chain.heartbeat())).toMatchObject({
      seq: 5,
      broken: false,
    });
    monitor.clock.now += STALE_HEAD_GRACE_MS + 1;
    const error = await refusal(monitor.service.deliver(chain.service, chain.heartbeat()));
    expect((error as ChainBroken).finding).toMatchObject({ seq: 4, kind: 'truncated' });
    expect(await alertsOf(chain.service)).toMatchObject([{ rule: 'chain-truncated' }]);
    monitor.clock.now = T0;
  });

  it('a heartbeat naming the head with another hash -> chain-tampered', async () => {
    const chain = freshChain();
    orders(chain, 3);
    await monitor.service.deliver(chain.service, chain.delivery());
    chain.rewrite(3, { detail: 'nothing happened' });
    const error = await refusal(monitor.service.deliver(chain.service, chain.heartbeat()));
    expect((error as ChainBroken).finding).toMatchObject({ seq: 3, kind: 'rewritten' });
  });

  it('records naming another service are refused, and neither chain changes', async () => {
    const victim = freshChain();
    orders(victim, 2);
    await monitor.service.deliver(victim.service, victim.delivery());
    // A perfect continuation of the victim's chain, delivered by another service.
    const forged = new ServiceChain(victim.service);
    forged.records.push(...victim.records);
    forged.append({ action: 'payment.refund', actor: 'u-victim' }, T0 + 5000);
    const attacker = freshChain();

    const error = await refusal(monitor.service.deliver(attacker.service, forged.delivery(2)));
    expect(error).toBeInstanceOf(InvalidDelivery);
    expect(await stored(victim.service)).toHaveLength(2);
    expect(await stored(attacker.service)).toEqual([]);
    const [refused] = await monitor.audit.find({ action: 'monitor.deliver' });
    expect(refused).toMatchObject({ actor: `service:${attacker.service}`, outcome: 'denied' });
  });

  it.each([
    ['more than 500 records', (chain: ServiceChain) => orders(chain, 501)],
    [
      'a time that is not ISO 8601 UTC',
      (chain: ServiceChain) => {
        orders(chain, 1);
        chain.records[0]!.time = 'tomorrow';
      },
    ],
    [
      'records out of order',
      (chain: ServiceChain) => {
        orders(chain, 2);
        chain.records.reverse();
      },
    ],
  ])('a malformed delivery (%s) is refused and stores nothing', async (_case, build) => {
    const chain = freshChain();
    build(chain);
    expect(await refusal(monitor.service.deliver(chain.service, chain.delivery()))).toBeInstanceOf(
      InvalidDelivery,
    );
    expect(await stored(chain.service)).toEqual([]);
  });

  it('a delivery whose transaction fails stores nothing (a monitor killed mid-delivery), and the retry stores it once', async () => {
    const chain = freshChain();
    chain.append({ action: 'payment.refund', actor: 'u-kill', detail: 'amount_cents=60000' }, T0);
    const failing = new RulesEngine([]);
    failing.evaluate = () => Promise.reject(new Error('connection lost'));
    await expect(
      monitor.withRules(failing).deliver(chain.service, chain.delivery()),
    ).rejects.toThrow('connection lost');
    expect(await stored(chain.service)).toEqual([]);
    expect(await monitor.service.head(chain.service)).toMatchObject({ seq: 0, broken: false });

    await monitor.service.deliver(chain.service, chain.delivery());
    await monitor.service.deliver(chain.service, chain.delivery());
    expect(await stored(chain.service)).toHaveLength(1);
    expect(await alertsOf(chain.service)).toMatchObject([{ rule: 'refund-total' }]);
  });
});
