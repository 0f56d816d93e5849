import { OAuthError } from '../errors/oauth-error.js';
import { hashSecret } from '../internal/secrets.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord, RefreshTokenRecord } from '../stores/records.js';
import { issueTokens } from '../tokens/issue.js';
import type { GrantContext } from './context.js';
import { type TokenResponse, toTokenResponse } from './token-response.js';

async function revokeFamilyForReuse(ctx: GrantContext, token: RefreshTokenRecord): Promise<never> {
  const revokedCount = await ctx.store.revokeFamily(token.familyId);
  ctx.events.emit('refreshTokenReuseDetected', { refreshToken: token, revokedCount });
  throw OAuthError.invalidGrant('The refresh token has already been used; its token family was revoked');
}

/**
 * Finds out why `consumeRefreshToken` returned nothing and answers accordingly: a token rotated
 * within the grace window may be refreshed again (returned); one rotated at this very instant by a
 * concurrent request fails without harm; any other rotated or revoked token is a reuse that
 * revokes the whole family (RFC 9700 section 4.14).
 */
async function resolveUnconsumable(
  ctx: GrantContext,
  id: string,
  client: ClientRecord,
  now: number,
): Promise<RefreshTokenRecord> {
  const existing = await ctx.store.findRefreshToken(id);
  if (existing === null) throw OAuthError.invalidGrant('The refresh token is invalid');
  if (existing.clientId !== client.id) {
    throw OAuthError.invalidGrant('The refresh token was not issued to this client');
  }
  if (existing.consumedAt !== null) {
    const age = Math.max(0, now - existing.consumedAt.getTime());
    const graceMs = ctx.refreshTokenGraceSeconds * 1000;
    if (age < graceMs) {
      if (existing.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
      return existing;
    }
    if (age === 0) {
      throw OAuthError.invalidGrant('The refresh token was used by a concurrent request');
    }
    return revokeFamilyForReuse(ctx, existing);
  }
  if (existing.revoked) return revokeFamilyForReuse(ctx, existing);
  if (existing.expiresAt.getTime() <= now) throw OAuthError.invalidGrant('The refresh token has expired');
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
 * The refresh_token grant (RFC 6749 section 6, PARITY T2), with rotation and reuse detection.
 *
 * The token is consumed atomically (`store.consumeRefreshToken`), so of concurrent requests with
 * one token exactly one rotates it. Then: the client must be the one it was issued to; `scope`
 * may narrow the original scopes, never widen them (`invalid_scope`); a new access token and a new
 * refresh token are issued in the same family (one `saveTokens` write), and the old access token is
 * revoked (with its refresh tokens).
 *
 * A token presented after rotation or revocation fails with `invalid_grant`, revokes the whole
 * family and emits `refreshTokenReuseDetected`. With `refreshTokenGraceSeconds` > 0, a token
 * rotated less than that many seconds ago may be refreshed again (a client's concurrent refresh)
 * without harm; with the default 0, only requests that lost a race at the very same instant are
 * refused without revoking.
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
  const consumed = await ctx.store.consumeRefreshToken(id, new Date(now));
  const record = consumed ?? (await resolveUnconsumable(ctx, id, client, now));
  if (record.clientId !== client.id) {
    throw OAuthError.invalidGrant('The refresh token was not issued to this client');
  }
  const scopes = narrowScopes(ctx, params, record.scopes);

  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: record.userId,
    scopes,
    grantType: 'refresh_token',
    familyId: record.familyId,
    withRefreshToken: true,
  });

  if (consumed !== null) {
    // A reuse racing with this rotation may have revoked the family before our write landed:
    // revoke it again so nothing in a compromised family stays live.
    const current = await ctx.store.findRefreshToken(record.id);
    if (current === null || current.revoked) {
      await ctx.store.revokeFamily(record.familyId);
    } else if (await ctx.store.revokeAccessToken(record.accessTokenId)) {
      ctx.events.emit('accessTokenRevoked', { accessTokenId: record.accessTokenId, reason: 'rotated' });
      ctx.events.emit('refreshTokenRevoked', { refreshTokenId: record.id, reason: 'rotated' });
    }
  }
  return toTokenResponse(issued, scopes);
}
