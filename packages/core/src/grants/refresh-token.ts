import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { hashSecret } from '../internal/secrets.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord, RefreshTokenRecord } from '../stores/records.js';
import { revokeFamilyAndNotify } from '../tokens/family.js';
import { emitTokensCreated, issueTokens, prepareTokens, toIssuedTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';

async function revokeFamilyForReuse(ctx: GrantContext, token: RefreshTokenRecord): Promise<never> {
  const revokedCount = await revokeFamilyAndNotify(ctx, token, 'reuse');
  ctx.events.emit('refreshTokenReuseDetected', { refreshToken: token, revokedCount });
  throw OAuthError.invalidGrant('The refresh token has already been used; its token family was revoked');
}

/**
 * Answers a refresh token that cannot be rotated (`revoked`, or already consumed), or one the
 * rotation refused (re-read after `rotateRefreshToken` returned `null`):
 *
 * - revoked (explicitly or with its family; rotation never sets `revoked`): reuse, the whole
 *   family is revoked again and `refreshTokenReuseDetected` is emitted (RFC 9700 section 4.14);
 * - consumed less than `refreshTokenGraceSeconds` ago and not revoked: returned, so the caller
 *   issues a sibling pair in the same family (a client's concurrent refresh);
 * - consumed at this very instant with no grace window: a concurrent request won the rotation;
 *   this one fails with `invalid_grant` WITHOUT revoking the family. This is the behaviour the
 *   grant has always had for a client racing itself: with an injected or millisecond clock,
 *   "same instant" means the same `now` as the winner's consumption;
 * - consumed earlier: reuse, as for a revoked token;
 * - neither consumed nor revoked (the rotation refused it): expired, or otherwise invalid.
 */
async function resolveSpent(
  ctx: GrantContext,
  token: RefreshTokenRecord,
  now: number,
): Promise<RefreshTokenRecord> {
  if (token.revoked) return revokeFamilyForReuse(ctx, token);
  if (token.consumedAt !== null) {
    const age = Math.max(0, now - token.consumedAt.getTime());
    if (age < ctx.refreshTokenGraceSeconds * 1000) {
      if (token.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
      return token;
    }
    if (age === 0) {
      throw OAuthError.invalidGrant('The refresh token was used by a concurrent request');
    }
    return revokeFamilyForReuse(ctx, token);
  }
  if (token.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
  throw OAuthError.invalidGrant('The refresh token is invalid');
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
 * A refresh within the grace window: a sibling pair in the same family, written with
 * `saveTokens`; the consumed token stays consumed. The family may be revoked between our read
 * and our write (a reuse elsewhere, a revocation request): the old token is read again AFTER the
 * write, and if it became revoked the family is revoked once more, which now covers the sibling
 * too, so nothing in a compromised family stays live.
 */
async function refreshWithinGrace(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
  token: RefreshTokenRecord,
): Promise<TokenResponse> {
  const scopes = narrowScopes(ctx, params, token.scopes);
  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: token.userId,
    scopes,
    grantType: 'refresh_token',
    familyId: token.familyId,
    withRefreshToken: true,
  });
  const current = await ctx.store.findRefreshToken(token.id);
  if (current === null || current.revoked) {
    await revokeFamilyAndNotify(ctx, token, 'revoked');
    throw OAuthError.invalidGrant('The refresh token has been revoked');
  }
  return toTokenResponse(issued, scopes);
}

/**
 * The refresh_token grant (RFC 6749 section 6), with rotation and reuse detection.
 *
 * The token is read (`findRefreshToken`); it must exist, belong to the client, and be neither
 * revoked, consumed nor expired. `scope` may narrow the original scopes, never widen them
 * (`invalid_scope`). The next pair (access token and refresh token, same family) is signed
 * first, then ONE atomic `store.rotateRefreshToken` consumes the old refresh token, revokes the
 * old access token and writes the next pair: all or nothing. A store failure therefore leaves
 * the old refresh token usable (the client's retry succeeds instead of looking like reuse), and
 * of concurrent requests with one token exactly one rotates it.
 *
 * A token presented after rotation or revocation fails with `invalid_grant`, revokes the whole
 * family and emits `refreshTokenReuseDetected`. With `refreshTokenGraceSeconds` > 0, a token
 * rotated less than that many seconds ago, in a family not revoked since, may be refreshed again
 * (a client's concurrent refresh) without harm; with the default 0, only requests that lost a race
 * at the very same instant are refused without revoking.
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
  const record = await ctx.store.findRefreshToken(id);
  if (record === null) throw OAuthError.invalidGrant('The refresh token is invalid');
  if (record.clientId !== client.id) {
    throw OAuthError.invalidGrant('The refresh token was not issued to this client');
  }
  if (record.revoked || record.consumedAt !== null) {
    return refreshWithinGrace(ctx, params, client, await resolveSpent(ctx, record, now));
  }
  if (record.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
  const scopes = narrowScopes(ctx, params, record.scopes);

  const next = await prepareTokens(ctx, {
    clientId: client.id,
    userId: record.userId,
    scopes,
    grantType: 'refresh_token',
    familyId: record.familyId,
    withRefreshToken: true,
  });
  const consumed = await ctx.store.rotateRefreshToken(id, new Date(now), toIssuedTokens(next));
  if (consumed === null) {
    // Lost a race with a concurrent rotation, or revoked / expired since our read: nothing was
    // written. Read the token again and answer as for a token presented spent.
    const current = await ctx.store.findRefreshToken(id);
    if (current === null) throw OAuthError.invalidGrant('The refresh token is invalid');
    return refreshWithinGrace(ctx, params, client, await resolveSpent(ctx, current, now));
  }
  // No re-check after the write: the rotation is one atomic store operation, and a concurrent
  // revokeFamily is ordered with it (store contract). Either the revocation lands first, then the
  // old token is revoked and the rotation's conditional consume fails (null above), or it lands
  // after, and then the new pair, already written in the same family, is revoked with the rest.
  emitTokensCreated(ctx, next);
  ctx.events.emit('accessTokenRevoked', { accessTokenId: consumed.accessTokenId, reason: 'rotated' });
  ctx.events.emit('refreshTokenRevoked', { refreshTokenId: consumed.id, reason: 'rotated' });
  return toTokenResponse(next, scopes);
}

/** A refresh token is issued when the refresh grant is enabled and the client may use it. */
export function mayRefresh(ctx: Pick<GrantContext, 'grants'>, client: ClientRecord): boolean {
  return ctx.grants.refreshToken && client.grantTypes.includes('refresh_token');
}
