import { Injectable } from '@nestjs/common';
import { AuditLog, withFacts } from '@citadel/audit';
import { mintDeviceToken, mintInternalJwt, MAX_INTERNAL_JWT_TTL_S } from '@citadel/auth';
import type { ExchangeTokenResponse, LoginResponse } from '@citadel/contracts';
import { delegatesTo, delegationAudiences } from '@citadel/transport';
import { KeyRing } from '../signing/key-ring.js';
import { PasswordHasher } from '../users/password-hasher.js';
import type { AuthDatabase } from '../users/auth.migrations.js';
import { UserRepository } from '../users/user.repository.js';
import { ApiKeyStore } from '../api-keys/api-key.store.js';
import {
  hashOpaqueToken,
  isApiKeyShape,
  isOpaqueTokenShape,
  newOpaqueToken,
} from './opaque-token.js';
import { AudienceNotDelegated, InvalidCredentials, InvalidToken } from './token.errors.js';
import { TokenStore } from './token.store.js';

export const ACCESS_TOKEN_TTL_S = 3600;

@Injectable()
export class TokenService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokens: TokenStore,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeyRing,
    private readonly apiKeys: ApiKeyStore,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Unknown user and wrong password are one answer, in the same time. Every password check
   * is one `auth.login` record; a check refused because too many are running
   * (`PasswordChecksBusy`), or dropped unrun because `signal` aborted while it waited
   * (`PasswordCheckAbandoned`: nobody waits for the answer), checked nothing and records
   * nothing. A login's token and its record commit together.
   *
   * `clientIp`, the address the gateway saw (already checked to be an IP address), goes on
   * both records as the fact `client_ip`: the monitor counts the accounts one address
   * tries (login-burst).
   */
  async login(
    email: string,
    password: string,
    traceId?: string,
    { signal, clientIp }: { signal?: AbortSignal; clientIp?: string | undefined } = {},
  ): Promise<LoginResponse> {
    const from: Record<string, string> = clientIp ? { client_ip: clientIp } : {};
    const user = await this.users.findByEmail(email);
    if (!(await this.hasher.verify(user?.passwordHash, password, { signal })) || !user) {
      await this.audit.append({
        actor: user?.id ?? 'anonymous',
        action: 'auth.login',
        target: email,
        outcome: 'denied',
        callerService: 'gateway',
        traceId,
        detail: withFacts(user ? 'wrong password' : 'unknown account', from),
      });
      throw new InvalidCredentials();
    }
    const token = newOpaqueToken();
    await this.audit.transaction<void, AuthDatabase>(async (trx, record) => {
      await this.tokens.within(trx).save({
        hash: hashOpaqueToken(token),
        userId: user.id,
        expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000,
      });
      record({
        actor: user.id,
        action: 'auth.login',
        target: email,
        outcome: 'ok',
        callerService: 'gateway',
        traceId,
        detail: withFacts('', from),
      });
    });
    return {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL_S,
      device_token: await mintDeviceToken(this.keys.current(), user),
    };
  }

  /** The token's deletion and its `auth.logout` record commit together. */
  async logout(accessToken: string, traceId?: string): Promise<void> {
    if (!isOpaqueTokenShape(accessToken)) return;
    await this.audit.transaction<void, AuthDatabase>(async (trx, record) => {
      const stored = await this.tokens.within(trx).revoke(hashOpaqueToken(accessToken));
      // An expired token was already dead: nothing was logged out.
      if (!stored || stored.expiresAt <= Date.now()) return;
      record({
        actor: stored.userId,
        action: 'auth.logout',
        target: stored.userId,
        outcome: 'ok',
        callerService: 'gateway',
        traceId,
      });
    });
  }

  /**
   * Opaque edge token → internal JWT for `audience` (clients hold a meaningless random
   * token; what travels inside is a short-lived signed JWT). The caller may only ask
   * for an audience it is allowed to call, and the JWT never outlives the opaque token.
   */
  async exchange(
    caller: string,
    accessToken: string,
    audience: string,
    requestedTtlSeconds = 0,
    traceId?: string,
  ): Promise<ExchangeTokenResponse> {
    // Only for a service the caller calls on users' behalf: the policy is the one source.
    if (!delegatesTo(caller, audience)) {
      throw new AudienceNotDelegated(caller, audience);
    }
    const credential = await this.findCredential(accessToken);
    const user = credential && (await this.users.findById(credential.userId));
    const ttl = Math.min(
      requestedTtlSeconds > 0 ? requestedTtlSeconds : MAX_INTERNAL_JWT_TTL_S,
      MAX_INTERNAL_JWT_TTL_S,
      Math.floor(((credential?.expiresAt ?? 0) - Date.now()) / 1000),
    );
    if (!credential || !user || ttl <= 0) {
      // Attack point 1 at the edge: a forged, expired, revoked or guessed credential.
      await this.audit.append({
        actor: 'anonymous',
        action: 'auth.token-exchange',
        target: audience,
        outcome: 'denied',
        callerService: caller,
        traceId,
        detail: isApiKeyShape(accessToken)
          ? 'unknown, revoked or expired API key'
          : isOpaqueTokenShape(accessToken)
            ? 'unknown, revoked or expired access token'
            : 'not a Citadel credential',
      });
      throw new InvalidToken();
    }
    const { jwt, expiresAt } = await mintInternalJwt(
      this.keys.current(),
      { id: user.id, role: user.role, email: user.email, scopes: credential.scopes },
      delegationAudiences(audience),
      ttl,
    );
    return {
      jwt,
      expires_at: expiresAt,
      user_id: user.id,
      email: user.email,
      role: user.role,
      scopes: credential.scopes ?? [],
      api_key_id: credential.apiKeyId ?? '',
    };
  }

  /** An access token or an API key, looked up by its hash; nothing for anything else. */
  private async findCredential(
    secret: string,
  ): Promise<
    { userId: string; expiresAt: number; scopes?: string[]; apiKeyId?: string } | undefined
  > {
    if (isOpaqueTokenShape(secret)) return this.tokens.find(hashOpaqueToken(secret));
    if (!isApiKeyShape(secret)) return undefined;
    const key = await this.apiKeys.findByHash(hashOpaqueToken(secret));
    return (
      key && {
        userId: key.userId,
        expiresAt: key.expiresAt.getTime(),
        scopes: key.scopes,
        apiKeyId: key.id,
      }
    );
  }
}
