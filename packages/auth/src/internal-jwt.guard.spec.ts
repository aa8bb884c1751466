import * as grpc from '@grpc/grpc-js';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { callContextOf, setCallContext, type DenialEvent } from '@citadel/transport';
import { InternalJwtGuard, PublicMethod, RequirePermission } from './internal-jwt.guard.js';
import { mintInternalJwt } from './internal-jwt.js';
import { InternalJwtVerifier } from './internal-jwt-verifier.js';
import { JwksCache } from './jwks-cache.js';

class Handlers {
  @RequirePermission('orders:read:own')
  getOrder() {}

  @RequirePermission('orders:refund')
  refundOrder() {}

  @PublicMethod()
  health() {}
}

/** One gRPC call from `caller` to `method`, as the guard sees it after the east-west policy. */
function callTo(method: keyof Handlers, jwt: string | undefined, caller = 'gateway') {
  const metadata = new grpc.Metadata();
  if (jwt !== undefined) metadata.set('authorization', `Bearer ${jwt}`);
  const call = { metadata, getPath: () => `/citadel.order.v1.OrderService/${method}` };
  setCallContext(metadata, { caller });
  const args = [{}, metadata, call];
  const context = {
    getArgByIndex: (index: number) => args[index],
    getHandler: () => Handlers.prototype[method],
  } as unknown as ExecutionContext;
  return { call, context };
}

/** The guard's answer, sync or not, as the caller of the handler would see it. */
async function outcome(result: () => boolean | Promise<boolean>): Promise<string> {
  try {
    return String(await result());
  } catch (error) {
    if (!(error instanceof RpcException)) throw error;
    return grpc.status[(error.getError() as { code: grpc.status }).code];
  }
}

describe('InternalJwtGuard', () => {
  let key: { kid: string; privateKey: CryptoKey };
  let guard: InternalJwtGuard;
  let denials: DenialEvent[];

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    key = { kid: 'k1', privateKey: pair.privateKey };
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = new JwksCache(async () => [jwk], { minRefreshIntervalMs: 60_000, retries: 0 });
    denials = [];
    guard = new InternalJwtGuard(new InternalJwtVerifier('order', jwks), new Reflector(), (event) =>
      denials.push(event),
    );
  });

  beforeEach(() => {
    denials.length = 0;
  });

  it('lets a user through whose role grants the permission, the first time and from the cache', async () => {
    const { jwt } = await mintInternalJwt(key, { id: 'u-alice', role: 'customer' }, ['order'], 60);
    for (let attempt = 0; attempt < 2; attempt++) {
      const { call, context } = callTo('getOrder', jwt);
      expect(await outcome(() => guard.canActivate(context))).toBe('true');
      expect(callContextOf(call)).toMatchObject({ user: { id: 'u-alice', role: 'customer' }, jwt });
    }
    expect(denials).toEqual([]);
  });

  it('answers a token it verified before without waiting (no promise)', async () => {
    const { jwt } = await mintInternalJwt(key, { id: 'u-bob', role: 'customer' }, ['order'], 60);
    expect(guard.canActivate(callTo('getOrder', jwt).context)).toBeInstanceOf(Promise);
    await guard.canActivate(callTo('getOrder', jwt).context);
    expect(guard.canActivate(callTo('getOrder', jwt).context)).toBe(true);
  });

  it('refuses a permission the role lacks, on every call, the cached ones included', async () => {
    const { jwt } = await mintInternalJwt(key, { id: 'u-carol', role: 'customer' }, ['order'], 60);
    for (let attempt = 0; attempt < 3; attempt++) {
      const { context } = callTo('refundOrder', jwt);
      expect(await outcome(() => guard.canActivate(context))).toBe('PERMISSION_DENIED');
    }
    expect(denials).toHaveLength(3);
    expect(denials[2]).toMatchObject({
      callee: 'order',
      caller: 'gateway',
      method: 'refundOrder',
      actor: 'u-carol',
      reason: 'role customer lacks orders:refund',
    });
  });

  it('refuses an API key scoped to nothing every permission, its owner role notwithstanding', async () => {
    const admin = { id: 'u-ada', role: 'admin' as const, scopes: [] };
    const { jwt } = await mintInternalJwt(key, admin, ['order'], 60);
    for (const method of ['getOrder', 'refundOrder'] as const) {
      const { call, context } = callTo(method, jwt);
      expect(await outcome(() => guard.canActivate(context))).toBe('PERMISSION_DENIED');
      expect(callContextOf(call)?.user).toMatchObject({ id: 'u-ada', scopes: [] });
    }
    expect(denials.map((denial) => denial.reason)).toEqual([
      'credential scoped to [] lacks orders:read:own',
      'credential scoped to [] lacks orders:refund',
    ]);
  });

  it('refuses a call without a token, or with one that does not verify, and records why', async () => {
    const { jwt } = await mintInternalJwt(key, { id: 'u-dave', role: 'customer' }, ['auth'], 60);
    const tampered = `${jwt.slice(0, -4)}AAAA`;
    expect(await outcome(() => guard.canActivate(callTo('getOrder', undefined).context))).toBe(
      'UNAUTHENTICATED',
    );
    for (const token of [jwt, tampered, 'not-a-jwt']) {
      expect(await outcome(() => guard.canActivate(callTo('getOrder', token).context))).toBe(
        'UNAUTHENTICATED',
      );
    }
    expect(denials.map((denial) => denial.reason.split(':')[0])).toEqual([
      'no-user-jwt',
      'invalid-user-jwt',
      'invalid-user-jwt',
      'invalid-user-jwt',
    ]);
  });

  it('needs no token for a public method, but still a caller the east-west policy established', async () => {
    expect(await outcome(() => guard.canActivate(callTo('health', undefined).context))).toBe(
      'true',
    );
    const { call, context } = callTo('health', undefined);
    setCallContext(call.metadata, undefined as never);
    expect(await outcome(() => guard.canActivate(context))).toBe('UNAUTHENTICATED');
  });
});
