#!/usr/bin/env node
// The write path on a PostgreSQL server, this checkout against another one, the way issue
// 22 measured it: autocannon, 20 connections, `POST /v1/orders` as alice, after a 3 s
// warm-up, each system booted by its own checkout's launcher on a fresh database, the two
// taking turns. Build the other checkout first (`npm ci && npm run build` there).
//
//   CITADEL_DB_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres \
//     node bench/dist/side-by-side.js --against /tmp/main-as-filed [--seconds 15] [--pairs 3]
//
// The admin URL names a server and a superuser; each boot gets a database of its own,
// dropped and created again (`citadel_side_by_side`), because a system's demo users live in
// its database and its home is new each time.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { REPO_ROOT } from '@citadel/config';
import type * as Launcher from '@citadel/launcher';
import { ORDER_BODY, cpuMicros, postgresServerMicros } from './system-under-test.js';

const SERVICES = ['gateway', 'order', 'payment', 'auth'] as const;
const DATABASE = 'citadel_side_by_side';

interface Sample {
  checkout: string;
  ordersPerS: number;
  p99Ms: number;
  non2xx: number;
  cpuUsPerOrder: Record<(typeof SERVICES)[number] | 'postgres server', number>;
}

async function measure(checkout: string, adminUrl: URL, seconds: number): Promise<Sample> {
  const launcher = (await import(
    path.join(checkout, 'packages/launcher/dist/index.js')
  )) as typeof Launcher;
  const server = ['-h', adminUrl.hostname, '-p', adminUrl.port || '5432', '-U', adminUrl.username];
  execFileSync('dropdb', [...server, '--if-exists', '--force', DATABASE]);
  execFileSync('createdb', [...server, DATABASE]);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'citadel-side-by-side-'));
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${DATABASE}`;
  const system = await launcher.bootSystem({
    home,
    ports: await launcher.freePorts(['gateway', 'auth', 'order', 'payment']),
    vaultPort: await launcher.freePort(),
    databaseAdminUrl: databaseUrl.toString(),
    env: { ...launcher.RATE_LIMITS_OUT_OF_REACH },
    readyTimeoutMs: 120_000,
  });
  try {
    const ca = fs.readFileSync(system.caFile);
    const alice = system.demoUsers.find((user) => user.email.startsWith('alice@'))!;
    const login = await launcher.gatewayRequest(system.gatewayUrl, ca, 'POST', '/v1/auth/login', {
      body: { email: alice.email, password: alice.password },
    });
    const token = (login.json as { access_token: string }).access_token;
    const load = (duration: number) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        autocannon(
          {
            url: system.gatewayUrl,
            connections: 20,
            duration,
            tlsOptions: { ca },
            requests: [
              {
                method: 'POST',
                path: '/v1/orders',
                headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
                body: JSON.stringify(ORDER_BODY),
              },
            ],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
      });
    await load(3);
    const pidOf = (service: (typeof SERVICES)[number]) => system.pidOf(service)!;
    const before = SERVICES.map((service) => cpuMicros(pidOf(service)) ?? 0);
    const serverBefore = postgresServerMicros();
    const result = await load(seconds);
    const orders = result['2xx'];
    const per = (micros: number) => Math.round(micros / Math.max(orders, 1));
    return {
      checkout,
      ordersPerS: Math.round(orders / seconds),
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
      cpuUsPerOrder: {
        ...(Object.fromEntries(
          SERVICES.map((service, i) => [
            service,
            per((cpuMicros(pidOf(service)) ?? 0) - before[i]!),
          ]),
        ) as Record<(typeof SERVICES)[number], number>),
        'postgres server': per(postgresServerMicros() - serverBefore),
      },
    };
  } finally {
    await system.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      against: { type: 'string' },
      seconds: { type: 'string', default: '15' },
      pairs: { type: 'string', default: '3' },
    },
  });
  const adminUrl = process.env.CITADEL_DB_ADMIN_URL;
  if (!values.against || !adminUrl)
    throw new Error('usage: CITADEL_DB_ADMIN_URL=… side-by-side --against <other checkout>');
  const seconds = Number(values.seconds);
  const samples: Sample[] = [];
  for (let pair = 1; pair <= Number(values.pairs); pair++) {
    for (const checkout of [path.resolve(values.against), REPO_ROOT]) {
      const sample = await measure(checkout, new URL(adminUrl), seconds);
      console.log(JSON.stringify(sample));
      samples.push(sample);
    }
  }
  const ratios = samples
    .filter((sample) => sample.checkout === REPO_ROOT)
    .map((ours, i) => ours.ordersPerS / samples[2 * i]!.ordersPerS);
  console.log(`this checkout / the other, per pair: ${ratios.map((r) => r.toFixed(2)).join(', ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
