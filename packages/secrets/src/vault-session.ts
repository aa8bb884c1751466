import vault from 'node-vault';
import type { AppRoleCredentials } from './approle-credentials.js';
import { secretsError, SecretsError } from './secrets-error.js';

/** The part of a pino logger the session uses. */
export interface SecretsLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface VaultSessionOptions {
  /** `VAULT_ADDR`: a real Vault, or the local development server. */
  addr: string;
  credentials: AppRoleCredentials;
  logger: SecretsLogger;
  /** The KV v2 mount Citadel's secrets live in. */
  mount?: string;
  /** PEM of the CA that signed Vault's HTTPS certificate, when it is not publicly trusted. */
  caCert?: string;
  /** How often a watched secret is polled for a new version. */
  watchIntervalMs?: number;
  /** How soon a failed renewal or watch is retried while Vault is unreachable. */
  retryMs?: number;
  requestTimeoutMs?: number;
}

/** One version of a KV v2 secret. */
export interface Secret<T> {
  data: T;
  version: number;
}

type Client = ReturnType<typeof vault>;

/**
 * A service's authenticated session with Vault: AppRole login, KV v2 reads, a token kept
 * alive by renewal (and by a fresh login when renewal can no longer extend it), and
 * watches that hand a new version of a secret to the service without a restart.
 *
 * When Vault becomes unreachable the service keeps what it holds: reads that fail are
 * reported to the caller, background work retries, and the outage is logged once, with
 * one more line when Vault answers again.
 */
export class VaultSession {
  private readonly client: Client;
  private readonly mount: string;
  private readonly retryMs: number;
  private readonly watchIntervalMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  private readonly watches = new Set<NodeJS.Timeout>();
  private loginTtlS = 0;
  /** When the current token expires (ms); a read after that logs in again first. */
  private tokenExpiresAt = 0;
  private outage: string | undefined;
  private closed = false;

  private constructor(private readonly options: VaultSessionOptions) {
    this.mount = options.mount ?? 'secret';
    this.retryMs = options.retryMs ?? 1_000;
    this.watchIntervalMs = options.watchIntervalMs ?? 5_000;
    this.client = vault({
      endpoint: options.addr,
      requestOptions: {
        timeout: options.requestTimeoutMs ?? 3_000,
        ...(options.caCert ? { ca: options.caCert } : {}),
      },
    });
    // node-vault falls back to VAULT_TOKEN from the environment; a service's only way in
    // is its own AppRole, so that fallback is cleared.
    this.client.token = '';
  }

  /** Logs in with the service's AppRole; throws a SecretsError (fail closed) if it cannot. */
  static async open(options: VaultSessionOptions): Promise<VaultSession> {
    const session = new VaultSession(options);
    await session.login();
    return session;
  }

  /** Reads the current version of `name` (a path under the KV mount, e.g. `citadel/order/tls`). */
  async read<T>(name: string): Promise<Secret<T>> {
    const path = `${this.mount}/data/${name}`;
    // A busy process may miss its renewal (a long synchronous start, a paused VM): a token
    // known to be expired is replaced before it is used, rather than earning a 403.
    if (Date.now() >= this.tokenExpiresAt - 500) await this.login();
    try {
      const body = (await this.client.read(path)) as {
        data: { data: T; metadata: { version: number } };
      };
      this.reachable();
      return { data: body.data.data, version: body.data.metadata.version };
    } catch (error) {
      const failure = secretsError(path, error);
      if (failure.unreachable) this.unreachable(failure);
      throw failure;
    }
  }

  /**
   * Polls `name` and calls `onChange` with every version newer than `sinceVersion`, so a
   * rotated secret reaches the running service. Returns a function that stops the watch.
   */
  watch<T>(
    name: string,
    sinceVersion: number,
    onChange: (secret: Secret<T>) => void | Promise<void>,
  ): () => void {
    let current = sinceVersion;
    let timer: NodeJS.Timeout;
    const poll = async () => {
      this.watches.delete(timer);
      let delay = this.watchIntervalMs;
      try {
        const secret = await this.read<T>(name);
        if (secret.version > current) {
          current = secret.version;
          await onChange(secret);
        }
      } catch (error) {
        if (error instanceof SecretsError && error.unreachable) delay = this.retryMs;
        else this.options.logger.warn({ event: 'secret.watch-failed', err: String(error) }, name);
      }
      if (!this.closed) schedule(delay);
    };
    const schedule = (delay: number) => {
      timer = setTimeout(() => void poll(), delay);
      timer.unref();
      this.watches.add(timer);
    };
    schedule(this.watchIntervalMs);
    return () => {
      clearTimeout(timer);
      this.watches.delete(timer);
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.renewTimer);
    for (const timer of this.watches) clearTimeout(timer);
    this.watches.clear();
  }

  private async login(): Promise<void> {
    const path = 'auth/approle/login';
    try {
      const body = (await this.client.approleLogin({
        role_id: this.options.credentials.roleId,
        secret_id: this.options.credentials.secretId,
      })) as { auth: { client_token: string; lease_duration: number } };
      this.client.token = body.auth.client_token;
      this.loginTtlS = body.auth.lease_duration;
      this.tokenExpiresAt = Date.now() + body.auth.lease_duration * 1000;
      this.reachable();
      this.options.logger.info(
        { event: 'vault.login', ttl_s: body.auth.lease_duration },
        'logged in to Vault (AppRole)',
      );
      this.scheduleRenewal(body.auth.lease_duration);
    } catch (error) {
      const failure = secretsError(path, error);
      if (failure.unreachable) this.unreachable(failure);
      throw failure;
    }
  }

  /**
   * Renews at two thirds of the token's TTL. When Vault caps the renewal (the role's max
   * TTL is near), the next step is a fresh AppRole login instead of a renewal.
   */
  private scheduleRenewal(ttlS: number, relogin = false): void {
    if (this.closed) return;
    clearTimeout(this.renewTimer);
    const delayMs = Math.max(500, (ttlS * 1000 * 2) / 3);
    this.renewTimer = setTimeout(() => void this.renewOrRelogin(relogin), delayMs);
    this.renewTimer.unref();
  }

  private async renewOrRelogin(relogin: boolean): Promise<void> {
    try {
      if (relogin) return await this.login();
      const body = (await this.client.tokenRenewSelf({})) as { auth: { lease_duration: number } };
      const ttl = body.auth.lease_duration;
      this.tokenExpiresAt = Date.now() + ttl * 1000;
      this.reachable();
      this.options.logger.info({ event: 'vault.token.renewed', ttl_s: ttl }, 'Vault token renewed');
      this.scheduleRenewal(ttl, ttl < this.loginTtlS / 2);
    } catch (error) {
      const failure = secretsError(relogin ? 'auth/approle/login' : 'auth/token/renew-self', error);
      if (failure.unreachable) {
        this.unreachable(failure);
        this.retryLater(relogin);
      } else {
        // The token expired or was revoked (e.g. while Vault was away): log in again.
        this.options.logger.warn(
          { event: 'vault.token.lost', reason: failure.message },
          'Vault token no longer valid; logging in again',
        );
        this.retryLater(true, 0);
      }
    }
  }

  private retryLater(relogin: boolean, delayMs = this.retryMs): void {
    if (this.closed) return;
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renewOrRelogin(relogin), delayMs);
    this.renewTimer.unref();
  }

  private unreachable(failure: SecretsError): void {
    if (this.outage) return;
    this.outage = failure.reason;
    this.options.logger.warn(
      { event: 'vault.unreachable', reason: failure.message },
      'Vault unreachable; serving with the secrets already held',
    );
  }

  private reachable(): void {
    if (!this.outage) return;
    this.outage = undefined;
    this.options.logger.info({ event: 'vault.recovered' }, 'Vault reachable again');
  }
}
