/**
 * The tiny query interface the SQL is written against. Each driver (`node-postgres`, `PGlite`) is
 * a short file that adapts a client library to it; write your own to run the store on another
 * Postgres client (postgres.js, Neon serverless, ...).
 *
 * @module
 */

/** Rows returned by one statement. */
export interface QueryResult<Row> {
  /** The rows (for `RETURNING` statements, the changed rows). */
  rows: Row[];
  /** Rows changed by an `INSERT` / `UPDATE` / `DELETE`, or returned by a `SELECT`. */
  rowCount: number;
}

/** Something that runs one parameterised statement (`$1`, `$2`, ...). */
export interface SqlExecutor {
  /**
   * Runs one statement. Parameters are strings, numbers, booleans, `Date`s, arrays of strings or
   * `null`. Timestamps come back as `Date`, `text[]` as arrays, `boolean` as booleans.
   */
  query<Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
}

/**
 * What a driver's notification connection reports to the store (see {@link SqlDriver.listen}).
 */
export interface NotificationHandlers {
  /** A notification on the channel, with its payload. */
  notification(payload: string): void;
  /** The connection listens (again). Notifications sent while it did not were lost. */
  connected(): void;
  /** The connection was lost, or could not be opened; the driver keeps trying. */
  disconnected(error: unknown): void;
}

/**
 * A connection source for {@link PostgresStore}: single statements plus transactions.
 *
 * @example
 * ```ts
 * const driver: SqlDriver = nodePostgresDriver(new Pool({ connectionString }));
 * const store = new PostgresStore(driver);
 * ```
 */
export interface SqlDriver extends SqlExecutor {
  /**
   * Runs `fn` inside `BEGIN` / `COMMIT` on one connection; rolls back and rethrows when `fn`
   * throws. Statements inside must go through `tx`, never through the driver itself.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Optional: `LISTEN`s on `channel` and reports each notification to `handlers` until the returned
   * function is called, on a connection of its own (a connection that listens must stay open, so
   * it is never one of the pool's). When the connection drops, the driver reports `disconnected`,
   * reconnects with backoff and reports `connected` once it listens again. The store's change feed
   * ({@link PostgresStore.subscribeChanges}) exists only when the driver has this method.
   */
  listen?(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>;
  /** Releases the underlying connections (ends the pool, closes the PGlite instance). */
  close(): Promise<void>;
}
