import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord } from '../stores/records.js';
import { issueTokens } from '../tokens/issue.js';

/** The part of an authorization request the implicit grant reads. */
export interface ImplicitRequest {
  client: ClientRecord;
  scopes: readonly string[];
}

/**
 * Parameters of an implicit-grant redirect, placed in the fragment (RFC 6749 section 4.2.2).
 * The authorization endpoint adds `state` and `iss` (RFC 9207) when it builds the URL.
 */
export interface ImplicitFragmentParams {
  access_token: string;
  token_type: 'Bearer';
  expires_in: string;
  /** Omitted when the token has no scope. */
  scope?: string;
}

/**
 * Issues the access token of an approved implicit-grant request (`response_type=token`, RFC 6749
 * section 4.2). Off unless `grants.implicit` is enabled (`unsupported_response_type`); the client
 * must be allowed the `implicit` grant (`unauthorized_client`). Never issues a refresh token
 * (RFC 6749 section 4.2.2). The caller puts the result in the redirect URI's fragment.
 *
 * @example
 * ```ts
 * const params = await issueImplicitToken(ctx, request, user);
 * return appendResponseParams(request.redirectUri, { ...params, state, iss }, 'fragment');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.2.2
 */
export async function issueImplicitToken(
  ctx: GrantContext,
  request: ImplicitRequest,
  user: { id: string },
): Promise<ImplicitFragmentParams> {
  if (!ctx.grants.implicit) throw OAuthError.unsupportedResponseType('The implicit grant is not enabled');
  if (!request.client.grantTypes.includes('implicit')) {
    throw OAuthError.unauthorizedClient('The client is not allowed to use the implicit grant');
  }
  const issued = await issueTokens(ctx, {
    clientId: request.client.id,
    userId: user.id,
    scopes: [...request.scopes],
    grantType: 'implicit',
    withRefreshToken: false,
  });
  const params: ImplicitFragmentParams = {
    access_token: issued.accessToken,
    token_type: 'Bearer',
    expires_in: String(issued.expiresIn),
  };
  if (issued.accessTokenRecord.scopes.length > 0) {
    params.scope = ScopeRegistry.format(issued.accessTokenRecord.scopes);
  }
  return params;
}
