import { formatDuration } from '../durations.js';
import type { TokenEntry } from '../store.js';
import { remainingTtl, sha256 } from '../tokens.js';
import { badRequest, noContent, ok } from '../vault-response.js';
import { durationField } from './fields.js';
import type { DevServerContext, Route } from './route.js';

/** The `auth` block of a login or renewal response. */
export function authBlock(token: string, entry: TokenEntry, leaseDuration: number) {
  return {
    client_token: token,
    accessor: entry.accessor,
    policies: entry.policies,
    token_policies: entry.policies,
    metadata: entry.meta,
    lease_duration: leaseDuration,
    renewable: entry.renewable,
    entity_id: '',
    token_type: 'service',
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  };
}

const iso = (epochMs: number) => new Date(epochMs).toISOString();

function lookupSelf(context: DevServerContext): Route {
  return {
    read: ({ token }) => {
      const { id, entry } = token!;
      return ok({
        data: {
          accessor: entry.accessor,
          creation_time: Math.floor(entry.creationTime / 1000),
          creation_ttl: entry.creationTtl,
          display_name: entry.displayName,
          entity_id: '',
          expire_time: entry.expireTime === null ? null : iso(entry.expireTime),
          explicit_max_ttl: 0,
          id,
          issue_time: iso(entry.creationTime),
          meta: entry.meta,
          num_uses: 0,
          orphan: true,
          path: entry.path,
          ...(entry.period && { period: entry.period }),
          policies: entry.policies,
          renewable: entry.renewable,
          ttl: remainingTtl(entry, context.now()),
          type: 'service',
        },
      });
    },
  };
}

/**
 * Extends the caller's token by `increment` (default: the TTL it was issued with), counted
 * from now. The role's token_max_ttl caps the token's whole life, so once the cap is near
 * the lease is what remains of it and Vault adds a warning; the service must log in again.
 * A periodic token has no cap: each renewal gives it its period again, whatever the
 * increment asked, as in Vault.
 */
function renewSelf(context: DevServerContext): Route {
  return {
    write: ({ token, body }) => {
      const { id, entry } = token!;
      const now = context.now();
      if (entry.renewable && entry.period) {
        entry.expireTime = now + entry.period * 1000;
        return ok({ auth: authBlock(id, entry, entry.period), warnings: [] });
      }
      if (!entry.renewable || entry.maxExpireTime === null) {
        throw badRequest('lease is not renewable');
      }
      const increment = durationField(body, 'increment') || entry.creationTtl;
      const left = Math.max(0, Math.floor((entry.maxExpireTime - now) / 1000));
      const ttl = Math.min(increment, left);
      const warnings =
        ttl < increment
          ? [
              `TTL of "${formatDuration(increment)}" exceeded the effective max_ttl of ` +
                `"${formatDuration(ttl)}"; TTL value is capped accordingly`,
            ]
          : [];
      entry.expireTime = now + ttl * 1000;
      return ok({ auth: authBlock(id, entry, ttl), warnings });
    },
  };
}

/**
 * Revokes the caller's own token: a holder that is done with it (a probe, a process that
 * stops) ends it at once instead of leaving it live until its TTL runs out.
 */
function revokeSelf(context: DevServerContext): Route {
  return {
    write: ({ token }) => {
      const { id, entry } = token!;
      // The root token is configuration (its file), not a lease: it is not revoked here.
      if (entry.expireTime === null) throw badRequest('cannot revoke the root token');
      delete context.store.state.tokens[sha256(id)];
      context.log({
        level: 'info',
        event: 'token.revoked',
        msg: 'token revoked by its holder',
        accessor: entry.accessor,
      });
      return noContent;
    },
  };
}

/** The token auth method's self-service endpoints; every token may use them via `default`. */
export function tokenRoute(context: DevServerContext, path: string): Route | undefined {
  if (path === 'auth/token/lookup-self') return lookupSelf(context);
  if (path === 'auth/token/renew-self') return renewSelf(context);
  if (path === 'auth/token/revoke-self') return revokeSelf(context);
  return undefined;
}
