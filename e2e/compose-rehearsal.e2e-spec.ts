// The compose rehearsal: docker-compose.yml's init steps (secrets-init, vault-init and the
// vault-unseal loop, infra/docker/citadel-init.mjs) run as processes against a Vault that
// starts as compose's does (uninitialised, HTTPS with the certificate secrets-init made)
// and this machine's PostgreSQL; the services then start with nothing but what vault-init
// delivered to their volumes. An attacker tries the system, Vault restarts sealed, and the
// system must recover by itself. CI runs it where no Docker engine is. Needs PostgreSQL on
// 127.0.0.1:5432 (.ci/run starts it); without one, the suite says so and skips this file.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { SERVICES } from '@citadel/config';
import { strayPrivateKeys } from '@citadel/pki';
import { localPostgresAvailable } from '@citadel/testing';
import { grpcClient } from './support/grpc.js';
import { api, expectProblem, placeOrder, tokenFor } from './support/http.js';
import {
  redisServerAvailable,
  rehearseCompose,
  until,
  type ComposeRehearsal,
} from './support/compose-rehearsal.js';

const WHY = 'compose-rehearsal: the compose init steps';
const available = (await localPostgresAvailable(WHY)) && redisServerAvailable(WHY);

/** The status of one HTTPS GET, the certificate checked against the rehearsal's CA; 0 when down. */
function statusOf(rehearsal: ComposeRehearsal, url: string, token?: string): Promise<number> {
  return new Promise((resolve) => {
    https
      .get(
        url,
        {
          ca: fs.readFileSync(rehearsal.layout.caFile),
          timeout: 2_000,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      )
      .on('error', () => resolve(0));
  });
}

/** Vault's health status code (200 active, 503 sealed, 501 uninitialised), 0 when down. */
const vaultHealth = (rehearsal: ComposeRehearsal) =>
  statusOf(rehearsal, `${rehearsal.vaultAddr}/v1/sys/health`);

const logLines = (rehearsal: ComposeRehearsal, name: string) =>
  fs.readFileSync(rehearsal.logFile(name), 'utf8').trimEnd().split('\n');

(available ? describe : describe.skip)('the compose rehearsal', () => {
  let rehearsal: ComposeRehearsal;

  beforeAll(async () => {
    rehearsal = await rehearseCompose();
  }, 90_000);

  afterAll(() => rehearsal?.dispose());

  describe('what the init steps left behind', () => {
    it('vault-init generated the demo passwords and one AppRole per service, in its own volume', () => {
      expect(rehearsal.demoUsers.map((user) => user.email)).toContain('alice@citadel.test');
      for (const user of rehearsal.demoUsers) expect(user.password.length).toBeGreaterThan(20);
      for (const service of SERVICES) {
        const dir = `${rehearsal.layout.home}/vault/${service}`;
        expect(fs.readdirSync(dir).sort()).toEqual(['role_id', 'secret_id']);
        expect(fs.statSync(`${dir}/secret_id`).mode & 0o777).toBe(0o600);
      }
    });

    it('the CA volume holds its certificate alone, and each secret has its mode', () => {
      const { layout } = rehearsal;
      const mode = (file: string) => fs.statSync(file).mode & 0o777;
      expect(fs.readdirSync(path.dirname(layout.caFile))).toEqual([path.basename(layout.caFile)]);
      // Vault's and PostgreSQL's keys and passwords: readable by the group Vault and
      // PostgreSQL join (10001), by no other user; vault-init's records by itself alone.
      expect(mode(`${layout.vaultTlsDir}/vault-key.pem`)).toBe(0o640);
      expect(mode(`${layout.postgresDir}/password`)).toBe(0o640);
      expect(mode(`${layout.redisDir}/password`)).toBe(0o640);
      expect(mode(`${layout.adminDir}/vault-init.json`)).toBe(0o600);
      expect(mode(`${layout.adminDir}/demo-users.json`)).toBe(0o600);
      expect(mode(`${layout.unsealDir}/unseal-keys.json`)).toBe(0o600);
    });

    it('no volume holds a CA private key: the infrastructure CA’s was never written, the mesh CA’s is in Vault', () => {
      const { layout } = rehearsal;
      // Every directory compose mounts a volume over, for a service or for an init step.
      const volumes = [
        path.dirname(layout.caFile),
        layout.home,
        layout.vaultTlsDir,
        layout.postgresDir,
        layout.redisDir,
        layout.adminDir,
        layout.unsealDir,
      ];
      // Each private key there is a server's, its certificate beside it; none is a CA's
      // (CA:TRUE) or a key of no certificate at all.
      expect(strayPrivateKeys(volumes, [fs.readFileSync(layout.caFile, 'utf8')])).toEqual([]);
      // And they are the four servers' keys secrets-init made, no more.
      const keys = volumes.flatMap((dir) =>
        (fs.readdirSync(dir, { recursive: true }) as string[])
          .map((file) => path.basename(file))
          .filter((file) => file.endsWith('-key.pem')),
      );
      expect(keys.sort()).toEqual([
        'gateway-key.pem',
        'postgres-key.pem',
        'redis-key.pem',
        'vault-key.pem',
      ]);
    });

    it('the unseal volume holds the key share alone: no root token', () => {
      const unseal = fs
        .readdirSync(rehearsal.layout.unsealDir)
        .map((file) => fs.readFileSync(`${rehearsal.layout.unsealDir}/${file}`, 'utf8'));
      expect(unseal).toHaveLength(1);
      expect(Object.keys(JSON.parse(unseal[0]!))).toEqual(['unseal_keys_b64']);
    });
  });

  describe('an attacker against the rehearsed system', () => {
    it('a demo user logs in with the password vault-init wrote, and orders', async () => {
      const order = await placeOrder('alice');
      expect(order.id).toEqual(expect.any(String));
    });

    it('a forged or tampered token is refused at the edge', async () => {
      const genuine = await tokenFor('alice');
      const tampered = genuine.slice(0, -1) + (genuine.endsWith('A') ? 'B' : 'A');
      for (const token of [`cit_at_${'A'.repeat(43)}`, tampered]) {
        const response = await api('GET', '/v1/orders', { token });
        expectProblem(response, 401);
      }
      expect((await api('GET', '/v1/orders', { token: genuine })).status).toBe(200);
    });

    it('a session logged out through one gateway replica is refused by the other (Redis)', async () => {
      // api() and tokenFor() go through the first replica.
      const second = rehearsal.gatewayUrls[1];
      const token = await tokenFor('alice', true);
      expect(await statusOf(rehearsal, `${second}/v1/me`, token)).toBe(200);
      expect((await api('POST', '/v1/auth/logout', { token })).status).toBe(204);
      await until(
        'the second replica to refuse the revoked session',
        async () => (await statusOf(rehearsal, `${second}/v1/me`, token)) === 401,
        2_000,
      );
    });

    it('a direct gRPC call without a client certificate is refused at the handshake', async () => {
      const withoutCertificate = grpcClient('order', 'no-client-cert');
      const asGateway = grpcClient('order', 'gateway');
      try {
        const refused = await withoutCertificate.rpc.listOrders({});
        expect(refused.code).toBe(status.UNAVAILABLE);
        // The same call with the gateway's certificate reaches the service (and is refused
        // there for lacking a user's token): the refusal above is the handshake's.
        const reached = await asGateway.rpc.listOrders({});
        expect(reached.code).toBe(status.UNAUTHENTICATED);
      } finally {
        withoutCertificate.close();
        asGateway.close();
      }
    });
  });

  describe('Vault restarts sealed', () => {
    let unsealedBefore: number;
    let healthWhileAway: number | null;

    beforeAll(async () => {
      unsealedBefore = logLines(rehearsal, 'vault-unseal').filter((line) =>
        line.includes('was sealed: unsealed it'),
      ).length;
      await rehearsal.stopVault();
      healthWhileAway = await rehearsal.healthCheck('order');
      await rehearsal.startVault();
    }, 30_000);

    it('while Vault is away, a service that keeps serving stays healthy (its probe kept the mesh CA)', () => {
      expect(healthWhileAway).toBe(0);
    });

    it('the vault-unseal loop unseals it, with no one else sending a key', async () => {
      await until(
        'Vault to be unsealed',
        async () => (await vaultHealth(rehearsal)) === 200,
        60_000,
      );
      // It came back sealed (the restarted server logs the unseal it received) ...
      expect(logLines(rehearsal, 'vault-2').join('\n')).toMatch(/"event":"vault\.unsealed"/);
      // ... and the loop is who unsealed it: one more "unsealed it" line than before.
      const unsealedAfter = logLines(rehearsal, 'vault-unseal').filter((line) =>
        line.includes('was sealed: unsealed it'),
      ).length;
      expect(unsealedAfter).toBe(unsealedBefore + 1);
      await until(
        'vault-unseal health check',
        async () => (await rehearsal.unsealCheck()) === 0,
        20_000,
      );
    }, 90_000);

    it('a service restarted afterwards logs in to Vault with its AppRole and serves', async () => {
      await rehearsal.restartService('auth');
      const vaultLogins = logLines(rehearsal, 'auth').filter((line) =>
        line.includes('"event":"vault.login"'),
      );
      expect(vaultLogins).toHaveLength(2);
      // A new session, issued by the restarted auth: login, then an order through it.
      expect(await tokenFor('bob', true)).toMatch(/^cit_at_/);
      const order = await placeOrder('bob');
      expect(order.id).toEqual(expect.any(String));
    }, 60_000);
  });

  describe('a second `docker compose up`', () => {
    it('runs secrets-init and vault-init again, and they change nothing the system holds', async () => {
      const { layout } = rehearsal;
      // Everything the running system depends on: a change to any would cut it off.
      const held = () =>
        [
          layout.caFile,
          `${layout.vaultTlsDir}/vault.pem`,
          `${layout.postgresDir}/password`,
          `${layout.redisDir}/password`,
          `${layout.adminDir}/vault-init.json`,
          `${layout.adminDir}/demo-users.json`,
          `${layout.unsealDir}/unseal-keys.json`,
        ].map((file) => fs.readFileSync(file, 'utf8'));
      const before = held();
      const session = await tokenFor('alice');
      await rehearsal.composeUpAgain();
      expect(held()).toEqual(before);
      expect((await api('GET', '/v1/orders', { token: session })).status).toBe(200);
      expect(await tokenFor('alice', true)).toMatch(/^cit_at_/);
    }, 30_000);
  });
});
