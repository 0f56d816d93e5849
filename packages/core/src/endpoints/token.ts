import {
  assertGrantAllowed,
  authenticateClient,
  type ClientAuthenticationInput,
} from '../clients/client-authentication.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { rejectRepeatedParameters } from '../internal/params.js';
import type { ClientRecord, GrantType } from '../stores/records.js';
import type { TokenResponse } from '../tokens/token-response.js';

/** A grant's token endpoint logic, called with an authenticated client allowed the grant. */
export type TokenGrantHandler = (
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
) => Promise<TokenResponse>;

/** Grant handlers by `grant_type`; a grant absent from the map is `unsupported_grant_type`. */
export type TokenGrantHandlers = Partial<Record<GrantType, TokenGrantHandler>>;

/** Grants that public clients (no secret) may use at the token endpoint. */
const publicClientGrants: ReadonlySet<string> = new Set<GrantType>([
  'authorization_code',
  'refresh_token',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
]);

/** Grants that only exist inside the library and are never reachable over the token endpoint. */
const internalGrants: ReadonlySet<string> = new Set<GrantType>(['personal_access', 'implicit']);

/**
 * Answers a token request (RFC 6749 section 3.2): rejects repeated parameters
 * (`invalid_request`, RFC 6749 3.1), finds the grant (`unsupported_grant_type` when unknown,
 * disabled, or internal like `personal_access`), authenticates the client (public clients only
 * for grants they may use), checks the client may use the grant (`unauthorized_client`), then
 * runs the grant. Throws {@link OAuthError}; store failures surface as `StoreUnavailableError`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.2
 */
export async function handleTokenRequest(
  ctx: GrantContext,
  input: ClientAuthenticationInput,
  handlers: TokenGrantHandlers,
): Promise<TokenResponse> {
  rejectRepeatedParameters(input.params);
  const grantType = input.params.get('grant_type');
  if (grantType === null || grantType === '') {
    throw OAuthError.invalidRequest('The "grant_type" parameter is required');
  }
  const handler = internalGrants.has(grantType) ? undefined : handlers[grantType as GrantType];
  if (handler === undefined) {
    throw OAuthError.unsupportedGrantType(`The grant type "${grantType}" is not supported`);
  }
  const { client } = await authenticateClient(ctx, input, {
    allowPublic: publicClientGrants.has(grantType),
    grantType: grantType as GrantType,
  });
  assertGrantAllowed(client, grantType as GrantType);
  return handler(ctx, input.params, client);
}
