import { Inject, Injectable, Optional } from '@nestjs/common';
import { isRole } from '@citadel/auth';
import type { ExchangeTokenResponse } from '@citadel/contracts';
import { AUTH_CLIENT, type AuthClient } from '../downstream.js';
import type { Principal } from './principal.js';
import { credentialKey, type CredentialKey } from './credential-key.js';
import {
  InProcessRevocations,
  REVOCATION_FEED,
  type Revocation,
  type RevocationFeed,
} from './revocation.js';

interface CachedExchange {
  jwt: string;
  /** Epoch ms after which the cached JWT must not be handed out. */
  usableUntil: number;
  userId: string;
  email: string;
  role: string;
  /** Set for API keys: the permissions the credential is limited to. */
  scopes?: string[];
  apiKeyId?: string;
}

/** A JWT must still have this long to live when it reaches the last hop. */
const REMAINING_LIFE_MS = 15_000;
/** Credentials cached at most (each with a JWT per audience); the oldest goes first. */
const MAX_CREDENTIALS = 50_000;
/**
 * Exchanges shared between concurrent requests at most. Only a credential auth verified is
 * cached, but any credential, a made-up one too, is in flight until auth answers: past
 * this many, an exchange is made for its request alone, so a flood of made-up tokens
 * cannot grow the table (each such request holds its own call, as any request does).
 */
const MAX_SHARED_INFLIGHT = 1_024;

export class InvalidAccessToken extends Error {}

/**
 * Opaque edge token → internal JWT per audience, cached so a hot path pays a
 * hash and a map lookup instead of a call to auth. An entry is never used within 15 s of
 * its JWT's expiry, and a revocation (logout, account deletion, API key revoked, ...)
 * evicts it at once on every replica, through the revocation feed (revocation.ts).
 *
 * Two races are closed here, not left to timing:
 * - an exchange in flight when a revocation arrives must not cache what auth answered
 *   before it: every revocation (and every flush) bumps `generation`, and an exchange
 *   caches its answer only if the generation it started under is still current;
 * - a request arriving after the revocation must not join that exchange: the table of
 *   exchanges in flight is cleared, so it starts its own, which auth refuses.
 * While the feed is not known-good (Redis unreachable, a gap), the cache is bypassed.
 */
@Injectable()
export class TokenExchange {
  /**
   * Per credential (by its key), per audience. Two levels, not one `key:audience` string:
   * a lookup then hashes the key string the request already has (V8 keeps its hash)
   * instead of building and hashing a new one, three times per request.
   */
  private readonly cache = new Map<CredentialKey, Map<string, CachedExchange>>();
  private readonly inflight = new Map<string, Promise<CachedExchange>>();
  /** Bumped by every revocation and flush: an older exchange's answer is not cached. */
  private generation = 0;

  constructor(
    @Inject(AUTH_CLIENT) private readonly auth: AuthClient,
    @Optional()
    @Inject(REVOCATION_FEED)
    private readonly revocations: RevocationFeed = new InProcessRevocations(),
  ) {
    revocations.listen({
      revoke: (revocation) => this.forgetRevoked(revocation),
      flush: () => this.forgetAll(),
    });
  }

  /**
   * `credential`: the token's `credentialKey`, where the caller has it already. The call to
   * auth when the cache misses is part of the request's trace (the active context).
   */
  async exchange(
    accessToken: string,
    audience: string,
    credential: CredentialKey = credentialKey(accessToken),
  ): Promise<CachedExchange> {
    // Fail closed: a replica that may have missed a revocation asks auth every time.
    if (!this.revocations.trusted) return this.fetch(accessToken, audience, credential);
    const cached = this.cache.get(credential)?.get(audience);
    if (cached && cached.usableUntil > Date.now()) return cached;
    const key = `${credential}:${audience}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      if (this.inflight.size >= MAX_SHARED_INFLIGHT) {
        return this.fetch(accessToken, audience, credential);
      }
      const shared = this.fetch(accessToken, audience, credential).finally(() => {
        // A revocation may have replaced it with a newer exchange since: that one stays.
        if (this.inflight.get(key) === shared) this.inflight.delete(key);
      });
      this.inflight.set(key, shared);
      pending = shared;
    }
    return pending;
  }

  /**
   * What a call to `audience` made for this request carries: the credential's JWT for
   * that audience (exchanged, or from the cache). Its trace travels by itself.
   */
  async callOptions(
    principal: Pick<Principal, 'accessToken' | 'credentialKey'>,
    audience: string,
  ): Promise<{ jwt: string }> {
    const { jwt } = await this.exchange(principal.accessToken, audience, principal.credentialKey);
    return { jwt };
  }

  private async fetch(accessToken: string, audience: string, credential: CredentialKey) {
    const generation = this.generation;
    let response: ExchangeTokenResponse;
    try {
      response = await this.auth.rpc.exchangeToken({
        access_token: accessToken,
        audience,
      });
    } catch (error) {
      this.forget(credential, audience);
      if ((error as { code?: number }).code === 16) throw new InvalidAccessToken();
      throw error;
    }
    if (!isRole(response.role)) throw new InvalidAccessToken();
    const entry: CachedExchange = {
      jwt: response.jwt,
      usableUntil: response.expires_at * 1000 - REMAINING_LIFE_MS,
      userId: response.user_id,
      email: response.email,
      role: response.role,
      // An API key is scoped even when its list is empty: then it grants nothing (proto3
      // cannot tell an empty list from none, so the key id says which credential this is).
      ...(response.api_key_id || response.scopes?.length ? { scopes: response.scopes ?? [] } : {}),
      ...(response.api_key_id ? { apiKeyId: response.api_key_id } : {}),
    };
    // Revoked (or flushed) while auth was answering, or the feed is down: the answer serves
    // this request, which auth verified, and is not kept for the next one.
    if (generation !== this.generation || !this.revocations.trusted) return entry;
    let byAudience = this.cache.get(credential);
    if (!byAudience) {
      if (this.cache.size >= MAX_CREDENTIALS) this.cache.delete(this.cache.keys().next().value!);
      byAudience = new Map();
      this.cache.set(credential, byAudience);
    }
    byAudience.set(audience, entry);
    return entry;
  }

  private forget(credential: CredentialKey, audience: string): void {
    const byAudience = this.cache.get(credential);
    byAudience?.delete(audience);
    if (byAudience?.size === 0) this.cache.delete(credential);
  }

  /** Forgets every credential with an exchange that `matches`. */
  private evictWhere(matches: (entry: CachedExchange) => boolean): void {
    for (const [credential, byAudience] of this.cache) {
      for (const entry of byAudience.values()) {
        if (matches(entry)) {
          this.cache.delete(credential);
          break;
        }
      }
    }
  }

  /**
   * Logout, account deletion, password or role change, API key revoked: forgets what the
   * revocation covers here and on every other replica. Resolves once it is published, so
   * the caller answers its client only then; rejects when it could not be.
   */
  revoke(revocation: Revocation): Promise<void> {
    return this.revocations.publish(revocation);
  }

  private forgetRevoked(revocation: Revocation): void {
    this.generation++;
    this.inflight.clear();
    if ('credential' in revocation) this.cache.delete(revocation.credential);
    else if ('userId' in revocation) this.evictWhere((entry) => entry.userId === revocation.userId);
    else this.evictWhere((entry) => entry.apiKeyId === revocation.apiKeyId);
  }

  /** The feed had a gap: any entry may be revoked. */
  private forgetAll(): void {
    this.generation++;
    this.inflight.clear();
    this.cache.clear();
  }

  /**
   * Whether a usable exchange for this credential is cached (a session known good). Read
   * even while the revocation feed is down: it picks the rate limiter's bucket, it grants
   * nothing (every request is then exchanged at auth, which refuses a revoked credential),
   * and sessions verified before the outage keep their own budget instead of sharing their
   * address's.
   */
  isKnown(key: CredentialKey): boolean {
    const byAudience = this.cache.get(key);
    if (!byAudience) return false;
    const now = Date.now();
    for (const entry of byAudience.values()) if (entry.usableUntil > now) return true;
    return false;
  }
}
