import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { finalizeScopes } from '../scopes/finalize.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord } from '../stores/records.js';
import { issueTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';

/**
 * The client_credentials grant (RFC 6749 section 4.4): confidential clients only,
 * `*` allowed, never a refresh token. The token's `sub` is the client id and its record's
 * `userId` is `null`, so it never authenticates as a user.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.4
 */
export async function handleClientCredentialsGrant(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
): Promise<TokenResponse> {
  if (!client.confidential) {
    throw OAuthError.unauthorizedClient('The client_credentials grant is for confidential clients only');
  }
  const scopes = finalizeScopes(ctx, {
    requested: ScopeRegistry.parse(params.get('scope')),
    client,
    grantType: 'client_credentials',
  });
  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: null,
    scopes,
    grantType: 'client_credentials',
    withRefreshToken: false,
  });
  return toTokenResponse(issued, scopes);
}
