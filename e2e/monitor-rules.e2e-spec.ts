// The monitor's anomaly rules (apps/monitor/src/rules/anomaly.rules.ts), end to end: acts
// go through the gateway, each service's outbox delivers its audit records to the monitor,
// and an admin reads what the monitor raised. On a system of the spec's own, so that no
// other spec's acts raise or suppress an alert here. Who does what:
//   sam (support)   3 refunds at once                  -> refund-burst (payment's stream)
//   alice           3 paid orders cancelled at once    -> refund-burst: a refund counts
//                                                          whatever route caused it
//                   10 admin requests at once          -> denial-burst (auth's stream)
//   bob             20 cancellations, 2 every 6.5 s    -> refund-rate, never refund-burst;
//                   20 x CIT-KEY (4900 cents each)     -> refund-total, crossed at the 11th
//                                                          (alice's and sam's 3 x 1200 do not)
//   127.0.0.61      failed logins to 5 accounts at once -> login-burst; 127.0.0.71-75 one
//                                                          each -> none
// Bob's pacing takes about a minute, so it runs in the background from the start and the
// other cases run meanwhile; the spec takes well under two minutes.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { bootOwnSystem } from './support/own-system.js';
import {
  api,
  type ApiResponse,
  awaitAlert,
  expectProblem,
  listAlerts,
  placeOrder,
  type SecurityAlert,
  tokenFor,
  userIdOf,
} from './support/http.js';

/** Bob's pairs are this far apart: no 6 s window holds three of his refunds. */
const PAIR_SPACING_MS = 6_500;
const BOB_REFUNDS = 20;
const KEY = [{ sku: 'CIT-KEY', quantity: 1 }];
const STUFFING_ADDRESS = '127.0.0.61';
const SPREAD_ADDRESSES = ['127.0.0.71', '127.0.0.72', '127.0.0.73', '127.0.0.74', '127.0.0.75'];
/**
 * Real accounts and ones that do not exist, as a stuffing list holds both. Not alice's: a
 * wrong password is a denial of hers too, and would carry her denial-burst on into the
 * next minute's window (a pattern that goes on raises once per window).
 */
const STUFFED_ACCOUNTS = ['bob', 'sam', 'ada', 'carol', 'dave'].map(
  (name) => `${name}@citadel.test`,
);

let own: Awaited<ReturnType<typeof bootOwnSystem>>;
const ids: Record<'alice' | 'bob' | 'sam', string> = { alice: '', bob: '', sam: '' };
let bobsCancellations: Promise<void>;

beforeAll(async () => {
  own = await bootOwnSystem();
  await Promise.all(['alice', 'bob', 'sam', 'ada'].map((name) => tokenFor(name)));
  for (const name of ['alice', 'bob', 'sam'] as const) ids[name] = await userIdOf(name);
  const bobsOrders = await Promise.all(
    Array.from({ length: BOB_REFUNDS }, () => placeOrder('bob', KEY)),
  );
  bobsCancellations = cancelInPairs(bobsOrders.map((order) => order.id));
  // Awaited by the refund-rate case; until then a failure must not go unhandled.
  bobsCancellations.catch(() => undefined);
}, 120_000);

afterAll(() => own?.dispose());

const about = (rule: string, actor: string) => (alert: SecurityAlert) =>
  alert.rule === rule && alert.actor === actor;

/** How the monitor names an address it counts by (monitor.proto: Alert.actor). */
const addressActor = (address: string) => `address:${address}`;

describe('the monitor raises what the rules describe, and only that', () => {
  it('3 refunds sent at once by one support agent -> refund-burst for the agent, on payment', async () => {
    const orders = await Promise.all([1, 2, 3].map(() => placeOrder('alice')));
    const token = await tokenFor('sam');
    const refunds = await atOnce(orders, (order) =>
      api('POST', `/v1/orders/${order.id}/refund`, { token }),
    );
    expect(refunds.map((refund) => refund.status)).toEqual([200, 200, 200]);

    const alert = await awaitAlert('refund-burst for sam', about('refund-burst', ids.sam));
    expect(alert).toMatchObject({ service: 'payment', severity: 'critical' });
    // Filed under the trace of the refund that completed the burst.
    expect(refunds.map((refund) => refund.headers['x-trace-id'])).toContain(alert.trace_id);
  });

  it('3 paid orders cancelled at once by their customer -> refund-burst for the customer', async () => {
    const orders = await Promise.all([1, 2, 3].map(() => placeOrder('alice')));
    const token = await tokenFor('alice');
    const cancels = await atOnce(orders, (order) =>
      api('POST', `/v1/orders/${order.id}/cancel`, { token }),
    );
    expect(cancels.map((cancel) => [cancel.status, cancel.json.status])).toEqual(
      Array(3).fill([200, 'cancelled']),
    );

    const alert = await awaitAlert('refund-burst for alice', about('refund-burst', ids.alice));
    expect(alert).toMatchObject({ service: 'payment', severity: 'critical' });
  });

  it('10 requests one user may not make, sent at once -> denial-burst for that user', async () => {
    // Exactly the threshold: only the 10th completes the pattern, so the alert is one
    // whatever minute the denials straddle (one alert per rule, key and window).
    const token = await tokenFor('alice');
    const answers = await atOnce(Array.from({ length: 10 }), () =>
      api('GET', '/v1/admin/alerts', { token }),
    );
    for (const answer of answers) expectProblem(answer, 403);

    const alert = await awaitAlert('denial-burst for alice', about('denial-burst', ids.alice));
    // The edge's refusals are on record in auth's trail (the gateway keeps no database).
    expect(alert).toMatchObject({ service: 'auth', severity: 'warning' });
  });

  it('failed logins to 5 accounts at once from one address -> login-burst for the address; spread over 5 addresses -> none', async () => {
    const failedLogin = (email: string, localAddress: string) =>
      api('POST', '/v1/auth/login', { body: { email, password: 'Stuffed-1234' }, localAddress });

    // Spread first: their records precede the burst's in auth's chain, so once the burst's
    // alert is out, the monitor has judged these too and an absence is final.
    const spread = await atOnce(STUFFED_ACCOUNTS, (email, i) =>
      failedLogin(email, SPREAD_ADDRESSES[i]!),
    );
    for (const answer of spread) expectProblem(answer, 401);
    const stuffed = await atOnce(STUFFED_ACCOUNTS, (email) => failedLogin(email, STUFFING_ADDRESS));
    for (const answer of stuffed) expectProblem(answer, 401);

    const alert = await awaitAlert(
      `login-burst for ${STUFFING_ADDRESS}`,
      about('login-burst', addressActor(STUFFING_ADDRESS)),
    );
    expect(alert).toMatchObject({ service: 'auth', severity: 'critical' });
    expect(alert.detail).toContain(STUFFING_ADDRESS);
    const spreadActors = SPREAD_ADDRESSES.map(addressActor);
    expect((await listAlerts()).filter((other) => spreadActors.includes(other.actor))).toEqual([]);
  });

  it('2 refunds every 6.5 s for a minute -> refund-rate and refund-total for that actor, no refund-burst', async () => {
    await bobsCancellations;
    const rate = await awaitAlert('refund-rate for bob', about('refund-rate', ids.bob));
    expect(rate).toMatchObject({ service: 'payment', severity: 'warning' });
    const total = await awaitAlert('refund-total for bob', about('refund-total', ids.bob));
    expect(total).toMatchObject({ service: 'payment', severity: 'critical' });

    // refund-rate fires at bob's 20th refund, his last: every refund before it is judged.
    const refundAlerts = (await listAlerts()).filter((alert) => alert.rule.startsWith('refund-'));
    expect(refundAlerts.filter(about('refund-burst', ids.bob))).toEqual([]);
    expect(refundAlerts.filter((alert) => alert.rule === 'refund-total')).toEqual([total]);
  });
});

describe('the alerts, as admins read them and as the monitor logs them', () => {
  /** Every alert the acts above raise, one per rule and actor: nothing else. */
  const expected = () =>
    [
      ['denial-burst', ids.alice],
      ['login-burst', addressActor(STUFFING_ADDRESS)],
      ['refund-burst', ids.alice],
      ['refund-burst', ids.sam],
      ['refund-rate', ids.bob],
      ['refund-total', ids.bob],
    ]
      .map(([rule, actor]) => `${rule} ${actor}`)
      .sort();

  it("a support agent's GET /v1/admin/alerts -> 403", async () => {
    expectProblem(await api('GET', '/v1/admin/alerts', { token: await tokenFor('sam') }), 403);
  });

  it("an admin's -> 200: each alert once, with its service, severity and time", async () => {
    const response = await api('GET', '/v1/admin/alerts', { token: await tokenFor('ada') });
    expect(response.status).toBe(200);
    const alerts = response.json as SecurityAlert[];
    expect(alerts.map((alert) => `${alert.rule} ${alert.actor}`).sort()).toEqual(expected());
    for (const alert of alerts) {
      expect(alert).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        rule: expect.any(String),
        service: expect.stringMatching(/^(auth|payment)$/),
        actor: expect.any(String),
        raised_at: expect.any(String),
        detail: expect.any(String),
        severity: expect.stringMatching(/^(warning|critical)$/),
        trace_id: expect.any(String),
      });
      expect(Date.parse(alert.raised_at)).toBeGreaterThan(Date.now() - 5 * 60_000);
    }
    // Newest first.
    const times = alerts.map((alert) => Date.parse(alert.raised_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('the monitor logged each alert once, as a structured security.alert WARN line', async () => {
    const alerts = await listAlerts();
    const lines = await untilLogged(own.system.logFile('monitor'), alerts.length);
    expect(lines.map((line) => `${line.rule} ${line.actor}`).sort()).toEqual(expected());
    for (const alert of alerts) {
      expect(lines.find((line) => line.rule === alert.rule && line.actor === alert.actor)).toEqual(
        expect.objectContaining({
          level: 40,
          event: 'security.alert',
          service: 'monitor',
          source_service: alert.service,
          severity: alert.severity,
          detail: alert.detail,
          trace_id: alert.trace_id,
        }),
      );
    }
  });
});

/** Sends one request per item at once (not one after another) and waits for every answer. */
function atOnce<T>(
  items: T[],
  send: (item: T, index: number) => Promise<ApiResponse>,
): Promise<ApiResponse[]> {
  return Promise.all(items.map(send));
}

/**
 * Bob cancels his paid orders two at a time, each pair PAIR_SPACING_MS after the previous
 * pair was answered. A refund is on record before its answer, so two pairs' records are
 * at least that far apart: 20 refunds within the hour, never 3 within 6 s.
 */
async function cancelInPairs(orderIds: string[]): Promise<void> {
  const token = await tokenFor('bob');
  for (let i = 0; i < orderIds.length; i += 2) {
    if (i > 0) await sleep(PAIR_SPACING_MS);
    const pair = await atOnce(orderIds.slice(i, i + 2), (id) =>
      api('POST', `/v1/orders/${id}/cancel`, { token }),
    );
    const refused = pair.find((answer) => answer.status !== 200);
    if (refused) throw new Error(`bob's cancellation: ${refused.status} ${refused.text}`);
  }
}

interface SecurityAlertLine {
  level: number;
  event: string;
  rule: string;
  service: string;
  actor: string;
  severity: string;
  detail: string;
  trace_id: string;
}

/** The monitor's `security.alert` lines, once there are `count` (its logger writes asynchronously). */
async function untilLogged(logFile: string, count: number): Promise<SecurityAlertLine[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const lines = fs
      .readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"security.alert"'))
      .map((line) => JSON.parse(line) as SecurityAlertLine);
    if (lines.length >= count || Date.now() > deadline) return lines;
    await sleep(100);
  }
}
