import { redirectUriMatches } from '../clients/redirect-uri.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { hashSecret } from '../internal/secrets.js';
import type { AuthCodeRecord, ClientRecord } from '../stores/records.js';
import { revokeFamilyAndNotify } from '../tokens/family.js';
import { issueTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';
import { isValidCodeVerifier, verifyCodeVerifier } from './pkce.js';

/**
 * Marks that a code was presented after its redemption. The redeeming request checks it after
 * writing its tokens, so a reuse racing with the first redemption still revokes them.
 */
const reuseMarker = (codeId: string): string => `passport:code-reuse:${codeId}`;

async function revokeCodeFamily(ctx: GrantContext, code: AuthCodeRecord): Promise<void> {
  await ctx.store.useNonce(reuseMarker(code.id), new Date(ctx.now() + ctx.lifetimes.refreshToken * 1000));
  const revokedCount = await revokeFamilyAndNotify(
    ctx,
    { familyId: code.id, userId: code.userId, clientId: code.clientId },
    'code-reuse',
  );
  ctx.events.emit('authCodeReuseDetected', { authCode: code, revokedCount });
}

/**
 * The authorization_code grant (RFC 6749 4.1.3, RFC 7636 4.6).
 *
 * The code is consumed atomically first (`store.consumeAuthCode`), then its bindings are checked:
 * client, `redirect_uri` (repeated and equal when sent at authorize) and the PKCE verifier
 * (required when a challenge was stored, rejected when none was: downgrade protection). A code
 * presented again fails with `invalid_grant` and revokes every token issued from it (their family
 * id is the code's id) and emits `authCodeReuseDetected`. Tokens are written in one
 * `saveTokens` call; a refresh token is issued when the refresh grant is enabled and the client
 * may use it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export async function handleAuthorizationCodeGrant(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
): Promise<TokenResponse> {
  const code = params.get('code');
  if (code === null || code === '') throw OAuthError.invalidRequest('The "code" parameter is required');
  const verifier = params.get('code_verifier');
  if (verifier !== null && !isValidCodeVerifier(verifier)) {
    throw OAuthError.invalidRequest('code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]');
  }
  const redirectUri = params.get('redirect_uri');

  const id = hashSecret(code);
  const now = ctx.now();
  const record = await ctx.store.consumeAuthCode(id, new Date(now));
  if (record === null) {
    const existing = await ctx.store.findAuthCode(id);
    if (existing !== null && existing.consumedAt !== null) {
      await revokeCodeFamily(ctx, existing);
      throw OAuthError.invalidGrant('The authorization code has already been used');
    }
    if (existing !== null && !existing.revoked && existing.expiresAt.getTime() <= now) {
      throw OAuthError.invalidGrant('The authorization code has expired');
    }
    throw OAuthError.invalidGrant('The authorization code is invalid');
  }

  if (record.clientId !== client.id) {
    throw OAuthError.invalidGrant('The authorization code was not issued to this client');
  }
  if (record.redirectUri !== null) {
    if (redirectUri !== record.redirectUri) {
      throw OAuthError.invalidGrant('The redirect_uri does not match the one sent at authorization');
    }
  } else if (redirectUri !== null && !redirectUriMatches(client.redirectUris, redirectUri)) {
    throw OAuthError.invalidGrant('The redirect_uri is not registered for this client');
  }
  if (record.codeChallenge === null) {
    if (verifier !== null) {
      throw OAuthError.invalidGrant('code_verifier was sent but the authorization request had no challenge');
    }
  } else {
    if (verifier === null) throw OAuthError.invalidGrant('The "code_verifier" parameter is required');
    if (!verifyCodeVerifier(verifier, record.codeChallenge, record.codeChallengeMethod ?? 'S256')) {
      throw OAuthError.invalidGrant('The code_verifier does not match the code_challenge');
    }
  }

  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: record.userId,
    scopes: record.scopes,
    grantType: 'authorization_code',
    familyId: record.id,
    withRefreshToken: ctx.grants.refreshToken && client.grantTypes.includes('refresh_token'),
  });

  // A reuse racing with this redemption may have revoked the family before our write landed:
  // revoke again so no token issued from a reused code stays live. The response still goes out
  // (exactly one redemption succeeds), but its tokens are dead.
  const first = await ctx.store.useNonce(
    reuseMarker(record.id),
    new Date(now + ctx.lifetimes.refreshToken * 1000),
  );
  if (!first) {
    await revokeFamilyAndNotify(
      ctx,
      { familyId: record.id, userId: record.userId, clientId: record.clientId },
      'code-reuse',
    );
  }
  return toTokenResponse(issued, record.scopes);
}
