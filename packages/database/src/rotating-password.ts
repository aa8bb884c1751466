import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * A database password that changes while the service runs: Vault's database secrets engine
 * rotates it (static roles). The pool asks for it at each new connection; connections
 * already open keep working, since PostgreSQL checks a password only at login.
 */
export interface RotatingPassword {
  /** The password for a new connection (the source caches it until a rotation is due). */
  current(): Promise<string>;
  /** Changes each time the source holds a new password. */
  readonly generation: number;
  /**
   * PostgreSQL refused a login (28P01) that began when `generation` was current: resolves
   * once the source holds a newer password (at once if it already does).
   */
  refused(generation: number): Promise<void>;
}

/** SQLSTATE 28P01, invalid_password: the login's password is not (or no longer) the role's. */
export function isInvalidPassword(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '28P01';
}

/**
 * The pool Kysely borrows from, in front of node-postgres's: a new connection that
 * PostgreSQL refuses with 28P01 (the password was rotated after it was read) is opened once
 * more, after the password has been read anew, so a rotation costs the request a little
 * latency instead of an error.
 */
export class RotatingPasswordPool implements PostgresPool {
  constructor(
    private readonly pool: PostgresPool,
    private readonly password: RotatingPassword,
  ) {}

  get options(): object {
    return this.pool.options;
  }

  async connect(): Promise<PostgresPoolClient> {
    const generation = this.password.generation;
    try {
      return await this.pool.connect();
    } catch (error) {
      if (!isInvalidPassword(error)) throw error;
      await this.password.refused(generation);
      return this.pool.connect();
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
