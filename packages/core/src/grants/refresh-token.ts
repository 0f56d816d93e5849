import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { hashSecret } from '../internal/secrets.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord, RefreshTokenRecord } from '../stores/records.js';
import { revokeFamilyAndNotify } from '../tokens/family.js';
import { emitTokensCreated, prepareTokens, toIssuedTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';

/** Rotations a retried refresh tries before it gives up (each follows one more hop of the chain). */
const maxRetryHops = 4;

/**
 * The single-use marker that says "this refresh token was issued by a retry": written before a
 * retry rotates the unused successor, naming the token that rotation issues. A retry repeated
 * later follows a consumed successor only when the token that replaced it carries this mark; a
 * successor the client used itself has no mark, so a retry after it is reuse.
 */
const retryMark = (refreshTokenId: string): string => `passport:refresh-retry:${refreshTokenId}`;

async function revokeFamilyForReuse(ctx: GrantContext, token: RefreshTokenRecord): Promise<never> {
  const revokedCount = await revokeFamilyAndNotify(ctx, token, 'reuse');
  ctx.events.emit('refreshTokenReuseDetected', { refreshToken: token, revokedCount });
  throw OAuthError.invalidGrant('The refresh token has already been used; its token family was revoked');
}

function narrowScopes(ctx: GrantContext, params: URLSearchParams, original: readonly string[]): string[] {
  const requested = ScopeRegistry.parse(params.get('scope'));
  if (requested.length === 0) return [...original];
  const wildcard = original.includes('*');
  for (const scope of requested) {
    const granted = original.includes(scope) || (wildcard && ctx.scopes.hasScope(scope));
    if (!granted) {
      throw OAuthError.invalidScope(`The scope "${scope}" was not granted to the original token`);
    }
  }
  return requested;
}

/**
 * Signs the next pair for `token`'s family and rotates `token` with it (one atomic
 * `store.rotateRefreshToken`); `null` when the rotation refused (nothing was written). When
 * `mark` is set, the token the rotation issues is marked as issued by a retry first.
 */
async function rotate(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
  token: RefreshTokenRecord,
  now: number,
  mark: { until: number } | null,
): Promise<TokenResponse | null> {
  const scopes = narrowScopes(ctx, params, token.scopes);
  const next = await prepareTokens(ctx, {
    clientId: client.id,
    userId: token.userId,
    scopes,
    grantType: 'refresh_token',
    familyId: token.familyId,
    withRefreshToken: true,
  });
  const nextRefresh = next.refreshTokenRecord as RefreshTokenRecord;
  if (mark !== null) await ctx.store.useNonce(retryMark(nextRefresh.id), new Date(mark.until));
  const consumed = await ctx.store.rotateRefreshToken(token.id, new Date(now), toIssuedTokens(next));
  if (consumed === null) return null;
  // No re-check after the write: the rotation is one atomic store operation, and a concurrent
  // revokeFamily is ordered with it (store contract). Either the revocation lands first, then the
  // old token is revoked and the rotation's conditional consume fails (null above), or it lands
  // after, and then the new pair, already written in the same family, is revoked with the rest.
  emitTokensCreated(ctx, next);
  ctx.events.emit('accessTokenRevoked', { accessTokenId: consumed.accessTokenId, reason: 'rotated' });
  ctx.events.emit('refreshTokenRevoked', { refreshTokenId: consumed.id, reason: 'rotated' });
  return toTokenResponse(next, scopes);
}

/**
 * Answers a refresh token that could not be rotated (read consumed or revoked, or refused by the
 * rotation):
 *
 * - revoked (explicitly or with its family; rotation never sets `revoked`): reuse, the family is
 *   revoked (again) and `refreshTokenReuseDetected` emitted (RFC 9700 section 4.14);
 * - neither consumed nor revoked: expired, or otherwise invalid;
 * - consumed less than `refreshTokenRetrySeconds` ago: a retry after a lost response. The chain
 *   of replacements is followed (`replacedBy`) to the newest token: when it is unused it is
 *   rotated for this request, and the family lives on. A consumed token on the way is followed
 *   only when what replaced it was itself issued by a retry; one the client used itself makes
 *   this reuse. A revoked one makes it reuse too. After a few hops lost to concurrent retries,
 *   `invalid_grant` without revoking;
 * - consumed longer ago, or with retries off: reuse. With retries off, a request that lost a race
 *   at the very same instant (the same `now` as the winner's rotation) is refused without
 *   revoking, as a client racing itself is not an attack.
 */
async function retryOrRefuse(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
  presented: RefreshTokenRecord,
  now: number,
): Promise<TokenResponse> {
  if (presented.revoked) return revokeFamilyForReuse(ctx, presented);
  const consumedAt = presented.consumedAt;
  if (consumedAt === null) {
    if (presented.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
    throw OAuthError.invalidGrant('The refresh token is invalid');
  }
  const age = now - consumedAt.getTime();
  const window = ctx.refreshTokenRetrySeconds * 1000;
  if (age >= window) {
    if (window === 0 && age === 0) {
      throw OAuthError.invalidGrant('The refresh token was used by a concurrent request');
    }
    return revokeFamilyForReuse(ctx, presented);
  }
  const mark = { until: now + window };
  let current = presented;
  for (let hop = 0; hop < maxRetryHops; hop++) {
    const successor =
      current.replacedBy === null ? null : await ctx.store.findRefreshToken(current.replacedBy);
    if (successor === null || successor.revoked) return revokeFamilyForReuse(ctx, presented);
    if (successor.consumedAt !== null) {
      // Follow it only when its own rotation was a retry (the token it issued carries the mark).
      const retried =
        successor.replacedBy !== null &&
        !(await ctx.store.useNonce(retryMark(successor.replacedBy), new Date(mark.until)));
      if (!retried) return revokeFamilyForReuse(ctx, presented);
      current = successor;
      continue;
    }
    if (successor.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
    const response = await rotate(ctx, params, client, successor, now, mark);
    if (response !== null) return response;
    // Lost the successor to a concurrent request: read the chain again from where we are.
    const fresh = await ctx.store.findRefreshToken(current.id);
    if (fresh === null) throw OAuthError.invalidGrant('The refresh token is invalid');
    current = fresh;
  }
  throw OAuthError.invalidGrant(
    'The refresh token was used by concurrent requests; use the refresh token of the latest response',
  );
}

/**
 * The refresh_token grant (RFC 6749 section 6), with rotation, reuse detection and retries.
 *
 * The token is read (`findRefreshToken`); it must exist, belong to the client, and be neither
 * revoked, consumed nor expired. `scope` may narrow the original scopes, never widen them
 * (`invalid_scope`). The next pair (access token and refresh token, same family) is signed
 * first, then ONE atomic `store.rotateRefreshToken` consumes the old refresh token (recording
 * the new one as its `replacedBy`), revokes the old access token and writes the next pair: all or
 * nothing. A store failure therefore leaves the old refresh token usable, and of concurrent
 * requests with one token exactly one rotates it.
 *
 * A rotated token presented again is reuse: `invalid_grant`, the whole family revoked and
 * `refreshTokenReuseDetected` emitted, except for a retry after a lost response: within
 * `refreshTokenRetrySeconds` of the rotation, while the new token is unused, the retry rotates
 * the new token instead (see {@link retryOrRefuse}).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
 */
export async function handleRefreshTokenGrant(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
): Promise<TokenResponse> {
  const token = params.get('refresh_token');
  if (token === null || token === '') {
    throw OAuthError.invalidRequest('The "refresh_token" parameter is required');
  }
  const id = hashSecret(token);
  const now = ctx.now();
  let record = await ctx.store.findRefreshToken(id);
  if (record === null) throw OAuthError.invalidGrant('The refresh token is invalid');
  if (record.clientId !== client.id) {
    throw OAuthError.invalidGrant('The refresh token was not issued to this client');
  }
  if (!record.revoked && record.consumedAt === null) {
    if (record.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
    const response = await rotate(ctx, params, client, record, now, null);
    if (response !== null) return response;
    // Lost a race with a concurrent rotation, or revoked / expired since our read: nothing was
    // written. Read the token again and answer as for a token presented spent.
    record = await ctx.store.findRefreshToken(id);
    if (record === null) throw OAuthError.invalidGrant('The refresh token is invalid');
  }
  return retryOrRefuse(ctx, params, client, record, now);
}

/** A refresh token is issued when the refresh grant is enabled and the client may use it. */
export function mayRefresh(ctx: Pick<GrantContext, 'grants'>, client: ClientRecord): boolean {
  return ctx.grants.refreshToken && client.grantTypes.includes('refresh_token');
}
