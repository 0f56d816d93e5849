import type { ClusterNode, RedisOptions } from 'ioredis';
import { connectRedis, DEFAULT_TIMEOUT_MS, type RedisClient } from './connection.js';
import { RedisStore, type RedisStoreOptions } from './store.js';

/** Options of {@link createRedisStore}: where to connect (one of three), and the store's options. */
export interface CreateRedisStoreOptions extends Omit<RedisStoreOptions, 'closeClient'> {
  /** A `redis://` or `rediss://` URL (standalone server). */
  url?: string;
  /** Seed nodes of a Redis Cluster: `'host:port'` strings or `{ host, port }`. */
  clusterNodes?: ReadonlyArray<string | ClusterNode>;
  /** An ioredis `Redis` or `Cluster` instance of yours; the store leaves it open on `close()`. */
  client?: RedisClient;
  /**
   * Extra ioredis options for the connection the store opens (e.g. `password`, `tls`,
   * `connectionName`), merged over {@link redisStoreConnectionOptions}.
   */
  redisOptions?: RedisOptions;
}

/**
 * Creates a {@link RedisStore}. With `url` or `clusterNodes` it opens the connection itself with
 * {@link redisStoreConnectionOptions} (fail fast, no offline queue, no re-sent commands, reconnect
 * forever) and closes it on `store.close()`; with `client` it uses your instance. It waits for
 * the first connection (at most `timeoutMs`); a server that is not up yet makes calls fail with
 * `StoreUnavailableError` until it is, without a restart.
 *
 * @example
 * ```ts
 * import { createRedisStore } from '@passport/store-redis';
 *
 * const store = await createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'auth:' });
 * // or: await createRedisStore({ clusterNodes: ['10.0.0.1:7000', '10.0.0.2:7000'] })
 * ```
 */
export async function createRedisStore(options: CreateRedisStoreOptions): Promise<RedisStore> {
  const { url, clusterNodes, client, redisOptions, ...storeOptions } = options;
  const given = [url, clusterNodes, client].filter((value) => value !== undefined).length;
  if (given !== 1) {
    throw new TypeError(
      'createRedisStore needs exactly one of { url }, { clusterNodes } or { client }, e.g. createRedisStore({ url: "redis://127.0.0.1:6379" })',
    );
  }
  if (client !== undefined) return new RedisStore(client, storeOptions);
  const connection = await connectRedis({
    ...(url === undefined ? {} : { url }),
    ...(clusterNodes === undefined ? {} : { clusterNodes }),
    ...(redisOptions === undefined ? {} : { redisOptions }),
    timeoutMs: storeOptions.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  // Unhandled 'error' events would only be printed; the store reports failures per call.
  connection.on('error', () => undefined);
  const store = new RedisStore(connection, { ...storeOptions, closeClient: true });
  await store.ready();
  return store;
}
