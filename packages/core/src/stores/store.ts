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
 * Contract shared by every store method:
 *
 * - **Not found** returns `null` (or `false` / an empty array); it never throws.
 * - **Unavailable**: a connection failure or timeout throws {@link StoreUnavailableError}; a
 *   duplicate key throws {@link StoreConflictError}. No other error types escape a store.
 * - **Time**: stores never read a clock. Methods that depend on expiry take `now` from the caller
 *   (core's injected clock), so tests can move time.
 * - **Returned records** are copies: mutating them never changes stored state.
 *
 * @module
 */

/** Client persistence. */
export interface ClientStore {
  /** Inserts a client. Throws {@link StoreConflictError} if the id exists. */
  createClient(client: ClientRecord): Promise<void>;
  /** The client with this id, revoked or not; `null` if none. */
  findClient(id: string): Promise<ClientRecord | null>;
  /** Applies `update` and returns the updated record; `null` if no such client. */
  updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null>;
  /** Deletes the client; `false` if none. Does not touch tokens (core revokes them first). */
  deleteClient(id: string): Promise<boolean>;
  /** Clients owned by `ownerId`, oldest first. */
  listClientsByOwner(ownerId: string): Promise<ClientRecord[]>;
  /** Every client, oldest first (administration and the CLI). */
  listClients(): Promise<ClientRecord[]>;
}

/** The pair written by {@link TokenStore.saveTokens}. */
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
   * **Atomic single use.** Marks the refresh token consumed at `now` and returns it, only if it is
   * not revoked, not consumed and `expiresAt > now`. Under concurrent calls for the same id exactly
   * one caller gets the record; the others get `null`. It writes nothing else: core's refresh grant
   * rotates with {@link TokenStore.rotateRefreshToken}, which consumes and writes in one step.
   */
  consumeRefreshToken(id: string, now: Date): Promise<RefreshTokenRecord | null>;
  /**
   * **Atomic rotation, all or nothing** (the refresh_token grant, RFC 9700 section 4.14). If the
   * refresh token `id` is not revoked, not consumed and `expiresAt > now`, in one atomic step:
   *
   * 1. marks it consumed at `now` (its `revoked` flag is left `false`: a consumed token is dead
   *    anyway, so `revoked` keeps meaning "revoked explicitly or with its family");
   * 2. revokes the access token it was issued with (`next` is not touched), and only that access
   *    token: not the refresh token, not other refresh tokens of that access token;
   * 3. writes `next` (the new access token and refresh token, as {@link TokenStore.saveTokens}
   *    would);
   *
   * and returns the consumed refresh token as it was consumed (`consumedAt` = `now`,
   * `revoked` = `false`). Otherwise (unknown, revoked, consumed or expired id) it writes nothing
   * and returns `null`.
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
   * consumed token of a revoked family reads `revoked` = `true`). Returns how many rows changed.
   * Atomic with respect to {@link TokenStore.rotateRefreshToken}: a rotation of a family member
   * that commits while this call runs must have its new tokens revoked too.
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
   * Deletes revoked/consumed rows (`options.revoked`) and rows expired before
   * `options.expiredBefore`, across access tokens, refresh tokens, codes and device codes. It never
   * deletes rows a live refresh token needs: the access token a live refresh token was issued with,
   * nor the consumed refresh tokens of a family that still holds a live refresh token (they are how
   * reuse is detected). Live = not revoked, not consumed, `expiresAt > now`.
   */
  purge(options: PurgeOptions): Promise<PurgeResult>;
}

/** Authorization code persistence. */
export interface AuthCodeStore {
  /** Inserts a code. Throws {@link StoreConflictError} if the id exists. */
  saveAuthCode(code: AuthCodeRecord): Promise<void>;
  /** The code with this hash in any state; `null` if none. */
  findAuthCode(id: string): Promise<AuthCodeRecord | null>;
  /**
   * **Atomic single use.** Marks the code consumed at `now` and returns it, only if it is not
   * revoked, not consumed and `expiresAt > now`. Under concurrent calls for the same id exactly one
   * caller gets the record; the others get `null`.
   */
  consumeAuthCode(id: string, now: Date): Promise<AuthCodeRecord | null>;
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
   * **Atomic single use.** Marks an `approved`, unexpired, unconsumed device code consumed and
   * returns it; `null` otherwise. Exactly one of concurrent callers gets the record.
   */
  consumeDeviceCode(id: string, now: Date): Promise<DeviceCodeRecord | null>;
}

/** Single-use markers (the approval form's signed `auth_token`). */
export interface NonceStore {
  /**
   * **Atomic single use.** Records `id` until `expiresAt`; returns `true` the first time and
   * `false` for every later call while the marker lives. Exactly one of concurrent callers gets
   * `true`. Expired markers may be dropped by purge.
   */
  useNonce(id: string, expiresAt: Date): Promise<boolean>;
}

/**
 * Everything Passport persists. Implement it (or use `@passport/store-memory`,
 * `@passport/store-postgres`) and prove it with `@passport/store-testkit`'s
 * `runStoreConformance`.
 */
export interface PassportStore extends ClientStore, TokenStore, AuthCodeStore, DeviceCodeStore, NonceStore {
  /** Releases connections. Calling any method afterwards is undefined. */
  close?(): Promise<void>;
}
