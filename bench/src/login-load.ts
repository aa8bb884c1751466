// The login path's load, shaped as real logins are: many distinct accounts, each signing
// in on its own connection, at a concurrency auth's argon2 bound is built to serve.
import { randomBytes } from 'node:crypto';
import { demoUsersFile } from '@citadel/config';
import { ensureDemoUsers, type DemoUser } from '@citadel/launcher';
import { writePrivateFile } from '@citadel/pki';
import type autocannon from 'autocannon';
import { combineLoads, round, runLoad, type LoadOptions, type LoadSample } from './load.js';

/**
 * The most logins the path runs at once. Auth runs 2 argon2id checks at a time and lets 16
 * wait (password-hasher.ts, ~25 ms of a core each here); past 18 in flight it answers
 * RESOURCE_EXHAUSTED, which the gateway turns into 503, by design (a flood of logins is
 * refused, not queued). 16 keeps auth's queue two places short of full, so a check still
 * running after its client gave up on it cannot push the next login over.
 */
export const MAX_LOGIN_CONNECTIONS = 16;

/** Customers that exist for the login path only: one per connection. */
export const BENCH_ACCOUNTS = MAX_LOGIN_CONNECTIONS;

const benchEmail = (index: number) => `bench-${String(index + 1).padStart(2, '0')}@citadel.test`;

/**
 * Adds the bench's customers to the home's demo users (`$CITADEL_HOME/demo-users.json`,
 * which the launcher creates), before the system boots: the launcher's Vault bootstrap
 * stores them and auth seeds them, argon2id-hashed, as it seeds the demo users. The product
 * has no sign-up route, and this is its own way to create users in local mode. Idempotent:
 * a home that keeps its users (PostgreSQL) gets only those it lacks, and auth seeds only
 * the emails it does not know.
 */
export function addBenchAccounts(home: string, count = BENCH_ACCOUNTS): DemoUser[] {
  const { users } = ensureDemoUsers(home);
  const known = new Set(users.map((user) => user.email));
  const missing = Array.from({ length: count }, (_, index) => benchEmail(index))
    .filter((email) => !known.has(email))
    .map((email) => ({
      email,
      password: randomBytes(18).toString('base64url'),
      role: 'customer' as const,
    }));
  if (missing.length > 0) {
    writePrivateFile(demoUsersFile(home), JSON.stringify([...users, ...missing], null, 2) + '\n');
  }
  return benchAccountsOf([...users, ...missing], count);
}

/** The bench's customers among a system's demo users, in order. */
export function benchAccountsOf(users: DemoUser[], count = BENCH_ACCOUNTS): DemoUser[] {
  const byEmail = new Map(users.map((user) => [user.email, user]));
  return Array.from({ length: count }, (_, index) => {
    const user = byEmail.get(benchEmail(index));
    if (!user) throw new Error(`login path: ${benchEmail(index)} was not seeded`);
    return user;
  });
}

/** One login request per account: the i-th connection signs the i-th account in. */
export function loginRequests(accounts: DemoUser[], connections: number): autocannon.Request[] {
  if (connections > accounts.length)
    throw new Error(`login path: ${connections} connections but ${accounts.length} accounts`);
  return accounts.slice(0, connections).map((account) => ({
    method: 'POST',
    path: '/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: account.email, password: account.password }),
  }));
}

/**
 * Each of `requests` sent over and over on a connection of its own (one autocannon run
 * each, all at once), as one load: no account ever has two logins in flight, so the
 * throttle's per-account lock (login-lock.ts) never makes one wait or refuses it.
 * `connections` must be the number of requests.
 */
export async function runLoginLoad(options: LoadOptions): Promise<LoadSample> {
  if (options.connections !== options.requests.length)
    throw new Error(
      `login path: ${options.connections} connections for ${options.requests.length} accounts`,
    );
  const samples = await Promise.all(
    options.requests.map((request) => runLoad({ ...options, requests: [request], connections: 1 })),
  );
  return concurrentLoads(samples);
}

/**
 * Runs that happened side by side, as one: their requests over the seconds they shared
 * (not the sum of those seconds, as for slices taken in turns: see `combineLoads`).
 */
export function concurrentLoads(samples: LoadSample[]): LoadSample {
  const pooled = combineLoads(samples);
  const countedS = Math.max(...samples.map((sample) => sample.countedS));
  const latenciesMs = new Float64Array(pooled.requests);
  let offset = 0;
  for (const sample of samples) {
    latenciesMs.set(sample.latenciesMs, offset);
    offset += sample.latenciesMs.length;
  }
  latenciesMs.sort();
  return { ...pooled, rps: round(pooled.requests / countedS, 0), latenciesMs, countedS };
}
