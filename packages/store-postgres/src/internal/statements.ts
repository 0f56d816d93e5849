import type { ResolvedSchema } from '../schema.js';

/** Column lists, with client ids cast to text so every id type reads back as a string. */
export const CLIENT_COLUMNS =
  'id::text AS id, owner_id, name, secret_hash, provider, redirect_uris, grant_types, scopes, confidential, first_party, resource_server, revoked, created_at, updated_at';
const ACCESS_COLUMNS =
  'id, user_id, client_id::text AS client_id, name, scopes, family_id, revoked, created_at, expires_at';
const REFRESH_COLUMNS =
  'id, access_token_id, user_id, client_id::text AS client_id, scopes, family_id, revoked, consumed_at, replaced_by, created_at, expires_at';
const CODE_COLUMNS =
  'id, client_id::text AS client_id, user_id, scopes, redirect_uri, code_challenge, code_challenge_method, revoked, consumed_at, created_at, expires_at';
const DEVICE_COLUMNS =
  'id, user_code, client_id::text AS client_id, scopes, status, user_id, poll_interval, last_polled_at, consumed_at, created_at, expires_at';

/**
 * The CTE `notified`: `pg_notify($2, $3)` once per row of `source`. A CTE with a volatile function
 * is evaluated where it is referenced (never inlined away), and a notification is sent when its
 * transaction commits: a statement or transaction that rolls back notifies nothing.
 */
function notifyFrom(source: string): string {
  return `notified AS (
        SELECT pg_notify($2, $3) FROM ${source}
      )`;
}

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
  const clientIdType = schema.idType;
  /**
   * The typed values of an access token (9 parameters from `$first`) and of a refresh token (11
   * parameters), for `INSERT ... SELECT ... FROM <cte>`, where parameter types are not inferred
   * from the target columns.
   */
  const accessValues = (first: number) => {
    const $ = (n: number) => `$${first + n}`;
    return `${$(0)}::text, ${$(1)}::text, ${$(2)}::${clientIdType}, ${$(3)}::text, ${$(4)}::text[], ${$(5)}::text, ${$(6)}::boolean, ${$(7)}::timestamptz, ${$(8)}::timestamptz`;
  };
  const refreshValues = (first: number) => {
    const $ = (n: number) => `$${first + n}`;
    return `${$(0)}::text, ${$(1)}::text, ${$(2)}::text, ${$(3)}::${clientIdType}, ${$(4)}::text[], ${$(5)}::text, ${$(6)}::boolean, ${$(7)}::timestamptz, ${$(8)}::text, ${$(9)}::timestamptz, ${$(10)}::timestamptz`;
  };
  const ACCESS_INSERT = `INSERT INTO ${t.accessTokens} (id, user_id, client_id, name, scopes, family_id, revoked, created_at, expires_at)`;
  const REFRESH_INSERT = `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, revoked, consumed_at, replaced_by, created_at, expires_at)`;
  /**
   * One statement that consumes a code (the CTE `code`, a conditional `UPDATE ... RETURNING`) and
   * inserts the tokens only when that consumed a row: atomic, exactly one winner, one round trip.
   * Parameters: `$1` id, `$2` now, then the access token's 9 and the refresh token's 11.
   */
  const redeem = (consume: string, columns: string, withRefresh: boolean) => `WITH code AS (
        ${consume}
        RETURNING ${columns}
      ), access AS (
        ${ACCESS_INSERT} SELECT ${accessValues(3)} FROM code
      )${
        withRefresh
          ? `, refresh AS (
        ${REFRESH_INSERT} SELECT ${refreshValues(12)} FROM code
      )`
          : ''
      }
      SELECT * FROM code`;
  const consumeCode = `UPDATE ${t.authCodes} SET consumed_at = $2
        WHERE id = $1 AND consumed_at IS NULL AND NOT revoked AND expires_at > $2`;
  const consumeDevice = `UPDATE ${t.deviceCodes} SET consumed_at = $2
        WHERE id = $1 AND status = 'approved' AND consumed_at IS NULL AND NOT revoked AND expires_at > $2`;
  /**
   * The rotation statement. The payload of the notification is built in SQL (the old access token's
   * id comes from the consumed row): the JSON `formatStoreChange` writes, or a `reset` event when it
   * would not fit in a notification (8000 bytes), as `notificationPayload` does.
   */
  const rotate = (withRefresh: boolean) => `WITH family AS (
        SELECT r.id, pg_advisory_xact_lock_shared(hashtextextended($5::text || r.family_id, 0)) AS locked
        FROM ${t.refreshTokens} r WHERE r.id = $1
      ), consumed AS (
        UPDATE ${t.refreshTokens} AS t SET consumed_at = $2, replaced_by = $3
        FROM family
        WHERE t.id = family.id AND t.consumed_at IS NULL AND NOT t.revoked AND t.expires_at > $2
        RETURNING t.id, t.access_token_id, t.user_id, t.client_id::text AS client_id, t.scopes, t.family_id,
          t.revoked, t.consumed_at, t.replaced_by, t.created_at, t.expires_at
      ), revoked AS (
        UPDATE ${t.accessTokens} AS a SET revoked = true
        FROM consumed WHERE a.id = consumed.access_token_id
        RETURNING '{"type":"accessTokens","ids":[' || to_json(a.id)::text || ']}' AS payload
      ), notified AS (
        SELECT pg_notify($4, CASE WHEN octet_length(payload) <= 7999 THEN payload ELSE '{"type":"reset"}' END)
        FROM revoked
      ), access AS (
        ${ACCESS_INSERT} SELECT ${accessValues(6)} FROM consumed
      )${
        withRefresh
          ? `, refresh AS (
        ${REFRESH_INSERT} SELECT ${refreshValues(15)} FROM consumed
      )`
          : ''
      }
      SELECT consumed.*, (SELECT count(*) FROM notified)::int AS notified FROM consumed`;
  /** A live refresh token: not revoked, not consumed, unexpired at `$now`. */
  const liveRefresh = (alias: string, now: string) =>
    `NOT ${alias}.revoked AND ${alias}.consumed_at IS NULL AND ${alias}.expires_at > ${now}`;

  return {
    // clients
    createClient: `INSERT INTO ${t.clients} (id, owner_id, name, secret_hash, provider, redirect_uris, grant_types, scopes, confidential, first_party, resource_server, revoked, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    findClient: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} WHERE id = $1`,
    /** Deletes a client and, when it existed, notifies `$3` on channel `$2` (on commit). */
    deleteClient: `WITH deleted AS (
        DELETE FROM ${t.clients} WHERE id = $1 RETURNING id
      ), ${notifyFrom('deleted')}
      SELECT (SELECT count(*) FROM deleted)::int AS deleted, (SELECT count(*) FROM notified)::int AS notified`,
    listClientsByOwner: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} WHERE owner_id = $1 ORDER BY created_at, seq`,
    listClients: `SELECT ${CLIENT_COLUMNS} FROM ${t.clients} ORDER BY created_at, seq`,
    nextClientId: `SELECT nextval(pg_get_serial_sequence('${t.clients.replaceAll("'", "''")}', 'id'))::text AS id`,

    // tokens
    insertAccessToken: `${ACCESS_INSERT}
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    /**
     * An access token and its refresh token in ONE statement (a data-modifying CTE): a single
     * statement is atomic, so both rows are stored or neither, in one round trip instead of
     * `BEGIN`, two `INSERT`s and `COMMIT`. Parameters: the access token's 9, then the refresh
     * token's 11.
     */
    insertTokens: `WITH access AS (
        ${ACCESS_INSERT}
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      )
      ${REFRESH_INSERT}
      VALUES ($10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
    /**
     * Many issuances in ONE statement (coalesced `saveTokens`): `$1` a JSON array of access tokens,
     * `$2` a JSON array of the refresh tokens among them (possibly empty), each object keyed by
     * column. One fixed text whatever the batch size, so it is prepared once per connection. A
     * statement is atomic: every row of the batch is stored, or none.
     */
    insertTokenBatch: `WITH access AS (
        ${ACCESS_INSERT}
        SELECT id, user_id, client_id, name, scopes, family_id, revoked, created_at, expires_at
        FROM jsonb_to_recordset($1::jsonb) AS r(id text, user_id text, client_id ${clientIdType}, name text,
          scopes text[], family_id text, revoked boolean, created_at timestamptz, expires_at timestamptz)
      )
      ${REFRESH_INSERT}
      SELECT id, access_token_id, user_id, client_id, scopes, family_id, revoked, consumed_at, replaced_by, created_at, expires_at
      FROM jsonb_to_recordset($2::jsonb) AS r(id text, access_token_id text, user_id text, client_id ${clientIdType},
        scopes text[], family_id text, revoked boolean, consumed_at timestamptz, replaced_by text,
        created_at timestamptz, expires_at timestamptz)`,
    findAccessToken: `SELECT ${ACCESS_COLUMNS} FROM ${t.accessTokens} WHERE id = $1`,
    findAccessTokens: `SELECT ${ACCESS_COLUMNS} FROM ${t.accessTokens} WHERE id = ANY($1)`,
    findRefreshToken: `SELECT ${REFRESH_COLUMNS} FROM ${t.refreshTokens} WHERE id = $1`,
    findRefreshTokens: `SELECT ${REFRESH_COLUMNS} FROM ${t.refreshTokens} WHERE id = ANY($1)`,
    /**
     * A whole rotation in ONE statement (see `PostgresStore.rotateRefreshToken` for why it is
     * correct under concurrency): the CTE `family` takes the family's advisory lock shared, the
     * conditional consume joins it (so the lock is held before the row is), the old access token is
     * revoked and notified, and the next pair is inserted from the consumed row. Parameters: `$1` id,
     * `$2` now, `$3` the id of the refresh token that replaces it, `$4` the notification channel,
     * `$5` the lock namespace, then the access token's 9 and the refresh token's 11.
     */
    rotate: rotate(true),
    rotateWithoutRefresh: rotate(false),
    /** The exclusive family lock of `revokeFamily` (`$2` the lock namespace, `$1` the family). */
    lockFamily: 'SELECT pg_advisory_xact_lock(hashtextextended($2::text || $1::text, 0))',
    /** Revokes an access token with its refresh tokens; when it exists, notifies `$3` on `$2`. */
    revokeAccessToken: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE id = $1 RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE access_token_id = $1 AND NOT revoked RETURNING id
      ), ${notifyFrom('access')}
      SELECT (SELECT count(*) FROM access)::int AS found, (SELECT count(*) FROM notified)::int AS notified`,
    revokeRefreshToken: `UPDATE ${t.refreshTokens} SET revoked = true WHERE id = $1 RETURNING id`,
    /** Revokes a family; when it revoked an access token, notifies `$3` on channel `$2`. */
    revokeFamily: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE family_id = $1 AND NOT revoked RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE family_id = $1 AND NOT revoked RETURNING id
      ), ${notifyFrom('(SELECT 1 FROM access LIMIT 1) AS one')}
      SELECT ((SELECT count(*) FROM access) + (SELECT count(*) FROM refresh))::int AS changed,
        (SELECT count(*) FROM notified)::int AS notified`,
    /** Revokes everything of a client and notifies `$3` on channel `$2` (the client's cached row goes too). */
    revokeClientTokens: `WITH access AS (
        UPDATE ${t.accessTokens} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), refresh AS (
        UPDATE ${t.refreshTokens} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), codes AS (
        UPDATE ${t.authCodes} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), devices AS (
        UPDATE ${t.deviceCodes} SET revoked = true WHERE client_id = $1 AND NOT revoked RETURNING id
      ), notified AS (
        SELECT pg_notify($2, $3)
      )
      SELECT ((SELECT count(*) FROM access) + (SELECT count(*) FROM refresh)
        + (SELECT count(*) FROM codes) + (SELECT count(*) FROM devices))::int AS changed,
        (SELECT count(*) FROM notified)::int AS notified`,
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
    findAuthCodes: `SELECT ${CODE_COLUMNS} FROM ${t.authCodes} WHERE id = ANY($1)`,
    redeemAuthCode: redeem(consumeCode, CODE_COLUMNS, true),
    redeemAuthCodeWithoutRefresh: redeem(consumeCode, CODE_COLUMNS, false),

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
    redeemDeviceCode: redeem(consumeDevice, DEVICE_COLUMNS, true),
    redeemDeviceCodeWithoutRefresh: redeem(consumeDevice, DEVICE_COLUMNS, false),

    // nonces
    useNonce: `INSERT INTO ${t.nonces} (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id`,

    /**
     * One upsert per hit: a new key opens a window (`count` 1, `reset_at` = `$3`, the caller's
     * now + window); an open window counts up; a closed one (`reset_at <= $2`) starts over. The row
     * lock of `ON CONFLICT DO UPDATE` serialises concurrent hits, so none is lost.
     */
    hitRateLimit: `INSERT INTO ${t.rateLimits} AS r (key, count, reset_at) VALUES ($1, 1, $3)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN r.reset_at <= $2 THEN 1 ELSE r.count + 1 END,
        reset_at = CASE WHEN r.reset_at <= $2 THEN EXCLUDED.reset_at ELSE r.reset_at END
      RETURNING count, reset_at`,

    /**
     * Purge conditions per table (alias `t`): `spent` = revoked or consumed, `expired` =
     * `expires_at < :before`; `keep` protects what detection needs (what a live refresh token
     * needs; a code until its expiry). `:now`, `:before` and `:clients` are bound by
     * {@link purgeBatchSql}. The protection checks are scalar subqueries (`(SELECT 1 ... LIMIT 1)
     * IS NOT NULL`), which Postgres never turns into a join: each candidate row costs one index
     * probe. Expired rows and spent codes (purged only after their expiry) are found through the
     * `expires_at` indexes; spent tokens by a scan that stops once a batch is full, since no index
     * names `revoked` or `consumed_at` (migration 0003: their updates stay HOT). `ofPurgedClient`
     * selects the rows of the clients revoked before `:clients`, which go regardless.
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
      authCodes: {
        table: t.authCodes,
        // A code goes only after its expiry (keep): saying so here lets the expires_at index find it.
        spent: 't.expires_at <= :now AND (t.revoked OR t.consumed_at IS NOT NULL)',
        keep: 't.expires_at > :now',
      },
      deviceCodes: {
        table: t.deviceCodes,
        spent: 't.expires_at <= :now AND (t.revoked OR t.consumed_at IS NOT NULL)',
        keep: 't.expires_at > :now',
      },
      nonces: { table: t.nonces, spent: 'false', keep: 'false' },
      rateLimits: { table: t.rateLimits, spent: 'false', keep: 'false' },
      clients: { table: t.clients, spent: 'false', keep: 'false' },
      purgedClients: `t.revoked AND t.updated_at < :clients`,
      ofPurgedClient: `t.client_id IN (SELECT c.id FROM ${t.clients} c WHERE c.revoked AND c.updated_at < :clients)`,
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
  values: { now: Date; before: Date | null; clients: Date | null },
  batchSize: number,
): BoundStatement {
  const params: unknown[] = [];
  const bind = (text: string) =>
    text.replace(/:(now|before|clients)\b/g, (_, name: 'now' | 'before' | 'clients') => {
      params.push(values[name]);
      return `$${params.length}::timestamptz`;
    });
  const sql = bind(`DELETE FROM ${target.table} WHERE ctid = ANY(ARRAY(
    SELECT t.ctid FROM ${target.table} t WHERE (${condition}) AND NOT (${target.keep}) LIMIT ${batchSize}
  ))`);
  return { sql, params };
}
