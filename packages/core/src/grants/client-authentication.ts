import { OAuthError } from '../errors/oauth-error.js';
import type { PassportContext } from '../internal/context.js';
import { hashSecret, verifySecret } from '../internal/secrets.js';
import type { ClientRecord, GrantType } from '../stores/records.js';

/** How a client proved its identity at the token, revocation or introspection endpoint. */
export type ClientAuthenticationMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** Input of {@link authenticateClient}: the form parameters and the raw `Authorization` header. */
export interface ClientAuthenticationInput {
  /** The `application/x-www-form-urlencoded` body of the request. */
  params: URLSearchParams;
  /** The `Authorization` request header, or `null`. */
  authorization: string | null;
}

/** Options of {@link authenticateClient}. */
export interface ClientAuthenticationOptions {
  /**
   * Accept public clients (no secret, authenticated by `client_id` alone). Grants that a public
   * client may use (authorization_code, refresh_token, device_code, password) pass `true`;
   * client_credentials and introspection leave it off.
   * @default false
   */
  allowPublic?: boolean;
}

/** Result of {@link authenticateClient}. */
export interface AuthenticatedClient {
  client: ClientRecord;
  /** The credentials came from the `Authorization` header (errors then need `WWW-Authenticate`). */
  usedAuthorizationHeader: boolean;
  method: ClientAuthenticationMethod;
}

interface BasicCredentials {
  clientId: string;
  clientSecret: string;
}

/** A hash nothing matches, compared against when the client is unknown so timing does not tell. */
const decoyHash = hashSecret('passport-decoy-secret');

/**
 * Decodes a value of the Basic credentials, which RFC 6749 section 2.3.1 says is
 * `application/x-www-form-urlencoded` before being joined with `:` and base64 encoded.
 */
function formDecode(value: string): string | null {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

function decodeBase64(value: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
  try {
    const binary = atob(value);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Parses `Authorization: Basic ...`. Returns `null` when the header is absent or uses another
 * scheme; throws `invalid_client` when a Basic header is malformed.
 */
function parseBasicAuthorization(header: string | null): BasicCredentials | null {
  if (header === null) return null;
  const match = /^basic[ \t]+([^ \t]*)[ \t]*$/i.exec(header.trim());
  if (!match) {
    if (/^basic(?:[ \t]|$)/i.test(header.trim())) {
      throw OAuthError.invalidClient('Malformed Basic authorization header', {
        usedAuthorizationHeader: true,
      });
    }
    return null;
  }
  const decoded = decodeBase64(match[1] ?? '');
  const colon = decoded === null ? -1 : decoded.indexOf(':');
  if (decoded === null || colon < 0) {
    throw OAuthError.invalidClient('Malformed Basic authorization header', { usedAuthorizationHeader: true });
  }
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === null || clientSecret === null || clientId === '') {
    throw OAuthError.invalidClient('Malformed Basic authorization header', { usedAuthorizationHeader: true });
  }
  return { clientId, clientSecret };
}

function singleParam(params: URLSearchParams, name: string): string | null {
  const values = params.getAll(name);
  if (values.length > 1) throw OAuthError.invalidRequest(`The "${name}" parameter is repeated`);
  return values[0] ?? null;
}

/**
 * Authenticates the client of a token, revocation or introspection request (PARITY T7).
 *
 * - HTTP Basic (`client_secret_basic`): scheme matched case-insensitively; id and secret are
 *   form-urlencoded before base64 (RFC 6749 section 2.3.1), so `+` and `%XX` are decoded.
 * - Body (`client_secret_post`): `client_id` and `client_secret` parameters.
 * - Public clients (`none`): `client_id` only, when `options.allowPublic` is set.
 *
 * Errors: a secret in both header and body is `invalid_request` (one method per request); an
 * unknown or revoked client, a confidential client without or with a wrong secret, and a public
 * client that sends a secret are `invalid_client` (401). `usedAuthorizationHeader` is set on the
 * error when the header was used, so the HTTP layer adds `WWW-Authenticate`. Secrets are compared
 * in constant time against the stored hash.
 *
 * @example
 * ```ts
 * const { client } = await authenticateClient(ctx, { params, authorization }, { allowPublic: true });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function authenticateClient(
  ctx: Pick<PassportContext, 'store'>,
  input: ClientAuthenticationInput,
  options: ClientAuthenticationOptions = {},
): Promise<AuthenticatedClient> {
  const basic = parseBasicAuthorization(input.authorization);
  const bodyClientId = singleParam(input.params, 'client_id');
  const bodySecret = singleParam(input.params, 'client_secret');
  const usedAuthorizationHeader = basic !== null;
  // Any Authorization header counts for the error (RFC 6749 5.2): a failed attempt answers 401 with
  // a challenge, also when the header used another scheme than Basic.
  const challenge = usedAuthorizationHeader || (input.authorization ?? '').trim() !== '';
  const fail = (description: string): OAuthError =>
    OAuthError.invalidClient(description, { usedAuthorizationHeader: challenge });

  if (basic !== null && bodySecret !== null) {
    throw OAuthError.invalidRequest(
      'Client credentials were sent both in the Authorization header and in the body; use one method',
    );
  }
  if (basic !== null && bodyClientId !== null && bodyClientId !== basic.clientId) {
    throw OAuthError.invalidRequest('The client_id parameter does not match the Authorization header');
  }

  const clientId = basic?.clientId ?? bodyClientId;
  if (clientId === null || clientId === '') throw fail('Client authentication failed: no client_id');
  const presented = basic !== null ? basic.clientSecret : bodySecret;
  const secret = presented === '' ? null : presented;

  const client = await ctx.store.findClient(clientId);
  if (client === null || client.revoked) {
    if (secret !== null) verifySecret(secret, decoyHash);
    throw fail('Client authentication failed');
  }

  if (client.confidential) {
    if (secret === null) throw fail('Client authentication failed: the client secret is required');
    const ok = client.secretHash !== null && verifySecret(secret, client.secretHash);
    if (!ok) throw fail('Client authentication failed');
    return {
      client,
      usedAuthorizationHeader,
      method: basic !== null ? 'client_secret_basic' : 'client_secret_post',
    };
  }

  if (secret !== null) throw fail('Client authentication failed: a public client must not send a secret');
  if (!options.allowPublic) {
    throw fail('Client authentication failed: this endpoint requires a confidential client');
  }
  return { client, usedAuthorizationHeader, method: 'none' };
}

/**
 * Throws `unauthorized_client` unless the client may use `grantType` (PARITY C4).
 *
 * @example
 * ```ts
 * assertGrantAllowed(client, 'client_credentials');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export function assertGrantAllowed(client: ClientRecord, grantType: GrantType): void {
  if (!client.grantTypes.includes(grantType)) {
    throw OAuthError.unauthorizedClient(`The client is not allowed to use the ${grantType} grant`);
  }
}
