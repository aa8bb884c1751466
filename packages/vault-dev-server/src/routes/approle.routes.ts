import { randomUUID } from 'node:crypto';
import { dict, type AppRole, type AppRoleMethod } from '../store.js';
import { issueToken, sha256, SYSTEM_MAX_TTL } from '../tokens.js';
import { badRequest, noContent, notFound, ok } from '../vault-response.js';
import {
  countField,
  durationField,
  optionalString,
  policyListField,
  refuseUnsupportedRestrictions,
} from './fields.js';
import type { DevServerContext, Route } from './route.js';
import { authBlock } from './token.routes.js';

/** Vault's wording for every login failure, so a caller cannot tell which half was wrong. */
const INVALID_CREDENTIALS = 'invalid role or secret ID';

const ROLE_RESTRICTIONS = [
  'bound_cidr_list',
  'secret_id_bound_cidrs',
  'token_bound_cidrs',
  'token_explicit_max_ttl',
  'token_no_default_policy',
  'token_num_uses',
];
const SECRET_ID_RESTRICTIONS = ['cidr_list', 'token_bound_cidrs'];

/**
 * A secret ID's own limit, when it asks for one: it may be tighter than its role's, never
 * looser. As in Vault, asking for more (0 is "none", so more than any limit) is a 400, not
 * a silent cap: the caller learns that its credential is not what it asked for.
 */
function secretIdLimit(requested: number | undefined, roleLimit: number, refusal: string): number {
  if (requested === undefined) return roleLimit;
  if (roleLimit > 0 && (requested === 0 || requested > roleLimit)) throw badRequest(refusal);
  return requested;
}

function writeRole(method: AppRoleMethod, name: string): Route {
  return {
    exists: () => method.roles[name] !== undefined,
    write: ({ body }) => {
      refuseUnsupportedRestrictions(body, ROLE_RESTRICTIONS);
      if (body['bind_secret_id'] === false || body['bind_secret_id'] === 'false') {
        throw badRequest('vault-dev-server requires bind_secret_id: every login needs a secret ID');
      }
      const role: AppRole = method.roles[name] ?? {
        roleId: randomUUID(),
        tokenPolicies: [],
        tokenTtl: 0,
        tokenMaxTtl: 0,
        secretIdTtl: 0,
        secretIdNumUses: 0,
        secretIds: dict(),
      };
      // A write changes only the fields it names, as in Vault.
      const updated: AppRole = {
        ...role,
        tokenPolicies:
          policyListField(body, 'token_policies') ??
          policyListField(body, 'policies') ??
          role.tokenPolicies,
        tokenTtl: durationField(body, 'token_ttl') ?? role.tokenTtl,
        tokenMaxTtl: durationField(body, 'token_max_ttl') ?? role.tokenMaxTtl,
        tokenPeriod:
          durationField(body, 'token_period') ?? durationField(body, 'period') ?? role.tokenPeriod,
        secretIdTtl: durationField(body, 'secret_id_ttl') ?? role.secretIdTtl,
        secretIdNumUses: countField(body, 'secret_id_num_uses') ?? role.secretIdNumUses,
      };
      // A leaked secret ID must never be worth a root token.
      if (updated.tokenPolicies.includes('root')) {
        throw badRequest('auth methods cannot create root tokens');
      }
      if (updated.tokenMaxTtl > 0 && updated.tokenTtl > updated.tokenMaxTtl) {
        throw badRequest('"token_ttl" should not be greater than "token_max_ttl"');
      }
      method.roles[name] = updated;
      return noContent;
    },
  };
}

function readRoleId(method: AppRoleMethod, name: string): Route {
  return {
    read: () => {
      const role = method.roles[name];
      if (!role) throw notFound();
      return ok({ data: { role_id: role.roleId } });
    },
  };
}

function generateSecretId(context: DevServerContext, method: AppRoleMethod, name: string): Route {
  return {
    write: ({ body }) => {
      const role = method.roles[name];
      if (!role) throw badRequest(`role "${name}" does not exist`);
      refuseUnsupportedRestrictions(body, SECRET_ID_RESTRICTIONS);
      const ttl = secretIdLimit(
        durationField(body, 'ttl'),
        role.secretIdTtl,
        "ttl cannot be longer than the role's secret_id_ttl",
      );
      const numUses = secretIdLimit(
        countField(body, 'num_uses'),
        role.secretIdNumUses,
        "num_uses cannot be higher than the role's secret_id_num_uses",
      );
      const secretId = randomUUID();
      const accessor = randomUUID();
      const now = context.now();
      role.secretIds[sha256(secretId)] = {
        accessor,
        creationTime: now,
        expireTime: ttl === 0 ? null : now + ttl * 1000,
        usesLeft: numUses === 0 ? null : numUses,
      };
      return ok({
        data: {
          secret_id: secretId,
          secret_id_accessor: accessor,
          secret_id_ttl: ttl,
          secret_id_num_uses: numUses,
        },
      });
    },
  };
}

/**
 * What an admin may learn about a secret ID without using it: its uses left and expiry, so
 * an orchestrator can tell whether a delivered one will still log in (a login to find out
 * would spend a use). An unknown, spent or expired one is no content (204), as in Vault,
 * whose periodic tidy removes expired ones.
 */
function lookupSecretId(context: DevServerContext, method: AppRoleMethod, name: string): Route {
  return {
    write: ({ body }) => {
      const role = method.roles[name];
      if (!role) throw badRequest(`role "${name}" does not exist`);
      const secretId = optionalString(body, 'secret_id');
      if (!secretId) throw badRequest('missing secret_id');
      const entry = role.secretIds[sha256(secretId)];
      if (!entry || (entry.expireTime !== null && entry.expireTime <= context.now())) {
        return noContent;
      }
      const iso = (epochMs: number) => new Date(epochMs).toISOString();
      return ok({
        data: {
          secret_id_accessor: entry.accessor,
          secret_id_num_uses: entry.usesLeft ?? 0,
          secret_id_ttl:
            entry.expireTime === null ? 0 : (entry.expireTime - entry.creationTime) / 1000,
          creation_time: iso(entry.creationTime),
          // Vault's zero time for "never".
          expiration_time:
            entry.expireTime === null ? '0001-01-01T00:00:00Z' : iso(entry.expireTime),
          last_updated_time: iso(entry.creationTime),
          metadata: {},
          cidr_list: [],
          token_bound_cidrs: [],
        },
      });
    },
  };
}

/**
 * Destroys a secret ID, so one that was replaced cannot log in any more. Unknown ones are
 * no content (204) as well, as in Vault.
 */
function destroySecretId(method: AppRoleMethod, name: string): Route {
  return {
    write: ({ body }) => {
      const role = method.roles[name];
      if (!role) throw badRequest(`role "${name}" does not exist`);
      const secretId = optionalString(body, 'secret_id');
      if (!secretId) throw badRequest('missing secret_id');
      delete role.secretIds[sha256(secretId)];
      return noContent;
    },
  };
}

function login(context: DevServerContext, mount: string, method: AppRoleMethod): Route {
  return {
    unauthenticated: true,
    write: ({ body }) => {
      const roleId = optionalString(body, 'role_id');
      if (!roleId) throw badRequest('missing role_id');
      const secretId = optionalString(body, 'secret_id');
      if (!secretId) throw badRequest('missing secret_id');
      const now = context.now();
      const [roleName, role] =
        Object.entries(method.roles).find(([, candidate]) => candidate.roleId === roleId) ?? [];
      const hash = sha256(secretId);
      const secret = role?.secretIds[hash];
      if (
        !roleName ||
        !role ||
        !secret ||
        (secret.expireTime !== null && secret.expireTime <= now)
      ) {
        context.log({
          level: 'warn',
          event: 'approle.login-failed',
          msg: 'AppRole login refused: invalid role or secret ID',
          mount: `auth/${mount}`,
          role_name: roleName ?? null,
        });
        throw badRequest(INVALID_CREDENTIALS);
      }
      if (secret.usesLeft !== null) {
        secret.usesLeft -= 1;
        if (secret.usesLeft <= 0) delete role.secretIds[hash];
      }
      const maxTtl = Math.min(role.tokenMaxTtl || SYSTEM_MAX_TTL, SYSTEM_MAX_TTL);
      const policies = [...new Set(['default', ...role.tokenPolicies])].sort();
      const { token, entry } = issueToken(
        context.store.state.tokens,
        {
          policies,
          meta: Object.assign(dict<string>(), { role_name: roleName }),
          displayName: mount.replace(/\/$/, ''),
          path: `auth/${mount}login`,
          ttl: role.tokenTtl || maxTtl,
          maxTtl,
          // Vault caps the period (not the token's life) at the effective max TTL.
          period: Math.min(role.tokenPeriod ?? 0, maxTtl),
        },
        now,
      );
      return ok({ auth: authBlock(token, entry, entry.creationTtl) });
    },
  };
}

/** The AppRole endpoints Citadel uses, under an AppRole method mounted at `auth/<mount>`. */
export function approleRoute(
  context: DevServerContext,
  mount: string,
  method: AppRoleMethod,
  rest: string,
): Route | undefined {
  if (rest === 'login') return login(context, mount, method);
  const match =
    /^role\/([\w.@-]+)(?:\/(role-id|secret-id|secret-id\/lookup|secret-id\/destroy))?$/.exec(rest);
  if (!match) return undefined;
  const [, name, action] = match as unknown as [string, string, string | undefined];
  if (action === 'role-id') return readRoleId(method, name);
  if (action === 'secret-id') return generateSecretId(context, method, name);
  if (action === 'secret-id/lookup') return lookupSecretId(context, method, name);
  if (action === 'secret-id/destroy') return destroySecretId(method, name);
  return writeRole(method, name);
}
