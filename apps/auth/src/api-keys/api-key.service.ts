import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AuditLog } from '@citadel/audit';
import { can, isPermission, UNSCOPABLE } from '@citadel/auth';
import type { ApiKey } from '@citadel/contracts';
import type { UserContext } from '@citadel/transport';
import { hashOpaqueToken, newApiKey } from '../tokens/opaque-token.js';
import type { AuthDatabase } from '../users/auth.migrations.js';
import { ApiKeyNotFound, InvalidApiKeyRequest, TooManyApiKeys } from './api-key.errors.js';
import { ApiKeyStore, type StoredApiKey } from './api-key.store.js';

const MAX_KEYS_PER_USER = 20;
const DEFAULT_TTL_DAYS = 90;

/**
 * API keys for machine clients: a secret shown once, stored as a hash, limited
 * to scopes its owner's role grants, revocable at once. The key is exchanged for internal
 * JWTs exactly like an access token (see TokenService.exchange).
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly audit: AuditLog,
  ) {}

  async create(
    owner: UserContext,
    request: { name: string; scopes: string[]; ttlDays: number },
    traceId?: string,
  ): Promise<{ key: ApiKey; secret: string }> {
    const scopes = [...new Set(request.scopes)];
    if (scopes.length === 0)
      throw new InvalidApiKeyRequest('scopes: at least one permission is required');
    for (const scope of scopes) {
      if (!isPermission(scope))
        throw new InvalidApiKeyRequest(`scopes: unknown permission ${scope}`);
      if (UNSCOPABLE.includes(scope))
        throw new InvalidApiKeyRequest(`scopes: ${scope} cannot be delegated`);
      if (!can(owner.role, scope)) {
        throw new InvalidApiKeyRequest(`scopes: your role does not grant ${scope}`);
      }
    }
    const ttlDays = request.ttlDays === 0 ? DEFAULT_TTL_DAYS : request.ttlDays;
    if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 365) {
      throw new InvalidApiKeyRequest('ttl_days must be 1..365');
    }
    if ((await this.keys.listFor(owner.id)).length >= MAX_KEYS_PER_USER) {
      throw new TooManyApiKeys(MAX_KEYS_PER_USER);
    }
    const secret = newApiKey();
    const now = new Date();
    const key: StoredApiKey = {
      id: randomUUID(),
      userId: owner.id,
      name: request.name,
      scopes,
      prefix: secret.slice(0, 11),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttlDays * 86_400_000),
    };
    // The key and its `api-key.create` record commit together.
    await this.audit.transaction<void, AuthDatabase>(async (trx, record) => {
      await this.keys.within(trx).save({ ...key, hash: hashOpaqueToken(secret) });
      record({
        actor: owner.id,
        action: 'api-key.create',
        target: key.id,
        outcome: 'ok',
        traceId,
        detail: `scopes: ${scopes.join(' ')}`,
      });
    });
    return { key: toApiKey(key), secret };
  }

  async list(owner: UserContext): Promise<ApiKey[]> {
    return (await this.keys.listFor(owner.id)).map(toApiKey);
  }

  /** The deletion and its `api-key.revoke` record commit together; a miss is recorded too. */
  async revoke(owner: UserContext, id: string, traceId?: string): Promise<void> {
    const revoked = await this.audit.transaction<boolean, AuthDatabase>(async (trx, record) => {
      const deleted = await this.keys.within(trx).revoke(owner.id, id);
      record({
        actor: owner.id,
        action: 'api-key.revoke',
        target: id,
        outcome: deleted ? 'ok' : 'failed',
        traceId,
        ...(deleted ? {} : { detail: 'no such key for this owner' }),
      });
      return deleted;
    });
    if (!revoked) throw new ApiKeyNotFound();
  }
}

function toApiKey(key: StoredApiKey): ApiKey {
  return {
    id: key.id,
    name: key.name,
    scopes: key.scopes,
    created_at: key.createdAt.toISOString(),
    expires_at: key.expiresAt.toISOString(),
    prefix: key.prefix,
  };
}
