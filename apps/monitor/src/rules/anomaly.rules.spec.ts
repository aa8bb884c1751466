import type { AuditEvent } from '@citadel/audit';
import { openMonitor, ServiceChain, T0, type MonitorHarness } from '../testing/monitor-harness.js';

/**
 * The rules of anomaly.rules.ts, through the delivery path they run on: each service's
 * records delivered, the alerts stored and logged. Every case acts as an actor (or from an
 * address) of its own, so cases do not add up.
 */
describe('anomaly rules (embedded PostgreSQL)', () => {
  let monitor: MonitorHarness;
  const chains = new Map<string, ServiceChain>();
  let nextActor = 0;
  const freshActor = () => `u-rules-${++nextActor}`;

  /** `service` records `event` at T0 + `atSeconds` and delivers it, as its forwarder would. */
  const act = async (service: string, event: Partial<AuditEvent>, atSeconds: number) => {
    let chain = chains.get(service);
    if (!chain) chains.set(service, (chain = new ServiceChain(service)));
    const from = chain.head.seq;
    chain.append(event, T0 + atSeconds * 1000);
    await monitor.service.deliver(service, chain.delivery(from));
  };
  const refund = (actor: string, atSeconds: number, amountCents = 1200, traceId = '') =>
    act(
      'payment',
      {
        actor,
        action: 'payment.refund',
        target: `p-${atSeconds}`,
        outcome: 'ok',
        traceId,
        detail: `refund amount_cents=${amountCents} currency=EUR`,
      },
      atSeconds,
    );
  const alerts = (rule: string, actor: string) =>
    monitor.database.db
      .selectFrom('alerts')
      .selectAll()
      .where('rule', '=', rule)
      .where('actor', '=', actor)
      .execute();

  beforeAll(async () => {
    monitor = await openMonitor();
  });
  afterAll(() => monitor.close());

  it('refund-burst: 3 refunds by one actor within 6 s, not 2; a refund 6 s old is out of the window', async () => {
    const actor = freshActor();
    await refund(actor, 0);
    await refund(actor, 5);
    await refund(actor, 6); // the first is exactly 6 s old: out
    expect(await alerts('refund-burst', actor)).toEqual([]);
    await refund(actor, 7, 1200, 'c'.repeat(32));
    expect(await alerts('refund-burst', actor)).toMatchObject([
      { service: 'payment', severity: 'critical', trace_id: 'c'.repeat(32) },
    ]);
  });

  it('refund-burst raises one alert per window, and logs it once as security.alert', async () => {
    const actor = freshActor();
    for (const at of [60, 60, 61, 61, 62, 63]) await refund(actor, at);
    expect(await alerts('refund-burst', actor)).toHaveLength(1);
    const logged = monitor.lines.filter(
      (line) => line.details['event'] === 'security.alert' && line.details['actor'] === actor,
    );
    expect(logged).toEqual([
      {
        level: 'warn',
        details: {
          event: 'security.alert',
          rule: 'refund-burst',
          source_service: 'payment',
          actor,
          severity: 'critical',
          detail: expect.stringContaining('3 records within 6 s'),
          trace_id: '',
        },
      },
    ]);
  });

  it('refund-rate: the 20th refund within an hour, not the 19th; no burst at 7 s apart', async () => {
    const actor = freshActor();
    for (let i = 0; i < 19; i++) await refund(actor, 600 + i * 7, 100);
    expect(await alerts('refund-rate', actor)).toEqual([]);
    await refund(actor, 600 + 19 * 7, 100);
    expect(await alerts('refund-rate', actor)).toMatchObject([{ severity: 'warning' }]);
    expect(await alerts('refund-burst', actor)).toEqual([]);
  });

  it('refund-total sums amount_cents within a day: 49999 is not enough, 50000 is', async () => {
    const actor = freshActor();
    await refund(actor, 1000, 24_999);
    await refund(actor, 2000, 25_000);
    expect(await alerts('refund-total', actor)).toEqual([]);
    await refund(actor, 3000, 1);
    expect(await alerts('refund-total', actor)).toMatchObject([{ severity: 'critical' }]);
  });

  it('denial-burst: 10 denials of one user within 60 s across services, not 9; anonymous never', async () => {
    const actor = freshActor();
    const deny = (service: string, who: string, at: number) =>
      act(service, { actor: who, action: 'rpc.denied', outcome: 'denied' }, at);
    for (let i = 0; i < 9; i++) await deny(i % 2 ? 'auth' : 'order', actor, 4000 + i);
    for (let i = 0; i < 20; i++) await deny('auth', 'anonymous', 4000 + i);
    expect(await alerts('denial-burst', actor)).toEqual([]);
    expect(await alerts('denial-burst', 'anonymous')).toEqual([]);
    await deny('order', actor, 4010);
    expect(await alerts('denial-burst', actor)).toMatchObject([
      { service: 'order', severity: 'warning' },
    ]);
  });

  it('login-burst counts distinct accounts per address: 5 accounts, not 4 accounts tried many times, nor 5 addresses', async () => {
    const login = (email: string, address: string, at: number) =>
      act(
        'auth',
        {
          actor: 'anonymous',
          action: 'auth.login',
          target: email,
          outcome: 'denied',
          detail: `bad password client_ip=${address}`,
        },
        at,
      );
    const accounts = ['a', 'b', 'c', 'd', 'e'].map((name) => `${name}@citadel.test`);
    for (let round = 0; round < 3; round++) {
      for (const email of accounts.slice(0, 4)) await login(email, '127.0.0.61', 5000 + round);
    }
    for (const [i, email] of accounts.entries()) await login(email, `127.0.0.7${i}`, 5003);
    expect(await alerts('login-burst', 'address:127.0.0.61')).toEqual([]);
    await login(accounts[4]!, '127.0.0.61', 5004);
    const [alert] = await alerts('login-burst', 'address:127.0.0.61');
    expect(alert).toMatchObject({ service: 'auth', severity: 'critical' });
    expect(alert!.detail).toContain('127.0.0.61');
    for (let i = 0; i < 5; i++)
      expect(await alerts('login-burst', `address:127.0.0.7${i}`)).toEqual([]);
  });

  it('a pattern that goes on raises again in the next window', async () => {
    const actor = freshActor();
    for (const at of [7200, 7201, 7202]) await refund(actor, at);
    for (const at of [7206, 7207, 7208]) await refund(actor, at);
    expect(await alerts('refund-burst', actor)).toHaveLength(2);
  });
});
