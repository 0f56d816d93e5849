import { ScopeRegistry } from '../scopes/registry.js';
import type { IssuedTokenSet } from './issue.js';

/**
 * A successful token response (RFC 6749 section 5.1). The HTTP layer sends it as JSON
 * with `Cache-Control: no-store`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  /** Present when a refresh token was issued. */
  refresh_token?: string;
  /** The granted scopes, space separated; omitted when none. */
  scope?: string;
}

/** Builds the {@link TokenResponse} of an issued token set. */
export function toTokenResponse(issued: IssuedTokenSet, scopes: readonly string[]): TokenResponse {
  const response: TokenResponse = {
    token_type: 'Bearer',
    access_token: issued.accessToken,
    expires_in: issued.expiresIn,
  };
  if (issued.refreshToken !== null) response.refresh_token = issued.refreshToken;
  if (scopes.length > 0) response.scope = ScopeRegistry.format(scopes);
  return response;
}
