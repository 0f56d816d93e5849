import { PassportOptionsError } from '../errors/passport-error.js';
import type { PassportContext } from '../internal/context.js';
import type { AccessTokenRecord, PurgeResult } from '../stores/records.js';

/** Context the token-management functions need. */
export type TokenManagementContext = Pick<PassportContext, 'store' | 'events' | 'now'>;

/** Options of {@link purgeTokens} (`passport purge`). */
export interface PurgeTokensOptions {
  /**
   * Delete revoked (and consumed) tokens, codes and device codes.
   * @default true
   */
  revoked?: boolean;
  /**
   * Delete rows that expired more than `hours` ago.
   * @default true
   */
  expired?: boolean;
  /**
   * How long expired rows are kept, in hours.
   * @default 168 (7 days)
   */
  hours?: number;
  /**
   * With `revoked`: how long a revoked (deleted) client is kept, in hours, counted from its
   * revocation; then it is deleted with every token and code of its. `null` keeps revoked clients.
   * @default 720 (30 days)
   */
  clientRetentionHours?: number | null;
}

/** Options of {@link listUserTokens}. */
export interface ListUserTokensOptions {
  /** Only the tokens of this client. */
  clientId?: string;
  /**
   * `true`: only personal access tokens (those with a `name`); `false`: only tokens issued to
   * clients through a grant. Omitted: both.
   */
  personal?: boolean;
}

const hoursProblem = (name: string, value: unknown, keep: string): string =>
  `purge: "${name}" must be a finite number of hours >= 0 (got ${String(value)}); omit it to keep ${keep}`;

const isHours = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

/**
 * A user's live access tokens (not revoked, not expired), newest first; only those of
 * `options.clientId` when given, and only personal (or only non-personal) ones when
 * `options.personal` says so. `GET /oauth/tokens` lists `{ personal: false }`,
 * `GET /oauth/personal-access-tokens` lists `{ personal: true }`.
 *
 * @example
 * ```ts
 * const tokens = await passport.listUserTokens(user.id, { personal: false });
 * ```
 */
export async function listUserTokens(
  ctx: TokenManagementContext,
  userId: string,
  options: ListUserTokensOptions = {},
): Promise<AccessTokenRecord[]> {
  const now = new Date(ctx.now());
  const tokens = await ctx.store.listUserTokens(
    userId,
    options.clientId === undefined ? { now } : { now, clientId: options.clientId },
  );
  const personal = options.personal;
  return personal === undefined ? tokens : tokens.filter((token) => (token.name !== null) === personal);
}

/**
 * Revokes an access token and the refresh tokens issued with it. Returns `false`
 * when there is no such token. Emits `accessTokenRevoked` with reason `revoked`.
 *
 * @example
 * ```ts
 * await passport.revokeAccessToken(tokenId);
 * ```
 */
export async function revokeAccessToken(ctx: TokenManagementContext, tokenId: string): Promise<boolean> {
  const revoked = await ctx.store.revokeAccessToken(tokenId);
  if (revoked) ctx.events.emit('accessTokenRevoked', { accessTokenId: tokenId, reason: 'revoked' });
  return revoked;
}

/**
 * Revokes one of a user's access tokens (and its refresh tokens) by id, as
 * `DELETE /oauth/tokens/{id}` does. Returns `false`, changing nothing, when the token
 * does not exist or belongs to someone else, so a foreign id looks exactly like an unknown one.
 *
 * @example
 * ```ts
 * if (!(await passport.revokeUserToken(user.id, tokenId))) return notFound();
 * ```
 */
export async function revokeUserToken(
  ctx: TokenManagementContext,
  userId: string,
  tokenId: string,
): Promise<boolean> {
  const token = await ctx.store.findAccessToken(tokenId);
  if (token === null || token.userId === null || token.userId !== userId) return false;
  return revokeAccessToken(ctx, tokenId);
}

/**
 * Revokes one of the user's personal access tokens, as `DELETE /oauth/personal-access-tokens/{id}`
 * does. Returns `false`, changing nothing, unless the token exists, belongs to the user, is a
 * personal access token and is not revoked already: a foreign, non-personal or unknown id all
 * look the same. Emits `accessTokenRevoked` with reason `revoked`.
 *
 * @example
 * ```ts
 * if (!(await passport.revokePersonalAccessToken(user.id, tokenId))) return notFound();
 * ```
 */
export async function revokePersonalAccessToken(
  ctx: TokenManagementContext,
  userId: string,
  tokenId: string,
): Promise<boolean> {
  const token = await ctx.store.findAccessToken(tokenId);
  if (token === null || token.userId !== userId || token.name === null || token.revoked) return false;
  return revokeAccessToken(ctx, tokenId);
}

/**
 * Deletes revoked rows and rows expired more than `hours` ago, across access tokens, refresh
 * tokens, authorization codes and device codes, revoked clients past `clientRetentionHours`, and
 * expired single-use markers and rate-limit windows. The store never deletes what detection still
 * needs: the access token of a live refresh token, the consumed refresh tokens of its family, and
 * a code before it expires. Call it from a scheduler.
 *
 * Throws {@link PassportOptionsError} when `hours` or `clientRetentionHours` is negative or not a
 * finite number.
 *
 * @example
 * ```ts
 * const { accessTokens } = await passport.purge({ hours: 24 });
 * ```
 */
export async function purgeTokens(
  ctx: TokenManagementContext,
  options: PurgeTokensOptions = {},
): Promise<PurgeResult> {
  const revoked = options.revoked ?? true;
  const expired = options.expired ?? true;
  const hours = options.hours ?? 168;
  if (!isHours(hours)) throw new PassportOptionsError(hoursProblem('hours', hours, '168 hours'));
  const retention = options.clientRetentionHours === undefined ? 720 : options.clientRetentionHours;
  if (retention !== null && !isHours(retention)) {
    throw new PassportOptionsError(hoursProblem('clientRetentionHours', retention, '720 hours'));
  }
  const nowMs = ctx.now();
  return ctx.store.purge({
    revoked,
    expiredBefore: expired ? new Date(nowMs - hours * 3_600_000) : null,
    revokedClientsBefore: revoked && retention !== null ? new Date(nowMs - retention * 3_600_000) : null,
    now: new Date(nowMs),
  });
}
