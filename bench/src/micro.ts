import { createHash, randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { pathToFileURL } from 'node:url';
import {
  InternalJwtVerifier,
  JwksCache,
  mintInternalJwt,
  verifyInternalJwt,
  type SigningKey,
} from '@citadel/auth';
import { REPO_ROOT, spiffeId } from '@citadel/config';
import { createCertificateAuthority, issueCertificate } from '@citadel/pki';
import { checkCallerAllowed, serviceFromCertificate } from '@citadel/transport';
import { round } from './load.js';

export interface MicroResult {
  name: string;
  usPerOp: number;
  ops: number;
}

export interface MicroOptions {
  /** How long each primitive is timed (after as long a warm-up). */
  timeMs: number;
}

/** The gateway's session pieces, loaded from its build (the gateway is an app, not a library). */
interface TokenExchangeLike {
  exchange(accessToken: string, audience: string, credentialKey?: string): Promise<{ jwt: string }>;
}
interface Guard {
  canActivate(ctx: unknown): boolean | Promise<boolean>;
}
interface GatewaySession {
  TokenExchange: new (auth: unknown) => TokenExchangeLike;
  BearerStrategy: new (exchange: TokenExchangeLike) => unknown;
  Authenticated: (...permissions: string[]) => MethodDecorator;
  PermissionGuard: new (reflector: { get(key: string, target: object): unknown }) => Guard;
}
const NEST_GUARDS_METADATA = '__guards__';
const reflect = Reflect as unknown as { getMetadata(key: string, target: object): unknown };

async function loadGatewaySession(): Promise<GatewaySession> {
  const load = (file: string) =>
    import(pathToFileURL(path.join(REPO_ROOT, 'apps/gateway/dist/session', file)).href);
  return {
    ...(await load('token-exchange.js')),
    ...(await load('bearer.strategy.js')),
    ...(await load('permission.guard.js')),
  } as GatewaySession;
}

/**
 * The gateway's whole per-request auth work on a cached exchange, with its real pieces:
 * the guards `@Authenticated(...)` installs (passport's bearer guard running the
 * BearerStrategy, then the RBAC guard), then the controller's own exchange lookup.
 */
function gatewayEdgeAuth(session: GatewaySession, exchange: TokenExchangeLike, token: string) {
  new session.BearerStrategy(exchange); // registers the 'bearer' strategy with passport
  class Probe {
    handler() {}
  }
  const descriptor = Object.getOwnPropertyDescriptor(Probe.prototype, 'handler')!;
  session.Authenticated('orders:read:own', 'orders:read:any')(
    Probe.prototype,
    'handler',
    descriptor,
  );
  const [BearerGuard, RbacGuard] = reflect.getMetadata(
    NEST_GUARDS_METADATA,
    descriptor.value as object,
  ) as [new () => Guard, typeof session.PermissionGuard];
  const bearer = new BearerGuard();
  const rbac = new RbacGuard({ get: (key, target) => reflect.getMetadata(key, target) });
  const authorization = `Bearer ${token}`;
  return async () => {
    const request: { headers: object; user?: { accessToken: string; credentialKey: string } } = {
      headers: { authorization },
    };
    const args = [request, {}, () => {}];
    const ctx = {
      getArgByIndex: (index: number) => args[index],
      getHandler: () => descriptor.value as object,
      getClass: () => Probe,
      getType: () => 'http',
    };
    const ok = (await bearer.canActivate(ctx)) && (await rbac.canActivate(ctx));
    // What a controller's `callOptions(principal, …)` does with the principal.
    const { accessToken, credentialKey } = request.user!;
    await exchange.exchange(accessToken, 'order', credentialKey);
    return ok;
  };
}

/**
 * Times one primitive with a plain hrtime loop: a warm-up, then batches until `timeMs`
 * have passed; µs per operation. Promises are awaited one at a time, as a request would.
 */
async function time(
  name: string,
  op: () => unknown,
  { timeMs }: MicroOptions,
): Promise<MicroResult> {
  let sink = 0;
  const loop = async (ms: number) => {
    let ops = 0;
    const start = process.hrtime.bigint();
    const until = start + BigInt(Math.round(ms * 1e6));
    let now = start;
    while (now < until) {
      for (let i = 0; i < 64; i++) {
        const result = op();
        if (result instanceof Promise) sink += (await result) ? 1 : 0;
        else sink += result ? 1 : 0;
      }
      ops += 64;
      now = process.hrtime.bigint();
    }
    return { ops, ns: Number(now - start) };
  };
  await loop(timeMs);
  const { ops, ns } = await loop(timeMs);
  if (sink < 0) throw new Error('unreachable: keeps the results alive');
  return { name, usPerOp: round(ns / ops / 1000, 3), ops };
}

/**
 * Micro-benchmarks of the security primitives on the request path, with the real
 * implementations: the gateway's exchange cache, internal JWT mint and verify, the
 * verification cache, the JWKS lookup and the east-west policy check.
 */
export async function runMicroBenchmarks(options: MicroOptions): Promise<MicroResult[]> {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ]);
  const key: SigningKey = { kid: 'bench-1', privateKey: pair.privateKey };
  const publicJwk = {
    ...(await crypto.subtle.exportKey('jwk', pair.publicKey)),
    kid: key.kid,
    alg: 'ES256',
    use: 'sig',
  };
  const jwks = new JwksCache(async () => [publicJwk]);
  await jwks.refresh();
  const verifier = new InternalJwtVerifier('order', jwks);
  const user = { id: 'u-bench', role: 'customer' as const, email: 'bench@citadel.test' };
  const { jwt } = await mintInternalJwt(key, user, ['order', 'payment'], 60);
  await verifier.verify(jwt); // the cached path below starts warm
  const [protectedHeader, payload, signature] = jwt.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString()) as {
    kid: string;
    alg: string;
  };

  const session = await loadGatewaySession();
  // Auth's client as the gateway holds it (ServiceClient<'auth'>): only exchangeToken is asked.
  const stubAuth = {
    rpc: {
      exchangeToken: async () => ({
        jwt,
        expires_at: Math.floor(Date.now() / 1000) + 60,
        user_id: user.id,
        email: user.email,
        role: user.role,
      }),
    },
  };
  const exchange = new session.TokenExchange(stubAuth);
  const accessToken = `cit_at_${randomBytes(32).toString('base64url')}`;
  await exchange.exchange(accessToken, 'order');

  // Auth's side of an exchange the gateway has not cached: the token's SHA-256, then the
  // token store (in memory here: the lookup, not a database round trip).
  const store = new Map<string, { userId: string; expiresAt: number }>();
  for (let i = 0; i < 10_000; i++) {
    const token = `cit_at_${randomBytes(32).toString('base64url')}`;
    store.set(createHash('sha256').update(token).digest('hex'), {
      userId: `u-${i}`,
      expiresAt: Date.now() + 3_600_000,
    });
  }
  const peerCertificate = { subjectaltname: `DNS:order.citadel.local, URI:${spiffeId('order')}` };

  const results: MicroResult[] = [];
  const add = async (name: string, op: () => unknown) =>
    results.push(await time(name, op, options));
  await add('opaque token lookup, cached (gateway exchange cache hit)', () =>
    exchange.exchange(accessToken, 'order'),
  );
  await add(
    'gateway auth per request, exchange cached (bearer guard + RBAC guard + lookup)',
    gatewayEdgeAuth(session, exchange, accessToken),
  );
  await add('opaque token lookup, uncached (SHA-256 + token store lookup at auth)', () =>
    store.get(createHash('sha256').update(accessToken).digest('hex')),
  );
  await add('JWT sign (ES256, mintInternalJwt)', () =>
    mintInternalJwt(key, user, ['order', 'payment'], 60),
  );
  await add('JWT verify, uncached (ES256 + claim checks)', () =>
    verifyInternalJwt(jwt, jwks.resolveKey, 'order'),
  );
  await add('JWT verify, cached (InternalJwtVerifier hit)', () => verifier.verify(jwt));
  await add('JWKS lookup (JwksCache.resolveKey, known kid)', () =>
    jwks.resolveKey(header, { payload, signature, protected: protectedHeader }),
  );
  await add('east-west policy check (checkCallerAllowed)', () =>
    checkCallerAllowed('order', 'gateway', 'citadel.order.v1.OrderService/GetOrder'),
  );
  await add('caller identity from a peer certificate SAN', () =>
    serviceFromCertificate(peerCertificate),
  );
  const peer = await mutualTlsPeer();
  try {
    await add(
      "peer certificate of an mTLS connection (what grpc-js's getAuthContext() reads per call)",
      () => peer.getPeerCertificate(),
    );
  } finally {
    peer.close();
  }
  return results;
}

/**
 * The server side of one mutual-TLS connection on loopback, with certificates like the
 * services' (ECDSA P-256, a SPIFFE URI SAN): grpc-js's `getAuthContext()` calls its
 * `getPeerCertificate()` on every call (docs/upstream/grpc-js-auth-context.md).
 */
async function mutualTlsPeer(): Promise<{
  getPeerCertificate(): unknown;
  close(): void;
}> {
  const ca = await createCertificateAuthority('Bench CA', 1);
  const issue = (service: string) =>
    issueCertificate(ca, { commonName: service, uri: spiffeId(service), validDays: 1 });
  const [server, client] = await Promise.all([issue('order'), issue('gateway')]);
  let accepted!: (socket: tls.TLSSocket) => void;
  const serverSide = new Promise<tls.TLSSocket>((resolve) => (accepted = resolve));
  const listener = tls.createServer(
    { cert: server.certPem, key: server.keyPem, ca: ca.certPem, requestCert: true },
    accepted,
  );
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const socket = tls.connect({
    port: (listener.address() as AddressInfo).port,
    host: '127.0.0.1',
    cert: client.certPem,
    key: client.keyPem,
    ca: ca.certPem,
  });
  const side = await serverSide;
  if (!side.authorized) throw new Error('micro: the mTLS peer was not authorized');
  return {
    getPeerCertificate: () => side.getPeerCertificate(),
    close: () => {
      socket.destroy();
      listener.close();
    },
  };
}
