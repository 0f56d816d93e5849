import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';

/** What the store runs on: an ioredis `Redis` (standalone, Sentinel) or `Cluster` instance. */
export type RedisClient = Redis | Cluster;

/**
 * Default bound, in milliseconds, on every store call: connecting at start-up, and each command
 * once connected. After it the call fails with `StoreUnavailableError`.
 */
export const DEFAULT_TIMEOUT_MS = 2000;

/**
 * The ioredis options the store's own connections use, and that a host passing its own instance
 * should use too. A store call must fail fast and never run late:
 *
 * - `enableOfflineQueue: false`: a command issued while the connection is down fails at once
 *   instead of waiting in a queue (the store itself waits, at most `timeoutMs`, for the very
 *   first connection only);
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight
 *   when the connection drops fails; it is never re-sent after the reconnect, so a write the
 *   caller was told failed (503) cannot be applied minutes later;
 * - `commandTimeout: timeoutMs`: a command without a reply fails after `timeoutMs`;
 * - `connectTimeout: timeoutMs`, and a `retryStrategy` that keeps reconnecting (every 50 ms
 *   growing to 2 s), so the store recovers by itself when the server is back;
 * - `enableAutoPipelining: true`: the commands (mostly one script per grant) that concurrent
 *   requests issue in the same event-loop turn leave in one write and come back in one read
 *   (the bench's refresh and code redemption serve about 1.5 x the requests per second with it,
 *   with less Redis CPU per request). It changes no command's meaning: each script still runs
 *   atomically on the server.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStore, redisStoreConnectionOptions } from '@passport/store-redis';
 *
 * const redis = new Redis(process.env.REDIS_URL, { ...redisStoreConnectionOptions(), connectionName: 'auth' });
 * const store = new RedisStore(redis, { prefix: 'auth:' });
 * ```
 * @default timeoutMs 2000
 */
export function redisStoreConnectionOptions(timeoutMs = DEFAULT_TIMEOUT_MS): RedisOptions {
  return {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
  };
}

/**
 * The same for a Redis Cluster: node connections that never re-send a command and time out after
 * `timeoutMs`, and no retry of a command whose connection closed (`retryDelayOnFailover: 0`: it
 * may have run). Redirections (`MOVED`, `ASK`) and `CLUSTERDOWN` or `TRYAGAIN` answers, which
 * mean the command did not run, are still followed. The cluster keeps its offline queue: ioredis
 * opens node connections lazily and queues the first commands to a node while it connects; the
 * store itself refuses calls at once while the cluster as a whole is not ready.
 *
 * @default timeoutMs 2000
 */
export function redisClusterStoreOptions(timeoutMs = DEFAULT_TIMEOUT_MS): ClusterOptions {
  return {
    retryDelayOnFailover: 0,
    redisOptions: {
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: timeoutMs,
      connectTimeout: timeoutMs,
    },
    clusterRetryStrategy: (attempt: number) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    slotsRefreshTimeout: timeoutMs,
  };
}

/** True for an ioredis `Cluster`. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** The connections that hold keys: the masters of a cluster, or the one connection. */
export function dataNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** `redis://` or `rediss://` URL of a standalone server. */
  url?: string;
  /** Seed nodes of a Redis Cluster (`host:port` strings or `{ host, port }`). */
  clusterNodes?: ReadonlyArray<string | ClusterNode>;
  /** Extra ioredis options (merged over {@link redisStoreConnectionOptions}). */
  redisOptions?: RedisOptions | undefined;
  timeoutMs: number;
}

/** Opens an ioredis connection with the store's options. Needs the `ioredis` peer dependency. */
export async function connectRedis(options: ConnectRedisOptions): Promise<RedisClient> {
  const ioredis = await import('ioredis');
  if (options.clusterNodes !== undefined) {
    const base = redisClusterStoreOptions(options.timeoutMs);
    return new ioredis.Cluster([...options.clusterNodes] as ClusterNode[], {
      ...base,
      redisOptions: { ...base.redisOptions, ...options.redisOptions } as ClusterOptions['redisOptions'],
    });
  }
  const base = { ...redisStoreConnectionOptions(options.timeoutMs), ...options.redisOptions } as RedisOptions;
  return options.url === undefined ? new ioredis.Redis(base) : new ioredis.Redis(options.url, base);
}
