import type { QueryResult, SqlDriver, SqlExecutor } from '../driver.js';
import { isConnectionError, toStoreError } from '../internal/errors.js';
import { statementName } from '../internal/statement-name.js';
import { listenOnOwnConnection, type PgListenClientLike } from './node-postgres-listener.js';

/** The part of a node-postgres `PoolClient` the driver uses. */
export interface PgPoolClientLike {
  query(config: {
    name?: string;
    text: string;
    values?: unknown[];
    query_timeout?: number;
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
  /** Event registration; the driver adds one `'error'` listener to each connection it checks out. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a node-postgres `Pool` (`import { Pool } from 'pg'`) the driver uses. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  /** Event registration; the driver listens for `'error'` (see {@link nodePostgresDriver}). */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  /** Idle connections (node-postgres `Pool#idleCount`); lets a checkout skip its deadline timer. */
  readonly idleCount?: number;
  /** Checkouts waiting for a connection (node-postgres `Pool#waitingCount`). */
  readonly waitingCount?: number;
  /**
   * The pool's connection settings (node-postgres `Pool#options`): the change feed's own
   * connection is opened with them (see {@link NodePostgresDriverOptions.listenClient}).
   */
  readonly options?: object;
}

/** Timeouts of {@link nodePostgresDriver}. */
export interface NodePostgresDriverOptions {
  /**
   * Milliseconds to wait for a pooled connection before failing with `StoreUnavailableError`, so
   * requests fail fast when the server is down or unreachable (the pool's own
   * `connectionTimeoutMillis` applies too when it is shorter).
   * @default 5000
   */
  connectTimeoutMs?: number;
  /**
   * Milliseconds to wait for a statement's answer before failing with `StoreUnavailableError`
   * (node-postgres `query_timeout`; the connection is then discarded).
   * @default 10000
   */
  queryTimeoutMs?: number;
  /**
   * Sends parameterised statements as named prepared statements (node-postgres `{ name, text,
   * values }`): each connection parses and plans a statement once and afterwards only binds and
   * executes it. The name is derived from the SQL text, so stores of several schemas can share a
   * pool. Turn it off behind a pooler that does not support prepared statements (PgBouncer in
   * transaction mode before 1.21).
   * @default true
   */
  preparedStatements?: boolean;
  /**
   * Opens the connection the change feed `LISTEN`s on ({@link PostgresStore.subscribeChanges}): a
   * connection of its own, never one of the pool's, opened when the first listener subscribes
   * and closed with the last (or `store.close()`). By default a node-postgres `Client` of the
   * pool's own class with the pool's settings (`new pool.Client(pool.options)`, the way the pool
   * opens its connections) plus TCP keep-alive. Give a function for a pool that is not
   * node-postgres's, or to listen through another address than the pool's (a pooler in
   * transaction mode, such as PgBouncer, cannot hold a `LISTEN`: point this at the server).
   * Without one, and without a node-postgres pool, the store has no change feed.
   *
   * @example
   * ```ts
   * createPostgresStore({ pool, listenClient: () => new pg.Client({ connectionString: directUrl }) });
   * ```
   */
  listenClient?: () => PgListenClientLike;
  /**
   * Milliseconds between two checks that the feed's idle connection is alive (the `LISTEN` is sent
   * again), so a connection that died silently is found and replaced.
   * @default 10000
   */
  listenHeartbeatMs?: number;
}

/** Most distinct statements one driver prepares; statements beyond it are sent unnamed. */
const maxPreparedStatements = 512;

const ignore = (): void => undefined;

/**
 * Checks out a client, giving up after `ms`. A connection that arrives after the deadline is
 * returned to the pool at once.
 */
async function connectWithin(pool: PgPoolLike, ms: number): Promise<PgPoolClientLike> {
  // An idle connection nobody waits for is handed over on the next tick: no deadline needed.
  if ((pool.idleCount ?? 0) > (pool.waitingCount ?? 0)) return pool.connect();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const connecting = pool.connect();
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`Store connection timed out after ${ms} ms`));
    }, ms);
  });
  connecting.then((client) => {
    if (timedOut) client.release();
  }, ignore);
  try {
    return await Promise.race([connecting, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Adapts a node-postgres `Pool` to {@link SqlDriver}. Single statements check out a client for
 * one round trip; transactions hold one client from `BEGIN` to `COMMIT`. A client that failed
 * with a connection error or a timeout is destroyed rather than returned to the pool.
 *
 * The driver adds an `'error'` listener to the pool, and one to each connection it checks out:
 * node-postgres emits `'error'` when the server drops a connection (restart, failover,
 * `pg_terminate_backend`), and an unhandled `'error'` event would crash the process. The broken
 * connection is discarded; the next query opens a new one, or fails with `StoreUnavailableError`
 * while the server is down.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const driver = nodePostgresDriver(new pg.Pool({ connectionString: process.env.DATABASE_URL }));
 * ```
 */
export function nodePostgresDriver(pool: PgPoolLike, options: NodePostgresDriverOptions = {}): SqlDriver {
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
  const prepared = options.preparedStatements ?? true;
  const names = new Map<string, string>();
  /** Clients that already carry the driver's `'error'` listener (kept for the client's life). */
  const listening = new WeakSet<PgPoolClientLike>();
  pool.on?.('error', ignore);

  /**
   * The prepared statement name of `sql`, or `undefined` to send it unnamed. Statements without
   * parameters (DDL, multi-statement migrations) always go unnamed: they use the simple protocol.
   */
  const nameOf = (sql: string, params: readonly unknown[]): string | undefined => {
    if (!prepared || params.length === 0) return undefined;
    let name = names.get(sql);
    if (name === undefined && names.size < maxPreparedStatements) {
      name = statementName(sql);
      names.set(sql, name);
    }
    return name;
  };

  const run = async <Row>(
    client: PgPoolClientLike,
    sql: string,
    params: readonly unknown[],
  ): Promise<QueryResult<Row>> => {
    const name = nameOf(sql, params);
    const result = await client.query(
      name === undefined
        ? { text: sql, values: params as unknown[], query_timeout: queryTimeoutMs }
        : { name, text: sql, values: params as unknown[], query_timeout: queryTimeoutMs },
    );
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  };

  const checkout = async (): Promise<PgPoolClientLike> => {
    let client: PgPoolClientLike;
    try {
      client = await connectWithin(pool, connectTimeoutMs);
    } catch (error) {
      throw toStoreError(error);
    }
    if (!listening.has(client)) {
      // Once per connection: an idle connection is watched by the pool, a held one by this listener.
      client.on?.('error', ignore);
      listening.add(client);
    }
    return client;
  };

  /** Returns the client to the pool, or destroys it when the connection itself failed. */
  const release = (client: PgPoolClientLike, error: unknown): void => {
    if (error !== undefined && isConnectionError(error)) {
      // The dying connection may still report errors: the listener stays with it.
      client.release(error instanceof Error ? error : true);
      return;
    }
    client.release();
  };

  const listenClient = options.listenClient ?? poolClientFactory(pool, connectTimeoutMs);
  const listenTiming = {
    timeoutMs: connectTimeoutMs,
    heartbeatMs: options.listenHeartbeatMs ?? 10_000,
  };

  const driver: SqlDriver = {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const client = await checkout();
      try {
        const result = await run<Row>(client, sql, params);
        release(client, undefined);
        return result;
      } catch (error) {
        release(client, error);
        throw toStoreError(error);
      }
    },

    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      const client = await checkout();
      const tx: SqlExecutor = {
        query: async <Row>(sql: string, params: readonly unknown[] = []) => run<Row>(client, sql, params),
      };
      try {
        await client.query({ text: 'BEGIN', query_timeout: queryTimeoutMs });
        const result = await fn(tx);
        await client.query({ text: 'COMMIT', query_timeout: queryTimeoutMs });
        release(client, undefined);
        return result;
      } catch (error) {
        if (isConnectionError(error)) {
          // Never reuse a dead or stuck connection: the server rolls back when it goes away.
          release(client, error);
        } else {
          try {
            await client.query({ text: 'ROLLBACK', query_timeout: queryTimeoutMs });
            release(client, undefined);
          } catch {
            release(client, new Error('Connection ended during ROLLBACK'));
          }
        }
        throw toStoreError(error);
      }
    },

    async close(): Promise<void> {
      await pool.end();
    },
  };
  if (listenClient !== null) {
    driver.listen = (channel, handlers) =>
      listenOnOwnConnection(listenClient, channel, handlers, listenTiming);
  }
  return driver;
}

/**
 * A factory of connections like the pool's own: node-postgres's pool opens each connection with
 * `new pool.Client(pool.options)`; the feed does the same, with TCP keep-alive and a connection
 * timeout. `null` when the pool does not show both (it is not node-postgres's).
 */
function poolClientFactory(pool: PgPoolLike, connectTimeoutMs: number): (() => PgListenClientLike) | null {
  const { Client } = pool as unknown as { Client?: unknown };
  const settings = pool.options;
  if (typeof Client !== 'function' || settings === undefined) return null;
  const Construct = Client as new (config: object) => PgListenClientLike;
  return () => new Construct({ ...settings, keepAlive: true, connectionTimeoutMillis: connectTimeoutMs });
}
