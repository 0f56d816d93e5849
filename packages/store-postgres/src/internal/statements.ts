import type { ResolvedSchema } from '../schema.js';

/** Column lists, with client ids cast to text so every id type reads back as a string. */
export const CLIENT_COLUMNS =
  'id::text AS id, owner_id, name, secret_hash, provider, redirect_uris, grant_types, scopes, confidential, first_party, revoked, created_at, updated_at';
const ACCESS_COLUMNS =
  'id, user_id, client_id::text AS client_id, name, scopes, family_id, revoked, created_at, expires_at';
const REFRESH_COLUMNS =
  'id, access_token_id, user_id, client_id::text AS client_id, scopes, family_id, revoked, consumed_at, created_at, expires_at';
const CODE_COLUMNS =
  'id, client_id::text AS client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, revoked, consumed_at, created_at, expires_at';
const DEVICE_COLUMNS =
  'id, user_code, client_id::text AS client_id, scopes, status, user_id, poll_interval, last_polled_at, consumed_at, created_at, expires_at';

/** Prefixes every column of a list with a table alias (`a.id, a.user_id, ...`). */
function qualified(columns: string, alias: string): string {
  return columns
    .split(', ')
    .map((column) => `${alias}.${column}`)
    .join(', ');
}

/**
 * Every fixed statement the store runs, built once per schema. Kept apart from the store so tests
 * can `EXPLAIN` exactly the SQL the store sends.
 */
export function buildStatements(schema: ResolvedSchema) {
  const t = schema.tables;
  /** A live refresh token: not revoked, not consumed, unexpired at `$now`. */
  const liveRefresh = (alias: string, now: string) =>
    `NOT ${alias}.revoked AND ${alias}.consumed_at IS NULL AND ${alias}.expires_at > ${now}`;

  return {
    // clients
    createClient: `INSERT INTO ${t.clients} (id, owner_id, name, secret_hash, provider, redirect_uris, grant_types, scopes, confidential, first_party, revoked, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    findClient: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} WHERE id = $1`,
    deleteClient: `DELETE FROM ${t.clients} WHERE id = $1`,
    listClientsByOwner: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} WHERE owner_id = $1 ORDER BY created_at, seq`,
    listClients: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} ORDER BY created_at, seq`,
    nextClientId: `SELECT nextval(pg_get_serial_sequence('${t.clients.replaceAll("'", "''")}', 'id'))::text AS id`,

    // tokens
    insertAccessToken: `INSERT INTO ${t.accessTokens} (id, user_id, client_id, name, scopes, family_id, revoked, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    insertRefreshToken: `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, revoked, consumed_at, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    /**
     * An access token and its refresh token in ONE statement (a data-modifying CTE): a single
     * statement is atomic, so both rows are stored or neither, in one round trip instead of
     * `BEGIN`, two `INSERT`s and `COMMIT`. Parameters: the access token's 9, then the refresh
     * token's 10.
     */
    insertTokens: `WITH access AS (
        INSERT INTO ${t.accessTokens} (id, user_id, client_id, name, scopes, family_id, revoked, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      )
      INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, revoked, consumed_at, created_at, expires_at)
      VALUES ($10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
    findAccessToken: `SELECT ${ACCESS_COLUMNS} FROM ${t.accessTokens} WHERE id = $1`,
    findRefreshToken: `SELECT ${REFRESH_COLUMNS} FROM ${t.refreshTokens} WHERE id = $1`,
    consumeRefreshToken: `UPDATE ${t.refreshTokens} SET consumed_at = $2
      WHERE id = $1 AND consumed_at IS NULL AND NOT revoked AND expires_at > $2
      RETURNING ${REFRESH_COLUMNS}`,
    lockFamilyShared: `SELECT pg_advisory_xact_lock_shared(hashtextextended($2::text || family_id, 0))
      FROM ${t.refreshTokens} WHERE id = $1`,
    lockFamily: 'SELECT pg_advisory_xact_lock(hashtextextended($2::text || $1::text, 0))',
    revokeRotatedAccessToken: `UPDATE ${t.accessTokens} SET revoked = true WHERE id = $1`,
    revokeAccessToken: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE id = $1 RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE access_token_id = $1 AND NOT revoked RETURNING id
      )
      SELECT (SELECT count(*) FROM access)::int AS found`,
    revokeRefreshToken: `UPDATE ${t.refreshTokens} SET revoked = true WHERE id = $1 RETURNING id`,
    revokeFamily: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE family_id = $1 AND NOT revoked RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE family_id = $1 AND NOT revoked RETURNING id
      )
      SELECT ((SELECT count(*) FROM access) + (SELECT count(*) FROM refresh))::int AS changed`,
    revokeClientTokens: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), codes AS (
        UPDATE ${t.authCodes} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), devices AS (
        UPDATE ${t.deviceCodes} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      )
      SELECT ((SELECT count(*) FROM access) + (SELECT count(*) FROM refresh)
        + (SELECT count(*) FROM codes) + (SELECT count(*) FROM devices))::int AS changed`,
    listUserTokens: `SELECT ${ACCESS_COLUMNS} FROM ${t.accessTokens}
      WHERE user_id = $1 AND NOT revoked AND expires_at > $2
      ORDER BY created_at DESC, seq DESC`,
    listUserClientTokens: `SELECT ${ACCESS_COLUMNS} FROM ${t.accessTokens}
      WHERE user_id = $1 AND client_id = $3 AND NOT revoked AND expires_at > $2
      ORDER BY created_at DESC, seq DESC`,

    // authorization codes
    insertAuthCode: `INSERT INTO ${t.authCodes} (id, client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, revoked, consumed_at, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    findAuthCode: `SELECT ${CODE_COLUMNS} FROM ${t.authCodes} WHERE id = $1`,
    consumeAuthCode: `UPDATE ${t.authCodes} SET consumed_at = $2
      WHERE id = $1 AND consumed_at IS NULL AND NOT revoked AND expires_at > $2
      RETURNING ${CODE_COLUMNS}`,

    // device codes
    lockUserCode: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
    liveUserCodeExists: `SELECT 1 FROM ${t.deviceCodes}
      WHERE user_code = $1 AND consumed_at IS NULL AND NOT revoked AND expires_at > $2 LIMIT 1`,
    insertDeviceCode: `INSERT INTO ${t.deviceCodes} (id, user_code, client_id, scopes, status, user_id, poll_interval, last_polled_at, consumed_at, created_at, expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    findDeviceCode: `SELECT ${DEVICE_COLUMNS} FROM ${t.deviceCodes} WHERE id = $1`,
    findDeviceCodeByUserCode: `SELECT ${DEVICE_COLUMNS} FROM ${t.deviceCodes}
      WHERE user_code = $1 AND consumed_at IS NULL AND NOT revoked AND expires_at > $2
      ORDER BY created_at DESC LIMIT 1`,
    decideDeviceCode: `UPDATE ${t.deviceCodes} SET status = $2, user_id = $3
      WHERE id = $1 AND status = 'pending' AND consumed_at IS NULL AND NOT revoked AND expires_at > $4
      RETURNING ${DEVICE_COLUMNS}`,
    touchDeviceCode: `WITH previous AS (
        SELECT ${DEVICE_COLUMNS} FROM ${t.deviceCodes} WHERE id = $1 FOR UPDATE
      )
      UPDATE ${t.deviceCodes} AS d SET last_polled_at = $2, poll_interval = COALESCE($3::integer, d.poll_interval)
      FROM previous WHERE d.id = previous.id
      RETURNING ${qualified(DEVICE_COLUMNS.replace('client_id::text AS client_id', 'client_id'), 'previous')}`,
    consumeDeviceCode: `UPDATE ${t.deviceCodes} SET consumed_at = $2
      WHERE id = $1 AND status = 'approved' AND consumed_at IS NULL AND NOT revoked AND expires_at > $2
      RETURNING ${DEVICE_COLUMNS}`,

    // nonces
    useNonce: `INSERT INTO ${t.nonces} (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,

    /**
     * Purge conditions per table (alias `t`): `spent` = revoked or consumed, `expired` =
     * `expires_at < :before`; `keep` protects what a live refresh token needs. `:now` and
     * `:before` are bound by {@link purgeBatchSql}. The protection checks are scalar subqueries
     * (`(SELECT 1 ... LIMIT 1) IS NOT NULL`), which Postgres never turns into a join: each candidate
     * row costs one index probe, so a batch's work is bounded by its size, whatever the table size.
     */
    purge: {
      accessTokens: {
        table: t.accessTokens,
        spent: 't.revoked',
        keep: `(SELECT 1 FROM ${t.refreshTokens} r WHERE r.access_token_id = t.id AND ${liveRefresh('r', ':now')} LIMIT 1) IS NOT NULL`,
      },
      refreshTokens: {
        table: t.refreshTokens,
        spent: 't.revoked OR t.consumed_at IS NOT NULL',
        keep: `(${liveRefresh('t', ':now')}) OR (t.consumed_at IS NOT NULL AND (
          SELECT 1 FROM ${t.refreshTokens} f WHERE f.family_id = t.family_id AND ${liveRefresh('f', ':now')} LIMIT 1) IS NOT NULL)`,
      },
      authCodes: { table: t.authCodes, spent: 't.revoked OR t.consumed_at IS NOT NULL', keep: 'false' },
      deviceCodes: { table: t.deviceCodes, spent: 't.revoked OR t.consumed_at IS NOT NULL', keep: 'false' },
      nonces: { table: t.nonces, spent: 'false', keep: 'false' },
    },
  } as const;
}

/** The statements of one schema (see {@link buildStatements}). */
export type Statements = ReturnType<typeof buildStatements>;

/** The purge conditions of one table (see {@link buildStatements}). */
export interface PurgeTable {
  readonly table: string;
  readonly spent: string;
  readonly keep: string;
}

/** A statement with named values resolved to `$n` parameters. */
export interface BoundStatement {
  sql: string;
  params: unknown[];
}

/**
 * One bounded batch of a purge: deletes at most `batchSize` rows matching `condition` and not
 * `keep`, located by `ctid` (a TID scan, no second index lookup). Rows changed concurrently since
 * the inner `SELECT` are skipped, never deleted on stale information.
 */
export function purgeBatchSql(
  target: PurgeTable,
  condition: string,
  values: { now: Date; before: Date | null },
  batchSize: number,
): BoundStatement {
  const params: unknown[] = [];
  const bind = (text: string) =>
    text.replace(/:(now|before)\b/g, (_, name: 'now' | 'before') => {
      params.push(values[name]);
      return `$${params.length}::timestamptz`;
    });
  const sql = bind(`DELETE FROM ${target.table} WHERE ctid = ANY(ARRAY(
    SELECT t.ctid FROM ${target.table} t WHERE (${condition}) AND NOT (${target.keep}) LIMIT ${batchSize}
  ))`);
  return { sql, params };
}
