import { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/**
 * Embedded PostgreSQL (PGlite) behind the small pool interface Kysely's Postgres dialect
 * expects. PGlite is one connection, so the pool hands it to one borrower at a time:
 * a transaction holds it from BEGIN to COMMIT and nothing interleaves with it.
 */
export class PGlitePool implements PostgresPool {
  readonly options = {};
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly db: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const previous = this.queue;
    this.queue = previous.then(() => turn);
    await previous;
    const db = this.db;
    let released = false;
    return {
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>) {
        const result = await db.query<R>(sql, parameters as unknown[]);
        return {
          rows: result.rows,
          rowCount: result.affectedRows ?? result.rows.length,
          command: commandOf(sql),
        } as PostgresQueryResult<R>;
      },
      release() {
        if (released) return;
        released = true;
        release();
      },
    } as PostgresPoolClient;
  }

  async end(): Promise<void> {
    await this.queue;
    await this.db.close();
  }
}

function commandOf(sql: string): PostgresQueryResult<unknown>['command'] {
  const word = sql.trimStart().split(/\s/, 1)[0]!.toUpperCase();
  return (
    ['UPDATE', 'DELETE', 'INSERT', 'MERGE', 'COMMIT', 'ROLLBACK'].includes(word) ? word : 'SELECT'
  ) as PostgresQueryResult<unknown>['command'];
}
