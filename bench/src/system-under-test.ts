import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES as REGISTERED_SERVICES } from '@citadel/config';
import {
  bootSystem,
  freePort,
  freePorts,
  gatewayRequest,
  RATE_LIMITS_OUT_OF_REACH,
  type DemoUser,
  type RunningSystem,
} from '@citadel/launcher';
import { addBenchAccounts, benchAccountsOf } from './login-load.js';

/** Where the data services keep their data: embedded PGlite, or a PostgreSQL server. */
export type Database = 'embedded' | 'postgres';
/**
 * `secured`: the services' own entry points, as `npm start` runs them. `baseline`: the
 * bench's entry points (bench/src/baseline/), the same modules with the internal security
 * left out, to measure what it costs.
 */
export type Security = 'secured' | 'baseline';
export const SERVICES = ['gateway', 'auth', 'order', 'payment'] as const;
export type Service = (typeof SERVICES)[number];

export interface SystemUnderTest {
  security: Security;
  database: Database;
  system: RunningSystem;
  ca: Buffer;
  pids: Record<Service, number>;
  /** The Vault stand-in's pid: part of the system, though idle during a run. */
  vaultPid: number;
  /** A signed-in demo customer's bearer token and one of their orders. */
  token: string;
  orderId: string;
  /** The customers the login path signs in, one per connection (login-load.ts). */
  loginAccounts: DemoUser[];
  /** What the read path answers (`GET /v1/orders/{orderId}`): the floor serves the same. */
  readBody: Buffer;
  stop(): Promise<void>;
}

/**
 * Boots one whole Citadel as `npm start` does (local mode, free ports): the services' own
 * entry points, every defence on; or, with `security: 'baseline'`, the bench's baseline
 * entry points in their place (same launcher, instrumentation, Vault and PKI). Without `databaseAdminUrl`, on embedded PostgreSQL in a
 * fresh home. With it, the data services run on that PostgreSQL database (each its own
 * role and schema), which keeps its users and orders from one boot to the next: so that
 * system keeps one home per database too (its demo users' passwords, its PKI), as a
 * deployment restarted would. Give the bench a database of its own.
 */
export async function bootSystemUnderTest(
  options: {
    security?: Security;
    databaseAdminUrl?: string;
    extraEnv?: Record<string, string>;
    /**
     * A running system on the same PostgreSQL server to boot beside, on its home and its
     * Vault: a server's login roles are server-wide, and a second Vault would reset their
     * passwords under the first system's feet. Both then share the services' roles and
     * schemas, as replicas do.
     */
    besides?: SystemUnderTest;
  } = {},
): Promise<SystemUnderTest> {
  const security = options.security ?? 'secured';
  const database: Database = options.databaseAdminUrl ? 'postgres' : 'embedded';
  const { besides } = options;
  const home = besides
    ? besides.system.home
    : options.databaseAdminUrl
      ? homeOf(options.databaseAdminUrl)
      : fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bench-embedded-'));
  const removeHome = () => {
    if (database === 'embedded' && !besides) fs.rmSync(home, { recursive: true, force: true });
  };
  // Seeded at boot with the demo users, by the launcher and auth: the login path's accounts.
  addBenchAccounts(home);
  const system = await bootSystem({
    home,
    ...(options.databaseAdminUrl ? { databaseAdminUrl: options.databaseAdminUrl } : {}),
    // Every registered service boots (and is measured only if listed in SERVICES above).
    ports: await freePorts(REGISTERED_SERVICES),
    ...(besides
      ? {
          vault: {
            addr: besides.system.vault.addr,
            // Where the local Vault server keeps its root token (as `npm run demo` reads it).
            token: fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim(),
          },
        }
      : { vaultPort: await freePort() }),
    ...(security === 'baseline' ? { entryPoints: BASELINE_ENTRY_POINTS } : {}),
    env: {
      LOG_LEVEL: 'info',
      // The limiter still runs on every request (its cost is measured); the load is one
      // client, so its budget must not be what caps the numbers.
      ...RATE_LIMITS_OUT_OF_REACH,
      ...LOGIN_LIMITS_OUT_OF_REACH,
      ...options.extraEnv,
    },
  }).catch((error: unknown) => {
    removeHome();
    throw error;
  });
  const stop = async () => {
    await system.stop();
    removeHome();
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
    const vaultPid = besides ? besides.vaultPid : pidOf(system, 'vault');
    const readBody = Buffer.from(JSON.stringify(read));
    const loginAccounts = benchAccountsOf(system.demoUsers);
    return {
      security,
      database,
      system,
      ca,
      pids,
      vaultPid,
      token,
      orderId,
      loginAccounts,
      readBody,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The baseline's entry points, built next to this module (bench/dist/baseline/). */
const BASELINE_ENTRY_POINTS = Object.fromEntries(
  SERVICES.map((service) => [
    service,
    fileURLToPath(new URL(`./baseline/${service}.js`, import.meta.url)),
  ]),
) as Record<Service, string>;

/** The home of the system on one PostgreSQL database: the same for every boot on it. */
function homeOf(databaseAdminUrl: string): string {
  const id = createHash('sha256').update(databaseAdminUrl).digest('hex').slice(0, 16);
  const home = path.join(os.tmpdir(), `citadel-bench-postgres-${id}`);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  return home;
}

/**
 * The login path signs its accounts in over and over from one address, each on its own
 * connection: the login throttle still runs every check (budgets, the one-login-per-account
 * lock), and the lock never waits, as no account has two logins in flight. A check holds
 * a point of its account's and its address's budget while it runs and gives it back when
 * it passes, so only failures stay counted, and the path has none; every login comes from
 * 127.0.0.1 though, so the budgets, made for attackers, are set to their maximum: up to
 * 16 checks in flight at once, or a stray failure, must not cap the numbers.
 */
const LOGIN_LIMITS_OUT_OF_REACH = {
  GATEWAY_LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000',
  GATEWAY_LOGIN_MAX_FAILURES_PER_DEVICE: '1000',
  GATEWAY_LOGIN_MAX_FAILURES_PER_IP: '100000',
};

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

/**
 * CPU time used so far by every `postgres` process on this machine (the server, when it
 * runs here: its backends, one per pooled connection, live as long as the pools do), in µs.
 */
export function postgresServerMicros(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
    } catch {
      continue; // gone meanwhile
    }
    total += cpuMicros(Number(entry)) ?? 0;
  }
  return total;
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
