import { randomBytes } from 'node:crypto';
import { newToken, sha256 } from '../tokens.js';
import { badRequest, type VaultReply } from '../vault-response.js';
import type { DevServerContext, Route } from './route.js';

/** Vault's barrier key length, which is what a single share is (no Shamir split of one). */
const UNSEAL_KEY_BYTES = 32;

/**
 * An `int` field of Vault's `InitRequest`, decoded as Go's encoding/json does: absent or null
 * is 0, anything but an integer is refused.
 */
function intField(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  const goType = typeof value === 'number' ? `number ${value}` : jsonType(value);
  throw badRequest(
    `failed to parse JSON input: json: cannot unmarshal ${goType} into Go struct field ` +
      `InitRequest.${field} of type int`,
  );
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function listLength(body: Record<string, unknown>, field: string): number {
  const value = body[field];
  return Array.isArray(value) ? value.length : 0;
}

/**
 * Vault's checks, in Vault's order and words: http/sys_init.go's `validateInitParameters`
 * (a Shamir seal takes no recovery parameters), then `SealConfig.Validate` (wrapped in
 * "invalid seal configuration: "), then `ErrAlreadyInit`.
 */
function assertVaultAccepts(context: DevServerContext, body: Record<string, unknown>): void {
  if (
    intField(body, 'recovery_shares') !== 0 ||
    intField(body, 'recovery_threshold') !== 0 ||
    listLength(body, 'recovery_pgp_keys') !== 0
  ) {
    throw badRequest('parameters specific to auto unseal seals present');
  }
  const shares = intField(body, 'secret_shares');
  const threshold = intField(body, 'secret_threshold');
  const storedShares = intField(body, 'stored_shares');
  const pgpKeys = listLength(body, 'pgp_keys');
  const invalid = (reason: string) => badRequest(`invalid seal configuration: ${reason}`);
  if (shares < 1) throw invalid('shares must be at least one');
  if (threshold < 1) throw invalid('threshold must be at least one');
  if (shares > 1 && threshold === 1) {
    throw invalid('threshold must be greater than one for multiple shares');
  }
  if (shares > 255) throw invalid('shares must be less than 256');
  if (threshold > 255) throw invalid('threshold must be less than 256');
  if (threshold > shares) throw invalid('threshold cannot be larger than shares');
  if (storedShares > 1) throw invalid('stored keys cannot be larger than 1');
  if (pgpKeys > 0 && pgpKeys !== shares) {
    throw invalid('count mismatch between number of provided PGP keys and number of shares');
  }
  if (context.seal.initialized) throw badRequest('Vault is already initialized');
}

/**
 * What Vault accepts but the stand-in cannot do: it keeps one key share (no Shamir split) and
 * encrypts nothing to PGP keys. Refused, never silently turned into something else.
 */
function assertDevServerCan(body: Record<string, unknown>): void {
  if (intField(body, 'secret_shares') !== 1) {
    throw badRequest(
      'vault-dev-server initialises a single key share only ' +
        '({"secret_shares":1,"secret_threshold":1})',
    );
  }
  const rootTokenPgpKey = body['root_token_pgp_key'];
  if (
    listLength(body, 'pgp_keys') > 0 ||
    (typeof rootTokenPgpKey === 'string' && rootTokenPgpKey)
  ) {
    throw badRequest('vault-dev-server does not encrypt init results to PGP keys');
  }
}

/**
 * `PUT|POST sys/init`: makes the one unseal key share and the root token, hands both out this
 * once (only their hashes are kept), and leaves the Vault initialised and sealed, as a Shamir
 * Vault is after `vault operator init`.
 */
function initialize(context: DevServerContext, body: Record<string, unknown>): VaultReply {
  assertVaultAccepts(context, body);
  assertDevServerCan(body);
  const key = randomBytes(UNSEAL_KEY_BYTES);
  const rootToken = newToken();
  context.store.state.init = {
    rootTokenHash: sha256(rootToken),
    unsealKeyHash: context.seal.initialize(key),
    initTime: context.now(),
  };
  context.log({
    level: 'warn',
    event: 'vault.initialized',
    msg: 'initialised with one key share; sealed until sys/unseal',
  });
  return {
    status: 200,
    body: {
      keys: [key.toString('hex')],
      keys_base64: [key.toString('base64')],
      root_token: rootToken,
    },
  };
}

/** `sys/init`: unauthenticated and answered while sealed, as Vault's raw init handler is. */
export function initRoute(context: DevServerContext): Route {
  return {
    unauthenticated: true,
    read: () => ({ status: 200, body: { initialized: context.seal.initialized } }),
    write: ({ body }) => initialize(context, body),
  };
}
