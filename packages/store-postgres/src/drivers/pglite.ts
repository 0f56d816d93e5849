import type { QueryResult, SqlDriver, SqlExecutor } from '../driver.js';
import { toStoreError } from '../internal/errors.js';

/** Results of a PGlite statement (the fields the driver reads). */
export interface PGliteResultsLike {
  rows: unknown[];
  affectedRows?: number;
}

/** The part of a PGlite transaction object the driver uses. */
export interface PGliteTransactionLike {
  query<T>(query: string, params?: unknown[]): Promise<PGliteResultsLike & { rows: T[] }>;
}

/** The part of a PGlite instance (`import { PGlite } from '@electric-sql/pglite'`) the driver uses. */
export interface PGliteLike extends PGliteTransactionLike {
  transaction<T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * PGlite's `LISTEN` (its own, in-process notifications): the change feed of a store on PGlite.
   * The channel is passed in double quotes, as PGlite sends it to `LISTEN` verbatim.
   */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

function toResult<Row>(result: PGliteResultsLike): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.affectedRows ?? result.rows.length };
}

/**
 * Adapts a PGlite instance (embedded Postgres in WebAssembly) to {@link SqlDriver}. PGlite is a
 * single connection: it runs one statement at a time and holds every other statement back while a
 * transaction is open, so concurrent store calls are serialised and single-use operations stay
 * atomic. Its own `LISTEN` / `NOTIFY` carries the change feed: in-process (a PGlite database
 * belongs to one process), it never drops.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * const driver = pgliteDriver(new PGlite('./.data/passport'));
 * ```
 */
export function pgliteDriver(db: PGliteLike): SqlDriver {
  const driver: SqlDriver = {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      try {
        return toResult<Row>(await db.query<Row>(sql, [...params]));
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      try {
        return await db.transaction(async (pgliteTx) => {
          const tx: SqlExecutor = {
            query: async <Row>(sql: string, params: readonly unknown[] = []) =>
              toResult<Row>(await pgliteTx.query<Row>(sql, [...params])),
          };
          return fn(tx);
        });
      } catch (error) {
        throw toStoreError(error);
      }
    },

    async close(): Promise<void> {
      await db.close();
    },
  };
  if (typeof db.listen === 'function') {
    const listen = db.listen.bind(db);
    driver.listen = async (channel, handlers) => {
      let unlisten: () => Promise<void>;
      try {
        unlisten = await listen(`"${channel}"`, (payload) => handlers.notification(payload));
      } catch (error) {
        throw toStoreError(error);
      }
      handlers.connected();
      return async () => {
        await unlisten().catch(() => undefined);
      };
    };
  }
  return driver;
}
