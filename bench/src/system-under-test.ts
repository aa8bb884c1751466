import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BENCH_BASELINE_VALUE,
  BENCH_BASELINE_VAR,
  SERVICES as REGISTERED_SERVICES,
} from '@citadel/config';
import {
  bootSystem,
  freePort,
  freePorts,
  gatewayRequest,
  RATE_LIMITS_OUT_OF_REACH,
  type RunningSystem,
} from '@citadel/launcher';

export type Mode = 'secured' | 'baseline';
export const SERVICES = ['gateway', 'auth', 'order', 'payment'] as const;
export type Service = (typeof SERVICES)[number];

export interface SystemUnderTest {
  mode: Mode;
  system: RunningSystem;
  ca: Buffer;
  pids: Record<Service, number>;
  /** The Vault stand-in's pid: part of the system, though idle during a run. */
  vaultPid: number;
  /** A signed-in demo customer's bearer token and one of their orders. */
  token: string;
  orderId: string;
  /** What the read path answers (`GET /v1/orders/{orderId}`): the floor serves the same. */
  readBody: Buffer;
  stop(): Promise<void>;
}

/**
 * Boots one whole Citadel (local mode, fresh state, free ports), secured or as the
 * insecure baseline. The baseline switch reaches the services only through bootSystem's
 * `env`; this process never sets it on itself.
 */
export async function bootSystemUnderTest(
  mode: Mode,
  extraEnv: Record<string, string> = {},
): Promise<SystemUnderTest> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `citadel-bench-${mode}-`));
  const system = await bootSystem({
    home,
    // Every registered service boots (and is measured only if listed in SERVICES above).
    ports: await freePorts(REGISTERED_SERVICES),
    vaultPort: await freePort(),
    env: {
      LOG_LEVEL: 'info',
      // The limiter still runs on every request (its cost is measured); the load is one
      // client, so its budget must not be what caps the numbers.
      ...RATE_LIMITS_OUT_OF_REACH,
      ...(mode === 'baseline' ? { [BENCH_BASELINE_VAR]: BENCH_BASELINE_VALUE } : {}),
      ...extraEnv,
    },
  }).catch((error: unknown) => {
    fs.rmSync(home, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    await system.stop();
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    const ca = fs.readFileSync(system.caFile);
    const alice = system.demoUsers.find((user) => user.email.startsWith('alice@'))!;
    const login = await request(system, ca, 'POST', '/v1/auth/login', undefined, {
      email: alice.email,
      password: alice.password,
    });
    const token = (login as { access_token: string }).access_token;
    const order = await request(system, ca, 'POST', '/v1/orders', token, ORDER_BODY);
    const orderId = (order as { id: string }).id;
    const read = await request(system, ca, 'GET', `/v1/orders/${orderId}`, token);
    const pids = Object.fromEntries(
      SERVICES.map((service) => [service, pidOf(system, service)]),
    ) as Record<Service, number>;
    const vaultPid = pidOf(system, 'vault');
    const readBody = Buffer.from(JSON.stringify(read));
    return { mode, system, ca, pids, vaultPid, token, orderId, readBody, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const ORDER_BODY = { items: [{ sku: 'CIT-MUG', quantity: 1 }] };

/** One HTTPS call that must succeed: the bench measures a working system or nothing. */
async function request(
  system: RunningSystem,
  ca: Buffer,
  method: string,
  urlPath: string,
  token?: string,
  body?: object,
): Promise<unknown> {
  const answer = await gatewayRequest(system.gatewayUrl, ca, method, urlPath, { token, body });
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${method} ${urlPath}: HTTP ${answer.status} ${answer.text}`);
  }
  return answer.json;
}

/** The pid of one of the system's processes, as the launcher started it. */
function pidOf(system: RunningSystem, process: Service | 'vault'): number {
  const pid = system.pidOf(process);
  if (pid === undefined) throw new Error(`${process} is not running`);
  return pid;
}

/** CPU time (user + system, all threads) a process has used so far, in µs; Linux only. */
export function cpuMicros(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** CPU time the whole machine has spent busy so far (all cores), in µs; Linux only. */
export function machineBusyMicros(): number | undefined {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.split(/\s+/).slice(1);
    // user nice system idle iowait irq softirq steal: everything but idle and iowait.
    const [user, nice, system, , , irq, softirq, steal] = cpu.map(Number);
    const ticks = user! + nice! + system! + irq! + softirq! + (steal ?? 0);
    return (ticks * 1e6) / CLOCK_TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux platform Node supports. */
const CLOCK_TICKS_PER_S = 100;
