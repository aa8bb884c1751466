import vault from 'node-vault';
import type { AppRoleCredentials } from './approle-credentials.js';
import { Backoff } from './retry-backoff.js';
import { secretsError, SecretsError } from './secrets-error.js';

/** The part of a pino logger the session uses. */
export interface SecretsLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface VaultSessionOptions {
  /** `VAULT_ADDR`: a real Vault, or the local development server. */
  addr: string;
  /**
   * The AppRole credentials, or a function that reads them where they are delivered. A
   * function is called at every login, so credentials delivered anew (after a secret_id was
   * spent or expired) are picked up without a restart. Give this or `kubernetes`, not both.
   */
  credentials?: AppRoleCredentials | (() => AppRoleCredentials);
  /** Log in with Vault's Kubernetes auth method instead of AppRole. */
  kubernetes?: KubernetesLogin;
  logger: SecretsLogger;
  /** The KV v2 mount Citadel's secrets live in. */
  mount?: string;
  /** PEM of the CA that signed Vault's HTTPS certificate, when it is not publicly trusted. */
  caCert?: string;
  /** How often a watched secret is polled for a new version. */
  watchIntervalMs?: number;
  /**
   * Backoff of every retry loop (retry-backoff.ts): the first retry of a failed renewal or
   * login waits up to `retryMs`, each further one up to twice as long, never more than
   * `retryMaxMs`. A failing watch backs off the same way from its own interval.
   */
  retryMs?: number;
  retryMaxMs?: number;
  /** Uniform in [0, 1): the backoff's jitter. Injectable for tests. */
  random?: () => number;
  requestTimeoutMs?: number;
  /**
   * How long `open()` waits, retrying with the same backoff, for a Vault that does not
   * answer or answers 5xx (sealed, standby, starting): after a host reboot every container
   * starts at once and Vault comes back sealed until the unseal loop has run, so a service
   * that gave up at once would crash-loop (and a login that succeeds on a crash-looping
   * service spends a use of its secret_id each time). Bounded, so a Vault that never comes
   * back still fails the start closed. A refusal (4xx) is never waited on. Default 30 s.
   */
  startWaitMs?: number;
}

/**
 * A pod's login with Vault's Kubernetes auth method: its projected service-account token,
 * presented to `auth/<mount>/login` for `role`. `jwt` is called at every login, because
 * kubelet rotates the token file well before the token expires.
 */
export interface KubernetesLogin {
  role: string;
  jwt: () => string;
  /** Where the method is mounted (default `kubernetes`). */
  mount?: string;
}

/** One version of a KV v2 secret. */
export interface Secret<T> {
  data: T;
  version: number;
}

type Client = ReturnType<typeof vault>;

/** Why background work is failing, logged once per change rather than once per attempt. */
type Trouble = 'unreachable' | 'refused';

/**
 * What the operator must do when Vault refuses (4xx) rather than fails: retrying cannot
 * fix a refusal, so the log line says who can.
 */
function refusalRemedy(failure: SecretsError, loginPath: string): string {
  const kubernetes = !loginPath.startsWith('auth/approle/');
  if (failure.path === loginPath && failure.status === 400 && !kubernetes) {
    return 'secret_id refused (spent, expired or revoked): deliver new AppRole credentials (run the Vault bootstrap, or restart the service through the launcher)';
  }
  if (failure.path === loginPath && kubernetes) {
    return "Kubernetes login refused: check the pod's ServiceAccount, the projected token's audience, and the Vault role bound to them";
  }
  if (failure.status === 403) {
    return "permission denied: check this service's AppRole and its policy in Vault";
  }
  return 'check VAULT_ADDR and that the Vault bootstrap has run';
}

/**
 * A service's authenticated session with Vault: AppRole or Kubernetes login, KV v2 reads, a token kept
 * alive by renewal (and by a fresh login when renewal can no longer extend it), and
 * watches that hand a new version of a secret to the service without a restart.
 *
 * When Vault becomes unreachable, or refuses the service's credentials, the service keeps
 * what it holds: reads that fail are reported to the caller, background work retries with
 * capped, jittered exponential backoff (never in a loop), and the trouble is logged once,
 * with one more line when Vault lets the service in again.
 */
export class VaultSession {
  private readonly client: Client;
  private readonly mount: string;
  private readonly watchIntervalMs: number;
  private renewTimer: NodeJS.Timeout | undefined;
  /** The renewal loop's consecutive failures (renewals and logins alike). */
  private readonly renewalBackoff: Backoff;
  private readonly watches = new Set<NodeJS.Timeout>();
  private loginTtlS = 0;
  /** When the current token expires (ms); a read after that logs in again first. */
  private tokenExpiresAt = 0;
  private trouble: Trouble | undefined;
  /** Good answers from Vault so far: tells a stale failure from a new one. */
  private answers = 0;
  /** The credentials of the last login, kept if a later reading of them fails. */
  private credentials: AppRoleCredentials | undefined;
  /** The service-account token of the last Kubernetes login, likewise. */
  private jwt: string | undefined;
  private opened = false;
  private closed = false;
  /** `auth/approle/login` or `auth/<kubernetes mount>/login`. */
  private readonly loginPath: string;

  private constructor(private readonly options: VaultSessionOptions) {
    this.mount = options.mount ?? 'secret';
    this.watchIntervalMs = options.watchIntervalMs ?? 5_000;
    this.renewalBackoff = this.backoff(options.retryMs ?? 1_000);
    if (Boolean(options.credentials) === Boolean(options.kubernetes)) {
      throw new Error('VaultSession: give either AppRole credentials or a Kubernetes login');
    }
    this.loginPath = options.kubernetes
      ? `auth/${options.kubernetes.mount ?? 'kubernetes'}/login`
      : 'auth/approle/login';
    this.client = vault({
      endpoint: options.addr,
      requestOptions: {
        timeout: options.requestTimeoutMs ?? 3_000,
        ...(options.caCert ? { ca: options.caCert } : {}),
      },
    });
    // node-vault falls back to VAULT_TOKEN from the environment; a service's only way in
    // is its own login, so that fallback is cleared.
    this.client.token = '';
  }

  /**
   * Logs in (AppRole or Kubernetes); throws a SecretsError (fail closed) if it cannot:
   * at once when Vault refuses, after `startWaitMs` when Vault is away or sealed.
   */
  static async open(options: VaultSessionOptions): Promise<VaultSession> {
    const session = new VaultSession(options);
    await session.loginAtStart(options.startWaitMs ?? 30_000);
    session.opened = true;
    return session;
  }

  /** Reads the current version of `name` (a path under the KV mount, e.g. `citadel/order/tls`). */
  async read<T>(name: string): Promise<Secret<T>> {
    const path = `${this.mount}/data/${name}`;
    // A busy process may miss its renewal (a long synchronous start, a paused VM): a token
    // known to be expired is replaced before it is used, rather than earning a 403.
    if (Date.now() >= this.tokenExpiresAt - 500) await this.login();
    const sent = this.answers;
    try {
      const body = (await this.client.read(path)) as {
        data: { data: T; metadata: { version: number } };
      };
      this.recovered();
      return { data: body.data.data, version: body.data.metadata.version };
    } catch (error) {
      const failure = secretsError(path, error);
      if (failure.unreachable) this.troubled('unreachable', failure, sent);
      throw failure;
    }
  }

  /**
   * Reads a path outside the KV mount (e.g. `database/static-creds/order`) and returns the
   * response's `data`, with the same token care as {@link read}.
   */
  async readPath<T>(path: string): Promise<T> {
    if (Date.now() >= this.tokenExpiresAt - 500) await this.login();
    const sent = this.answers;
    try {
      const body = (await this.client.read(path)) as { data: T };
      this.recovered();
      return body.data;
    } catch (error) {
      const failure = secretsError(path, error);
      if (failure.unreachable) this.troubled('unreachable', failure, sent);
      throw failure;
    }
  }

  /**
   * Writes to any Vault path (not a KV secret) and returns the response's `data`, e.g.
   * `pki/issue/<role>`, which issues a certificate on each call.
   */
  async write<T>(path: string, body: object): Promise<T> {
    if (Date.now() >= this.tokenExpiresAt - 500) await this.login();
    const sent = this.answers;
    try {
      const response = (await this.client.write(path, body)) as { data: T };
      this.recovered();
      return response.data;
    } catch (error) {
      const failure = secretsError(path, error);
      if (failure.unreachable) this.troubled('unreachable', failure, sent);
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
    // A failing watch polls less and less often, from its own interval up to the cap.
    const backoff = this.backoff(this.watchIntervalMs);
    let failing = false;
    const poll = async () => {
      this.watches.delete(timer);
      let delay = this.watchIntervalMs;
      try {
        const secret = await this.read<T>(name);
        failing = false;
        backoff.reset();
        if (secret.version > current) {
          current = secret.version;
          await onChange(secret);
        }
      } catch (error) {
        delay = Math.max(this.watchIntervalMs, backoff.next());
        // Vault being away, or refusing the login, is the session's to log (once).
        const sessionLogged =
          error instanceof SecretsError && (error.unreachable || error.path === this.loginPath);
        if (!failing && !sessionLogged) {
          this.options.logger.warn({ event: 'secret.watch-failed', err: String(error) }, name);
        }
        failing = true;
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

  private backoff(baseMs: number): Backoff {
    return new Backoff({
      baseMs,
      capMs: Math.max(baseMs, this.options.retryMaxMs ?? 60_000),
      ...(this.options.random && { random: this.options.random }),
    });
  }

  /**
   * The first login, retried with backoff while Vault is unreachable or sealed, until
   * `waitMs` has passed; logged once when the wait starts, not once per attempt.
   */
  private async loginAtStart(waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    const backoff = this.backoff(this.options.retryMs ?? 1_000);
    let waiting = false;
    for (;;) {
      try {
        await this.login();
        return;
      } catch (error) {
        // Only Vault's absence is waited on: a refusal, or no credentials to send, is final.
        const left = deadline - Date.now();
        if (!(error instanceof SecretsError) || !error.unreachable || left <= 0) throw error;
        const failure = error;
        if (!waiting) {
          waiting = true;
          this.options.logger.warn(
            { event: 'vault.waiting', reason: failure.message, wait_s: Math.ceil(waitMs / 1000) },
            `Vault unreachable or sealed at start; waiting for it (at most ${Math.ceil(waitMs / 1000)} s)`,
          );
        }
        // At least a few ms, so a pinned jitter of 0 cannot spin.
        const delay = Math.min(left, Math.max(10, backoff.next()));
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * The login call, with what it sends read now: missing credentials or a missing token file
   * fail here (the start fails closed), not as a refusal from Vault.
   */
  private loginRequest(): () => Promise<unknown> {
    const { kubernetes } = this.options;
    if (kubernetes) {
      const jwt = this.currentJwt(kubernetes);
      // mount_point always: node-vault 0.12 renders its default (`{{kubernetesPath}}`) from
      // the call's arguments, not from the client, so without it the path is `auth//login`.
      return () =>
        this.client.kubernetesLogin({
          role: kubernetes.role,
          jwt,
          mount_point: kubernetes.mount ?? 'kubernetes',
        });
    }
    const { roleId, secretId } = this.currentCredentials();
    return () => this.client.approleLogin({ role_id: roleId, secret_id: secretId });
  }

  /** The projected token, read anew at each login: kubelet rotates the file. */
  private currentJwt(kubernetes: KubernetesLogin): string {
    try {
      this.jwt = kubernetes.jwt();
    } catch (error) {
      // None at start: fail closed. Unreadable later: the last one read may still be valid.
      if (!this.jwt) throw error;
    }
    return this.jwt;
  }

  /** The credentials to log in with: read anew each time when a reader was given. */
  private currentCredentials(): AppRoleCredentials {
    const credentials = this.options.credentials!;
    if (typeof credentials !== 'function') return credentials;
    try {
      this.credentials = credentials();
    } catch (error) {
      // None at start: fail closed. Gone later: the ones that last logged in are all we have.
      if (!this.credentials) throw error;
    }
    return this.credentials!;
  }

  /**
   * Logs in. A failure is thrown to the caller: `open()` fails closed with
   * it, and the renewal loop retries it with backoff. Before a login is tried, nothing is
   * logged here: a refusal is logged once (with its remedy), not once per attempt.
   */
  private async login(): Promise<void> {
    const { kubernetes } = this.options;
    const request = this.loginRequest();
    const sent = this.answers;
    try {
      const body = (await request()) as {
        auth: { client_token: string; lease_duration: number };
      };
      this.client.token = body.auth.client_token;
      this.loginTtlS = body.auth.lease_duration;
      this.tokenExpiresAt = Date.now() + body.auth.lease_duration * 1000;
      this.recovered();
      this.options.logger.info(
        { event: 'vault.login', ttl_s: body.auth.lease_duration },
        `logged in to Vault (${kubernetes ? 'Kubernetes' : 'AppRole'})`,
      );
      this.scheduleRenewal(body.auth.lease_duration);
    } catch (error) {
      const failure = secretsError(this.loginPath, error);
      // At start, a refusal is the caller's to report (the service does not start), and
      // waiting for Vault is loginAtStart's.
      if (!this.opened) throw failure;
      this.troubled(failure.unreachable ? 'unreachable' : 'refused', failure, sent);
      throw failure;
    }
  }

  /**
   * Renews at two thirds of the token's TTL. When Vault caps the renewal (the role's max
   * TTL is near), the next step is a fresh login instead of a renewal.
   */
  private scheduleRenewal(ttlS: number, relogin = false): void {
    if (this.closed) return;
    clearTimeout(this.renewTimer);
    const delayMs = Math.max(500, (ttlS * 1000 * 2) / 3);
    this.renewTimer = setTimeout(() => void this.renewOrRelogin(relogin), delayMs);
    this.renewTimer.unref();
  }

  /**
   * One step of the renewal loop. Every failure is retried after a backoff delay, except
   * one: a renewal Vault refuses (the token expired while Vault was away, or was revoked)
   * is followed at once by a login, which is the next step, not a retry. A login that fails
   * (Vault away, or the secret_id refused) is retried with backoff, so nothing loops.
   */
  private async renewOrRelogin(relogin: boolean): Promise<void> {
    const sent = this.answers;
    try {
      if (relogin) {
        await this.login();
        this.renewalBackoff.reset();
        return;
      }
      const body = (await this.client.tokenRenewSelf({})) as { auth: { lease_duration: number } };
      const ttl = body.auth.lease_duration;
      this.tokenExpiresAt = Date.now() + ttl * 1000;
      this.renewalBackoff.reset();
      this.recovered();
      this.options.logger.info({ event: 'vault.token.renewed', ttl_s: ttl }, 'Vault token renewed');
      this.scheduleRenewal(ttl, ttl < this.loginTtlS / 2);
    } catch (error) {
      // A failed login was logged by login() itself.
      const failure = relogin ? undefined : secretsError('auth/token/renew-self', error);
      if (!failure || failure.unreachable) {
        if (failure) this.troubled('unreachable', failure, sent);
        this.retryLater(relogin, this.renewalBackoff.next());
      } else {
        this.options.logger.warn(
          { event: 'vault.token.lost', reason: failure.message },
          'Vault token no longer valid; logging in again',
        );
        this.retryLater(true, 0);
      }
    }
  }

  private retryLater(relogin: boolean, delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renewOrRelogin(relogin), delayMs);
    this.renewTimer.unref();
  }

  /**
   * Logs the trouble once, when it starts or changes kind; not once per retry. `sent` is
   * the count of good answers when the failed call was sent: if Vault has answered another
   * call since, this failure is older than the recovery and changes nothing.
   */
  private troubled(kind: Trouble, failure: SecretsError, sent: number): void {
    if (this.trouble === kind || sent !== this.answers) return;
    this.trouble = kind;
    if (kind === 'unreachable') {
      this.options.logger.warn(
        { event: 'vault.unreachable', reason: failure.message },
        'Vault unreachable; serving with the secrets already held',
      );
      return;
    }
    const remedy = refusalRemedy(failure, this.loginPath);
    this.options.logger.warn(
      { event: 'vault.login-refused', status: failure.status, reason: failure.message, remedy },
      `Vault refused this service's login (HTTP ${failure.status}); serving with the secrets already held; retrying with backoff. ${remedy}`,
    );
  }

  private recovered(): void {
    this.answers++;
    if (!this.trouble) return;
    this.trouble = undefined;
    this.options.logger.info({ event: 'vault.recovered' }, 'Vault reachable again');
  }
}
