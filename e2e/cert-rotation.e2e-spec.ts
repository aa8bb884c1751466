// Workload identity, short-lived and rotated live: every service's mTLS certificate comes
// from Vault's PKI engine (here with a 60 s TTL), is renewed at two thirds of its life and
// swapped into the running servers and channels, with no restart and no failed request.
import fs from 'node:fs';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { RunningSystem } from '@citadel/launcher';
import { api, tokenFor } from './support/http.js';
import { issueMeshCertificate, type VaultIssued } from './support/mesh.js';
import { bootOwnSystem, pidOf } from './support/own-system.js';

const CERT_TTL_S = 60;
const MESH = ['gateway', 'auth', 'order', 'payment', 'monitor'] as const;

let system: RunningSystem;
let home: string;
let dispose: (() => Promise<void>) | undefined;
/** Issued first, so it has expired by the time the last test looks at it. */
let shortLived: VaultIssued;

beforeAll(async () => {
  ({ system, home, dispose } = await bootOwnSystem({
    env: { CITADEL_CERT_TTL: `${CERT_TTL_S}s` },
  }));
  shortLived = await issueMeshCertificate(system.vault.addr, home, 'gateway', '3s');
}, 180_000);

afterAll(() => dispose?.());

type LogEntry = { event?: string; time: number | string; [key: string]: unknown };
function logOf(service: string): LogEntry[] {
  return fs
    .readFileSync(system.logFile(service as 'auth'), 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogEntry);
}
const timeOf = (entry: LogEntry) =>
  typeof entry.time === 'number' ? entry.time : Date.parse(entry.time);
const rotationsSince = (service: string, since: number) =>
  logOf(service).filter((entry) => entry.event === 'tls.rotated' && timeOf(entry) >= since);

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Vault's serial spelling (`0a:1b:...`) of a certificate's serial. */
const vaultSerial = (hex: string) =>
  hex
    .toLowerCase()
    .replace(/^(00)+(?=.)/, '')
    .match(/../g)!
    .join(':');

/**
 * A TLS 1.3 handshake to a service's port with a client certificate, then the HTTP/2
 * preface: the server's certificate serial, and whether the server then talked (SETTINGS)
 * or ended the connection with an alert (a client certificate it refused: in TLS 1.3 the
 * server judges it after the client's handshake is done).
 */
function handshake(
  service: string,
  client: VaultIssued,
): Promise<{ serverSerial?: string; outcome: string }> {
  return new Promise((resolve) => {
    let serverSerial: string | undefined;
    const socket = tls.connect({
      host: '127.0.0.1',
      port: system.ports[service as 'order'],
      servername: `${service}.citadel.local`,
      ca: client.issuing_ca,
      cert: client.certificate,
      key: client.private_key,
      minVersion: 'TLSv1.3',
      ALPNProtocols: ['h2'],
    });
    const done = (outcome: string) => {
      socket.destroy();
      resolve({ serverSerial, outcome });
    };
    socket.once('secureConnect', () => {
      serverSerial = vaultSerial(socket.getPeerX509Certificate()!.serialNumber);
      socket.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    });
    socket.once('data', () => done('answered'));
    socket.once('error', (error: NodeJS.ErrnoException) => done(`refused: ${error.code}`));
    socket.once('close', () => done('closed'));
    socket.setTimeout(10_000, () => done('timeout'));
  });
}

/** Orders placed back to back (gateway → order → payment), counting every non-201. */
function steadyOrders() {
  let running = true;
  const failures: string[] = [];
  let placed = 0;
  const worker = async () => {
    const token = await tokenFor('alice');
    while (running) {
      const response = await api('POST', '/v1/orders', {
        token,
        body: { items: [{ sku: 'CIT-MUG', quantity: 1 }] },
      });
      if (response.status === 201) placed++;
      else failures.push(`${response.status} ${response.text}`);
    }
  };
  const workers = [worker(), worker()];
  return {
    placed: () => placed,
    async stop() {
      running = false;
      await Promise.all(workers);
      return { failures, placed };
    },
  };
}

it('rotates every certificate under steady traffic: 0 failed requests, no restart, the new serial on the wire', async () => {
  const pids = Object.fromEntries(MESH.map((service) => [service, pidOf(system, service)]));
  const client = await issueMeshCertificate(system.vault.addr, home, 'gateway', '10m');
  const before = await handshake('order', client);
  expect(before.outcome).toBe('answered');

  const started = Date.now();
  const traffic = steadyOrders();
  let outcome: { failures: string[]; placed: number };
  try {
    // Each certificate lives 90 s (Vault back-dates 30 s) and is renewed at 60 s of it:
    // every ~30 s. Wait for a rotation of each hop the orders cross, after traffic began.
    await until('a rotation of gateway, order and payment under traffic', 90_000, async () =>
      ['gateway', 'order', 'payment'].every((service) => rotationsSince(service, started).length)
        ? true
        : undefined,
    );
    await until('a few orders after the rotations', 30_000, async () =>
      traffic.placed() >= 10 ? true : undefined,
    );
  } finally {
    outcome = await traffic.stop();
  }
  expect(outcome.failures).toEqual([]);
  expect(outcome.placed).toBeGreaterThan(10);
  for (const service of MESH) expect(pidOf(system, service)).toBe(pids[service]);

  // The order server now presents the certificate its last tls.rotated line names.
  const after = await handshake('order', client);
  expect(after.outcome).toBe('answered');
  const last = rotationsSince('order', started).at(-1)!;
  expect(last).toMatchObject({ service: 'order', new_serial: expect.any(String) });
  const current = await until('the handshake to show the last rotated serial', 40_000, async () => {
    const seen = await handshake('order', client);
    const latest = rotationsSince('order', started).at(-1)!;
    return seen.serverSerial === latest['new_serial'] ? seen : undefined;
  });
  expect(current.serverSerial).not.toBe(before.serverSerial);
  expect(rotationsSince('order', started).map((entry) => entry['old_serial'])).toContain(
    before.serverSerial,
  );
}, 180_000);

it('refuses a certificate past its TTL at the handshake', async () => {
  const { validFrom, validTo } = new X509Certificate(shortLived.certificate);
  const notAfter = Date.parse(validTo);
  // Vault back-dates 30 s: a life of 33 s, 3 s of it ahead at issue.
  expect(notAfter - Date.parse(validFrom)).toBe(33_000);
  await until('the certificate to expire', 15_000, async () =>
    Date.now() > notAfter + 1_000 ? true : undefined,
  );
  // The server ends the connection instead of answering the HTTP/2 preface (with an alert,
  // which the client may see as an error or only as the close).
  const refused = await handshake('order', shortLived);
  expect(refused.outcome).toMatch(/^(closed|refused: )/);
  // The same server takes a certificate that is still valid.
  const fresh = await issueMeshCertificate(system.vault.addr, home, 'gateway', '5m');
  expect((await handshake('order', fresh)).outcome).toBe('answered');
}, 60_000);
