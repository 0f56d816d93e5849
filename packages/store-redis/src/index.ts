/**
 * @passport/store-redis: the Redis and Redis Cluster store for Passport, on ioredis. Atomic
 * steps are Lua scripts; every key carries a TTL except the clients; revocations are published
 * over pub/sub so every instance's cache drops them at once.
 * @packageDocumentation
 */

export {
  DEFAULT_TIMEOUT_MS,
  isCluster,
  type RedisClient,
  redisClusterStoreOptions,
  redisStoreConnectionOptions,
} from './connection.js';
export { type CreateRedisStoreOptions, createRedisStore } from './factory.js';
export {
  DEFAULT_PREFIX,
  DEFAULT_REPLAY_WINDOW_SECONDS,
  RedisStore,
  type RedisStoreOptions,
} from './store.js';
