#!/usr/bin/env node
// `npm run demo`: a narrated tour of Citadel's defences against a running local system
// (`npm start` in another terminal). Each step tries an attack the way an attacker would,
// and says what happened. It ends with a table, and exits non-zero if any attack got through.
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import {
  citadelHome,
  demoUsersFile,
  DEFAULT_PORTS,
  pkiPaths,
  SERVICES,
  serviceEnvName,
  spiffeId,
  type ServiceName,
} from '@citadel/config';
import { serviceClientConstructor, type ContractName, type MethodName } from '@citadel/contracts';
import { gatewayRequest, type GatewayAnswer } from './gateway-client.js';

// Like every Citadel process: nothing older than TLS 1.3 (the services refuse it anyway).
tls.DEFAULT_MIN_VERSION = 'TLSv1.3';

interface Outcome {
  attack: string;
  tried: string;
  stopped: boolean;
  how: string;
}

const home = citadelHome();
const pki = pkiPaths(home);
const ports = Object.fromEntries(
  SERVICES.map((service) => [
    service,
    Number(process.env[`${serviceEnvName(service)}_PORT`] ?? DEFAULT_PORTS[service]),
  ]),
) as Record<ServiceName, number>;
const gateway = `https://127.0.0.1:${ports.gateway}`;
const ca = fs.readFileSync(pki.caCert);
const users = JSON.parse(fs.readFileSync(demoUsersFile(home), 'utf8')) as {
  email: string;
  password: string;
}[];
const say = (line: string) => process.stdout.write(`${line}\n`);

function http(method: string, route: string, token?: string, body?: unknown) {
  return gatewayRequest(gateway, ca, method, route, { token, body });
}

async function login(name: string): Promise<string> {
  const user = users.find((candidate) => candidate.email.startsWith(`${name}@`))!;
  const response = await http('POST', '/v1/auth/login', undefined, {
    email: user.email,
    password: user.password,
  });
  if (response.status !== 200) throw new Error(`cannot log in as ${name}: ${response.status}`);
  return response.json.access_token;
}

/** `method` of `service`'s contract, called with an empty request: the status it answers. */
function grpcCall<S extends ContractName>(
  service: S,
  credentials: grpc.ChannelCredentials,
  method: MethodName<S>,
  jwt?: string,
): Promise<grpc.status> {
  const Client = serviceClientConstructor(service);
  const client = new Client(`127.0.0.1:${ports[service]}`, credentials, {
    // The name the service's mesh certificate carries.
    'grpc.ssl_target_name_override': `${service}.citadel.local`,
  });
  const metadata = new grpc.Metadata();
  if (jwt) metadata.set('authorization', `Bearer ${jwt}`);
  return new Promise((resolve) => {
    (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!.call(
      client,
      {},
      metadata,
      { deadline: Date.now() + 3_000 },
      (error: grpc.ServiceError | null) => {
        client.close();
        resolve(error ? error.code : grpc.status.OK);
      },
    );
  });
}

/** Vault's API with the local server's root token (the operator's, in local mode). */
async function vaultAdmin(method: string, apiPath: string, body?: object): Promise<Response> {
  const token = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
  const addr = process.env.VAULT_ADDR ?? `http://127.0.0.1:${process.env.VAULT_PORT ?? 8200}`;
  const response = await fetch(`${addr}/v1/${apiPath}`, {
    method,
    headers: { 'X-Vault-Token': token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`Vault ${method} ${apiPath}: HTTP ${response.status}`);
  return response;
}

/** The mesh CA: Vault's PKI engine, which issues every service's certificate. */
const meshCa = async () => Buffer.from(await (await vaultAdmin('GET', 'pki/ca/pem')).text());

/**
 * A valid mesh certificate for `name`, as an attacker who stole one (or got Vault to issue
 * one) holds it. `analytics`, a service Citadel does not have, gets a role for the occasion,
 * removed right after.
 */
async function certOf(name: string): Promise<grpc.ChannelCredentials> {
  const role = `pki/roles/${name}`;
  if (name === 'analytics') {
    await vaultAdmin('POST', role, {
      allowed_uri_sans: [spiffeId(name)],
      allowed_domains: [`${name}.citadel.local`],
      allow_bare_domains: true,
      key_type: 'ec',
      no_store: true,
    });
  }
  try {
    const issued = (await (
      await vaultAdmin('POST', `pki/issue/${name}`, {
        common_name: `${name}.citadel.local`,
        uri_sans: spiffeId(name),
        ttl: '10m',
      })
    ).json()) as { data: { certificate: string; private_key: string; issuing_ca: string } };
    return grpc.credentials.createSsl(
      Buffer.from(issued.data.issuing_ca),
      Buffer.from(issued.data.private_key),
      Buffer.from(issued.data.certificate),
    );
  } finally {
    if (name === 'analytics') await vaultAdmin('DELETE', role);
  }
}

function handshake(port: number, options: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, ...options }, () => {
      resolve(`connected (${socket.getProtocol()})`);
      socket.end();
    });
    socket.on('error', (error) => resolve(error.message.split('\n')[0]!));
  });
}

async function attack1(): Promise<Outcome[]> {
  const forged = `cit_at_${Buffer.alloc(32, 7).toString('base64url')}`;
  const response = await http('GET', '/v1/me', forged);
  const none = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url')}.${Buffer.from(
    JSON.stringify({ sub: 'x', role: 'admin', aud: ['order'], exp: 9_999_999_999 }),
  ).toString('base64url')}.`;
  const code = await grpcCall('order', await certOf('gateway'), 'listOrders', none);
  return [
    {
      attack: '1 fake identity token',
      tried: 'a made-up opaque token at the gateway',
      stopped: response.status === 401,
      how: `HTTP ${response.status}: only tokens auth issued (stored hashed) are known`,
    },
    {
      attack: '1 fake identity token',
      tried: 'an alg:none JWT claiming admin, sent to order',
      stopped: code === grpc.status.UNAUTHENTICATED,
      how: `${grpc.status[code]}: ES256 is pinned, signature checked against auth's JWKS`,
    },
  ];
}

async function attack2(): Promise<Outcome[]> {
  const noCert = await grpcCall('order', grpc.credentials.createSsl(await meshCa()), 'listOrders');
  const noJwt = await grpcCall('order', await certOf('gateway'), 'listOrders');
  return [
    {
      attack: '2 bypass the gateway',
      tried: 'call order directly without a client certificate',
      stopped: noCert !== grpc.status.OK,
      how: `${grpc.status[noCert]}: the TLS handshake demands a client certificate from the mesh CA`,
    },
    {
      attack: '2 bypass the gateway',
      tried: 'call order with a stolen service certificate but no user JWT',
      stopped: noJwt === grpc.status.UNAUTHENTICATED,
      how: `${grpc.status[noJwt]}: every call needs an internal JWT addressed to order`,
    },
  ];
}

async function attack3(): Promise<Outcome[]> {
  const code = await grpcCall('payment', await certOf('analytics'), 'getPayment');
  return [
    {
      attack: '3 unauthorised service call',
      tried: 'a valid mesh certificate for "analytics" calls payment',
      stopped: code === grpc.status.PERMISSION_DENIED,
      how: `${grpc.status[code]}: payment accepts order only (east-west policy)`,
    },
  ];
}

async function attack4(): Promise<Outcome[]> {
  const rootToken = fs.readFileSync(path.join(home, 'vault', 'root-token'), 'utf8').trim();
  const vaultAddr = process.env.VAULT_ADDR ?? `http://127.0.0.1:${process.env.VAULT_PORT ?? 8200}`;
  const read = await fetch(`${vaultAddr}/v1/secret/data/citadel/order/database`, {
    headers: { 'x-vault-token': rootToken },
  });
  if (read.status === 404) {
    return [
      {
        attack: '4 read another service’s data',
        tried: 'order reads payment’s tables',
        stopped: true,
        how: 'embedded mode: each service has a database of its own and no shared server; start with CITADEL_DB_ADMIN_URL to watch PostgreSQL refuse it',
      },
    ];
  }
  const { data } = (await read.json()) as { data: { data: pg.ClientConfig } };
  const client = new pg.Client(data.data);
  await client.connect();
  let code = 'none';
  try {
    await client.query('SELECT * FROM payment.payments');
  } catch (error) {
    code = (error as { code?: string }).code ?? 'error';
  } finally {
    await client.end();
  }
  return [
    {
      attack: '4 read another service’s data',
      tried: 'order’s own database role runs SELECT on payment.payments',
      stopped: code === '42501',
      how: `PostgreSQL ${code === '42501' ? 'permission denied (42501)' : code}: one role per service, granted only its schema`,
    },
  ];
}

async function attack5(): Promise<Outcome[]> {
  const old = await handshake(ports.gateway, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  const order = await handshake(ports.order, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
  return [
    {
      attack: '5 intercept traffic',
      tried: 'negotiate TLS 1.2 with the gateway and with order',
      stopped: !old.startsWith('connected') && !order.startsWith('connected'),
      how: `refused (${old}): TLS 1.3 on every hop, no plaintext listener`,
    },
  ];
}

async function rbac(): Promise<Outcome[]> {
  const alice = await login('alice');
  const sam = await login('sam');
  const rows: [string, string, string, number][] = [
    ['a customer lists all customers', alice, '/v1/customers', 403],
    [
      'a support agent deletes an account',
      sam,
      '/v1/customers/00000000-0000-4000-8000-000000000000',
      403,
    ],
  ];
  const outcomes: Outcome[] = [];
  for (const [tried, token, route, expected] of rows) {
    const method = route.includes('/customers/') ? 'DELETE' : 'GET';
    const response = await http(method, route, token);
    outcomes.push({
      attack: 'RBAC matrix',
      tried,
      stopped: response.status === expected,
      how: `HTTP ${response.status}: the role lacks the permission (packages/auth/src/rbac.ts)`,
    });
  }
  return outcomes;
}

async function bruteForce(): Promise<Outcome[]> {
  const target = `mallory-${Date.now()}@citadel.test`;
  let last: GatewayAnswer = { status: 0, json: undefined, text: '', headers: {} };
  for (let attempt = 1; attempt <= 6; attempt++) {
    last = await http('POST', '/v1/auth/login', undefined, {
      email: target,
      password: `guess-${attempt}`,
    });
  }
  return [
    {
      attack: 'login brute force',
      tried: '6 wrong passwords for one account in a minute',
      stopped: last.status === 429,
      how: `HTTP ${last.status}, Retry-After ${String(last.headers['retry-after'])} s: failures are counted per account and per address`,
    },
  ];
}

async function refundBurst(): Promise<Outcome[]> {
  const alice = await login('alice');
  const sam = await login('sam');
  const admin = await login('ada');
  for (let i = 0; i < 3; i++) {
    const order = await http('POST', '/v1/orders', alice, {
      items: [{ sku: 'CIT-MUG', quantity: 1 }],
    });
    await http('POST', `/v1/orders/${order.json.id}/refund`, sam);
  }
  const me = await http('GET', '/v1/me', sam);
  // The refunds reach the monitor through each service's outbox, a moment after they happened.
  const deadline = Date.now() + 15_000;
  let raised = false;
  while (!raised && Date.now() < deadline) {
    const alerts = await http('GET', '/v1/admin/alerts', admin);
    raised = (alerts.json as { actor: string; rule: string }[]).some(
      (alert) => alert.actor === me.json.id && alert.rule === 'refund-burst',
    );
    if (!raised) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return [
    {
      attack: 'refund abuse',
      tried: 'a support agent issues 3 refunds in 6 seconds',
      stopped: raised,
      how: raised
        ? 'the monitor raised refund-burst, visible to admins at GET /v1/admin/alerts'
        : 'no alert',
    },
  ];
}

async function main() {
  say(`Citadel demo against ${gateway} (state in ${home})\n`);
  const steps: [string, () => Promise<Outcome[]>][] = [
    ['Attack point 1: a fake or tampered identity token', attack1],
    ['Attack point 2: bypass the gateway and call order directly', attack2],
    ['Attack point 3: a service calls one it has no business calling', attack3],
    ['Attack point 4: read another service’s database', attack4],
    ['Attack point 5: intercept traffic between hops', attack5],
    ['The RBAC matrix', rbac],
    ['Login brute force', bruteForce],
    ['Refund abuse and the audit alert', refundBurst],
  ];
  const results: Outcome[] = [];
  for (const [title, step] of steps) {
    say(`▸ ${title}`);
    for (const outcome of await step()) {
      say(`  tried: ${outcome.tried}`);
      say(`  ${outcome.stopped ? 'stopped' : 'NOT STOPPED'}: ${outcome.how}\n`);
      results.push(outcome);
    }
  }
  say('| attack | tried | result |');
  say('|---|---|---|');
  for (const outcome of results) {
    say(
      `| ${outcome.attack} | ${outcome.tried} | ${outcome.stopped ? 'stopped' : 'NOT STOPPED'} |`,
    );
  }
  const through = results.filter((outcome) => !outcome.stopped).length;
  say(`\n${results.length - through} of ${results.length} attacks stopped.`);
  process.exit(through === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? error.message : String(error)} (is Citadel running? npm start)\n`,
  );
  process.exit(2);
});
