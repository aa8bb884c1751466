// Vault rotates a service's database password while customers place orders: no request
// fails, the services log in with the new password without a restart, and the old password
// no longer logs in. Runs on a PostgreSQL server of its own that checks every password
// (this machine's trusts local logins, where an old password would still "work"); without
// the PostgreSQL binaries the file says so and skips, except on CI, where it runs and fails.
import fs from 'node:fs';
import path from 'node:path';
import vault from 'node-vault';
import pg from 'pg';
import { databaseCredentialsPath } from '@citadel/secrets';
import { api, tokenFor } from './support/http.js';
import {
  passwordPostgresAvailable,
  startPasswordPostgres,
  type PasswordPostgres,
} from './support/password-postgres.js';
import { asAdmin, bootOnFreshPostgres, type Credentials } from './support/postgres-system.js';

const available = passwordPostgresAvailable('database-rotation: rotation under traffic');

/** The services whose passwords are rotated: both write on every order (order, then payment). */
const ROTATED = ['order', 'payment'] as const;
const ROUNDS = 2;

/** Logs in as `credentials` with `password`: undefined when it may, else the SQLSTATE. */
async function login(credentials: Credentials, password: string): Promise<string | undefined> {
  const client = new pg.Client({ ...credentials, password, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function until(
  what: string,
  done: () => boolean,
  timeoutMs = 30_000,
  failures: readonly string[] = [],
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}; failures: ${failures.slice(0, 3).join('; ')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

(available ? describe : describe.skip)('database passwords rotated by Vault under traffic', () => {
  let postgres: PasswordPostgres | undefined;
  let booted: Awaited<ReturnType<typeof bootOnFreshPostgres>> | undefined;
  let root: ReturnType<typeof vault>;

  beforeAll(async () => {
    postgres = await startPasswordPostgres();
    booted = await bootOnFreshPostgres(postgres.server);
    root = vault({ endpoint: booted.system.vault.addr });
    root.token = fs.readFileSync(path.join(booted.home, 'vault', 'root-token'), 'utf8').trim();
  }, 180_000);
  afterAll(async () => {
    await booted?.dispose();
    await postgres?.stop();
  });

  const currentPassword = async (service: string): Promise<string> =>
    (await root.read(databaseCredentialsPath(service))).data.password;

  it('rotate-role twice during steady order traffic: no request fails, the old passwords are refused (28P01), the new ones log in', async () => {
    const { credentials, database } = booted!;
    const token = await tokenFor('alice');
    const failures: string[] = [];
    let completed = 0;
    let wanted = 2;
    const active = new Set<number>();
    let stopping = false;
    // Each worker places an order (order and payment both write) and reads it back.
    const worker = async (index: number) => {
      active.add(index);
      try {
        while (!stopping && index < wanted) {
          const placed = await api('POST', '/v1/orders', {
            token,
            body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
          });
          if (placed.status !== 201) {
            failures.push(`POST /v1/orders: ${placed.status} ${placed.text}`);
            continue;
          }
          const read = await api('GET', `/v1/orders/${placed.json.id}`, { token });
          if (read.status !== 200) failures.push(`GET order: ${read.status} ${read.text}`);
          completed++;
        }
      } finally {
        active.delete(index);
      }
    };
    const workers: Promise<void>[] = [];
    const concurrency = (n: number) => {
      wanted = n;
      for (let index = 0; index < n; index++) if (!active.has(index)) workers.push(worker(index));
    };

    const old: Record<string, string[]> = { order: [], payment: [] };
    try {
      concurrency(2);
      for (let round = 1; round <= ROUNDS; round++) {
        // Steady, light traffic: the pools hold a few connections, logged in before the rotation.
        concurrency(2);
        const light = completed;
        await until('light traffic', () => completed >= light + 10);
        const rotatedAt = await asAdmin(
          async (client) => (await client.query<{ now: Date }>('SELECT now()')).rows[0]!.now,
          database,
          postgres!.server,
        );
        for (const service of ROTATED) {
          old[service]!.push(await currentPassword(service));
          await root.write(`database/rotate-role/${service}`, {});
          expect(await currentPassword(service)).not.toBe(old[service]!.at(-1));
        }
        // The connections opened before the rotation keep serving: PostgreSQL checks a
        // password at login only.
        const after = completed;
        await until('traffic after the rotation', () => completed >= after + 10, 30_000, failures);
        // Make the pools open new connections: a pause, then their idle connections closed
        // (as an idle timeout or a database restart would), then more traffic than before.
        // Each new login first tries the cached old password, is refused (28P01), reads the
        // new one from Vault and logs in with it, inside the request that needed it.
        concurrency(0);
        await until('the workers to pause', () => active.size === 0);
        const users = ROTATED.map((service) => credentials[service].user);
        await asAdmin(
          async (client) => {
            await client.query(
              'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = ANY($1)',
              [users],
            );
            for (;;) {
              const left = await client.query(
                'SELECT 1 FROM pg_stat_activity WHERE usename = ANY($1) AND backend_start <= $2',
                [users, rotatedAt],
              );
              if (left.rowCount === 0) break;
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          },
          database,
          postgres!.server,
        );
        concurrency(12);
        const heavy = completed;
        await until('heavy traffic', () => completed >= heavy + 60, 60_000, failures);
        const opened = await asAdmin(
          async (client) =>
            (
              await client.query<{ usename: string; count: string }>(
                `SELECT usename, count(*) FROM pg_stat_activity
                  WHERE usename = ANY($1) AND backend_start > $2 GROUP BY usename`,
                [users, rotatedAt],
              )
            ).rows,
          database,
          postgres!.server,
        );
        expect(opened.map((row) => row.usename).sort()).toEqual([...users].sort());
      }
    } finally {
      stopping = true;
      await Promise.all(workers);
    }
    expect(active.size).toBe(0);
    expect(failures).toEqual([]);
    expect(completed).toBeGreaterThanOrEqual(ROUNDS * 70);
    // Each service took up each new password because PostgreSQL refused the old one (28P01).
    for (const service of ROTATED) {
      const log = fs.readFileSync(path.join(booted!.home, 'logs', `${service}.log`), 'utf8');
      const refused = log.match(
        /"event":"database\.password\.rotated","reason":"refused by PostgreSQL"/g,
      );
      expect(refused?.length).toBeGreaterThanOrEqual(ROUNDS);
    }

    for (const service of ROTATED) {
      const role = credentials[service];
      for (const password of old[service]!) expect(await login(role, password)).toBe('28P01');
      expect(await login(role, await currentPassword(service))).toBeUndefined();
    }
  }, 120_000);
});
