import { createHash, createHmac, pbkdf2Sync, randomBytes, randomInt } from 'node:crypto';
import pg from 'pg';
import type { VaultLog } from './log.js';
import type {
  DatabaseConnection,
  DatabaseEngine,
  DatabaseStaticRole,
  SecretEngine,
  VaultStore,
} from './store.js';

/** The PostgreSQL plugin's default, for a static role and for the root alike. */
export const DEFAULT_ROTATION_STATEMENT = `ALTER ROLE "{{username}}" WITH PASSWORD '{{password}}';`;

/** Vault retries a failed scheduled rotation after 10 s (path_rotate_credentials.go). */
const RETRY_AFTER_MS = 10_000;
/** A rotation that cannot reach PostgreSQL fails rather than holding its request forever. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Vault's default password policy for database credentials: 20 characters from
 * `[a-zA-Z0-9-]` with at least one lowercase letter, one uppercase letter, one digit and one
 * dash. Each character is drawn uniformly from a CSPRNG; a draw that misses a class is thrown
 * away and drawn again, as Vault's generator does.
 */
const PASSWORD_LENGTH = 20;
const PASSWORD_CLASSES = [
  'abcdefghijklmnopqrstuvwxyz',
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  '0123456789',
  '-',
] as const;
const PASSWORD_CHARSET = PASSWORD_CLASSES.join('');

export function generateDatabasePassword(): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < PASSWORD_LENGTH; i++) {
      password += PASSWORD_CHARSET[randomInt(PASSWORD_CHARSET.length)];
    }
    if (PASSWORD_CLASSES.every((chars) => [...password].some((c) => chars.includes(c)))) {
      return password;
    }
  }
}

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 and 7677, in
 * PostgreSQL's `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` form), built as
 * PostgreSQL's own `pg_be_scram_build_secret` builds it, from Node's PBKDF2, HMAC and SHA-256.
 * With `password_authentication: scram-sha-256` Vault sends this instead of the password, so
 * the plaintext never reaches the server's statement log. Passwords here are ASCII, which
 * SASLprep leaves unchanged.
 */
export function scramSha256Verifier(password: string, salt = randomBytes(16)): string {
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** `connection_url` with its `{{username}}`/`{{name}}`/`{{password}}` filled in, URL-escaped as Vault does. */
export function connectionString(connection: DatabaseConnection): string {
  const user = encodeURIComponent(connection.username);
  return connection.connectionUrl
    .replaceAll('{{username}}', user)
    .replaceAll('{{name}}', user)
    .replaceAll('{{password}}', encodeURIComponent(connection.password));
}

/** An error from PostgreSQL, with any password in it replaced, as Vault's sanitizer does. */
export class DatabaseEngineError extends Error {
  override name = 'DatabaseEngineError';
}

function sanitized(error: unknown, secrets: readonly string[]): DatabaseEngineError {
  let message = error instanceof Error ? error.message : String(error);
  for (const secret of secrets) if (secret) message = message.replaceAll(secret, '[password]');
  return new DatabaseEngineError(message);
}

async function withAdmin<T>(
  connection: DatabaseConnection,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({
    connectionString: connectionString(connection),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
  });
  // A connection dropped by the server must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw sanitized(error, [connection.password]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `verify_connection`: logs in with the connection's root credentials. */
export function verifyConnection(connection: DatabaseConnection): Promise<void> {
  return withAdmin(connection, async (client) => {
    await client.query('SELECT 1');
  });
}

/**
 * Sets `username`'s password to `password` with `statements` (the plugin's default when
 * empty), in one transaction. As in the PostgreSQL plugin, each statement is split on `;`
 * and its `{{name}}`, `{{username}}` and `{{password}}` are replaced as they are.
 */
export async function changePassword(
  connection: DatabaseConnection,
  username: string,
  password: string,
  statements: readonly string[],
): Promise<void> {
  const values: Record<string, string> = {
    name: username,
    username,
    password:
      connection.passwordAuthentication === 'scram-sha-256'
        ? scramSha256Verifier(password)
        : password,
  };
  const queries = (statements.length > 0 ? statements : [DEFAULT_ROTATION_STATEMENT])
    .flatMap((statement) => statement.split(';'))
    .map((query) => query.trim())
    .filter(Boolean)
    .map((query) =>
      Object.entries(values).reduce(
        (text, [key, value]) => text.replaceAll(`{{${key}}}`, value),
        query,
      ),
    );
  try {
    await withAdmin(connection, async (client) => {
      await client.query('BEGIN');
      try {
        for (const query of queries) await client.query(query);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  } catch (error) {
    throw sanitized(error, [connection.password, password, values['password']!]);
  }
}

/** Whether `role` may use `connection` (`allowed_roles`: names, globs with `*`, or `*`). */
export function roleAllowed(connection: DatabaseConnection, role: string): boolean {
  return connection.allowedRoles.some((allowed) => {
    if (allowed === '*') return true;
    if (!allowed.includes('*')) return allowed === role;
    const pattern = allowed
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${pattern}$`).test(role);
  });
}

/** Seconds until the role's next rotation, never negative (Vault's CredentialTTL). */
export function credentialTtl(role: DatabaseStaticRole, now: number): number {
  return Math.max(
    0,
    Math.round((role.lastVaultRotation + role.rotationPeriod * 1000 - now) / 1000),
  );
}

/**
 * Rotates each static role's password when its `rotation_period` has passed since its last
 * rotation, like Vault's rotation queue; a rotation that fails is tried again after 10 s.
 * Rotations of one role never overlap (a scheduled one and a `rotate-role` run one after
 * the other). Timers are unref'd and cleared by `close()`.
 */
export class DatabaseRotations {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: VaultStore,
    private readonly now: () => number,
    private readonly log: VaultLog,
    /** A sealed Vault rotates nothing; a rotation that falls due then waits for the unseal. */
    private readonly sealed: () => boolean = () => false,
  ) {}

  /** Schedules every static role of every database mount (at start, from the saved state). */
  start(): void {
    for (const engine of Object.values(this.store.state.secretEngines)) {
      if (engine.type !== 'database') continue;
      for (const [name, role] of Object.entries(engine.staticRoles))
        this.schedule(engine, name, role);
    }
  }

  /**
   * Sets a new password for `role` in PostgreSQL, then records it. Until the statements have
   * run, reads of `static-creds` still return the old one, as in Vault.
   */
  rotate(engine: DatabaseEngine, name: string, role: DatabaseStaticRole): Promise<void> {
    const key = this.key(engine, name);
    const previous = this.running.get(key) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const connection = engine.connections[role.dbName];
        if (!connection) {
          throw new DatabaseEngineError(
            `failed to find entry for connection with name: "${role.dbName}"`,
          );
        }
        if (!roleAllowed(connection, name)) {
          throw new DatabaseEngineError(`"${name}" is not an allowed role`);
        }
        const password = generateDatabasePassword();
        try {
          await changePassword(connection, role.username, password, role.rotationStatements);
        } catch (error) {
          throw new DatabaseEngineError(
            `error setting credentials: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        role.password = password;
        role.lastVaultRotation = this.now();
      });
    this.running.set(key, next);
    void next
      .finally(() => {
        if (this.running.get(key) === next) this.running.delete(key);
      })
      .catch(() => undefined);
    return next;
  }

  /** The next rotation of `role`, at its last rotation plus its period (at once when overdue). */
  schedule(engine: DatabaseEngine, name: string, role: DatabaseStaticRole, delayMs?: number): void {
    if (this.closed) return;
    this.unschedule(engine, name);
    const due = role.lastVaultRotation + role.rotationPeriod * 1000;
    const delay = delayMs ?? Math.max(0, due - this.now());
    // setTimeout holds at most ~24.8 days; a longer period is re-checked then.
    const timer = setTimeout(() => void this.scheduled(engine, name), Math.min(delay, 2 ** 31 - 1));
    timer.unref();
    this.timers.set(this.key(engine, name), timer);
  }

  unschedule(engine: DatabaseEngine, name: string): void {
    const key = this.key(engine, name);
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private async scheduled(engine: DatabaseEngine, name: string): Promise<void> {
    this.timers.delete(this.key(engine, name));
    const role = engine.staticRoles[name];
    if (!role || this.closed) return;
    if (this.sealed()) {
      this.schedule(engine, name, role, 5_000);
      return;
    }
    if (role.lastVaultRotation + role.rotationPeriod * 1000 > this.now()) {
      this.schedule(engine, name, role);
      return;
    }
    try {
      await this.rotate(engine, name, role);
      if (engine.staticRoles[name] !== role) return;
      this.store.save(this.now());
      this.log({
        level: 'info',
        event: 'database.static-role.rotated',
        msg: `rotated the password of static role ${name}`,
        role: name,
      });
      this.schedule(engine, name, role);
    } catch (error) {
      this.log({
        level: 'warn',
        event: 'database.static-role.rotation-failed',
        msg: `rotating static role ${name} failed; retrying in 10 s: ${String(error)}`,
        role: name,
      });
      if (engine.staticRoles[name] === role) this.schedule(engine, name, role, RETRY_AFTER_MS);
    }
  }

  private key(engine: DatabaseEngine, name: string): string {
    return `${engine.uuid}/${name}`;
  }
}

export function isDatabaseEngine(engine: SecretEngine): engine is DatabaseEngine {
  return engine.type === 'database';
}
