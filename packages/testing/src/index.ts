export { LOCAL_POSTGRES_ADMIN, localPostgresAvailable } from './local-postgres.js';
export { LOCAL_REDIS_URL, localRedis, localRedisAvailable } from './local-redis.js';
