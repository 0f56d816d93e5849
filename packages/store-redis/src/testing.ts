/**
 * Testing aids for the Redis store (`@passport/store-redis/testing`): list and delete every key of
 * a store's prefix, on a standalone server or every master of a cluster. For tests and teardown;
 * never point them at a prefix that holds data you keep.
 * @packageDocumentation
 */
import { dataNodes } from './connection.js';
import type { RedisStore } from './store.js';

/** Every key under the store's prefix (`SCAN`, every master of a cluster). */
export async function scanStoreKeys(store: RedisStore): Promise<string[]> {
  const pattern = `${store.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  const found: string[] = [];
  for (const node of dataNodes(store.client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/**
 * Deletes every key under the store's prefix; returns how many. Pass it as `reset` to
 * `runStoreConformance` to reuse one store across tests.
 *
 * @example
 * ```ts
 * runStoreConformance({ name: 'redis', createStore, reset: (store) => deleteStoreKeys(store) });
 * ```
 */
export async function deleteStoreKeys(store: RedisStore): Promise<number> {
  const keys = await scanStoreKeys(store);
  let deleted = 0;
  // One key per UNLINK: keys of a cluster live in different slots.
  for (let start = 0; start < keys.length; start += 500) {
    const counts = await Promise.all(keys.slice(start, start + 500).map((key) => store.client.unlink(key)));
    for (const count of counts) deleted += count;
  }
  return deleted;
}
