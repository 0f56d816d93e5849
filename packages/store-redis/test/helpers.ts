import { services } from '@passport/test-bed';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../src/index.js';
import { encodeId } from '../src/internal/keys.js';
import { deleteStoreKeys, scanStoreKeys } from '../src/testing.js';

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

/**
 * What a failure between two steps must never leave behind, checked over every key of the store:
 * a record its pointer or family index misses, a refresh token without the access token it was
 * issued with, a rotated token whose successor is missing, or a consumed code or device code
 * without the tokens it issued (they are written in the same script). Index entries and pointers
 * that point to nothing are allowed: they are invisible, expire, and purge drops them.
 */
export async function integrityProblems(store: RedisStore): Promise<string[]> {
  const client = store.client;
  const keys = await scanStoreKeys(store);
  const problems: string[] = [];
  const groupOf = (key: string): string => key.slice(key.indexOf('{') + 1, key.indexOf('}'));
  for (const key of keys) {
    const rest = key.slice(store.prefix.length);
    if (!rest.startsWith('fam:{')) continue;
    const group = groupOf(key);
    const base = `${store.prefix}fam:{${group}}:`;
    const kind = rest.slice(rest.indexOf('}') + 2);
    if (kind.startsWith('at:') || kind.startsWith('rt:')) {
      const record = await client.hgetall(key);
      const member = kind.slice(3);
      const pointerKey = `${store.prefix}${kind.slice(0, 2)}:{${member}}`;
      const pointer = await client.hget(pointerKey, 'group');
      if (pointer === null || encodeId(pointer) !== group) problems.push(`${key}: no pointer ${pointerKey}`);
      if ((await client.zscore(`${base}${kind.slice(0, 2)}s`, member)) === null) {
        problems.push(`${key}: missing from the family index`);
      }
      if (kind.startsWith('rt:')) {
        if ((await client.exists(`${base}at:${encodeId(record.accessTokenId ?? '')}`)) === 0) {
          problems.push(`${key}: its access token is missing`);
        }
        if (
          record.replacedBy !== undefined &&
          (await client.exists(`${base}rt:${encodeId(record.replacedBy)}`)) === 0
        ) {
          problems.push(`${key}: rotated, but its successor is missing`);
        }
      }
    } else if (kind === 'code' || kind === 'device') {
      const consumed = await client.hget(key, 'consumedAt');
      if (consumed !== null && (await client.zcard(`${base}ats`)) === 0) {
        problems.push(`${key}: consumed without the tokens it issued`);
      }
    }
  }
  return problems;
}
