import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
  type IssuedTokens,
  type PassportStore,
  type PurgeOptions,
  type PurgeResult,
  type RateLimitHit,
  type RefreshTokenRecord,
  StoreConflictError,
  StoreInvalidInputError,
  StoreUnavailableError,
} from '@passport/core';
import type { Database, Statement } from 'better-sqlite3';

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * Start of every table name, so several stores (or your app's own tables) share one file.
   * Letters, digits and underscores.
   * @default 'oauth_'
   */
  tablePrefix?: string;
}

// ------------------------------------------------------------------------------------ rows

interface ClientRow {
  id: string;
  owner_id: string | null;
  name: string;
  secret_hash: string | null;
  provider: string | null;
  redirect_uris: string;
  grant_types: string;
  scopes: string | null;
  confidential: number;
  first_party: number;
  resource_server: number;
  revoked: number;
  created_at: number;
  updated_at: number;
}

interface AccessTokenRow {
  id: string;
  user_id: string | null;
  client_id: string;
  name: string | null;
  scopes: string;
  family_id: string | null;
  revoked: number;
  created_at: number;
  expires_at: number;
}

interface RefreshTokenRow {
  id: string;
  access_token_id: string;
  user_id: string | null;
  client_id: string;
  scopes: string;
  family_id: string;
  revoked: number;
  consumed_at: number | null;
  replaced_by: string | null;
  created_at: number;
  expires_at: number;
}

interface AuthCodeRow {
  id: string;
  client_id: string;
  user_id: string;
  scopes: string;
  redirect_uri: string | null;
  code_challenge: string | null;
  code_challenge_method: 'S256' | 'plain' | null;
  revoked: number;
  consumed_at: number | null;
  created_at: number;
  expires_at: number;
}

interface DeviceCodeRow {
  id: string;
  user_code: string;
  client_id: string;
  scopes: string;
  status: 'pending' | 'approved' | 'denied';
  user_id: string | null;
  poll_interval: number;
  last_polled_at: number | null;
  consumed_at: number | null;
  created_at: number;
  expires_at: number;
}

// Dates are integer milliseconds, lists JSON text, booleans 0/1. Every read builds a new record,
// so a caller that mutates one never changes stored state.
const date = (ms: number): Date => new Date(ms);
const maybeDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const ms = (value: Date | null): number | null => (value === null ? null : value.getTime());
const list = (json: string): string[] => JSON.parse(json) as string[];

const toClient = (r: ClientRow): ClientRecord => ({
  id: r.id,
  ownerId: r.owner_id,
  name: r.name,
  secretHash: r.secret_hash,
  provider: r.provider,
  redirectUris: list(r.redirect_uris),
  grantTypes: list(r.grant_types) as ClientRecord['grantTypes'],
  scopes: r.scopes === null ? null : list(r.scopes),
  confidential: r.confidential === 1,
  firstParty: r.first_party === 1,
  resourceServer: r.resource_server === 1,
  revoked: r.revoked === 1,
  createdAt: date(r.created_at),
  updatedAt: date(r.updated_at),
});

const toAccessToken = (r: AccessTokenRow): AccessTokenRecord => ({
  id: r.id,
  userId: r.user_id,
  clientId: r.client_id,
  name: r.name,
  scopes: list(r.scopes),
  familyId: r.family_id,
  revoked: r.revoked === 1,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});

const toRefreshToken = (r: RefreshTokenRow): RefreshTokenRecord => ({
  id: r.id,
  accessTokenId: r.access_token_id,
  userId: r.user_id,
  clientId: r.client_id,
  scopes: list(r.scopes),
  familyId: r.family_id,
  revoked: r.revoked === 1,
  consumedAt: maybeDate(r.consumed_at),
  replacedBy: r.replaced_by,
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});

const toAuthCode = (r: AuthCodeRow): AuthCodeRecord => ({
  id: r.id,
  clientId: r.client_id,
  userId: r.user_id,
  scopes: list(r.scopes),
  redirectUri: r.redirect_uri,
  codeChallenge: r.code_challenge,
  codeChallengeMethod: r.code_challenge_method,
  revoked: r.revoked === 1,
  consumedAt: maybeDate(r.consumed_at),
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});

const toDeviceCode = (r: DeviceCodeRow): DeviceCodeRecord => ({
  id: r.id,
  userCode: r.user_code,
  clientId: r.client_id,
  scopes: list(r.scopes),
  status: r.status,
  userId: r.user_id,
  interval: r.poll_interval,
  lastPolledAt: maybeDate(r.last_polled_at),
  consumedAt: maybeDate(r.consumed_at),
  createdAt: date(r.created_at),
  expiresAt: date(r.expires_at),
});

// ------------------------------------------------------------------------------------ ids

/**
 * Whether SQLite can hold `value` as it is. better-sqlite3 encodes strings as UTF-8, and a lone
 * surrogate cannot be encoded: it would be stored as U+FFFD, so two different ids would become
 * one. Such an id matches nothing on reads, and a write that carries one is refused.
 */
const representable = (value: string): boolean =>
  (value as string & { isWellFormed(): boolean }).isWellFormed();

function assertRepresentable(...values: (string | null)[]): void {
  for (const value of values) {
    if (value !== null && !representable(value)) {
      throw new StoreInvalidInputError('The SQLite store cannot hold a string with a lone surrogate');
    }
  }
}

// ------------------------------------------------------------------------------------ errors

/**
 * The contract lets three typed errors out of a store. SQLite's extended result codes say which:
 * a primary key or unique constraint is a conflict (nothing written: the statement, or the
 * transaction around it, rolled back), a busy or locked database (another process holds the write
 * lock past `busy_timeout`) or an I/O failure is an outage, an over-long value is invalid input.
 */
function mapError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new StoreConflictError('A record with this id already exists', { cause: error });
  }
  if (code === 'SQLITE_TOOBIG') {
    return new StoreInvalidInputError('A value is too large for SQLite', { cause: error });
  }
  if (
    typeof code === 'string' &&
    /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB)/.test(code)
  ) {
    return new StoreUnavailableError(`SQLite is unavailable (${code})`, { cause: error });
  }
  if (error instanceof TypeError && /database connection is not open/.test(error.message)) {
    return new StoreUnavailableError('The SQLite database is closed', { cause: error });
  }
  return error;
}

// ------------------------------------------------------------------------------------ store

/**
 * A {@link PassportStore} on SQLite through better-sqlite3: the worked example of
 * `docs/writing-a-store.md`, passing the whole `@passport/store-testkit` suite.
 *
 * **Atomicity.** better-sqlite3 is synchronous: every method does all of its SQL in one
 * synchronous stretch, so no other call of this process can interleave, and the steps that must be
 * all or nothing (`saveTokens`, `rotateRefreshToken`, `redeemAuthCode`, `redeemDeviceCode`,
 * `saveDeviceCode`, `touchDeviceCode`, the revocations) run in one `BEGIN IMMEDIATE` transaction,
 * which takes SQLite's write lock first, so other processes on the same file are serialized too.
 * The check-and-set steps are conditional `UPDATE ... WHERE consumed_at IS NULL ... RETURNING`
 * statements: of concurrent callers exactly one changes the row.
 *
 * **Time.** The store never reads a clock: `now` comes from the caller, dates are stored as
 * milliseconds. Expired rows stay until `purge` removes them (SQLite has no native expiry).
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * import { SqliteStore } from '@passport/example-store-sqlite';
 *
 * const store = new SqliteStore(new Database('./passport.db'));
 * ```
 */
export class SqliteStore implements PassportStore {
  readonly #db: Database;
  readonly #sql: ReturnType<typeof prepareStatements>;

  /**
   * Creates the tables when they are missing (`CREATE TABLE IF NOT EXISTS`) and prepares every
   * statement. A file database is switched to WAL (readers never wait for the writer) with a
   * 5-second `busy_timeout` for writers of other processes.
   */
  constructor(db: Database, options: SqliteStoreOptions = {}) {
    const prefix = options.tablePrefix ?? 'oauth_';
    if (!/^[A-Za-z0-9_]*$/.test(prefix)) {
      throw new TypeError(
        `tablePrefix must be letters, digits and underscores, e.g. 'oauth_' (got ${prefix})`,
      );
    }
    this.#db = db;
    if (!db.memory) db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(schemaSql(prefix));
    this.#sql = prepareStatements(db, prefix);
  }

  /** Runs `work` as one `BEGIN IMMEDIATE` transaction and maps SQLite's errors to the contract's. */
  #atomic<T>(work: () => T): T {
    try {
      return this.#db.transaction(work).immediate();
    } catch (error) {
      throw mapError(error);
    }
  }

  /** Runs one statement's work and maps SQLite's errors to the contract's. */
  #one<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw mapError(error);
    }
  }

  /** Closes the database. */
  async close(): Promise<void> {
    this.#db.close();
  }

  // -------------------------------------------------------------------------------- clients

  async createClient(client: ClientRecord): Promise<void> {
    assertRepresentable(client.id, client.ownerId, client.name, client.provider);
    this.#one(() =>
      this.#sql.insertClient.run({
        id: client.id,
        owner_id: client.ownerId,
        name: client.name,
        secret_hash: client.secretHash,
        provider: client.provider,
        redirect_uris: JSON.stringify(client.redirectUris),
        grant_types: JSON.stringify(client.grantTypes),
        scopes: client.scopes === null ? null : JSON.stringify(client.scopes),
        confidential: Number(client.confidential),
        first_party: Number(client.firstParty),
        resource_server: Number(client.resourceServer),
        revoked: Number(client.revoked),
        created_at: client.createdAt.getTime(),
        updated_at: client.updatedAt.getTime(),
      }),
    );
  }

  async findClient(id: string): Promise<ClientRecord | null> {
    if (!representable(id)) return null;
    const row = this.#one(() => this.#sql.findClient.get(id) as ClientRow | undefined);
    return row === undefined ? null : toClient(row);
  }

  async updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null> {
    if (!representable(id)) return null;
    assertRepresentable(update.name ?? null, update.provider ?? null);
    const json = (value: string[] | null | undefined) =>
      value === undefined ? undefined : value === null ? null : JSON.stringify(value);
    const flag = (value: boolean | undefined) => (value === undefined ? undefined : Number(value));
    // COALESCE keeps a column whose field is absent; `scopes` and `provider` may be set to null,
    // so they carry a "given" flag.
    const row = this.#one(
      () =>
        this.#sql.updateClient.get({
          id,
          updated_at: update.updatedAt.getTime(),
          name: update.name ?? null,
          secret_hash_given: Number('secretHash' in update && update.secretHash !== undefined),
          secret_hash: update.secretHash ?? null,
          provider_given: Number('provider' in update && update.provider !== undefined),
          provider: update.provider ?? null,
          redirect_uris: json(update.redirectUris) ?? null,
          grant_types: json(update.grantTypes) ?? null,
          scopes_given: Number('scopes' in update && update.scopes !== undefined),
          scopes: json(update.scopes) ?? null,
          first_party: flag(update.firstParty) ?? null,
          resource_server: flag(update.resourceServer) ?? null,
          revoked: flag(update.revoked) ?? null,
        }) as ClientRow | undefined,
    );
    return row === undefined ? null : toClient(row);
  }

  async deleteClient(id: string): Promise<boolean> {
    if (!representable(id)) return false;
    return this.#one(() => this.#sql.deleteClient.run(id).changes > 0);
  }

  async listClientsByOwner(ownerId: string): Promise<ClientRecord[]> {
    if (!representable(ownerId)) return [];
    return this.#one(() => (this.#sql.listClientsByOwner.all(ownerId) as ClientRow[]).map(toClient));
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.#one(() => (this.#sql.listClients.all() as ClientRow[]).map(toClient));
  }

  // -------------------------------------------------------------------------------- tokens

  /** Inserts an access token and its refresh token inside the caller's transaction. */
  #insertTokens({ accessToken: a, refreshToken: r }: IssuedTokens): void {
    assertRepresentable(a.id, a.userId, a.clientId, a.name, a.familyId);
    this.#sql.insertAccessToken.run({
      id: a.id,
      user_id: a.userId,
      client_id: a.clientId,
      name: a.name,
      scopes: JSON.stringify(a.scopes),
      family_id: a.familyId,
      revoked: Number(a.revoked),
      created_at: a.createdAt.getTime(),
      expires_at: a.expiresAt.getTime(),
    });
    if (r === null) return;
    assertRepresentable(r.id, r.accessTokenId, r.userId, r.clientId, r.familyId, r.replacedBy);
    this.#sql.insertRefreshToken.run({
      id: r.id,
      access_token_id: r.accessTokenId,
      user_id: r.userId,
      client_id: r.clientId,
      scopes: JSON.stringify(r.scopes),
      family_id: r.familyId,
      revoked: Number(r.revoked),
      consumed_at: ms(r.consumedAt),
      replaced_by: r.replacedBy,
      created_at: r.createdAt.getTime(),
      expires_at: r.expiresAt.getTime(),
    });
  }

  /** Both rows in one transaction: a taken refresh token id rolls back the access token too. */
  async saveTokens(tokens: IssuedTokens): Promise<void> {
    this.#atomic(() => this.#insertTokens(tokens));
  }

  async findAccessToken(id: string): Promise<AccessTokenRecord | null> {
    if (!representable(id)) return null;
    const row = this.#one(() => this.#sql.findAccessToken.get(id) as AccessTokenRow | undefined);
    return row === undefined ? null : toAccessToken(row);
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    if (!representable(id)) return null;
    const row = this.#one(() => this.#sql.findRefreshToken.get(id) as RefreshTokenRow | undefined);
    return row === undefined ? null : toRefreshToken(row);
  }

  /**
   * One transaction: the conditional consume (`UPDATE ... WHERE consumed_at IS NULL AND revoked = 0
   * AND expires_at > now RETURNING`), the revocation of the old access token only, the inserts of
   * `next`. A taken id in `next` throws and rolls the consume back.
   */
  async rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null> {
    if (!representable(id)) return null;
    return this.#atomic(() => {
      const row = this.#sql.consumeRefreshToken.get({
        id,
        now: now.getTime(),
        replaced_by: next.refreshToken?.id ?? null,
      }) as RefreshTokenRow | undefined;
      if (row === undefined) return null;
      this.#sql.revokeAccessTokenOnly.run(row.access_token_id);
      this.#insertTokens(next);
      return toRefreshToken(row);
    });
  }

  async revokeAccessToken(id: string): Promise<boolean> {
    if (!representable(id)) return false;
    return this.#atomic(() => {
      const found = this.#sql.revokeAccessTokenOnly.run(id).changes > 0;
      this.#sql.revokeRefreshTokensOfAccessToken.run(id);
      return found;
    });
  }

  async revokeRefreshToken(id: string): Promise<boolean> {
    if (!representable(id)) return false;
    return this.#one(() => this.#sql.revokeRefreshToken.run(id).changes > 0);
  }

  async revokeFamily(familyId: string): Promise<number> {
    if (!representable(familyId)) return 0;
    return this.#atomic(
      () =>
        this.#sql.revokeFamilyAccess.run(familyId).changes +
        this.#sql.revokeFamilyRefresh.run(familyId).changes,
    );
  }

  async revokeClientTokens(clientId: string): Promise<number> {
    if (!representable(clientId)) return 0;
    return this.#atomic(() =>
      this.#sql.revokeClient.reduce((changed, statement) => changed + statement.run(clientId).changes, 0),
    );
  }

  async listUserTokens(
    userId: string,
    options: { now: Date; clientId?: string },
  ): Promise<AccessTokenRecord[]> {
    if (!representable(userId)) return [];
    if (options.clientId !== undefined && !representable(options.clientId)) return [];
    const rows = this.#one(() =>
      options.clientId === undefined
        ? this.#sql.listUserTokens.all(userId, options.now.getTime())
        : this.#sql.listUserClientTokens.all({
            user_id: userId,
            now: options.now.getTime(),
            client_id: options.clientId,
          }),
    ) as AccessTokenRow[];
    return rows.map(toAccessToken);
  }

  /**
   * One transaction of `DELETE`s. What detection needs stays: a live refresh token, the access
   * token a live refresh token was issued with, the consumed refresh tokens of a family that
   * still holds a live one, and every code until its `expiresAt`.
   */
  async purge(options: PurgeOptions): Promise<PurgeResult> {
    const now = options.now.getTime();
    const before = options.expiredBefore?.getTime() ?? null;
    const clientsBefore = options.revokedClientsBefore?.getTime() ?? null;
    const p = this.#sql.purge;
    return this.#atomic(() => {
      const result: PurgeResult = {
        accessTokens: 0,
        refreshTokens: 0,
        authCodes: 0,
        deviceCodes: 0,
        nonces: 0,
        rateLimits: 0,
        clients: 0,
      };
      if (clientsBefore !== null) {
        result.refreshTokens += p.clientRefreshTokens.run(clientsBefore).changes;
        result.accessTokens += p.clientAccessTokens.run(clientsBefore).changes;
        result.authCodes += p.clientAuthCodes.run(clientsBefore).changes;
        result.deviceCodes += p.clientDeviceCodes.run(clientsBefore).changes;
        result.clients += p.clients.run(clientsBefore).changes;
      }
      // spent = revoked or consumed; expired = expires_at < before. `before` null matches nothing.
      const params = { now, spent: Number(options.revoked), before };
      result.refreshTokens += p.refreshTokens.run(params).changes;
      result.accessTokens += p.accessTokens.run(params).changes;
      result.authCodes += p.authCodes.run(params).changes;
      result.deviceCodes += p.deviceCodes.run(params).changes;
      result.nonces = p.nonces.run(now).changes;
      result.rateLimits = p.rateLimits.run(now).changes;
      return result;
    });
  }

  // -------------------------------------------------------------------------------- authorization codes

  async saveAuthCode(code: AuthCodeRecord): Promise<void> {
    assertRepresentable(code.id, code.clientId, code.userId, code.redirectUri, code.codeChallenge);
    this.#one(() =>
      this.#sql.insertAuthCode.run({
        id: code.id,
        client_id: code.clientId,
        user_id: code.userId,
        scopes: JSON.stringify(code.scopes),
        redirect_uri: code.redirectUri,
        code_challenge: code.codeChallenge,
        code_challenge_method: code.codeChallengeMethod,
        revoked: Number(code.revoked),
        consumed_at: ms(code.consumedAt),
        created_at: code.createdAt.getTime(),
        expires_at: code.expiresAt.getTime(),
      }),
    );
  }

  async findAuthCode(id: string): Promise<AuthCodeRecord | null> {
    if (!representable(id)) return null;
    const row = this.#one(() => this.#sql.findAuthCode.get(id) as AuthCodeRow | undefined);
    return row === undefined ? null : toAuthCode(row);
  }

  /** One transaction: the conditional consume, then the tokens; a failure in between undoes both. */
  async redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null> {
    if (!representable(id)) return null;
    return this.#atomic(() => {
      const row = this.#sql.consumeAuthCode.get({ id, now: now.getTime() }) as AuthCodeRow | undefined;
      if (row === undefined) return null;
      this.#insertTokens(tokens);
      return toAuthCode(row);
    });
  }

  // -------------------------------------------------------------------------------- device codes

  /**
   * A user code is unique among live codes only (unconsumed, unrevoked, unexpired at the new
   * code's `createdAt`): expiry cannot be part of a unique index, so the check and the insert run
   * in one transaction, which holds SQLite's write lock.
   */
  async saveDeviceCode(code: DeviceCodeRecord): Promise<void> {
    assertRepresentable(code.id, code.userCode, code.clientId, code.userId);
    this.#atomic(() => {
      if (this.#sql.liveUserCode.get(code.userCode, code.createdAt.getTime()) !== undefined) {
        throw new StoreConflictError(`A live device code already uses user code ${code.userCode}`);
      }
      this.#sql.insertDeviceCode.run({
        id: code.id,
        user_code: code.userCode,
        client_id: code.clientId,
        scopes: JSON.stringify(code.scopes),
        status: code.status,
        user_id: code.userId,
        poll_interval: code.interval,
        last_polled_at: ms(code.lastPolledAt),
        consumed_at: ms(code.consumedAt),
        created_at: code.createdAt.getTime(),
        expires_at: code.expiresAt.getTime(),
      });
    });
  }

  async findDeviceCode(id: string): Promise<DeviceCodeRecord | null> {
    if (!representable(id)) return null;
    const row = this.#one(() => this.#sql.findDeviceCode.get(id) as DeviceCodeRow | undefined);
    return row === undefined ? null : toDeviceCode(row);
  }

  async findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null> {
    if (!representable(userCode)) return null;
    const row = this.#one(
      () => this.#sql.findDeviceCodeByUserCode.get(userCode, now.getTime()) as DeviceCodeRow | undefined,
    );
    return row === undefined ? null : toDeviceCode(row);
  }

  async decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null> {
    if (!representable(id)) return null;
    assertRepresentable(decision.userId);
    const row = this.#one(
      () =>
        this.#sql.decideDeviceCode.get({
          id,
          status: decision.status,
          user_id: decision.userId,
          now: decision.now.getTime(),
        }) as DeviceCodeRow | undefined,
    );
    return row === undefined ? null : toDeviceCode(row);
  }

  /** Reads the record and updates it in one transaction, and returns it as it was before. */
  async touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null> {
    if (!representable(id)) return null;
    return this.#atomic(() => {
      const previous = this.#sql.findDeviceCode.get(id) as DeviceCodeRow | undefined;
      if (previous === undefined) return null;
      this.#sql.touchDeviceCode.run({ id, now: now.getTime(), interval: interval ?? null });
      return toDeviceCode(previous);
    });
  }

  /** One transaction, as {@link SqliteStore.redeemAuthCode}. */
  async redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null> {
    if (!representable(id)) return null;
    return this.#atomic(() => {
      const row = this.#sql.consumeDeviceCode.get({ id, now: now.getTime() }) as DeviceCodeRow | undefined;
      if (row === undefined) return null;
      this.#insertTokens(tokens);
      return toDeviceCode(row);
    });
  }

  // -------------------------------------------------------------------------------- single use, rate limits

  /** `INSERT ... ON CONFLICT DO NOTHING`: the first caller inserts the row, every later one finds it. */
  async useNonce(id: string, expiresAt: Date): Promise<boolean> {
    assertRepresentable(id);
    return this.#one(() => this.#sql.useNonce.run(id, expiresAt.getTime()).changes > 0);
  }

  /** One upsert: a new or closed window starts at 1, an open one counts up. */
  async hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit> {
    assertRepresentable(key);
    const row = this.#one(
      () =>
        this.#sql.hitRateLimit.get({ key, now: now.getTime(), reset_at: now.getTime() + windowMs }) as {
          count: number;
          reset_at: number;
        },
    );
    return { count: row.count, resetAt: date(row.reset_at) };
  }
}

// ------------------------------------------------------------------------------------ SQL

/** The tables (`CREATE ... IF NOT EXISTS`: running it again changes nothing). */
function schemaSql(p: string): string {
  return `
    CREATE TABLE IF NOT EXISTS ${p}clients (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, owner_id TEXT, name TEXT NOT NULL,
      secret_hash TEXT, provider TEXT, redirect_uris TEXT NOT NULL, grant_types TEXT NOT NULL,
      scopes TEXT, confidential INTEGER NOT NULL, first_party INTEGER NOT NULL,
      resource_server INTEGER NOT NULL, revoked INTEGER NOT NULL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS ${p}clients_owner ON ${p}clients (owner_id, created_at, seq);
    CREATE INDEX IF NOT EXISTS ${p}clients_created ON ${p}clients (created_at, seq);

    CREATE TABLE IF NOT EXISTS ${p}access_tokens (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, user_id TEXT, client_id TEXT NOT NULL,
      name TEXT, scopes TEXT NOT NULL, family_id TEXT, revoked INTEGER NOT NULL,
      created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS ${p}access_tokens_user ON ${p}access_tokens (user_id, client_id);
    CREATE INDEX IF NOT EXISTS ${p}access_tokens_client ON ${p}access_tokens (client_id);
    CREATE INDEX IF NOT EXISTS ${p}access_tokens_family ON ${p}access_tokens (family_id);

    CREATE TABLE IF NOT EXISTS ${p}refresh_tokens (
      id TEXT PRIMARY KEY, access_token_id TEXT NOT NULL, user_id TEXT, client_id TEXT NOT NULL,
      scopes TEXT NOT NULL, family_id TEXT NOT NULL, revoked INTEGER NOT NULL,
      consumed_at INTEGER, replaced_by TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS ${p}refresh_tokens_access ON ${p}refresh_tokens (access_token_id);
    CREATE INDEX IF NOT EXISTS ${p}refresh_tokens_family ON ${p}refresh_tokens (family_id);
    CREATE INDEX IF NOT EXISTS ${p}refresh_tokens_client ON ${p}refresh_tokens (client_id);

    CREATE TABLE IF NOT EXISTS ${p}auth_codes (
      id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, scopes TEXT NOT NULL,
      redirect_uri TEXT, code_challenge TEXT, code_challenge_method TEXT, revoked INTEGER NOT NULL,
      consumed_at INTEGER, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS ${p}auth_codes_client ON ${p}auth_codes (client_id);

    CREATE TABLE IF NOT EXISTS ${p}device_codes (
      id TEXT PRIMARY KEY, user_code TEXT NOT NULL, client_id TEXT NOT NULL, scopes TEXT NOT NULL,
      status TEXT NOT NULL, user_id TEXT, poll_interval INTEGER NOT NULL, last_polled_at INTEGER,
      revoked INTEGER NOT NULL DEFAULT 0, consumed_at INTEGER,
      created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS ${p}device_codes_user_code ON ${p}device_codes (user_code);
    CREATE INDEX IF NOT EXISTS ${p}device_codes_client ON ${p}device_codes (client_id);

    CREATE TABLE IF NOT EXISTS ${p}nonces (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS ${p}rate_limits (
      key TEXT PRIMARY KEY, count INTEGER NOT NULL, reset_at INTEGER NOT NULL);`;
}

/** Every statement, prepared once. */
function prepareStatements(db: Database, p: string) {
  const q = (sql: string): Statement => db.prepare(sql);
  /** A refresh token that is live at `:now`: not revoked, not consumed, unexpired. */
  const live = (alias: string) =>
    `${alias}.revoked = 0 AND ${alias}.consumed_at IS NULL AND ${alias}.expires_at > :now`;
  /** Purge candidates: spent (when `:spent` is 1) or expired before `:before` (when given). */
  const spentOrExpired = (spent: string) => `((:spent = 1 AND (${spent})) OR t.expires_at < :before)`;
  const ofPurgedClient = `client_id IN (SELECT id FROM ${p}clients WHERE revoked = 1 AND updated_at < ?)`;
  return {
    insertClient: q(`INSERT INTO ${p}clients (id, owner_id, name, secret_hash, provider, redirect_uris,
      grant_types, scopes, confidential, first_party, resource_server, revoked, created_at, updated_at)
      VALUES (:id, :owner_id, :name, :secret_hash, :provider, :redirect_uris, :grant_types, :scopes,
      :confidential, :first_party, :resource_server, :revoked, :created_at, :updated_at)`),
    findClient: q(`SELECT * FROM ${p}clients WHERE id = ?`),
    updateClient: q(`UPDATE ${p}clients SET updated_at = :updated_at,
      name = COALESCE(:name, name),
      secret_hash = CASE WHEN :secret_hash_given = 1 THEN :secret_hash ELSE secret_hash END,
      provider = CASE WHEN :provider_given = 1 THEN :provider ELSE provider END,
      redirect_uris = COALESCE(:redirect_uris, redirect_uris),
      grant_types = COALESCE(:grant_types, grant_types),
      scopes = CASE WHEN :scopes_given = 1 THEN :scopes ELSE scopes END,
      first_party = COALESCE(:first_party, first_party),
      resource_server = COALESCE(:resource_server, resource_server),
      revoked = COALESCE(:revoked, revoked)
      WHERE id = :id RETURNING *`),
    deleteClient: q(`DELETE FROM ${p}clients WHERE id = ?`),
    listClientsByOwner: q(`SELECT * FROM ${p}clients WHERE owner_id = ? ORDER BY created_at, seq`),
    listClients: q(`SELECT * FROM ${p}clients ORDER BY created_at, seq`),

    insertAccessToken: q(`INSERT INTO ${p}access_tokens (id, user_id, client_id, name, scopes, family_id,
      revoked, created_at, expires_at) VALUES (:id, :user_id, :client_id, :name, :scopes, :family_id,
      :revoked, :created_at, :expires_at)`),
    insertRefreshToken: q(`INSERT INTO ${p}refresh_tokens (id, access_token_id, user_id, client_id, scopes,
      family_id, revoked, consumed_at, replaced_by, created_at, expires_at) VALUES (:id, :access_token_id,
      :user_id, :client_id, :scopes, :family_id, :revoked, :consumed_at, :replaced_by, :created_at, :expires_at)`),
    findAccessToken: q(`SELECT * FROM ${p}access_tokens WHERE id = ?`),
    findRefreshToken: q(`SELECT * FROM ${p}refresh_tokens WHERE id = ?`),
    consumeRefreshToken: q(`UPDATE ${p}refresh_tokens SET consumed_at = :now, replaced_by = :replaced_by
      WHERE id = :id AND consumed_at IS NULL AND revoked = 0 AND expires_at > :now RETURNING *`),
    revokeAccessTokenOnly: q(`UPDATE ${p}access_tokens SET revoked = 1 WHERE id = ?`),
    revokeRefreshTokensOfAccessToken: q(
      `UPDATE ${p}refresh_tokens SET revoked = 1 WHERE access_token_id = ?`,
    ),
    revokeRefreshToken: q(`UPDATE ${p}refresh_tokens SET revoked = 1 WHERE id = ?`),
    revokeFamilyAccess: q(`UPDATE ${p}access_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0`),
    revokeFamilyRefresh: q(`UPDATE ${p}refresh_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0`),
    revokeClient: ['access_tokens', 'refresh_tokens', 'auth_codes', 'device_codes'].map((table) =>
      q(`UPDATE ${p}${table} SET revoked = 1 WHERE client_id = ? AND revoked = 0`),
    ),
    listUserTokens: q(`SELECT * FROM ${p}access_tokens WHERE user_id = ? AND revoked = 0 AND expires_at > ?
      ORDER BY created_at DESC, seq DESC`),
    listUserClientTokens: q(`SELECT * FROM ${p}access_tokens
      WHERE user_id = :user_id AND client_id = :client_id AND revoked = 0 AND expires_at > :now
      ORDER BY created_at DESC, seq DESC`),

    insertAuthCode:
      q(`INSERT INTO ${p}auth_codes (id, client_id, user_id, scopes, redirect_uri, code_challenge,
      code_challenge_method, revoked, consumed_at, created_at, expires_at) VALUES (:id, :client_id, :user_id,
      :scopes, :redirect_uri, :code_challenge, :code_challenge_method, :revoked, :consumed_at, :created_at,
      :expires_at)`),
    findAuthCode: q(`SELECT * FROM ${p}auth_codes WHERE id = ?`),
    consumeAuthCode: q(`UPDATE ${p}auth_codes SET consumed_at = :now
      WHERE id = :id AND consumed_at IS NULL AND revoked = 0 AND expires_at > :now RETURNING *`),

    liveUserCode: q(`SELECT 1 FROM ${p}device_codes
      WHERE user_code = ? AND consumed_at IS NULL AND revoked = 0 AND expires_at > ? LIMIT 1`),
    insertDeviceCode: q(`INSERT INTO ${p}device_codes (id, user_code, client_id, scopes, status, user_id,
      poll_interval, last_polled_at, consumed_at, created_at, expires_at) VALUES (:id, :user_code, :client_id,
      :scopes, :status, :user_id, :poll_interval, :last_polled_at, :consumed_at, :created_at, :expires_at)`),
    findDeviceCode: q(`SELECT * FROM ${p}device_codes WHERE id = ?`),
    findDeviceCodeByUserCode: q(`SELECT * FROM ${p}device_codes
      WHERE user_code = ? AND consumed_at IS NULL AND revoked = 0 AND expires_at > ?
      ORDER BY created_at DESC LIMIT 1`),
    decideDeviceCode: q(`UPDATE ${p}device_codes SET status = :status, user_id = :user_id
      WHERE id = :id AND status = 'pending' AND consumed_at IS NULL AND revoked = 0 AND expires_at > :now
      RETURNING *`),
    touchDeviceCode: q(`UPDATE ${p}device_codes SET last_polled_at = :now,
      poll_interval = COALESCE(:interval, poll_interval) WHERE id = :id`),
    consumeDeviceCode: q(`UPDATE ${p}device_codes SET consumed_at = :now
      WHERE id = :id AND status = 'approved' AND consumed_at IS NULL AND revoked = 0 AND expires_at > :now
      RETURNING *`),

    useNonce: q(`INSERT INTO ${p}nonces (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`),
    hitRateLimit: q(`INSERT INTO ${p}rate_limits (key, count, reset_at) VALUES (:key, 1, :reset_at)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN reset_at <= :now THEN 1 ELSE count + 1 END,
        reset_at = CASE WHEN reset_at <= :now THEN excluded.reset_at ELSE reset_at END
      RETURNING count, reset_at`),

    purge: {
      clientRefreshTokens: q(`DELETE FROM ${p}refresh_tokens WHERE ${ofPurgedClient}`),
      clientAccessTokens: q(`DELETE FROM ${p}access_tokens WHERE ${ofPurgedClient}`),
      clientAuthCodes: q(`DELETE FROM ${p}auth_codes WHERE ${ofPurgedClient}`),
      clientDeviceCodes: q(`DELETE FROM ${p}device_codes WHERE ${ofPurgedClient}`),
      clients: q(`DELETE FROM ${p}clients WHERE revoked = 1 AND updated_at < ?`),
      // a refresh token stays while live, and while consumed in a family that holds a live one
      refreshTokens: q(`DELETE FROM ${p}refresh_tokens AS t
        WHERE ${spentOrExpired('t.revoked = 1 OR t.consumed_at IS NOT NULL')}
        AND NOT (${live('t')})
        AND NOT (t.consumed_at IS NOT NULL AND EXISTS (
          SELECT 1 FROM ${p}refresh_tokens f WHERE f.family_id = t.family_id AND ${live('f')}))`),
      // an access token stays while a live refresh token was issued with it
      accessTokens: q(`DELETE FROM ${p}access_tokens AS t WHERE ${spentOrExpired('t.revoked = 1')}
        AND NOT EXISTS (SELECT 1 FROM ${p}refresh_tokens r WHERE r.access_token_id = t.id AND ${live('r')})`),
      // a code stays until it expires: a replay of a consumed code is what revokes its family
      authCodes: q(`DELETE FROM ${p}auth_codes AS t
        WHERE ${spentOrExpired('t.revoked = 1 OR t.consumed_at IS NOT NULL')} AND t.expires_at <= :now`),
      deviceCodes: q(`DELETE FROM ${p}device_codes AS t
        WHERE ${spentOrExpired('t.revoked = 1 OR t.consumed_at IS NOT NULL')} AND t.expires_at <= :now`),
      nonces: q(`DELETE FROM ${p}nonces WHERE expires_at <= ?`),
      rateLimits: q(`DELETE FROM ${p}rate_limits WHERE reset_at <= ?`),
    },
  };
}
