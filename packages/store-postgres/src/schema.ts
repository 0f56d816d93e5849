import { PassportOptionsError } from '@passport/core';

/** Column type of client ids. Ids are strings at the store interface in every case. */
export type ClientIdType = 'uuid' | 'bigint' | 'text';

/** Where the tables live and how client ids are typed. */
export interface SchemaOptions {
  /**
   * Schema holding the tables; created by {@link migrate} when missing.
   * @default 'public'
   */
  schema?: string;
  /**
   * Prefix of every table name (`oauth_clients`, `oauth_access_tokens`, ...). Letters, digits
   * and underscores; may be empty.
   * @default 'oauth_'
   */
  tablePrefix?: string;
  /**
   * Type of `clients.id` and of every `client_id` column:
   * - `'uuid'`: client ids are UUIDs (Laravel Passport's `--uuids`);
   * - `'bigint'`: identity integers, passed around as decimal strings (`'42'`); allocate one with
   *   {@link PostgresStore.nextClientId};
   * - `'text'`: any string.
   *
   * Pick it before the first migration: it shapes the tables.
   * @default 'uuid'
   */
  idType?: ClientIdType;
}

/** Resolved {@link SchemaOptions} plus the quoted, qualified table names. */
export interface ResolvedSchema {
  readonly schema: string;
  readonly tablePrefix: string;
  readonly idType: ClientIdType;
  /** The `NOTIFY` channel of revoking changes (see `PostgresStore.changeChannel`). */
  readonly changeChannel: string;
  readonly tables: {
    readonly clients: string;
    readonly accessTokens: string;
    readonly refreshTokens: string;
    readonly authCodes: string;
    readonly deviceCodes: string;
    readonly nonces: string;
    readonly rateLimits: string;
    readonly migrations: string;
  };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PREFIX = /^[A-Za-z0-9_]*$/;
/** Longest table or index name suffix the migrations create (Postgres truncates names at 63 bytes). */
const LONGEST_SUFFIX = 'refresh_tokens_access_token_idx'.length;
const ID_TYPES: readonly ClientIdType[] = ['uuid', 'bigint', 'text'];

/**
 * Validates schema options once, at construction time.
 *
 * @throws PassportOptionsError with a message that says how to fix the value.
 */
export function resolveSchema(options: SchemaOptions = {}): ResolvedSchema {
  const schema = options.schema ?? 'public';
  const tablePrefix = options.tablePrefix ?? 'oauth_';
  const idType = options.idType ?? 'uuid';
  if (!IDENTIFIER.test(schema) || schema.length > 63) {
    throw new PassportOptionsError(
      `Invalid schema ${JSON.stringify(schema)}: use letters, digits and underscores (not starting with a digit), at most 63 characters, e.g. { schema: 'passport' }.`,
    );
  }
  if (!PREFIX.test(tablePrefix) || tablePrefix.length + LONGEST_SUFFIX > 63) {
    throw new PassportOptionsError(
      `Invalid tablePrefix ${JSON.stringify(tablePrefix)}: use letters, digits and underscores, at most ${63 - LONGEST_SUFFIX} characters, e.g. { tablePrefix: 'oauth_' }.`,
    );
  }
  if (!ID_TYPES.includes(idType)) {
    throw new PassportOptionsError(
      `Invalid idType ${JSON.stringify(idType)}: use 'uuid' (default), 'bigint' or 'text'.`,
    );
  }
  const table = (name: string) => `"${schema}"."${tablePrefix}${name}"`;
  return {
    schema,
    tablePrefix,
    idType,
    changeChannel: changeChannel(schema, tablePrefix),
    tables: {
      clients: table('clients'),
      accessTokens: table('access_tokens'),
      refreshTokens: table('refresh_tokens'),
      authCodes: table('auth_codes'),
      deviceCodes: table('device_codes'),
      nonces: table('nonces'),
      rateLimits: table('rate_limits'),
      migrations: table('migrations'),
    },
  };
}

/** Longest channel name PostgreSQL keeps (NAMEDATALEN - 1 bytes; every character here is ASCII). */
const MAX_CHANNEL_LENGTH = 63;

/**
 * `passport:<schema>.<tablePrefix>changes`, or `passport:` and a 53-bit hash of it when that is
 * longer than a channel name may be.
 */
function changeChannel(schema: string, tablePrefix: string): string {
  const name = `passport:${schema}.${tablePrefix}changes`;
  if (name.length <= MAX_CHANNEL_LENGTH) return name;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 2246822519);
  }
  return `passport:${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BIGINT = /^-?\d{1,19}$/;

/**
 * Whether `id` can be stored in a client id column of this type. Lookups with an id that cannot
 * exist answer "not found" without a round trip instead of failing on a cast.
 */
export function isValidClientId(idType: ClientIdType, id: string): boolean {
  if (idType === 'uuid') return UUID.test(id);
  if (idType === 'bigint')
    return BIGINT.test(id) && BigInt(id) <= 9223372036854775807n && BigInt(id) >= -9223372036854775808n;
  return isStorableText(id);
}

/**
 * Whether a `text` column can hold `value`: PostgreSQL text cannot contain NUL (SQLSTATE 22021).
 * An id that fails this matches no row, so lookups answer "not found" without a round trip.
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000');
}
