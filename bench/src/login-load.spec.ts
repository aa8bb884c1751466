import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDemoUsers } from '@citadel/launcher';
import type { LoadSample } from './load.js';
import {
  addBenchAccounts,
  benchAccountsOf,
  BENCH_ACCOUNTS,
  concurrentLoads,
  loginRequests,
  MAX_LOGIN_CONNECTIONS,
} from './login-load.js';

describe("the login path's accounts", () => {
  let home: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-bench-accounts-'));
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  it('are customers added to the demo users the launcher seeds, one per connection', () => {
    const accounts = addBenchAccounts(home);
    expect(accounts).toHaveLength(BENCH_ACCOUNTS);
    expect(BENCH_ACCOUNTS).toBeGreaterThanOrEqual(MAX_LOGIN_CONNECTIONS);
    expect(new Set(accounts.map((account) => account.email)).size).toBe(BENCH_ACCOUNTS);
    expect(accounts.every((account) => account.role === 'customer')).toBe(true);
    // What the launcher reads at boot (and stores in Vault for auth to seed): the demo
    // users first, unchanged, then the bench's.
    const { users, file } = ensureDemoUsers(home);
    expect(users.slice(0, 4).map((user) => user.email)).toEqual([
      'alice@citadel.test',
      'bob@citadel.test',
      'sam@citadel.test',
      'ada@citadel.test',
    ]);
    expect(benchAccountsOf(users)).toEqual(accounts);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keep their passwords in a home that keeps its users, and fill in those it lacks', () => {
    const demo = ensureDemoUsers(home).users;
    const first = addBenchAccounts(home, 3);
    const more = addBenchAccounts(home, 5);
    expect(more.slice(0, 3)).toEqual(first);
    expect(ensureDemoUsers(home).users).toEqual([...demo, ...more]);
  });

  it('must all have been seeded', () => {
    expect(() => benchAccountsOf(ensureDemoUsers(home).users)).toThrow(/was not seeded/);
  });

  it('each get a request of their own, and there are never fewer than connections', () => {
    const accounts = addBenchAccounts(home, 4);
    const requests = loginRequests(accounts, 3);
    expect(requests.map((request) => JSON.parse(request.body!) as unknown)).toEqual(
      accounts.slice(0, 3).map(({ email, password }) => ({ email, password })),
    );
    expect(() => loginRequests(accounts, 5)).toThrow(/5 connections but 4 accounts/);
  });
});

describe('connections run side by side, as one load', () => {
  const sample = (latencies: number[], countedS: number): LoadSample => ({
    rps: Math.round(latencies.length / countedS),
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    requests: latencies.length,
    totalRequests: latencies.length + 1,
    failures: 0,
    statusCodes: { '200': latencies.length + 1 },
    latenciesMs: Float64Array.from(latencies).sort(),
    countedS,
  });

  it('adds their rates over the seconds they shared, not over the sum of them', () => {
    const combined = concurrentLoads([
      sample(
        Array.from({ length: 20 }, () => 50),
        2,
      ),
      sample(
        Array.from({ length: 10 }, () => 100),
        2,
      ),
    ]);
    expect(combined.rps).toBe(15);
    expect(combined.requests).toBe(30);
    expect(combined.totalRequests).toBe(32);
    expect(combined.countedS).toBe(2);
    expect(combined.p50Ms).toBe(50);
    expect(combined.p99Ms).toBe(100);
    expect(Array.from(combined.latenciesMs)).toEqual([
      ...Array.from({ length: 20 }, () => 50),
      ...Array.from({ length: 10 }, () => 100),
    ]);
    expect(combined.statusCodes).toEqual({ '200': 32 });
  });
});
