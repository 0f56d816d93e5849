import { authenticateClient } from '../clients/client-authentication.js';
import { OAuthError } from '../errors/oauth-error.js';
import { PassportError } from '../errors/passport-error.js';
import type { PassportContext } from '../internal/context.js';
import { rejectRepeatedParameters } from '../internal/params.js';
import { hashSecret } from '../internal/secrets.js';
import type { AccessTokenRecord, RefreshTokenRecord } from '../stores/records.js';
import { verifyJws } from '../tokens/jws.js';

/** Context the revocation endpoint needs. */
export type RevocationContext = Pick<PassportContext, 'store' | 'keys' | 'issuer' | 'events'>;

/** Input of {@link revokeToken}: the form body and the `Authorization` header of the request. */
export interface RevocationInput {
  params: URLSearchParams;
  authorization: string | null;
}

/** `token_type_hint` values of RFC 7009 section 2.1. */
export type TokenTypeHint = 'access_token' | 'refresh_token';

/**
 * Reads the `token` and `token_type_hint` parameters shared by revocation and introspection
 * (repeated parameters were refused first). An unknown hint is ignored (the server then searches
 * every token type, RFC 7009 section 2.1).
 */
export function readTokenParams(params: URLSearchParams): { token: string; hint: TokenTypeHint | null } {
  const token = params.get('token');
  if (token === null || token === '') throw OAuthError.invalidRequest('The "token" parameter is required');
  const hint = params.get('token_type_hint');
  return { token, hint: hint === 'access_token' || hint === 'refresh_token' ? hint : null };
}

/**
 * The `jti` of an access token of ours: a JWS that passes the same header rules and signature
 * check as every bearer token (`verifyJws`: `typ` `at+jwt`, no `crit`, a known `kid` and its
 * `alg`), whose `iss` is ours. Time claims are deliberately NOT checked: an expired token can
 * still be revoked. Anything else gives `null`, never an error.
 */
export async function signedTokenId(
  ctx: Pick<PassportContext, 'keys' | 'issuer'>,
  token: string,
): Promise<string | null> {
  try {
    const { payload } = await verifyJws(token, ctx.keys);
    const { jti, iss } = payload;
    if (typeof jti !== 'string' || jti === '' || iss !== ctx.issuer) return null;
    return jti;
  } catch (error) {
    if (error instanceof PassportError && error.code === 'ERR_TOKEN_INVALID') return null;
    throw error;
  }
}

/** Finds the access token record a JWT stands for (signature checked, expiry not). */
async function findAccessTokenByValue(
  ctx: RevocationContext,
  token: string,
): Promise<AccessTokenRecord | null> {
  const jti = await signedTokenId(ctx, token);
  return jti === null ? null : ctx.store.findAccessToken(jti);
}

/** Finds the refresh token record for a refresh token value. */
function findRefreshTokenByValue(ctx: RevocationContext, token: string): Promise<RefreshTokenRecord | null> {
  // Refresh tokens are opaque base64url strings; a JWT (with dots) can never be one.
  if (token.includes('.') || token.length > 512) return Promise.resolve(null);
  return ctx.store.findRefreshToken(hashSecret(token));
}

/**
 * RFC 7009 token revocation, as `POST /oauth/revoke` performs it:
 *
 * - the client authenticates like at the token endpoint (public clients send `client_id`);
 * - `token` is required (`invalid_request`); `token_type_hint` only changes the search order;
 * - an access token is recognised by its signature and `jti`, so an expired one can be revoked;
 *   its refresh tokens are revoked with it;
 * - a refresh token revokes its whole grant: the family's refresh and access tokens
 *   (RFC 7009 section 2.1: "SHOULD also invalidate all access tokens based on the same
 *   authorization grant");
 * - an unknown, malformed or already revoked token, and a token issued to another client,
 *   resolve silently: the response is 200 either way, and another client's token is left alone.
 *
 * Emits `accessTokenRevoked` / `refreshTokenRevoked` with reason `revoked`.
 *
 * @example
 * ```ts
 * await passport.revoke({ params: await request.formData(), authorization: request.headers.get('authorization') });
 * return new Response(null, { status: 200 });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2
 */
export async function revokeToken(ctx: RevocationContext, input: RevocationInput): Promise<void> {
  rejectRepeatedParameters(input.params);
  const { client } = await authenticateClient(ctx, input, { allowPublic: true });
  const { token, hint } = readTokenParams(input.params);

  const revokeAccess = async (): Promise<boolean> => {
    const record = await findAccessTokenByValue(ctx, token);
    if (record === null) return false;
    if (record.clientId !== client.id) return true; // found, but not this client's: succeed silently
    if (!record.revoked && (await ctx.store.revokeAccessToken(record.id))) {
      ctx.events.emit('accessTokenRevoked', { accessTokenId: record.id, reason: 'revoked' });
    }
    return true;
  };

  const revokeRefresh = async (): Promise<boolean> => {
    const record = await findRefreshTokenByValue(ctx, token);
    if (record === null) return false;
    if (record.clientId !== client.id) return true;
    const accessToken = await ctx.store.findAccessToken(record.accessTokenId);
    await ctx.store.revokeRefreshToken(record.id);
    await ctx.store.revokeAccessToken(record.accessTokenId);
    await ctx.store.revokeFamily(record.familyId);
    if (!record.revoked)
      ctx.events.emit('refreshTokenRevoked', { refreshTokenId: record.id, reason: 'revoked' });
    if (accessToken !== null && !accessToken.revoked) {
      ctx.events.emit('accessTokenRevoked', { accessTokenId: accessToken.id, reason: 'revoked' });
    }
    return true;
  };

  if (hint === 'refresh_token') {
    if (!(await revokeRefresh())) await revokeAccess();
  } else if (!(await revokeAccess())) {
    await revokeRefresh();
  }
}
