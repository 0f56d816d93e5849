import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
  type IssuedTokens,
  PassportOptionsError,
  type PassportStore,
  type PurgeOptions,
  type PurgeResult,
  type RateLimitHit,
  type RefreshTokenRecord,
  type StoreChangeEvent,
  type StoreChangeListener,
  StoreConflictError,
  StoreInvalidInputError,
} from '@passport/core';
import type { SqlDriver } from './driver.js';
import { notificationPayload, PostgresChangeFeed } from './internal/change-feed.js';
import { withStoreErrors } from './internal/errors.js';
import { type CoalescedReads, ReadCoalescer } from './internal/read-coalescer.js';
import {
  type AccessTokenRow,
  type AuthCodeRow,
  type ClientRow,
  type DeviceCodeRow,
  type RefreshTokenRow,
  toAccessToken,
  toAuthCode,
  toClient,
  toDate,
  toDeviceCode,
  toRefreshToken,
} from './internal/rows.js';
import {
  buildStatements,
  CLIENT_COLUMNS,
  type PurgeTable,
  purgeBatchSql,
  type Statements,
} from './internal/statements.js';
import { WriteCoalescer } from './internal/write-coalescer.js';
import { type MigrateResult, migrate } from './migrate.js';
import {
  isStorableText,
  isValidClientId,
  type ResolvedSchema,
  resolveSchema,
  type SchemaOptions,
} from './schema.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions extends SchemaOptions {
  /**
   * Most rows one purge statement deletes. Purge loops over batches of this size, each its own
   * short statement, so a table of millions of rows is cleaned without long locks.
   * @default 5000
   */
  purgeBatchSize?: number;
  /**
   * Where the change feed reports, one line each: its connection was lost (or could not be
   * opened), and it listens again.
   * @default console.error
   */
  log?: (message: string) => void;
  /**
   * Group commit for `saveTokens` (client_credentials and other issuances): a call that finds no
   * issuance statement in flight is sent at once, alone; calls arriving while one is in flight go
   * together as the next statement, at most {@link MAX_WRITE_BATCH} (64) per statement. Each call
   * keeps its own outcome: a batch that fails on a taken id or a value a column cannot hold is
   * retried call by call, so only that call fails; `StoreUnavailableError` reaches every call of
   * the batch. `false` sends every `saveTokens` as its own statement.
   * @default true
   */
  coalesceWrites?: boolean;
  /**
   * Coalesced reads of access tokens, refresh tokens and authorization codes by id (the bearer
   * guard on a cache miss, introspection, the refresh and authorization code grants): a read that
   * finds no read of its kind in flight is sent at once, alone; reads arriving while one is in
   * flight go together as the next statement (`WHERE id = ANY($1)`), at most
   * {@link MAX_READ_BATCH} (64) ids. A read is sent after it was asked for, so it sees every write
   * completed before. `false` sends every read as its own statement.
   * @default true
   */
  coalesceReads?: boolean;
}

/** Most ids one coalesced read statement asks for (see `coalesceReads`). */
export const MAX_READ_BATCH = 64;

/** Most issuances one coalesced `saveTokens` statement writes (see `coalesceWrites`). */
export const MAX_WRITE_BATCH = 64;

/** Namespace of the per-family advisory locks of {@link PostgresStore.rotateRefreshToken}. */
const FAMILY_LOCK_PREFIX = '@passport/store-postgres:family:';

/** The parameters of the redeem statements: id, now, the access token's 9, the refresh token's 11. */
function redeemParams(id: string, now: Date, { accessToken, refreshToken }: IssuedTokens): unknown[] {
  return [
    id,
    now,
    ...accessTokenParams(accessToken),
    ...(refreshToken === null ? [] : refreshTokenParams(refreshToken)),
  ];
}

function accessTokenParams(token: AccessTokenRecord): unknown[] {
  return [
    token.id,
    token.userId,
    token.clientId,
    token.name,
    token.scopes,
    token.familyId,
    token.revoked,
    token.createdAt,
    token.expiresAt,
  ];
}

function refreshTokenParams(token: RefreshTokenRecord): unknown[] {
  return [
    token.id,
    token.accessTokenId,
    token.userId,
    token.clientId,
    token.scopes,
    token.familyId,
    token.revoked,
    token.consumedAt,
    token.replacedBy,
    token.createdAt,
    token.expiresAt,
  ];
}

/** Whether every one of `values` can be held by a text column (no NUL). */
const storable = (...values: string[]): boolean => values.every(isStorableText);

/** Client update fields and their columns. */
const CLIENT_UPDATE_COLUMNS = {
  name: 'name',
  secretHash: 'secret_hash',
  provider: 'provider',
  redirectUris: 'redirect_uris',
  grantTypes: 'grant_types',
  scopes: 'scopes',
  firstParty: 'first_party',
  resourceServer: 'resource_server',
  revoked: 'revoked',
} as const satisfies Record<Exclude<keyof ClientUpdate, 'updatedAt'>, string>;

/**
 * The PostgreSQL implementation of core's {@link PassportStore}, written once against
 * {@link SqlDriver}. Create it with {@link createPostgresStore} (node-postgres) or
 * {@link createPGliteStore} (embedded PGlite), or pass your own driver.
 *
 * - Single use is one `UPDATE ... WHERE consumed_at IS NULL AND NOT revoked AND expires_at > $now
 *   RETURNING`: under concurrent calls (any number of processes) exactly one gets the row.
 * - An access token and its refresh token are written in one statement (atomic, one round trip);
 *   so is a code redemption (`redeemAuthCode`, `redeemDeviceCode`): the consume and the inserts
 *   are one statement, so they commit together or not at all.
 * - A refresh token rotation (consume, revoke the old access token, insert the next pair) is one
 *   statement too, ordered against `revokeFamily` by a per-family advisory lock.
 * - A rate-limit hit is one upsert.
 * - An id a column cannot hold (a malformed UUID or integer, a NUL byte) matches nothing, without
 *   a round trip. Connection failures and timeouts throw `StoreUnavailableError`; constraint
 *   violations `StoreConflictError`; a value a write cannot store (SQLSTATE class 22, 54000)
 *   `StoreInvalidInputError`.
 * - Stores never read a clock: `now` comes from the caller.
 * - Every revoking write notifies the store's channel ({@link PostgresStore.changeChannel}) from
 *   the same statement or transaction, so the notification goes out when the change commits and
 *   never for one that rolls back; {@link PostgresStore.subscribeChanges} listens to it.
 *
 * @example
 * ```ts
 * const store = new PostgresStore(nodePostgresDriver(pool), { schema: 'auth' });
 * await store.migrate();
 * ```
 */
export class PostgresStore implements PassportStore {
  /** The driver the store runs its SQL on. */
  readonly driver: SqlDriver;
  /** Resolved schema, prefix and id type. */
  readonly schema: ResolvedSchema;
  /**
   * The channel the store `NOTIFY`s on every revoking change: `passport:<schema>.<tablePrefix>changes`
   * (`passport:public.oauth_changes` by default; a hash of it past 63 bytes). Stores of one schema
   * and prefix, in any number of processes, share it.
   */
  readonly changeChannel: string;
  /**
   * The revocation feed: every revoking change made through any store on this database, schema
   * and prefix (any process), delivered to `listener` (see `PassportStore.subscribeChanges` in
   * `@passport/core`). On node-postgres it `LISTEN`s on a dedicated connection, never one of the
   * pool's: opened with the first listener, closed with the last or `close()`, checked every
   * 10 s. When that connection drops, listeners hear `disconnected` (the read-through cache then
   * relies on its time bound), the store logs one line, reconnects after 50 ms and then with a
   * backoff of up to 5 s, and listeners hear `connected` once it listens again (the cache starts
   * over, as notifications sent meanwhile are lost). On PGlite it uses PGlite's own `LISTEN`,
   * in-process. Absent when the driver cannot listen (a custom driver without `listen`).
   *
   * @example
   * ```ts
   * const unsubscribe = await store.subscribeChanges?.({ changed: (event) => console.log(event) });
   * await unsubscribe?.();
   * ```
   */
  readonly subscribeChanges?: (listener: StoreChangeListener) => Promise<() => Promise<void>>;
  readonly #sql: Statements;
  readonly #purgeBatchSize: number;
  readonly #feed: PostgresChangeFeed | null;
  readonly #tokenWrites: WriteCoalescer<IssuedTokens> | null;
  readonly #accessTokenReads: CoalescedReads<AccessTokenRow>;
  readonly #refreshTokenReads: CoalescedReads<RefreshTokenRow>;
  readonly #authCodeReads: CoalescedReads<AuthCodeRow>;

  /**
   * @param driver Where the SQL runs. Errors leaving it are mapped to the store contract
   *   (`StoreUnavailableError`, `StoreConflictError`), so a custom driver need not map them.
   */
  constructor(driver: SqlDriver, options: PostgresStoreOptions = {}) {
    this.driver = withStoreErrors(driver);
    this.schema = resolveSchema(options);
    this.#sql = buildStatements(this.schema);
    const batch = options.purgeBatchSize ?? 5000;
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new PassportOptionsError(
        `Invalid purgeBatchSize ${String(batch)}: use a positive integer, e.g. { purgeBatchSize: 5000 }.`,
      );
    }
    this.#purgeBatchSize = batch;
    this.changeChannel = this.schema.changeChannel;
    const log = options.log ?? ((message: string) => console.error(message));
    const { listen } = this.driver;
    this.#feed =
      listen === undefined
        ? null
        : new PostgresChangeFeed({ ...this.driver, listen }, this.changeChannel, log);
    const feed = this.#feed;
    if (feed !== null) this.subscribeChanges = (listener) => feed.subscribe(listener);
    this.#tokenWrites =
      options.coalesceWrites === false
        ? null
        : new WriteCoalescer<IssuedTokens>(
            { one: (tokens) => this.#insertTokens(tokens), many: (batch) => this.#insertTokenBatch(batch) },
            MAX_WRITE_BATCH,
          );
    const reads = <Row extends { id: string }>(one: string, many: string): CoalescedReads<Row> => {
      const direct: CoalescedReads<Row> = {
        one: async (id) => (await this.driver.query<Row>(one, [id])).rows[0] ?? null,
        many: async (ids) => {
          const { rows } = await this.driver.query<Row>(many, [ids]);
          return new Map(rows.map((row) => [row.id, row]));
        },
      };
      if (options.coalesceReads === false) return direct;
      const coalescer = new ReadCoalescer(direct, MAX_READ_BATCH);
      return { one: (id) => coalescer.read(id), many: direct.many };
    };
    this.#accessTokenReads = reads<AccessTokenRow>(this.#sql.findAccessToken, this.#sql.findAccessTokens);
    this.#refreshTokenReads = reads<RefreshTokenRow>(this.#sql.findRefreshToken, this.#sql.findRefreshTokens);
    this.#authCodeReads = reads<AuthCodeRow>(this.#sql.findAuthCode, this.#sql.findAuthCodes);
  }

  /** The parameters `$2, $3` of a notifying statement: the channel and the payload of `event`. */
  #notify(event: StoreChangeEvent): [string, string] {
    return [this.changeChannel, notificationPayload(event)];
  }

  /**
   * Applies missing migrations to this store's schema (see {@link migrate}).
   *
   * @example
   * ```ts
   * await store.migrate(); // at startup, or from a deploy step
   * ```
   */
  migrate(): Promise<MigrateResult> {
    return migrate(this.driver, {
      schema: this.schema.schema,
      tablePrefix: this.schema.tablePrefix,
      idType: this.schema.idType,
    });
  }

  /**
   * A fresh client id for this store's id type: the next value of the identity sequence for
   * `'bigint'` (as a decimal string), a random UUID otherwise. Core (`passport.clients.create`,
   * the CLI) takes every new client id from here.
   */
  async nextClientId(): Promise<string> {
    if (this.schema.idType !== 'bigint') return globalThis.crypto.randomUUID();
    const { rows } = await this.driver.query<{ id: string }>(this.#sql.nextClientId);
    return String(rows[0]?.id);
  }

  /** Closes the change feed's connection, then ends the pool or closes the PGlite instance. */
  async close(): Promise<void> {
    await this.#tokenWrites?.drained();
    await this.#feed?.close();
    await this.driver.close();
  }

  /** Rejects a client id the column cannot hold, before any round trip. */
  #assertClientId(id: string): void {
    if (!isValidClientId(this.schema.idType, id)) {
      throw new StoreInvalidInputError(
        `Client id ${JSON.stringify(id.slice(0, 64))} is not a valid ${this.schema.idType} (store option idType)`,
      );
    }
  }

  #clientIdOk(id: string): boolean {
    return isValidClientId(this.schema.idType, id);
  }

  // ---------------------------------------------------------------- clients

  async createClient(client: ClientRecord): Promise<void> {
    this.#assertClientId(client.id);
    await this.driver.query(this.#sql.createClient, [
      client.id,
      client.ownerId,
      client.name,
      client.secretHash,
      client.provider,
      client.redirectUris,
      client.grantTypes,
      client.scopes,
      client.confidential,
      client.firstParty,
      client.resourceServer,
      client.revoked,
      client.createdAt,
      client.updatedAt,
    ]);
  }

  async findClient(id: string): Promise<ClientRecord | null> {
    if (!this.#clientIdOk(id)) return null;
    const { rows } = await this.driver.query<ClientRow>(this.#sql.findClient, [id]);
    return rows[0] ? toClient(rows[0]) : null;
  }

  async updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null> {
    if (!this.#clientIdOk(id)) return null;
    const params: unknown[] = [id, ...this.#notify({ type: 'client', clientId: id }), update.updatedAt];
    const sets = ['updated_at = $4'];
    for (const [field, column] of Object.entries(CLIENT_UPDATE_COLUMNS)) {
      const value = update[field as keyof typeof CLIENT_UPDATE_COLUMNS];
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    // The update and its notification ($2, $3) in one statement: notified only when it committed.
    const { rows } = await this.driver.query<ClientRow>(
      `WITH updated AS (
        UPDATE ${this.schema.tables.clients} SET ${sets.join(', ')} WHERE id = $1 RETURNING ${CLIENT_COLUMNS}
      ), notified AS (
        SELECT pg_notify($2, $3) FROM updated
      )
      SELECT updated.*, (SELECT count(*) FROM notified)::int AS notified FROM updated`,
      params,
    );
    return rows[0] ? toClient(rows[0]) : null;
  }

  async deleteClient(id: string): Promise<boolean> {
    if (!this.#clientIdOk(id)) return false;
    const { rows } = await this.driver.query<{ deleted: number }>(this.#sql.deleteClient, [
      id,
      ...this.#notify({ type: 'client', clientId: id }),
    ]);
    return Number(rows[0]?.deleted ?? 0) > 0;
  }

  async listClientsByOwner(ownerId: string): Promise<ClientRecord[]> {
    if (!storable(ownerId)) return [];
    const { rows } = await this.driver.query<ClientRow>(this.#sql.listClientsByOwner, [ownerId]);
    return rows.map(toClient);
  }

  async listClients(): Promise<ClientRecord[]> {
    const { rows } = await this.driver.query<ClientRow>(this.#sql.listClients);
    return rows.map(toClient);
  }

  // ---------------------------------------------------------------- tokens

  /**
   * One statement in every case: a single `INSERT` without a refresh token, otherwise one
   * statement whose data-modifying CTE inserts the access token and whose main `INSERT` the refresh
   * token. A statement is atomic, so both rows are stored or neither (a taken id throws
   * `StoreConflictError`, a lost connection `StoreUnavailableError`, and nothing is written).
   *
   * Concurrent calls are coalesced (option `coalesceWrites`, on by default): a call finding no
   * issuance in flight goes at once, alone; calls arriving meanwhile go together as the next
   * statement (at most {@link MAX_WRITE_BATCH}), one multi-row `INSERT` into each table. A call's
   * rows are still all or nothing: the batch is one statement, and when it fails on a taken id or
   * a value a column cannot hold, each call of it is retried alone, so only the call at fault gets
   * the error; a lost connection fails every call of the batch with `StoreUnavailableError`.
   */
  async saveTokens(tokens: IssuedTokens): Promise<void> {
    this.#assertTokenClients(tokens);
    if (this.#tokenWrites === null) return this.#insertTokens(tokens);
    return this.#tokenWrites.write(tokens);
  }

  #assertTokenClients({ accessToken, refreshToken }: IssuedTokens): void {
    this.#assertClientId(accessToken.clientId);
    if (refreshToken) this.#assertClientId(refreshToken.clientId);
  }

  /** Inserts an access token and its refresh token, if any, in one statement. */
  async #insertTokens({ accessToken, refreshToken }: IssuedTokens): Promise<void> {
    if (!refreshToken) {
      await this.driver.query(this.#sql.insertAccessToken, accessTokenParams(accessToken));
      return;
    }
    await this.driver.query(this.#sql.insertTokens, [
      ...accessTokenParams(accessToken),
      ...refreshTokenParams(refreshToken),
    ]);
  }

  /** Inserts the tokens of several issuances in one statement (all of them, or none). */
  async #insertTokenBatch(batch: readonly IssuedTokens[]): Promise<void> {
    const access: Record<string, unknown>[] = [];
    const refresh: Record<string, unknown>[] = [];
    for (const { accessToken, refreshToken } of batch) {
      access.push({
        id: accessToken.id,
        user_id: accessToken.userId,
        client_id: accessToken.clientId,
        name: accessToken.name,
        scopes: accessToken.scopes,
        family_id: accessToken.familyId,
        revoked: accessToken.revoked,
        created_at: accessToken.createdAt,
        expires_at: accessToken.expiresAt,
      });
      if (refreshToken) {
        refresh.push({
          id: refreshToken.id,
          access_token_id: refreshToken.accessTokenId,
          user_id: refreshToken.userId,
          client_id: refreshToken.clientId,
          scopes: refreshToken.scopes,
          family_id: refreshToken.familyId,
          revoked: refreshToken.revoked,
          consumed_at: refreshToken.consumedAt,
          replaced_by: refreshToken.replacedBy,
          created_at: refreshToken.createdAt,
          expires_at: refreshToken.expiresAt,
        });
      }
    }
    await this.driver.query(this.#sql.insertTokenBatch, [JSON.stringify(access), JSON.stringify(refresh)]);
  }

  async findAccessToken(id: string): Promise<AccessTokenRecord | null> {
    if (!storable(id)) return null;
    const row = await this.#accessTokenReads.one(id);
    return row === null ? null : toAccessToken(row);
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    if (!storable(id)) return null;
    const row = await this.#refreshTokenReads.one(id);
    return row === null ? null : toRefreshToken(row);
  }

  /**
   * ONE statement, one round trip: a data-modifying CTE takes the family's advisory lock shared
   * (`pg_advisory_xact_lock_shared`, in the CTE `family`), consumes the token (`UPDATE ... SET
   * consumed_at, replaced_by ... FROM family WHERE consumed_at IS NULL AND NOT revoked AND
   * expires_at > $now RETURNING`), revokes the old access token only and notifies it (the same
   * statement, so the notification goes out when it commits), and inserts `next` from the consumed
   * row. A statement is atomic: consumed, revoked and written together, or nothing (a lost
   * connection, a conflicting id). When the token cannot be consumed nothing is written and `null`
   * is returned.
   *
   * Why it is correct under READ COMMITTED, where the statement's snapshot is taken before it
   * waits for any lock:
   * - **One winner.** Concurrent rotations of one token all take the family lock shared, then
   *   queue on the token's row lock. The first consumes it; each later one re-checks the row it
   *   waited on (EvalPlanQual: the UPDATE re-evaluates its `WHERE` on the newest committed
   *   version), finds `consumed_at` set and consumes nothing, so it inserts nothing.
   * - **The consume waits for the lock.** The consume joins the CTE `family`, whose row exists only
   *   once `pg_advisory_xact_lock_shared` returned (a CTE with a volatile function is never inlined
   *   or skipped), so the row lock is taken under the family lock, never before it.
   * - **Against {@link PostgresStore.revokeFamily}**, which takes the same lock exclusively and
   *   then revokes with a second statement (a fresh snapshot). If the revocation holds the lock
   *   first, the rotation waits for it to commit; its snapshot may be older than the revocation,
   *   but its consume re-checks the token's row on its newest version (the revocation updated it:
   *   `revoked` is set), so it consumes and inserts nothing. If the rotation holds the lock first,
   *   the revocation's lock waits for the rotation to commit (an advisory transaction lock is
   *   released after the commit is visible), and its `UPDATE`, taking its snapshot only then, sees
   *   and revokes the pair the rotation inserted. Either way no live pair survives a family
   *   revocation.
   */
  async rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null> {
    if (!storable(id)) return null;
    this.#assertTokenClients(next);
    const { accessToken, refreshToken } = next;
    const { rows } = await this.driver.query<RefreshTokenRow>(
      refreshToken === null ? this.#sql.rotateWithoutRefresh : this.#sql.rotate,
      [
        id,
        now,
        refreshToken?.id ?? null,
        this.changeChannel,
        FAMILY_LOCK_PREFIX,
        ...accessTokenParams(accessToken),
        ...(refreshToken === null ? [] : refreshTokenParams(refreshToken)),
      ],
    );
    const row = rows[0];
    return row ? toRefreshToken(row) : null;
  }

  async revokeAccessToken(id: string): Promise<boolean> {
    if (!storable(id)) return false;
    const { rows } = await this.driver.query<{ found: number }>(this.#sql.revokeAccessToken, [
      id,
      ...this.#notify({ type: 'accessTokens', ids: [id] }),
    ]);
    return Number(rows[0]?.found ?? 0) > 0;
  }

  async revokeRefreshToken(id: string): Promise<boolean> {
    if (!storable(id)) return false;
    const { rowCount } = await this.driver.query(this.#sql.revokeRefreshToken, [id]);
    return rowCount > 0;
  }

  /**
   * Takes the family's advisory lock exclusively, then revokes in a second statement. Under READ
   * COMMITTED a single `UPDATE` would read the family with a snapshot taken before it waits for a
   * rotation in flight, and miss the pair that rotation inserts. With the lock, a rotation
   * (which holds the lock shared) either commits before the `UPDATE` takes its snapshot, so its
   * new pair is revoked too, or starts after the revocation committed, and finds its token
   * revoked.
   */
  async revokeFamily(familyId: string): Promise<number> {
    if (!storable(familyId)) return 0;
    return this.driver.transaction(async (tx) => {
      await tx.query(this.#sql.lockFamily, [familyId, FAMILY_LOCK_PREFIX]);
      const { rows } = await tx.query<{ changed: number }>(this.#sql.revokeFamily, [
        familyId,
        ...this.#notify({ type: 'family', familyId }),
      ]);
      return Number(rows[0]?.changed ?? 0);
    });
  }

  async revokeClientTokens(clientId: string): Promise<number> {
    if (!this.#clientIdOk(clientId)) return 0;
    const { rows } = await this.driver.query<{ changed: number }>(this.#sql.revokeClientTokens, [
      clientId,
      ...this.#notify({ type: 'client', clientId }),
    ]);
    return Number(rows[0]?.changed ?? 0);
  }

  async listUserTokens(
    userId: string,
    options: { now: Date; clientId?: string },
  ): Promise<AccessTokenRecord[]> {
    if (!storable(userId)) return [];
    if (options.clientId !== undefined) {
      if (!this.#clientIdOk(options.clientId)) return [];
      const { rows } = await this.driver.query<AccessTokenRow>(this.#sql.listUserClientTokens, [
        userId,
        options.now,
        options.clientId,
      ]);
      return rows.map(toAccessToken);
    }
    const { rows } = await this.driver.query<AccessTokenRow>(this.#sql.listUserTokens, [userId, options.now]);
    return rows.map(toAccessToken);
  }

  /**
   * Deletes in batches of `purgeBatchSize` rows, one short statement each, so locks stay brief on
   * tables of millions of rows. Never deletes a live refresh token, the access token a live refresh
   * token was issued with, the consumed refresh tokens of a family that still holds a live one
   * (reuse detection needs them), or a code before it expires (replay detection needs it).
   * Revoked clients past `revokedClientsBefore` go with every row of theirs (their rows first, so
   * a failure half-way leaves the client to a later purge); expired single-use markers and
   * rate-limit windows go on every purge.
   */
  async purge(options: PurgeOptions): Promise<PurgeResult> {
    const p = this.#sql.purge;
    const result: PurgeResult = {
      accessTokens: 0,
      refreshTokens: 0,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    };
    const kinds = [
      ['refreshTokens', p.refreshTokens],
      ['accessTokens', p.accessTokens],
      ['authCodes', p.authCodes],
      ['deviceCodes', p.deviceCodes],
    ] as const;
    if (options.revokedClientsBefore !== null) {
      for (const [kind, table] of kinds) {
        result[kind] += await this.#purgeWhere({ ...table, keep: 'false' }, p.ofPurgedClient, options);
      }
      result.clients = await this.#purgeWhere(p.clients, p.purgedClients, options);
    }
    for (const [kind, table] of kinds) {
      if (options.revoked) result[kind] += await this.#purgeWhere(table, table.spent, options);
      if (options.expiredBefore) {
        result[kind] += await this.#purgeWhere(table, 't.expires_at < :before', options);
      }
    }
    result.nonces = await this.#purgeWhere(p.nonces, 't.expires_at <= :now', options);
    result.rateLimits = await this.#purgeWhere(p.rateLimits, 't.reset_at <= :now', options);
    return result;
  }

  async #purgeWhere(table: PurgeTable, condition: string, options: PurgeOptions): Promise<number> {
    const batch = purgeBatchSql(
      table,
      condition,
      { now: options.now, before: options.expiredBefore, clients: options.revokedClientsBefore },
      this.#purgeBatchSize,
    );
    let total = 0;
    for (;;) {
      const { rowCount } = await this.driver.query(batch.sql, batch.params);
      total += rowCount;
      if (rowCount < this.#purgeBatchSize) return total;
    }
  }

  // ---------------------------------------------------------------- authorization codes

  async saveAuthCode(code: AuthCodeRecord): Promise<void> {
    this.#assertClientId(code.clientId);
    await this.driver.query(this.#sql.insertAuthCode, [
      code.id,
      code.clientId,
      code.userId,
      code.scopes,
      code.redirectUri,
      code.codeChallenge,
      code.codeChallengeMethod,
      code.revoked,
      code.consumedAt,
      code.createdAt,
      code.expiresAt,
    ]);
  }

  async findAuthCode(id: string): Promise<AuthCodeRecord | null> {
    if (!storable(id)) return null;
    const row = await this.#authCodeReads.one(id);
    return row === null ? null : toAuthCode(row);
  }

  /**
   * ONE statement: a data-modifying CTE consumes the code (`UPDATE ... WHERE consumed_at IS NULL
   * AND NOT revoked AND expires_at > $now RETURNING`) and the inserts of the tokens select from
   * it, so they write only when the consume did, and a statement is atomic: consumed with its
   * tokens, or nothing (a taken token id, a lost connection). Of concurrent redemptions the
   * others wait on the row lock, then find the code consumed and write nothing.
   */
  async redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null> {
    if (!storable(id)) return null;
    this.#assertTokenClients(tokens);
    const { rows } = await this.driver.query<AuthCodeRow>(
      tokens.refreshToken === null ? this.#sql.redeemAuthCodeWithoutRefresh : this.#sql.redeemAuthCode,
      redeemParams(id, now, tokens),
    );
    return rows[0] ? toAuthCode(rows[0]) : null;
  }

  // ---------------------------------------------------------------- device codes

  /**
   * Inserts a device code. A user code must be unique among live codes (unconsumed, unexpired at
   * the new code's `createdAt`); expiry cannot be part of a unique index, so the check and the
   * insert run in one transaction under an advisory lock on the user code.
   */
  async saveDeviceCode(code: DeviceCodeRecord): Promise<void> {
    this.#assertClientId(code.clientId);
    await this.driver.transaction(async (tx) => {
      await tx.query(this.#sql.lockUserCode, [`@passport/store-postgres:user-code:${code.userCode}`]);
      const live = await tx.query(this.#sql.liveUserCodeExists, [code.userCode, code.createdAt]);
      if (live.rows.length > 0) {
        throw new StoreConflictError(`A live device code already uses user code ${code.userCode}`);
      }
      await tx.query(this.#sql.insertDeviceCode, [
        code.id,
        code.userCode,
        code.clientId,
        code.scopes,
        code.status,
        code.userId,
        code.interval,
        code.lastPolledAt,
        code.consumedAt,
        code.createdAt,
        code.expiresAt,
      ]);
    });
  }

  async findDeviceCode(id: string): Promise<DeviceCodeRecord | null> {
    if (!storable(id)) return null;
    const { rows } = await this.driver.query<DeviceCodeRow>(this.#sql.findDeviceCode, [id]);
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }

  async findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null> {
    if (!storable(userCode)) return null;
    const { rows } = await this.driver.query<DeviceCodeRow>(this.#sql.findDeviceCodeByUserCode, [
      userCode,
      now,
    ]);
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }

  async decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null> {
    if (!storable(id)) return null;
    const { rows } = await this.driver.query<DeviceCodeRow>(this.#sql.decideDeviceCode, [
      id,
      decision.status,
      decision.userId,
      decision.now,
    ]);
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }

  async touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null> {
    if (!storable(id)) return null;
    const { rows } = await this.driver.query<DeviceCodeRow>(this.#sql.touchDeviceCode, [
      id,
      now,
      interval ?? null,
    ]);
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }

  /** ONE statement, as {@link PostgresStore.redeemAuthCode}: the consume and the inserts commit together. */
  async redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null> {
    if (!storable(id)) return null;
    this.#assertTokenClients(tokens);
    const { rows } = await this.driver.query<DeviceCodeRow>(
      tokens.refreshToken === null ? this.#sql.redeemDeviceCodeWithoutRefresh : this.#sql.redeemDeviceCode,
      redeemParams(id, now, tokens),
    );
    return rows[0] ? toDeviceCode(rows[0]) : null;
  }

  // ---------------------------------------------------------------- nonces

  async useNonce(id: string, expiresAt: Date): Promise<boolean> {
    const { rows } = await this.driver.query(this.#sql.useNonce, [id, expiresAt]);
    return rows.length > 0;
  }

  // ---------------------------------------------------------------- rate limits

  /** One upsert (`INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING`): one round trip, no lost hit. */
  async hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit> {
    const { rows } = await this.driver.query<{ count: number | string; reset_at: unknown }>(
      this.#sql.hitRateLimit,
      [key, now, new Date(now.getTime() + windowMs)],
    );
    const row = rows[0];
    if (row === undefined) throw new Error('hitRateLimit: the upsert returned no row');
    return { count: Number(row.count), resetAt: toDate(row.reset_at) };
  }
}
