import { createHash, randomBytes } from 'node:crypto';
import type { Dict, TokenEntry } from './store.js';

/** Vault's default and maximum token lifetime when a role sets none: 768 hours. */
export const SYSTEM_MAX_TTL = 768 * 3600;

/** `hvs.` and 256 random bits: Vault's service-token prefix, unguessable like Vault's own. */
export function newToken(): string {
  return `hvs.${randomBytes(32).toString('base64url')}`;
}

export function newAccessor(): string {
  return randomBytes(18).toString('base64url');
}

/** Tokens and secret IDs are kept only as this hash, so the state file holds no credential. */
export function sha256(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface IssueTokenOptions {
  policies: string[];
  meta: Dict<string> | null;
  displayName: string;
  path: string;
  /** Seconds; capped at `maxTtl`. */
  ttl: number;
  maxTtl: number;
  /**
   * Seconds; a periodic token lives `period` at a time, with no maximum life (the caller
   * caps the period itself at the max TTL, as Vault's CalculateTTL does).
   */
  period?: number;
}

/** Issues a renewable service token and records its hash; returns the token itself once. */
export function issueToken(
  tokens: Dict<TokenEntry>,
  options: IssueTokenOptions,
  now: number,
): { token: string; entry: TokenEntry } {
  const token = newToken();
  const period = options.period ?? 0;
  const ttl = period > 0 ? period : Math.min(options.ttl, options.maxTtl);
  const entry: TokenEntry = {
    accessor: newAccessor(),
    policies: options.policies,
    meta: options.meta,
    displayName: options.displayName,
    path: options.path,
    creationTime: now,
    creationTtl: ttl,
    expireTime: now + ttl * 1000,
    maxExpireTime: period > 0 ? null : now + options.maxTtl * 1000,
    renewable: true,
    ...(period > 0 && { period }),
  };
  tokens[sha256(token)] = entry;
  return { token, entry };
}

/** The root token's entry: all powers, no expiry. It is never written to the state file. */
export function rootTokenEntry(now: number): TokenEntry {
  return {
    accessor: 'root',
    policies: ['root'],
    meta: null,
    displayName: 'root',
    path: 'auth/token/root',
    creationTime: now,
    creationTtl: 0,
    expireTime: null,
    maxExpireTime: null,
    renewable: false,
  };
}

/** Remaining whole seconds of a token's life (0 for one that never expires). */
export function remainingTtl(entry: TokenEntry, now: number): number {
  return entry.expireTime === null ? 0 : Math.max(0, Math.floor((entry.expireTime - now) / 1000));
}
