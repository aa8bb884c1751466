#!/usr/bin/env node
// What a flood of made-up tokens can make the gateway hold before any of them is verified:
// `node --expose-gc bench/dist/pre-auth-memory.js [--smoke] [--tokens N] [--json]` (run by
// `npm run bench` too). Each token goes through the gateway's real pieces, from its build,
// as a request would: the rate limiter (RateLimits.consume, as the `onRequest` hook calls
// it), then the bearer guard with the bearer strategy and the token exchange, whose call
// to auth is a stub that refuses every token as auth would (UNAUTHENTICATED).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPO_ROOT } from '@citadel/config';
import { round } from './load.js';

/** The gateway's pieces this bench drives, as their build exports them. */
interface Charge {
  allowed: boolean;
  presented?: unknown;
}
interface Limits {
  consume(authorization: string | undefined, address: string, known: unknown): Promise<Charge>;
}
interface GatewayPreAuth {
  RateLimits: new (settings: {
    perCredential: number;
    anonymousPerIp: number;
    windowSeconds: number;
  }) => Limits;
  TokenExchange: new (auth: unknown) => unknown;
  BearerStrategy: new (exchange: unknown) => unknown;
  BearerAuthGuard: new (
    edgeAudit: unknown,
    limits: Limits,
  ) => { canActivate(ctx: unknown): Promise<boolean> };
}

async function loadGateway(): Promise<GatewayPreAuth> {
  const load = (file: string) =>
    import(pathToFileURL(path.join(REPO_ROOT, 'apps/gateway/dist', file)).href);
  return {
    ...(await load('edge/rate-limits.js')),
    ...(await load('session/token-exchange.js')),
    ...(await load('session/bearer.strategy.js')),
    ...(await load('session/bearer-auth.guard.js')),
  } as GatewayPreAuth;
}

/**
 * The botnet: 8,192 IPv4 addresses, and 2,048 IPv6 /64s from which every request comes
 * from a fresh address (an IPv6 subscriber is handed a whole /64 and may rotate through it).
 */
const IPV4_ADDRESSES = 8_192;
const IPV6_PREFIXES = 2_048;
const hex = (n: number) => n.toString(16);
function attackerAddress(i: number): string {
  if (i % 3 !== 2) {
    const n = (i * 7919) % IPV4_ADDRESSES;
    return `198.18.${n >> 8}.${n & 255}`;
  }
  const prefix = (i * 104_729) % IPV6_PREFIXES;
  const host = randomBytes(8);
  return `2001:db8:${hex(prefix)}:0:${hex(host.readUInt16BE(0))}:${hex(host.readUInt16BE(2))}:${hex(host.readUInt16BE(4))}:${hex(host.readUInt16BE(6))}`;
}

/** Requests in flight at once, as a gateway under a flood has them. */
const CONCURRENCY = 512;

export interface PreAuthMemoryResult {
  tokens: number;
  addresses: string;
  /** Heap after a forced GC, after the flood minus before it (MB). */
  tokensHeapMb: number;
  /** The same number of requests from the same addresses, with no token at all (MB). */
  noTokensHeapMb: number;
  /** Requests let through to authentication (refused there), and refused with 429. */
  authenticated: number;
  limited: number;
  seconds: number;
}

/**
 * Pushes `count` requests through the limiter and, when it lets them through, the bearer
 * guard; `authorization(i)` is the i-th request's header. The heap it leaves, in MB,
 * measured after forced GCs with every structure the requests reached still alive.
 */
async function pushRequests(
  gateway: GatewayPreAuth,
  count: number,
  authorization: (i: number) => string | undefined,
): Promise<{ heapMb: number; authenticated: number; limited: number }> {
  // The gateway's defaults, with a window long enough that no counter expires before the
  // heap is measured: the worst case.
  const limits = new gateway.RateLimits({
    perCredential: 600,
    anonymousPerIp: 120,
    windowSeconds: 3_600,
  });
  const refusingAuth = {
    call: () =>
      new Promise((_, reject) =>
        setImmediate(() => reject(Object.assign(new Error('invalid token'), { code: 16 }))),
      ),
  };
  const exchange = new gateway.TokenExchange(refusingAuth);
  new gateway.BearerStrategy(exchange); // registers the 'bearer' strategy with passport
  const edgeAudit = { record: () => undefined };
  const guard = new gateway.BearerAuthGuard(edgeAudit, limits);

  let authenticated = 0;
  let limited = 0;
  const request = async (i: number) => {
    const headers = { authorization: authorization(i) };
    const ip = attackerAddress(i);
    const charge = await limits.consume(headers.authorization, ip, exchange);
    if (!charge.allowed) {
      limited++;
      return;
    }
    const fastifyRequest = {
      method: 'GET',
      url: '/v1/orders',
      headers,
      ip,
      presentedCredential: charge.presented ?? null,
    };
    const args = [fastifyRequest, {}, () => undefined];
    const ctx = { getArgByIndex: (index: number) => args[index], getType: () => 'http' };
    authenticated++;
    await guard.canActivate(ctx).then(
      () => {
        throw new Error('a made-up token was accepted');
      },
      (error: { status?: number }) => {
        if (error.status !== 401) throw error;
      },
    );
  };

  gc();
  const before = process.memoryUsage().heapUsed;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await request(next++);
    }),
  );
  // Everything the requests reached is still referenced here, when the heap is measured.
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (!limits || !exchange || !guard) throw new Error('unreachable');
  return { heapMb: (after - before) / 2 ** 20, authenticated, limited };
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc');
  collect();
}

export async function measurePreAuthMemory(tokens: number): Promise<PreAuthMemoryResult> {
  const gateway = await loadGateway();
  const started = Date.now();
  const madeUp = () => `Bearer cit_at_${randomBytes(32).toString('base64url')}`;
  // A first, small pass of each kind compiles the code both paths run.
  await pushRequests(gateway, Math.min(tokens, 20_000), () => undefined);
  await pushRequests(gateway, Math.min(tokens, 20_000), madeUp);
  const noTokens = await pushRequests(gateway, tokens, () => undefined);
  const made = await pushRequests(gateway, tokens, madeUp);
  return {
    tokens,
    addresses: `${IPV4_ADDRESSES} IPv4 addresses, ${IPV6_PREFIXES} IPv6 /64s (a fresh address in one per request)`,
    tokensHeapMb: round(made.heapMb, 2),
    noTokensHeapMb: round(noTokens.heapMb, 2),
    authenticated: made.authenticated,
    limited: made.limited,
    seconds: round((Date.now() - started) / 1000, 1),
  };
}

export function describePreAuthMemory(result: PreAuthMemoryResult): string {
  return (
    `${result.tokens.toLocaleString('en-US')} random tokens → at most ` +
    `${Math.max(0, Math.ceil(result.tokensHeapMb * 10) / 10)} MB more heap ` +
    `(the same requests without a token: ${result.noTokensHeapMb} MB; ` +
    `${result.authenticated.toLocaleString('en-US')} reached authentication, ` +
    `${result.limited.toLocaleString('en-US')} were 429; ${result.addresses}; ${result.seconds} s)`
  );
}

/**
 * For `npm run bench`: runs this file in a Node of its own with `--expose-gc` (the bench
 * process has none, and a heap already used by the load runs would blur the figure).
 */
export function runPreAuthMemory(tokens: number): PreAuthMemoryResult {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--tokens', String(tokens), '--json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (child.status !== 0) throw new Error(`pre-auth memory bench exited with ${child.status}`);
  return JSON.parse(child.stdout) as PreAuthMemoryResult;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const tokensAt = argv.indexOf('--tokens');
  const tokens =
    tokensAt >= 0 ? Number(argv[tokensAt + 1]) : argv.includes('--smoke') ? 20_000 : 1_000_000;
  const result = await measurePreAuthMemory(tokens);
  process.stdout.write(
    argv.includes('--json') ? JSON.stringify(result) + '\n' : describePreAuthMemory(result) + '\n',
  );
  // The limiter's counters hold unref'd timers; the exchange nothing that keeps Node up.
}
