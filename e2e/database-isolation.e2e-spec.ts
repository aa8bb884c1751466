// Attack point 4 on real PostgreSQL: each service's login role (credentials from Vault)
// reaches its own schema only; PostgreSQL itself refuses the rest. Needs the server on
// 127.0.0.1:5432 (.ci/run starts it); without one, the suite says so and skips this file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import vault from 'node-vault';
import type { RunningSystem } from '@citadel/launcher';
import { secretPaths } from '@citadel/secrets';
import { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from '@citadel/testing';
import { api, tokenFor } from './support/http.js';
import { bootOwnSystem } from './support/own-system.js';

const ADMIN = LOCAL_POSTGRES_ADMIN;

const available = await localPostgresAvailable('database-isolation: the real-PostgreSQL tests');

interface Credentials {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

(available ? describe : describe.skip)(
  'attack point 4: database access from another service',
  () => {
    const database = `citadel_e2e_${randomBytes(4).toString('hex')}`;
    let system: RunningSystem;
    let home: string;
    let dispose: () => Promise<void>;
    const credentials: Record<string, Credentials> = {};
    const admin = () => new pg.Client({ ...ADMIN, database });

    /** Runs one query as a service's own role and returns the rows or the SQLSTATE. */
    async function asService(service: string, query: string) {
      const client = new pg.Client(credentials[service]);
      await client.connect();
      try {
        return { rows: (await client.query(query)).rows, code: undefined };
      } catch (error) {
        return { rows: [], code: (error as { code?: string }).code };
      } finally {
        await client.end();
      }
    }

    beforeAll(async () => {
      const setup = new pg.Client(ADMIN);
      await setup.connect();
      await setup.query(`CREATE DATABASE ${database}`);
      await setup.end();
      ({ system, home, dispose } = await bootOwnSystem({
        databaseAdminUrl: `postgres://postgres@127.0.0.1:5432/${database}`,
      }));
      const root = vault({ endpoint: system.vault.addr });
      root.token = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
      for (const service of ['auth', 'order', 'payment']) {
        credentials[service] = (
          await root.read(`secret/data/${secretPaths.database(service)}`)
        ).data.data;
      }
      // Some data in every schema.
      await api('POST', '/v1/orders', {
        token: await tokenFor('alice'),
        body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      });
    }, 120_000);

    afterAll(async () => {
      await dispose?.();
      const cleanup = new pg.Client(ADMIN);
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const service of ['auth', 'order', 'payment'])
        await cleanup.query(`DROP ROLE IF EXISTS ${database}_${service}`);
      await cleanup.end();
    });

    it('the services run on real PostgreSQL, each as its own role', async () => {
      const roles = Object.values(credentials).map((c) => c.user);
      expect(new Set(roles).size).toBe(3);
      for (const service of ['auth', 'order', 'payment']) {
        const log = fs.readFileSync(system.logFile(service as 'auth'), 'utf8');
        expect(log).toMatch(/"event":"database.ready","kind":"postgres"/);
      }
    });

    it.each([
      ['order', 'payment.payments'],
      ['order', 'auth.users'],
      ['order', 'auth.access_tokens'],
      ['payment', '"order".orders'],
      ['payment', 'auth.users'],
      ['auth', '"order".orders'],
      ['auth', 'payment.payments'],
    ])("%s's role may not SELECT from %s: permission denied (42501)", async (service, table) => {
      expect((await asService(service, `SELECT * FROM ${table}`)).code).toBe('42501');
    });

    it('each role reads its own tables', async () => {
      expect((await asService('auth', 'SELECT count(*) FROM auth.users')).rows[0].count).toBe('4');
      expect((await asService('order', 'SELECT count(*) FROM orders')).rows[0].count).toBe('1');
      expect((await asService('payment', 'SELECT count(*) FROM payments')).rows[0].count).toBe('1');
    });

    it('no role can create objects outside its schema or grant itself more', async () => {
      expect((await asService('order', 'CREATE TABLE public.stolen (x int)')).code).toBe('42501');
      expect((await asService('order', 'CREATE TABLE payment.stolen (x int)')).code).toBe('42501');
      expect(
        (await asService('order', `GRANT ALL ON SCHEMA payment TO ${credentials.order!.user}`))
          .code,
      ).toBe('42501');
    });

    it('100 concurrent POSTs with one Idempotency-Key → one order row and one payment row', async () => {
      const key = `pg-${Date.now()}`;
      const token = await tokenFor('bob');
      const responses = await Promise.all(
        Array.from({ length: 100 }, () =>
          api('POST', '/v1/orders', {
            token,
            body: { items: [{ sku: 'CIT-TEE', quantity: 1 }] },
            headers: { 'idempotency-key': key },
          }),
        ),
      );
      expect(new Set(responses.map((response) => response.status))).toEqual(new Set([201]));
      const client = admin();
      await client.connect();
      const orders = await client.query(
        'SELECT id FROM "order".orders WHERE idempotency_key = $1',
        [key],
      );
      const payments = await client.query('SELECT id FROM payment.payments WHERE order_id = $1', [
        orders.rows[0].id,
      ]);
      await client.end();
      expect(orders.rowCount).toBe(1);
      expect(payments.rowCount).toBe(1);
    }, 60_000);
  },
);
