import { services } from '@passport/test-bed';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../src/index.js';
import { deleteStoreKeys } from '../src/testing.js';

/** A key prefix no other run uses, so runs on the shared servers never collide. */
export function randomPrefix(label = 'test'): string {
  return `passport-${label}-${crypto.randomUUID().slice(0, 8)}:`;
}

/** A store on the test bed's standalone Redis, under a fresh prefix. */
export function createStandaloneStore(options: RedisStoreOptions = {}): Promise<RedisStore> {
  return createRedisStore({ url: services.redis.url, prefix: randomPrefix(), ...options });
}

/** A store on the test bed's Redis Cluster, under a fresh prefix. */
export function createClusterStore(options: RedisStoreOptions = {}): Promise<RedisStore> {
  return createRedisStore({ clusterNodes: services.redisCluster.nodes, prefix: randomPrefix(), ...options });
}

/** Deletes the store's keys and closes it. */
export async function destroyStore(store: RedisStore): Promise<void> {
  try {
    await deleteStoreKeys(store);
  } finally {
    await store.close();
  }
}
