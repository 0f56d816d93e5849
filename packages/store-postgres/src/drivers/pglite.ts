import type { QueryResult, SqlDriver, SqlExecutor } from '../driver.js';
import { toStoreError } from '../internal/errors.js';
import { statementName } from '../internal/statement-name.js';

/** Results of a PGlite statement (the fields the driver reads). */
export interface PGliteResultsLike {
  rows: unknown[];
  affectedRows?: number;
}

/** The part of a PGlite transaction object the driver uses. */
export interface PGliteTransactionLike {
  query<T>(query: string, params?: unknown[]): Promise<PGliteResultsLike & { rows: T[] }>;
}

/** A backend message as PGlite's `execProtocol` returns it (the fields the driver reads). */
export interface PGliteBackendMessageLike {
  name: string;
  fields?: unknown[];
  text?: string;
}

/** The part of a PGlite instance (`import { PGlite } from '@electric-sql/pglite'`) the driver uses. */
export interface PGliteLike extends PGliteTransactionLike {
  transaction<T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * Optional, with the three members below: the wire protocol, through which the driver prepares
   * each statement once (see {@link pgliteDriver}). Without them every statement goes through
   * `query`.
   */
  execProtocol?(message: Uint8Array): Promise<{ messages: PGliteBackendMessageLike[] }>;
  /** PGlite's lock of one statement at a time (what `query` holds). */
  _runExclusiveQuery?<T>(fn: () => Promise<T>): Promise<T>;
  /** PGlite's lock held by an open transaction (what `query` waits for). */
  _runExclusiveTransaction?<T>(fn: () => Promise<T>): Promise<T>;
  /** Result parsers by type OID. */
  parsers?: Record<number, (value: string, typeId: number) => unknown>;
  /** Whether the instance is closed (then `query` answers its own error). */
  readonly closed?: boolean;
  /**
   * PGlite's `LISTEN` (its own, in-process notifications): the change feed of a store on PGlite.
   * The channel is passed in double quotes, as PGlite sends it to `LISTEN` verbatim.
   */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

function toResult<Row>(result: PGliteResultsLike): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.affectedRows ?? result.rows.length };
}

const encoder = new TextEncoder();

/** One frontend message: its type byte, its length and `body`. */
function frame(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

/** Concatenates byte arrays. */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const cstring = (text: string): Uint8Array => encoder.encode(`${text}\u0000`);
const int16 = (n: number): Uint8Array => new Uint8Array([(n >> 8) & 0xff, n & 0xff]);
const int32 = (n: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setInt32(0, n);
  return out;
};

/** A quoted element of an array literal. */
const arrayElement = (value: unknown): string =>
  value === null || value === undefined
    ? 'NULL'
    : `"${String(value).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** A parameter in PostgreSQL's text format (the types the store passes), or `null`. */
function textParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (Array.isArray(value)) return `{${value.map(arrayElement).join(',')}}`;
  return String(value);
}

/** Parse (a named statement) and Sync. */
function parseMessage(name: string, sql: string): Uint8Array {
  return concat([frame('P', concat([cstring(name), cstring(sql), int16(0)])), frame('S', new Uint8Array())]);
}

/** Bind the named statement to `params` (text format), Describe and Execute the portal, Sync. */
function executeMessage(name: string, params: readonly unknown[]): Uint8Array {
  const values: Uint8Array[] = [];
  for (const param of params) {
    const text = textParameter(param);
    if (text === null) {
      values.push(int32(-1));
    } else {
      const bytes = encoder.encode(text);
      values.push(int32(bytes.length), bytes);
    }
  }
  const bind = concat([cstring(''), cstring(name), int16(0), int16(params.length), ...values, int16(0)]);
  return concat([
    frame('B', bind),
    frame('D', concat([encoder.encode('P'), cstring('')])),
    frame('E', concat([cstring(''), int32(0)])),
    frame('S', new Uint8Array()),
  ]);
}

/** Most statements one PGlite instance prepares; statements beyond it go through `query`. */
const maxPreparedStatements = 512;

/** Statement names prepared on each PGlite instance (shared by every driver on that instance). */
const preparedOn = new WeakMap<object, Set<string>>();

/** The rows and count of an executed portal, values parsed by type as `query` parses them. */
function toRows<Row>(
  messages: readonly PGliteBackendMessageLike[],
  parsers: Record<number, (value: string, typeId: number) => unknown>,
): QueryResult<Row> {
  let fields: { name: string; dataTypeID: number }[] = [];
  const rows: Row[] = [];
  let rowCount: number | null = null;
  for (const message of messages) {
    if (message.name === 'rowDescription') {
      fields = (message.fields ?? []) as { name: string; dataTypeID: number }[];
    } else if (message.name === 'dataRow') {
      const row: Record<string, unknown> = {};
      const values = (message.fields ?? []) as (string | null)[];
      for (let i = 0; i < fields.length; i++) {
        const field = fields[i] as { name: string; dataTypeID: number };
        const value = values[i] ?? null;
        const parse = parsers[field.dataTypeID];
        row[field.name] = value === null ? null : parse ? parse(value, field.dataTypeID) : value;
      }
      rows.push(row as Row);
    } else if (message.name === 'commandComplete') {
      const words = (message.text ?? '').split(' ');
      const count = Number.parseInt(words[words.length - 1] ?? '', 10);
      if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(words[0] ?? '') && !Number.isNaN(count)) {
        rowCount = count;
      }
    }
  }
  return { rows, rowCount: rowCount ?? rows.length };
}

/**
 * Adapts a PGlite instance (embedded Postgres in WebAssembly) to {@link SqlDriver}. PGlite is a
 * single connection: it runs one statement at a time and holds every other statement back while a
 * transaction is open, so concurrent store calls are serialised and single-use operations stay
 * atomic. Its own `LISTEN` / `NOTIFY` carries the change feed: in-process (a PGlite database
 * belongs to one process), it never drops.
 *
 * Parameterised statements are named prepared statements, as on node-postgres: PGlite's `query`
 * parses and plans every statement again and calls into WebAssembly six times per statement, so
 * the driver sends a statement's Parse once per PGlite instance and then one message per call
 * (Bind, Describe, Execute, Sync) through PGlite's wire protocol (`execProtocol`), under the
 * same locks `query` takes (about half the CPU of `query` per statement). Values are sent in
 * text format and rows parsed with PGlite's own parsers. An instance without those members (an
 * older PGlite, a wrapper) is served by `query`.
 *
 * @example
 * ```ts
 * import { PGlite } from '@electric-sql/pglite';
 * const driver = pgliteDriver(new PGlite('./.data/passport'));
 * ```
 */
export function pgliteDriver(db: PGliteLike): SqlDriver {
  const { execProtocol, _runExclusiveQuery, _runExclusiveTransaction, parsers } = db;
  const protocol =
    typeof execProtocol === 'function' &&
    typeof _runExclusiveQuery === 'function' &&
    typeof _runExclusiveTransaction === 'function' &&
    parsers !== undefined;
  let prepared = preparedOn.get(db);
  if (prepared === undefined) {
    prepared = new Set();
    preparedOn.set(db, prepared);
  }
  const names = prepared;

  /**
   * A parameterised statement as a named prepared statement: parsed and planned once per PGlite
   * instance, then one Bind, Describe, Execute and Sync per call, in one message. It takes
   * PGlite's locks as `query` does, so it never runs inside another caller's transaction.
   */
  const runPrepared = async <Row>(sql: string, params: readonly unknown[]): Promise<QueryResult<Row>> => {
    const name = statementName(sql);
    const exec = (message: Uint8Array) =>
      (execProtocol as NonNullable<PGliteLike['execProtocol']>).call(db, message);
    const queryLock = _runExclusiveQuery as NonNullable<PGliteLike['_runExclusiveQuery']>;
    const transactionLock = _runExclusiveTransaction as NonNullable<PGliteLike['_runExclusiveTransaction']>;
    return (await transactionLock.call(db, () =>
      queryLock.call(db, async () => {
        if (!names.has(name)) {
          await exec(parseMessage(name, sql));
          names.add(name);
        }
        const { messages } = await exec(executeMessage(name, params));
        return toRows<Row>(messages, parsers as NonNullable<PGliteLike['parsers']>);
      }),
    )) as QueryResult<Row>;
  };

  const driver: SqlDriver = {
    async query<Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      try {
        if (
          protocol &&
          params.length > 0 &&
          db.closed !== true &&
          (names.size < maxPreparedStatements || names.has(statementName(sql)))
        ) {
          return await runPrepared<Row>(sql, params);
        }
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
