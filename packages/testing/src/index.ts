export { LOCAL_REDIS_URL, localRedis, localRedisAvailable } from './local-redis.js';
