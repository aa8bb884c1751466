import { Redis } from 'ioredis';

/** The Redis this machine and CI run (.ci/run starts it when it is down). */
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A connected client to the real Redis a spec needs, or `undefined` and one line saying
 * what is skipped (`why`) and how to run it. On CI (`CI` set), where Redis always runs, an
 * unreachable Redis is an error instead: a spec that quietly skipped there would count as
 * coverage it is not. The caller disconnects the client.
 */
export async function localRedis(
  why: string,
  url = LOCAL_REDIS_URL,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    if ((await client.ping()) === 'PONG') return client;
  } catch {
    // Not reachable: said below.
  }
  client.disconnect();
  if (env.CI) {
    throw new Error(`${why}: no Redis at ${url}, and CI runs this spec (.ci/run starts Redis)`);
  }
  console.warn(`${why}: skipped, no Redis at ${url} (start redis-server to run it)`);
  return undefined;
}

/** Whether the real Redis answers, for specs that hand its URL to processes they boot. */
export async function localRedisAvailable(
  why: string,
  url = LOCAL_REDIS_URL,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const client = await localRedis(why, url, env);
  client?.disconnect();
  return client !== undefined;
}
