import type { SecretsLogger } from './vault-session.js';

/**
 * What Vault's database engine answers on `<mount>/static-creds/<role>`: the role's current
 * password and how long until Vault rotates it.
 */
export interface StaticCredentials {
  username: string;
  password: string;
  /** Seconds until the next rotation; 0 when it is due (or under way). */
  ttl: number;
  rotation_period: number;
  last_vault_rotation: string;
}

export interface DatabasePasswordOptions {
  /** Reads the static credentials from Vault (the service's own `static-creds/<service>`). */
  read: () => Promise<StaticCredentials>;
  /** Told each time a new password is taken up, and why (not the password). */
  logger?: Pick<SecretsLogger, 'info'>;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  /**
   * After PostgreSQL refused the password held, how long to keep asking Vault until it
   * answers with a different one: Vault changes the password in PostgreSQL before it
   * stores the new one, so for a moment it still serves the old. Default 5 s.
   */
  settleMs?: number;
  /** The delay between those reads. Default 100 ms. */
  pollMs?: number;
  /** When Vault cannot be read, how long the password held is used before asking again. Default 5 s. */
  retryMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A service's PostgreSQL password from Vault's database secrets engine (a static role,
 * rotated by Vault on a schedule or on request). It is read once at start (fail closed),
 * then held until the credentials' `ttl` says a rotation is due, and read again at once when
 * PostgreSQL refuses it (a rotation Vault made earlier than scheduled). When Vault cannot
 * be reached, the password held keeps being used: connections already open are unaffected
 * by a rotation, and a new one is likelier to log in with it than with nothing.
 *
 * It is the `RotatingPassword` of @citadel/database (structurally: this package does not
 * depend on that one).
 */
export class VaultDatabasePassword {
  private held: { password: string; expiresAt: number };
  private reading: Promise<string> | undefined;
  private generationValue = 0;
  private readonly now: () => number;

  private constructor(
    private readonly options: DatabasePasswordOptions,
    first: StaticCredentials,
  ) {
    this.now = options.now ?? Date.now;
    this.held = this.hold(first, undefined);
  }

  /** Reads the credentials once; throws (the service does not start) when it cannot. */
  static async open(options: DatabasePasswordOptions): Promise<VaultDatabasePassword> {
    return new VaultDatabasePassword(options, await options.read());
  }

  /** Changes each time a different password is held. */
  get generation(): number {
    return this.generationValue;
  }

  /** The password for a new connection: the one held, or a fresh read once its ttl is over. */
  async current(): Promise<string> {
    if (this.now() < this.held.expiresAt) return this.held.password;
    return this.refresh();
  }

  /**
   * PostgreSQL refused a login begun at `generation`. If a newer password arrived since,
   * that one is tried; otherwise Vault is asked at once, until it answers with a password
   * other than the refused one (for at most `settleMs`).
   */
  async refused(generation: number): Promise<void> {
    if (generation !== this.generationValue) return;
    await this.refresh(this.held.password);
  }

  /** One read at a time: concurrent callers share it. */
  private refresh(refused?: string): Promise<string> {
    this.reading ??= this.read(refused).finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(refused: string | undefined): Promise<string> {
    const deadline = this.now() + (this.options.settleMs ?? 5_000);
    for (;;) {
      let credentials: StaticCredentials;
      try {
        credentials = await this.options.read();
      } catch {
        // Vault away (the session logs that once): keep the password held a little longer.
        this.held.expiresAt = this.now() + (this.options.retryMs ?? 5_000);
        return this.held.password;
      }
      if (credentials.password === refused && this.now() < deadline) {
        await sleep(this.options.pollMs ?? 100);
        continue;
      }
      const previous = this.held.password;
      this.held = this.hold(credentials, previous);
      if (credentials.password !== previous) {
        this.options.logger?.info(
          {
            event: 'database.password.rotated',
            reason: refused === undefined ? 'rotation due' : 'refused by PostgreSQL',
            last_vault_rotation: credentials.last_vault_rotation,
          },
          'new database password from Vault, for new connections',
        );
      }
      return this.held.password;
    }
  }

  private hold(
    credentials: StaticCredentials,
    previous: string | undefined,
  ): { password: string; expiresAt: number } {
    if (previous !== credentials.password) this.generationValue++;
    // A ttl of 0 means the rotation is due: hold it for a second only.
    return {
      password: credentials.password,
      expiresAt: this.now() + Math.max(1, credentials.ttl) * 1000,
    };
  }
}
