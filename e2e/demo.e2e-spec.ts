// `npm run demo` against a booted system (on real PostgreSQL when this machine has it, so
// attack point 4 is PostgreSQL refusing the query): every attack in its table is stopped.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from '@citadel/config';
import type { RunningSystem } from '@citadel/launcher';
import { bootOwnSystem } from './support/own-system.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const database = `citadel_demo_${randomBytes(4).toString('hex')}`;

async function withAdmin(run: (client: pg.Client) => Promise<unknown>): Promise<boolean> {
  const client = new pg.Client({ ...ADMIN, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await run(client);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let system: RunningSystem;
let home: string;
let dispose: () => Promise<void>;
let onPostgres = false;

beforeAll(async () => {
  onPostgres = await withAdmin((client) => client.query(`CREATE DATABASE ${database}`));
  if (!onPostgres)
    console.warn('demo e2e: no PostgreSQL on 127.0.0.1:5432; attack 4 runs embedded');
  ({ system, home, dispose } = await bootOwnSystem(
    onPostgres ? { databaseAdminUrl: `postgres://postgres@127.0.0.1:5432/${database}` } : {},
  ));
}, 120_000);

afterAll(async () => {
  await dispose?.();
  if (onPostgres) {
    await withAdmin(async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const service of ['auth', 'order', 'payment'])
        await client.query(`DROP ROLE IF EXISTS ${database}_${service}`);
    });
  }
});

it('npm run demo: every attack in the table is reported as stopped', async () => {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'packages/launcher/dist/demo.js')], {
    env: {
      PATH: process.env.PATH,
      CITADEL_HOME: home,
      GATEWAY_PORT: String(system.ports.gateway),
      AUTH_PORT: String(system.ports.auth),
      ORDER_PORT: String(system.ports.order),
      PAYMENT_PORT: String(system.ports.payment),
      VAULT_ADDR: system.vault.addr,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(output).not.toContain('NOT STOPPED');
  const rows = output.split('\n').filter((line) => /^\| \S.* \| stopped \|$/.test(line));
  expect(rows.length).toBeGreaterThanOrEqual(11);
  for (const attack of [
    '| 1 ',
    '| 2 ',
    '| 3 ',
    '| 4 ',
    '| 5 ',
    '| RBAC',
    '| login brute',
    '| refund',
  ])
    expect(rows.some((row) => row.startsWith(attack))).toBe(true);
  if (onPostgres) expect(output).toMatch(/permission denied \(42501\)/);
  expect(output).toMatch(/(\d+) of \1 attacks stopped/);
  expect(code).toBe(0);
}, 60_000);
