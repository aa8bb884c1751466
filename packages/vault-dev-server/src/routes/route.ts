import type { AuditBroker } from '../audit.js';
import type { DatabaseRotations } from '../database-engine.js';
import type { VaultLog } from '../log.js';
import type { PolicyBook } from '../policies.js';
import type { DevSeal } from '../seal.js';
import type { Dict, TokenEntry, VaultStore } from '../store.js';
import type { VaultReply } from '../vault-response.js';

/** What every route handler may use: the state, the policies, the clock and the log. */
export interface DevServerContext {
  store: VaultStore;
  policies: PolicyBook;
  /** Epoch ms; injectable so token and secret-ID lifetimes are tested without sleeping. */
  now(): number;
  log: VaultLog;
  /** Sealed or uninitialised: every path but `SEALED_PATHS` answers 503, as Vault does. */
  seal: DevSeal;
  /** The enabled audit devices (`sys/audit`), which record every request and response. */
  audit: AuditBroker;
  /** The database engine's rotation schedule: every static role's next password change. */
  databases: DatabaseRotations;
}

export interface VaultRequest {
  /** The path after `/v1/`, decoded, without the query string. */
  path: string;
  query: URLSearchParams;
  body: Dict<unknown>;
  /** The caller's token; absent on unauthenticated routes (health, login). */
  token?: { id: string; entry: TokenEntry };
}

/** Most handlers answer at once; the PKI engine's wait on key generation and signing. */
export type Handler = (request: VaultRequest) => VaultReply | Promise<VaultReply>;

/**
 * One API path. Vault maps HTTP methods to operations: GET → read, LIST or GET `?list=true`
 * → list, POST/PUT → write, DELETE → delete. A write needs the `create` capability when
 * `exists()` says the target is new and `update` otherwise; routes with no `exists` always
 * need `update`, as in Vault.
 */
export interface Route {
  unauthenticated?: boolean;
  /** Root-protected: the token needs `sudo` on the path as well (Vault's root paths). */
  sudo?: boolean;
  exists?: () => boolean;
  read?: Handler;
  list?: Handler;
  write?: Handler;
  delete?: Handler;
}
