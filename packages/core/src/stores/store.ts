import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  ClientUpdate,
  DeviceCodeRecord,
  PurgeOptions,
  PurgeResult,
  RefreshTokenRecord,
} from './records.js';

/**
 * The store contract: what every {@link PassportStore} promises, whatever it is built on.
 *
 * Rules shared by every method:
 *
 * - **Not found** is `null` (or `false`, `0`, an empty array); it never throws.
 * - **Any string is a valid id argument.** An id the store cannot represent (a malformed UUID for
 *   a uuid column, a non-numeric id for integer client ids, a string containing NUL, a very long
 *   string) matches nothing: reads answer `null` / `[]`, revokes `false` / `0`, updates `null`, and
 *   the atomic steps (`redeemAuthCode`, `rotateRefreshToken`, ...) `null` with nothing written. It
 *   never throws for that.
 * - **Errors**: only three typed errors escape a store. {@link StoreUnavailableError}
 *   (`ERR_STORE_UNAVAILABLE`: connection failure or timeout; HTTP answers 503),
 *   {@link StoreConflictError} (`ERR_STORE_CONFLICT`: a duplicate id on insert) and
 *   {@link StoreInvalidInputError} (`ERR_STORE_INVALID_INPUT`: a write carries a value the store
 *   cannot hold, such as a NUL byte or an over-long value; core and HTTP validate input first, so
 *   this is a last line of defence, and HTTP answers 400 `invalid_request`).
 * - **Time**: stores never read a clock. Methods whose answer depends on time take `now` from
 *   the caller (core's injected clock), so tests can move time.
 * - **Returned records** are copies: mutating them never changes stored state.
 *
 * @module
 */

/** Client persistence. */
export interface ClientStore {
  /**
   * Inserts a client. Throws {@link StoreConflictError} if the id exists, and
   * {@link StoreInvalidInputError} if the store cannot hold the id (for example a UUID for integer
   * client ids).
   */
  createClient(client: ClientRecord): Promise<void>;
  /** The client with this id, revoked or not; `null` if none. */
  findClient(id: string): Promise<ClientRecord | null>;
  /** Applies `update` and returns the updated record; `null` if no such client. */
  updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null>;
  /**
   * Deletes the client row; `false` if none. Does not touch tokens. Core never calls it when a
   * client is deleted through the API (that marks the client `revoked` and revokes its tokens);
   * rows go with `purge` (`revokedClientsBefore`) or through administration.
   */
  deleteClient(id: string): Promise<boolean>;
  /** Clients owned by `ownerId`, oldest first. */
  listClientsByOwner(ownerId: string): Promise<ClientRecord[]>;
  /** Every client, oldest first (administration and the CLI). */
  listClients(): Promise<ClientRecord[]>;
  /**
   * A fresh client id of the store's own id type (for example the next value of an integer
   * identity, as a decimal string). Optional: when present, core (`passport.clients.create`, the
   * CLI) takes every new client id from it; without it, core draws a UUID. This is how the id
   * type is a store capability.
   *
   * @example
   * ```ts
   * const id = store.nextClientId ? await store.nextClientId() : crypto.randomUUID();
   * ```
   */
  nextClientId?(): Promise<string>;
}

/** The pair written by {@link TokenStore.saveTokens} (and by the atomic steps that issue tokens). */
export interface IssuedTokens {
  accessToken: AccessTokenRecord;
  refreshToken: RefreshTokenRecord | null;
}

/** Access and refresh token persistence. */
export interface TokenStore {
  /**
   * Writes an access token together with its refresh token: **all or nothing**. When it throws,
   * neither is stored.
   */
  saveTokens(tokens: IssuedTokens): Promise<void>;
  /** The access token with this id (`jti`), in any state; `null` if none (missing counts as revoked). */
  findAccessToken(id: string): Promise<AccessTokenRecord | null>;
  /** The refresh token with this hash, in any state (revoked, consumed, expired); `null` if none. */
  findRefreshToken(id: string): Promise<RefreshTokenRecord | null>;
  /**
   * **Atomic rotation, all or nothing** (the refresh_token grant, RFC 9700 section 4.14). If the
   * refresh token `id` is not revoked, not consumed and `expiresAt > now`, in one atomic step:
   *
   * 1. marks it consumed at `now` and sets its `replacedBy` to `next.refreshToken.id` (its
   *    `revoked` flag is left `false`: a consumed token is dead anyway, so `revoked` keeps meaning
   *    "revoked explicitly or with its family");
   * 2. revokes the access token it was issued with (`next` is not touched), and only that access
   *    token: not the refresh token, not other refresh tokens of that access token;
   * 3. writes `next` (the new access token and refresh token, as {@link TokenStore.saveTokens}
   *    would; `next.refreshToken` is never `null` for a rotation, and both are of the rotated
   *    token's family: core never writes another family in this step, so a store whose atomicity
   *    is per family may refuse one with {@link StoreInvalidInputError});
   *
   * and returns the consumed refresh token as it was consumed (`consumedAt` = `now`,
   * `replacedBy` = the new refresh token's id, `revoked` = `false`). Otherwise (unknown, revoked,
   * consumed or expired id) it writes nothing and returns `null`.
   *
   * Under concurrent calls for the same id exactly one caller gets the record, and only the
   * winner's `next` is stored. A revocation of the family (`revokeFamily`) either takes effect
   * first, so this call returns `null`, or after it, so it also revokes the rows of `next`.
   * When it throws ({@link StoreUnavailableError}, or {@link StoreConflictError} for an id of
   * `next` that exists) nothing was written: the old token is still unconsumed, its access token
   * unrevoked, and neither token of `next` is stored, so the client may retry with the same
   * refresh token.
   *
   * @example
   * ```ts
   * const consumed = await store.rotateRefreshToken(hash, now, { accessToken, refreshToken });
   * if (consumed === null) {
   *   // lost a race, revoked, consumed or expired: find out which with findRefreshToken
   * }
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
   */
  rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null>;
  /**
   * Revokes the access token and every refresh token issued with it (`revoked` = `true`, consumed
   * or not). Returns `false` if the access token does not exist.
   */
  revokeAccessToken(id: string): Promise<boolean>;
  /** Revokes one refresh token (not its access token). Returns `false` if it does not exist. */
  revokeRefreshToken(id: string): Promise<boolean>;
  /**
   * Revokes every access and refresh token of a family, consumed refresh tokens included (so a
   * consumed token of a revoked family reads `revoked` = `true`). Returns how many rows changed
   * (concurrent calls for one family need not be serialized: each may count rows another also
   * counted; every row ends revoked, and that is all a caller relies on). Atomic with respect to {@link TokenStore.rotateRefreshToken}: a rotation of a family member
   * that commits while this call runs must have its new tokens revoked too. The tokens an
   * authorization code or device code issued are visible to it as soon as the code reads
   * consumed (see {@link AuthCodeStore.redeemAuthCode}).
   */
  revokeFamily(familyId: string): Promise<number>;
  /**
   * Revokes every access token, refresh token, authorization code and device code of a client.
   * Returns how many rows changed.
   */
  revokeClientTokens(clientId: string): Promise<number>;
  /**
   * A user's live access tokens (not revoked, `expiresAt > now`), newest first; only those of
   * `clientId` when given.
   */
  listUserTokens(userId: string, options: { now: Date; clientId?: string }): Promise<AccessTokenRecord[]>;
  /**
   * Deletes what is no longer needed, in batches the store chooses:
   *
   * - with `options.revoked`: revoked and consumed access tokens, refresh tokens, authorization
   *   codes and device codes;
   * - with `options.expiredBefore`: rows of those kinds whose `expiresAt` is before it;
   * - with `options.revokedClientsBefore`: clients with `revoked` = `true` whose `updatedAt` is
   *   before it, with every access token, refresh token, authorization code and device code of
   *   theirs;
   * - always: expired single-use markers (`expiresAt <= now`) and expired rate-limit windows
   *   (`resetAt <= now`).
   *
   * It never deletes what detection needs: the access token a live refresh token was issued with,
   * the consumed refresh tokens of a family that still holds a live refresh token, and an
   * authorization code or device code before its `expiresAt` (consumed or revoked ones included,
   * even with `options.revoked`: a replay of a consumed code is what revokes its family, so it
   * must still be found). Live = not revoked, not consumed, `expiresAt > now`. These rules bind
   * `purge`; a store with native expiry (TTLs) may also drop a row on its own once it is past its
   * `expiresAt` by a margin it documents.
   */
  purge(options: PurgeOptions): Promise<PurgeResult>;
}

/** Authorization code persistence (RFC 6749 section 4.1). */
export interface AuthCodeStore {
  /** Inserts a code. Throws {@link StoreConflictError} if the id exists. */
  saveAuthCode(code: AuthCodeRecord): Promise<void>;
  /** The code with this hash in any state; `null` if none. */
  findAuthCode(id: string): Promise<AuthCodeRecord | null>;
  /**
   * **Atomic redemption, all or nothing.** If the code is not revoked, not consumed and
   * `expiresAt > now`, in one atomic step: marks it consumed at `now`, writes `tokens` (as
   * {@link TokenStore.saveTokens} would), and returns the record as consumed. Otherwise it writes
   * nothing and returns `null`.
   *
   * Under concurrent calls exactly one caller gets the record and only the winner's tokens are
   * stored. The consumption and the tokens become visible together (one transaction, one script,
   * one document), so whoever reads the code as consumed finds its tokens: a replay can always
   * revoke them with `revokeFamily(code.id)` (the tokens' family id is the code's id: core always
   * writes them so, and a store whose atomicity is per family may refuse tokens of another family
   * with {@link StoreInvalidInputError}). When it throws ({@link StoreUnavailableError},
   * {@link StoreConflictError} for a taken token id) nothing was written: the code is still
   * redeemable.
   *
   * @example
   * ```ts
   * const redeemed = await store.redeemAuthCode(hash, now, { accessToken, refreshToken });
   * if (redeemed === null) {
   *   // consumed (a replay: revoke the family), revoked or expired: read the code to tell
   * }
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
   */
  redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null>;
}

/** Device authorization persistence (RFC 8628). */
export interface DeviceCodeStore {
  /** Inserts a device code. Throws {@link StoreConflictError} if the id or a live user code exists. */
  saveDeviceCode(code: DeviceCodeRecord): Promise<void>;
  /** The device code with this hash in any state; `null` if none. */
  findDeviceCode(id: string): Promise<DeviceCodeRecord | null>;
  /** The unexpired (`expiresAt > now`), unconsumed device code with this user code; `null` if none. */
  findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null>;
  /**
   * **Atomic.** Moves a `pending`, unexpired device code to `approved` or `denied` for `userId`.
   * Returns the updated record, or `null` if it was not pending (exactly one of concurrent calls wins).
   */
  decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null>;
  /**
   * **Atomic.** Records a poll: sets `lastPolledAt = now` (and `interval` when given) and returns
   * the record as it was *before* the update, so the caller can compare the previous poll time.
   * `null` if no such code.
   */
  touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null>;
  /**
   * **Atomic redemption, all or nothing** (RFC 8628 section 3.5). If the device code is
   * `approved`, not consumed, not revoked and `expiresAt > now`, in one atomic step: marks it
   * consumed at `now`, writes `tokens` (as {@link TokenStore.saveTokens} would), and returns the
   * record as consumed. Otherwise it writes nothing and returns `null`. Exactly one of concurrent
   * callers gets the record and only the winner's tokens are stored (their family id is the device
   * code's id, as for {@link AuthCodeStore.redeemAuthCode}); when it throws nothing was written
   * and the code is still redeemable.
   *
   * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
   */
  redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null>;
}

/** Single-use markers (the approval form's signed `auth_token`, the refresh retry marks). */
export interface NonceStore {
  /**
   * **Atomic single use.** Records `id` until `expiresAt`; returns `true` the first time and
   * `false` for every later call while the marker lives. Exactly one of concurrent callers gets
   * `true`. Expired markers are removed by `purge` (or by the store's native expiry). Core sizes
   * each marker's `expiresAt` to what detection needs, nothing longer.
   */
  useNonce(id: string, expiresAt: Date): Promise<boolean>;
}

/** The result of one {@link RateLimitStore.hitRateLimit} call. */
export interface RateLimitHit {
  /** Hits in the current window, this one included (1 for the hit that opened the window). */
  count: number;
  /** When the current window ends. */
  resetAt: Date;
}

/** Counters behind core's rate limiter, shared by every instance that uses the store. */
export interface RateLimitStore {
  /**
   * **Atomic fixed-window counter.** Counts one hit for `key` and returns the number of hits in
   * the current window, this one included, and when that window ends. A window starts at the
   * first hit for `key` when none is open (no window, or its `resetAt <= now`) and lasts
   * `windowMs`: that hit answers `count` 1 and `resetAt` = `now + windowMs`. Under concurrent
   * calls every hit is counted exactly once (no lost update). Expired windows are removed by
   * `purge` or by the store's native expiry.
   *
   * @example
   * ```ts
   * const { count, resetAt } = await store.hitRateLimit('password:alice', 60_000, now);
   * if (count > 10) throw new Error(`retry after ${resetAt.toISOString()}`);
   * ```
   */
  hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit>;
}

/** A change that another instance's read-through cache must drop. */
export type StoreChangeEvent =
  /** Access tokens revoked: `revokeAccessToken`, the old access token of a rotation. */
  | { type: 'accessTokens'; ids: string[] }
  /** A family revoked: `revokeFamily`. */
  | { type: 'family'; familyId: string }
  /** A client changed, was deleted, or had every token revoked: `updateClient`, `deleteClient`, `revokeClientTokens`. */
  | { type: 'client'; clientId: string }
  /**
   * Anything may have changed: drop every entry. A store sends it for a change it cannot name in
   * one message (an id too long for its transport).
   */
  | { type: 'reset' };

/** Receives the changes a store publishes (see {@link PassportStore.subscribeChanges}). */
export interface StoreChangeListener {
  /** A change made by any instance (this one included). */
  changed(event: StoreChangeEvent): void;
  /** The feed is (again) live. After a disconnect, events may have been missed. */
  connected?(): void;
  /** The feed lost its connection; until `connected()` the cache must rely on its time bound. */
  disconnected?(error: unknown): void;
}

/**
 * Everything Passport persists. Implement it (or use `@passport/store-memory`,
 * `@passport/store-postgres`) and prove it with `@passport/store-testkit`'s
 * `runStoreConformance`.
 */
export interface PassportStore
  extends ClientStore,
    TokenStore,
    AuthCodeStore,
    DeviceCodeStore,
    NonceStore,
    RateLimitStore {
  /**
   * The revocation feed (optional): delivers every revoking change made through this store, by
   * any instance, to `listener`, so each instance's read-through cache drops what changed at once
   * instead of within its time bound. A store publishes the event of every change it makes
   * (`revokeAccessToken` of an existing token, a `rotateRefreshToken` that rotated: the old access
   * token's id, `revokeFamily`, `updateClient` and `deleteClient` of an existing client,
   * `revokeClientTokens`; an event for a change that changed nothing is allowed), from inside the
   * revoking operation where it can. A listener that throws never fails the write, nor stops the
   * feed. Returns a function that unsubscribes.
   *
   * @example
   * ```ts
   * const unsubscribe = await store.subscribeChanges?.({ changed: (event) => console.log(event) });
   * ```
   */
  subscribeChanges?(listener: StoreChangeListener): Promise<() => Promise<void>>;
  /** Releases connections. Calling any method afterwards is undefined. */
  close?(): Promise<void>;
}
