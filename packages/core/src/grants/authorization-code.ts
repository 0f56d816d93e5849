import { redirectUriMatches } from '../clients/redirect-uri.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { hashSecret } from '../internal/secrets.js';
import type { AuthCodeRecord, ClientRecord } from '../stores/records.js';
import { revokeFamilyAndNotify } from '../tokens/family.js';
import { emitTokensCreated, prepareTokens, toIssuedTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';
import { isValidCodeVerifier, verifyCodeVerifier } from './pkce.js';

async function revokeCodeFamily(ctx: GrantContext, code: AuthCodeRecord): Promise<never> {
  const revokedCount = await revokeFamilyAndNotify(
    ctx,
    { familyId: code.id, userId: code.userId, clientId: code.clientId },
    'code-reuse',
  );
  ctx.events.emit('authCodeReuseDetected', { authCode: code, revokedCount });
  throw OAuthError.invalidGrant('The authorization code has already been used');
}

/** Answers a code that cannot be redeemed: a replay (consumed) revokes its family. */
async function refuseCode(ctx: GrantContext, code: AuthCodeRecord | null, now: number): Promise<never> {
  if (code !== null && code.consumedAt !== null) return revokeCodeFamily(ctx, code);
  if (code !== null && !code.revoked && code.expiresAt.getTime() <= now) {
    throw OAuthError.invalidGrant('The authorization code has expired');
  }
  throw OAuthError.invalidGrant('The authorization code is invalid');
}

/**
 * The authorization_code grant (RFC 6749 4.1.3, RFC 7636 4.6).
 *
 * The code is read (`store.findAuthCode`); a code already consumed is a replay: every token issued
 * from it is revoked (their family id is the code's id), `authCodeReuseDetected` is emitted and
 * the answer is `invalid_grant` (RFC 6749 section 4.1.2). Then its bindings are checked: client,
 * `redirect_uri` (repeated and equal when sent at authorize) and the PKCE verifier (required when
 * a challenge was stored, rejected when none was: downgrade protection); a failed check leaves the
 * code unconsumed. The tokens are signed, and ONE atomic `store.redeemAuthCode` consumes the code
 * and writes them: of concurrent redemptions exactly one wins, and a failure in between leaves the
 * code redeemable with nothing written. A redemption that loses (the code was consumed meanwhile)
 * is a replay too. A refresh token is issued when the refresh grant is enabled and the client may
 * use it.
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
  const record = await ctx.store.findAuthCode(id);
  if (record === null || record.consumedAt !== null || record.revoked || record.expiresAt.getTime() <= now) {
    return refuseCode(ctx, record, now);
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

  const issued = await prepareTokens(ctx, {
    clientId: client.id,
    userId: record.userId,
    scopes: record.scopes,
    grantType: 'authorization_code',
    familyId: record.id,
    withRefreshToken: ctx.grants.refreshToken && client.grantTypes.includes('refresh_token'),
  });
  const redeemed = await ctx.store.redeemAuthCode(id, new Date(now), toIssuedTokens(issued));
  // Lost a race with another redemption (a replay), or revoked since our read: nothing was written.
  if (redeemed === null) return refuseCode(ctx, await ctx.store.findAuthCode(id), now);
  emitTokensCreated(ctx, issued);
  return toTokenResponse(issued, record.scopes);
}
