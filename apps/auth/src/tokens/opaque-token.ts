import { createHash, randomBytes } from 'node:crypto';

/** A recognisable prefix lets secret scanners and humans spot a leaked Citadel token. */
export const ACCESS_TOKEN_PREFIX = 'cit_at_';
const TOKEN_SHAPE = /^cit_at_[A-Za-z0-9_-]{43}$/;

/** 256 bits from the CSPRNG: unguessable, and it carries no claims to tamper with. */
export function newOpaqueToken(): string {
  return ACCESS_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function isOpaqueTokenShape(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

/** Machine clients' keys: same strength and storage as access tokens, another prefix. */
export const API_KEY_PREFIX = 'cit_ak_';
const API_KEY_SHAPE = /^cit_ak_[A-Za-z0-9_-]{43}$/;

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function isApiKeyShape(token: string): boolean {
  return API_KEY_SHAPE.test(token);
}

/** Only this hash is stored (tokens and API keys): a leaked table cannot be replayed. */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
