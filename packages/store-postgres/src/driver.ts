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
  /** Releases the underlying connections (ends the pool, closes the PGlite instance). */
  close(): Promise<void>;
}
