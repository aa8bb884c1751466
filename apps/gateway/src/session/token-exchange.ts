import { Inject, Injectable } from '@nestjs/common';
import { isRole } from '@citadel/auth';
import { benchBaselineEnabled } from '@citadel/config';
import type { ExchangeTokenResponse } from '@citadel/contracts';
import { BENCH_BASELINE_USER, encodeBaselineUser } from '@citadel/transport';
import type { FastifyRequest } from 'fastify';
import { AUTH_CLIENT, type ServiceClient } from '../downstream.js';
import { traceOf } from '../trace.js';
import type { Principal } from './principal.js';
import { credentialKey, type CredentialKey } from './credential-key.js';

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
 * Opaque edge token → internal JWT per audience (seed 000), cached so a hot path pays a
 * hash and a map lookup instead of a call to auth. An entry is never used within 15 s of
 * its JWT's expiry, and logout or account deletion evicts it at once.
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
  /** Benchmark baseline only (never in a normal start): no exchange, one fixed user. */
  private readonly baseline = benchBaselineEnabled() ? BASELINE_EXCHANGE : undefined;

  constructor(@Inject(AUTH_CLIENT) private readonly auth: ServiceClient) {}

  /**
   * `traceparent`: the request's, for the call to auth when the cache misses.
   * `credential`: the token's `credentialKey`, where the caller has it already.
   */
  async exchange(
    accessToken: string,
    audience: string,
    traceparent: string | undefined,
    credential: CredentialKey = credentialKey(accessToken),
  ): Promise<CachedExchange> {
    if (this.baseline) return this.baseline;
    const cached = this.cache.get(credential)?.get(audience);
    if (cached && cached.usableUntil > Date.now()) return cached;
    const key = `${credential}:${audience}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      if (this.inflight.size >= MAX_SHARED_INFLIGHT) {
        return this.fetch(accessToken, audience, traceparent, credential);
      }
      pending = this.fetch(accessToken, audience, traceparent, credential).finally(() =>
        this.inflight.delete(key),
      );
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * What a call to `audience` made for this request carries: the credential's JWT for
   * that audience (exchanged, or from the cache) and the request's `traceparent`.
   */
  async callOptions(
    principal: Pick<Principal, 'accessToken' | 'credentialKey'>,
    audience: string,
    request: FastifyRequest,
  ): Promise<{ jwt: string; traceparent: string }> {
    const { traceparent } = traceOf(request);
    const { jwt } = await this.exchange(
      principal.accessToken,
      audience,
      traceparent,
      principal.credentialKey,
    );
    return { jwt, traceparent };
  }

  private async fetch(
    accessToken: string,
    audience: string,
    traceparent: string | undefined,
    credential: CredentialKey,
  ) {
    let response: ExchangeTokenResponse;
    try {
      response = await this.auth.call<ExchangeTokenResponse>(
        'ExchangeToken',
        { access_token: accessToken, audience },
        { traceparent },
      );
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

  /** Logout: forget every exchange made for this token. */
  evictToken(accessToken: string): void {
    this.cache.delete(credentialKey(accessToken));
  }

  /** API key revoked: forget every exchange made with it. */
  evictApiKey(apiKeyId: string): void {
    this.evictWhere((entry) => entry.apiKeyId === apiKeyId);
  }

  /** Whether a usable exchange for this credential is cached (a session known good). */
  isKnown(key: CredentialKey): boolean {
    const byAudience = this.cache.get(key);
    if (!byAudience) return false;
    const now = Date.now();
    for (const entry of byAudience.values()) if (entry.usableUntil > now) return true;
    return false;
  }

  /** Account deleted: forget every exchange made for this user. */
  evictUser(userId: string): void {
    this.evictWhere((entry) => entry.userId === userId);
  }
}

const BASELINE_EXCHANGE: CachedExchange = {
  jwt: encodeBaselineUser(BENCH_BASELINE_USER),
  usableUntil: Number.POSITIVE_INFINITY,
  userId: BENCH_BASELINE_USER.id,
  email: BENCH_BASELINE_USER.email,
  role: BENCH_BASELINE_USER.role,
};
