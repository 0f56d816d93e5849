import type { QueryResult, SqlDriver, SqlExecutor } from '../driver.js';
import { isConnectionError, toStoreError } from '../internal/errors.js';

/** The part of a node-postgres `PoolClient` the driver uses. */
export interface PgPoolClientLike {
  query(config: {
    text: string;
    values?: unknown[];
    query_timeout?: number;
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
  release(error?: Error | boolean): void;
  /** Event registration; the driver listens for `'error'` while it holds the client. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a node-postgres `Pool` (`import { Pool } from 'pg'`) the driver uses. */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  end(): Promise<void>;
  /** Event registration; the driver listens for `'error'` (see {@link nodePostgresDriver}). */
  on?(event: 'error', listener: (error: Error) => void): unknown;
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
}

const ignore = (): void => undefined;

/**
 * Checks out a client, giving up after `ms`. A connection that arrives after the deadline is
 * returned to the pool at once.
 */
async function connectWithin(pool: PgPoolLike, ms: number): Promise<PgPoolClientLike> {
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
 * The driver adds an `'error'` listener to the pool, and to each client while it holds it:
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
  pool.on?.('error', ignore);

  const run = async <Row>(
    client: PgPoolClientLike,
    sql: string,
    params: readonly unknown[],
  ): Promise<QueryResult<Row>> => {
    const result = await client.query({ text: sql, values: [...params], query_timeout: queryTimeoutMs });
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? result.rows.length };
  };

  const checkout = async (): Promise<PgPoolClientLike> => {
    let client: PgPoolClientLike;
    try {
      client = await connectWithin(pool, connectTimeoutMs);
    } catch (error) {
      throw toStoreError(error);
    }
    client.on?.('error', ignore);
    return client;
  };

  /** Returns the client to the pool, or destroys it when the connection itself failed. */
  const release = (client: PgPoolClientLike, error: unknown): void => {
    if (error !== undefined && isConnectionError(error)) {
      // Keep listening: the dying connection may still report errors.
      client.release(error instanceof Error ? error : true);
      return;
    }
    client.removeListener?.('error', ignore);
    client.release();
  };

  return {
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
}
