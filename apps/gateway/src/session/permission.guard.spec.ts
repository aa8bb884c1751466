import { ForbiddenException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthClient } from '../downstream.js';
import type { EdgeAudit } from '../edge/edge-audit.js';
import { credentialKey } from './credential-key.js';
import { Authenticated, PermissionGuard } from './permission.guard.js';
import type { Principal } from './principal.js';
import { TokenExchange } from './token-exchange.js';

class Routes {
  @Authenticated('orders:read:own', 'orders:read:any')
  listOrders() {}

  @Authenticated()
  me() {}
}

describe('PermissionGuard', () => {
  let refusals: string[];
  let guard: PermissionGuard;

  beforeEach(() => {
    refusals = [];
    const edgeAudit = {
      record: (_request: unknown, _action: string, detail: string) => refusals.push(detail),
    } as unknown as EdgeAudit;
    guard = new PermissionGuard(new Reflector(), edgeAudit);
  });

  /** The guard's verdict on `principal` calling `route`: true, or 403. */
  function verdict(principal: Partial<Principal>, route: keyof Routes): true | 403 {
    const user: Principal = {
      id: 'u-ada',
      email: 'ada@citadel.test',
      role: 'admin',
      accessToken: 'cit_ak_x',
      credentialKey: credentialKey('cit_ak_x'),
      ...principal,
    };
    const request = { method: 'GET', url: '/', user };
    const ctx = {
      getHandler: () => Routes.prototype[route],
      getArgByIndex: () => request,
    } as unknown as ExecutionContext;
    try {
      return guard.canActivate(ctx) as true;
    } catch (error) {
      if (error instanceof ForbiddenException) return 403;
      throw error;
    }
  }

  it("lets a session use its role's permissions, and a key its scopes within that role", () => {
    expect(verdict({}, 'listOrders')).toBe(true);
    const reader = { apiKeyId: 'ak-1', scopes: ['orders:read:own'] };
    expect(verdict(reader, 'listOrders')).toBe(true);
    expect(verdict(reader, 'me')).toBe(true);
    expect(
      verdict({ ...reader, role: 'customer', scopes: ['orders:read:any'] }, 'listOrders'),
    ).toBe(403);
  });

  it("refuses an API key with no scopes every route, whatever its owner's role", () => {
    for (const scopes of [[], undefined]) {
      const key = { apiKeyId: 'ak-2', ...(scopes ? { scopes } : {}) };
      expect(verdict(key, 'listOrders')).toBe(403);
      expect(verdict(key, 'me')).toBe(403);
    }
    expect(refusals).toEqual([
      'API key ak-2 scoped to [] lacks orders:read:own or orders:read:any',
      'API key ak-2 scoped to [] lacks any scope',
      'API key ak-2 scoped to [] lacks orders:read:own or orders:read:any',
      'API key ak-2 scoped to [] lacks any scope',
    ]);
  });

  it('keeps the empty scope list auth answers for a key, so the guard sees a key scoped to nothing', async () => {
    const auth = {
      rpc: {
        exchangeToken: async () => ({
          jwt: 'jwt',
          expires_at: Math.floor(Date.now() / 1000) + 60,
          user_id: 'u-ada',
          email: 'ada@citadel.test',
          role: 'admin',
          scopes: [],
          api_key_id: 'ak-3',
        }),
      },
    } as unknown as AuthClient;
    const session = await new TokenExchange(auth).exchange('cit_ak_y', 'order', undefined);
    expect(session).toMatchObject({ apiKeyId: 'ak-3', scopes: [] });
  });
});
