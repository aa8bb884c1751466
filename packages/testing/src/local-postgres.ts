import pg from 'pg';

/** The PostgreSQL this machine and CI run (trust auth for `postgres`; .ci/run starts it). */
export const LOCAL_POSTGRES_ADMIN = {
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  database: 'postgres',
} as const;

/**
 * Whether the real PostgreSQL a spec needs answers, or `false` and one line saying what is
 * skipped (`why`) and how to run it. On CI (`CI` set), where PostgreSQL always runs, an
 * unreachable server is an error instead: a spec that quietly skipped there would count as
 * coverage it is not.
 */
export async function localPostgresAvailable(
  why: string,
  env: NodeJS.ProcessEnv = process.env,
  admin: { host: string; port: number; user: string; database: string } = LOCAL_POSTGRES_ADMIN,
): Promise<boolean> {
  const client = new pg.Client({ ...admin, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    // Not reachable: said below.
  } finally {
    await client.end().catch(() => undefined);
  }
  const where = `${admin.host}:${admin.port}`;
  if (env.CI) {
    throw new Error(`${why}: no PostgreSQL at ${where}, and CI runs this spec (.ci/run starts it)`);
  }
  console.warn(
    `${why}: skipped, no PostgreSQL at ${where} (trust auth for postgres; start it to run it)`,
  );
  return false;
}
