// Delivery to the monitor is at least once and idempotent: with orders, cancels and refunds
// flowing from several users, the monitor SIGKILLed and kept down, then a service SIGKILLed
// mid-request, every audit record still reaches the monitor exactly once and in order, and
// its copy of each chain is the service's own, hash for hash.
import fs from 'node:fs';
import type { ServiceName } from '@citadel/config';
import type { RunningSystem } from '@citadel/launcher';
import {
  auditVerify,
  DELIVERING_SERVICES,
  monitorCopy,
  monitorHeads,
  serviceChain,
  until,
  untilDelivered,
} from './support/audit-verify.js';
import { api, placeOrder, tokenFor } from './support/http.js';
import { bootOwnSystem, pidOf } from './support/own-system.js';

let own: Awaited<ReturnType<typeof bootOwnSystem>> | undefined;
let system: RunningSystem;

beforeAll(async () => {
  own = await bootOwnSystem();
  system = own.system;
}, 180_000);
afterAll(() => own?.dispose());

/** After a failed request (the service being killed), how long a shopper waits to retry. */
const RETRY_PAUSE_MS = 100;

/**
 * Shoppers acting at once until stopped: alice and bob each order and cancel (the cancel
 * refunds at payment), and sam, a support agent, refunds orders of alice's. Requests that
 * meet a killed service fail; the shoppers go on. `acts` counts the completed ones,
 * `failures` the others.
 */
function shoppers() {
  let running = true;
  let acts = 0;
  let failures = 0;
  const settle = async (name: 'alice' | 'bob' | 'sam', placedBy: 'alice' | 'bob') => {
    const order = await placeOrder(placedBy);
    const verb = name === 'sam' ? 'refund' : 'cancel';
    const settled = await api('POST', `/v1/orders/${order.id}/${verb}`, {
      token: await tokenFor(name),
    });
    if (settled.status !== 200) throw new Error(`${verb}: ${settled.status}`);
  };
  const shopper = async (name: 'alice' | 'bob' | 'sam', placedBy: 'alice' | 'bob') => {
    while (running) {
      try {
        await settle(name, placedBy);
        acts += 1;
      } catch {
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  };
  const workers = [
    shopper('alice', 'alice'),
    shopper('alice', 'alice'),
    shopper('bob', 'bob'),
    shopper('bob', 'bob'),
    shopper('sam', 'alice'),
  ];
  return {
    get acts() {
      return acts;
    },
    get failures() {
      return failures;
    },
    async stop() {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Waits until `count` more acts have completed than `from` (the shop keeps working). */
function untilActs(load: ReturnType<typeof shoppers>, from: number, count: number) {
  return until(`${count} more acts`, async () => (load.acts >= from + count ? true : undefined));
}

/** Kills a process of the system with SIGKILL (no shutdown hook runs) and waits for its exit. */
async function kill(service: ServiceName): Promise<void> {
  process.kill(pidOf(system, service), 'SIGKILL');
  await until(`${service} to exit`, async () =>
    system.pidOf(service) === undefined ? true : undefined,
  );
}

/** Each delivering service's log from here on. */
function logsFromNow(): (service: ServiceName) => string {
  const offsets = new Map<ServiceName, number>(
    DELIVERING_SERVICES.map((service) => [service, fs.statSync(system.logFile(service)).size]),
  );
  return (service) =>
    fs.readFileSync(system.logFile(service), 'utf8').slice(offsets.get(service) ?? 0);
}

/** Every chain's copy at the monitor is the service's own: seq 1..n, the same hashes, once each. */
async function expectEveryRecordOnceInOrder(): Promise<void> {
  await untilDelivered(DELIVERING_SERVICES, 90_000);
  for (const service of DELIVERING_SERVICES) {
    const chain = await serviceChain(service);
    expect([service, chain.map((record) => record.seq)]).toEqual([
      service,
      Array.from({ length: chain.length }, (_, index) => index + 1),
    ]);
    expect([service, await monitorCopy(service)]).toEqual([service, chain]);
  }
  const { code, stdout } = await auditVerify();
  for (const service of DELIVERING_SERVICES)
    expect(stdout).toMatch(new RegExp(`^${service}\\s+ok\\s+(\\d+) records, \\1 held`, 'm'));
  expect(code).toBe(0);
}

describe('audit delivery to the monitor', () => {
  it('the monitor SIGKILLed and kept down while orders, cancels and refunds flow: every record arrives once, in order', async () => {
    const load = shoppers();
    try {
      // Each busy service has delivered (so any outage of the boot is over, and the next
      // failure is logged as a new one).
      await until('order and payment delivering', async () => {
        const heads = await monitorHeads();
        return heads.get('order')?.seq && heads.get('payment')?.seq ? true : undefined;
      });
      const log = logsFromNow();
      await kill('monitor');
      // Down until both busy services have seen it fail, and the shop went on meanwhile:
      // those acts' records wait in the outboxes.
      const down = load.acts;
      await until('order and payment to notice the monitor is gone', async () =>
        (['order', 'payment'] as const).every((service) =>
          log(service).includes('audit.forward-failed'),
        )
          ? true
          : undefined,
      );
      await untilActs(load, down, 10);
      expect(await monitorHeads().catch(() => 'unreachable')).toBe('unreachable');
      await system.startService('monitor');
      await untilActs(load, load.acts, 10);
    } finally {
      await load.stop();
      // Whatever failed above, the next test starts with the monitor up.
      if (system.pidOf('monitor') === undefined) await system.startService('monitor');
    }
    await expectEveryRecordOnceInOrder();
  });

  it('order SIGKILLed mid-request and restarted: its records, and payment’s, still all arrive once, in order', async () => {
    const load = shoppers();
    try {
      await untilActs(load, load.acts, 5);
      const failed = load.failures;
      await kill('order');
      await system.startService('order');
      // Shoppers met it down: requests were cut off or refused while it was.
      expect(load.failures).toBeGreaterThan(failed);
      await untilActs(load, load.acts, 10);
    } finally {
      await load.stop();
      if (system.pidOf('order') === undefined) await system.startService('order');
    }
    await expectEveryRecordOnceInOrder();
  });
});
