// Attack point 4 on real PostgreSQL: each service's login role (credentials from Vault)
// reaches its own schema only; PostgreSQL itself refuses the rest. Needs the server on
// 127.0.0.1:5432 (.ci/run starts it); without one, the suite says so and skips this file.
import fs from 'node:fs';
import { DATA_SERVICES } from '@citadel/config';
import type { RunningSystem } from '@citadel/launcher';
import { localPostgresAvailable } from '@citadel/testing';
import { api, tokenFor } from './support/http.js';
import {
  asAdmin,
  asRole,
  bootOnFreshPostgres,
  type Credentials,
  type DataService,
} from './support/postgres-system.js';

const available = await localPostgresAvailable('database-isolation: the real-PostgreSQL tests');

(available ? describe : describe.skip)(
  'attack point 4: database access from another service',
  () => {
    let system: RunningSystem;
    let database: string;
    let credentials: Record<DataService, Credentials>;
    let dispose: (() => Promise<void>) | undefined;

    /** Runs one query as a service's own role and returns the rows or the SQLSTATE. */
    const asService = (service: DataService, query: string) => asRole(credentials[service], query);

    beforeAll(async () => {
      ({ system, database, credentials, dispose } = await bootOnFreshPostgres());
      // Some data in every schema.
      await api('POST', '/v1/orders', {
        token: await tokenFor('alice'),
        body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      });
    }, 120_000);

    afterAll(() => dispose?.());

    it('the services run on real PostgreSQL, each as its own role', async () => {
      const roles = Object.values(credentials).map((c) => c.user);
      expect(new Set(roles).size).toBe(DATA_SERVICES.length);
      for (const service of DATA_SERVICES) {
        const log = fs.readFileSync(system.logFile(service), 'utf8');
        expect(log).toMatch(/"event":"database.ready","kind":"postgres"/);
      }
    });

    it.each<[DataService, string]>([
      ['order', 'payment.payments'],
      ['order', 'auth.users'],
      ['order', 'auth.access_tokens'],
      ['payment', '"order".orders'],
      ['payment', 'auth.users'],
      ['auth', '"order".orders'],
      ['auth', 'payment.payments'],
      // The monitor's copy of every chain is its own: no service reads or forges it there.
      ['order', 'monitor.received_records'],
      ['payment', 'monitor.alerts'],
      ['monitor', '"order".audit_log'],
      ['monitor', 'payment.payments'],
    ])("%s's role may not SELECT from %s: permission denied (42501)", async (service, table) => {
      expect((await asService(service, `SELECT * FROM ${table}`)).code).toBe('42501');
    });

    it('each role reads its own tables', async () => {
      expect((await asService('auth', 'SELECT count(*) FROM auth.users')).rows[0]!.count).toBe('4');
      expect((await asService('order', 'SELECT count(*) FROM orders')).rows[0]!.count).toBe('1');
      expect((await asService('payment', 'SELECT count(*) FROM payments')).rows[0]!.count).toBe(
        '1',
      );
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
      const { orders, payments } = await asAdmin(async (client) => {
        const orders = await client.query(
          'SELECT id FROM "order".orders WHERE idempotency_key = $1',
          [key],
        );
        const payments = await client.query('SELECT id FROM payment.payments WHERE order_id = $1', [
          orders.rows[0].id,
        ]);
        return { orders, payments };
      }, database);
      expect(orders.rowCount).toBe(1);
      expect(payments.rowCount).toBe(1);
    }, 60_000);
  },
);
