import { Injectable } from '@nestjs/common';
import { mintInternalJwt, MAX_INTERNAL_JWT_TTL_S } from '@citadel/auth';
import type { ExchangeTokenResponse, LoginResponse } from '@citadel/contracts';
import {
  delegationAudiences,
  EAST_WEST_POLICY,
  permissionDenied,
  unauthenticated,
} from '@citadel/transport';
import { KeyRing } from '../signing/key-ring.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UserRepository } from '../users/user.repository.js';
import { hashOpaqueToken, isOpaqueTokenShape, newOpaqueToken } from './opaque-token.js';
import { TokenStore } from './token.store.js';

export const ACCESS_TOKEN_TTL_S = 3600;

@Injectable()
export class TokenService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenStore,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
  ) {}

  /** Unknown user and wrong password are one answer, in the same time. */
  async login(email: string, password: string): Promise<LoginResponse> {
    const user = await this.users.findByEmail(email);
    if (!(await this.hasher.verify(user?.passwordHash, password)) || !user) {
      throw unauthenticated('invalid credentials');
    }
    const token = newOpaqueToken();
    await this.tokens.save({
      hash: hashOpaqueToken(token),
      userId: user.id,
      expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000,
    });
    return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_S };
  }

  async logout(accessToken: string): Promise<void> {
    if (isOpaqueTokenShape(accessToken)) await this.tokens.revoke(hashOpaqueToken(accessToken));
  }

  /**
   * Opaque edge token → internal JWT for `audience` (seed 000). The caller may only ask
   * for an audience it is allowed to call, and the JWT never outlives the opaque token.
   */
  async exchange(
    caller: string,
    accessToken: string,
    audience: string,
    requestedTtlSeconds = 0,
  ): Promise<ExchangeTokenResponse> {
    // Only for a service the caller may call in full: the policy is the one source.
    if (EAST_WEST_POLICY[audience]?.[caller] !== '*') {
      throw permissionDenied(`${caller} may not obtain tokens for ${audience}`);
    }
    const stored = isOpaqueTokenShape(accessToken)
      ? await this.tokens.find(hashOpaqueToken(accessToken))
      : undefined;
    const user = stored && (await this.users.findById(stored.userId));
    if (!stored || !user) throw unauthenticated('invalid token');
    const ttl = Math.min(
      requestedTtlSeconds > 0 ? requestedTtlSeconds : MAX_INTERNAL_JWT_TTL_S,
      MAX_INTERNAL_JWT_TTL_S,
      Math.floor((stored.expiresAt - Date.now()) / 1000),
    );
    if (ttl <= 0) throw unauthenticated('invalid token');
    const { jwt, expiresAt } = await mintInternalJwt(
      this.keys.current(),
      { id: user.id, role: user.role, email: user.email },
      delegationAudiences(audience),
      ttl,
    );
    return { jwt, expires_at: expiresAt, user_id: user.id, email: user.email, role: user.role };
  }
}
