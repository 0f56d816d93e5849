import { OAuthError } from '../errors/oauth-error.js';
import type { PassportContext } from '../internal/context.js';
import { isAscii } from '../internal/encoding.js';
import type { RateLimiter } from '../internal/rate-limiter.js';
import { hashSecret, verifySecret } from '../internal/secrets.js';
import { textProblem } from '../internal/text.js';
import type { ReadThroughCache } from '../stores/read-through-cache.js';
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
  /**
   * The grant the client asks for. A client row from the revocation cache that does not allow it
   * is re-read from the store before the caller refuses the request (refusals are decided on
   * fresh rows).
   */
  grantType?: GrantType;
}

/**
 * What {@link authenticateClient} needs: the store, and optionally the instance's revocation cache
 * and rate limiter (a passport's resolved options carry both). With an enabled cache, a client row
 * read within the cache's bound is reused; a refusal is always decided on a fresh row. With the
 * limiter, failed authentications of a confidential client count against its
 * `clientAuthenticationFailures` limit.
 */
export type ClientAuthenticationContext = Pick<PassportContext, 'store'> & {
  readonly cache?: ReadThroughCache;
  readonly rateLimiter?: RateLimiter;
  readonly now?: () => number;
};

/** Result of {@link authenticateClient}. */
export interface AuthenticatedClient {
  client: ClientRecord;
  /** The credentials came from the `Authorization` header (errors then need `WWW-Authenticate`). */
  usedAuthorizationHeader: boolean;
  method: ClientAuthenticationMethod;
}

/** The client id and secret of a Basic `Authorization` header, form-decoded. */
export interface BasicCredentials {
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
  if (!/[%+]/.test(value)) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict base64 (with padding) to UTF-8 text, `null` when either layer is malformed. */
function decodeBase64(value: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
  let binary: string;
  try {
    binary = atob(value);
  } catch {
    return null;
  }
  // Credentials are nearly always ASCII, where the binary string already is the text.
  if (isAscii(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Longest client id a Basic header may carry; ids are UUIDs or short names. */
const maxClientIdLength = 255;

/** The space and horizontal tab that separate an auth-scheme from its credentials (RFC 9110 11.4). */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** `true` when `header` starts with `basic` in any case at `start` (no allocation). */
function startsWithBasic(header: string, start: number): boolean {
  const scheme = 'basic';
  if (header.length - start < scheme.length) return false;
  for (let i = 0; i < scheme.length; i++) {
    // ASCII letters only: setting bit 0x20 maps an uppercase letter to its lowercase one.
    if ((header.charCodeAt(start + i) | 0x20) !== scheme.charCodeAt(i)) return false;
  }
  return true;
}

function malformedBasic(): OAuthError {
  return OAuthError.invalidClient('Malformed Basic authorization header', { usedAuthorizationHeader: true });
}

/**
 * Parses `Authorization: Basic ...` with one index scan (no regular expression: a hostile header of
 * 16 KiB of blanks costs one pass over it). Returns `null` when the header is absent or uses another
 * scheme; throws `invalid_client` when a Basic header is malformed: no credentials, anything after
 * them, bad base64 or UTF-8, no colon, an empty client id, or a client id that is too long or holds
 * a control character.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7617#section-2
 */
export function parseBasicAuthorization(header: string | null): BasicCredentials | null {
  if (header === null) return null;
  const value = header.trim();
  if (!startsWithBasic(value, 0)) return null;
  let i = 5;
  if (i < value.length && !isBlank(value.charCodeAt(i))) return null; // another scheme, "Basicx"
  while (i < value.length && isBlank(value.charCodeAt(i))) i++;
  const start = i;
  while (i < value.length && !isBlank(value.charCodeAt(i))) i++;
  // The value is trimmed, so a blank before its end is followed by more text: not one token68.
  if (start === i || i !== value.length) throw malformedBasic();
  const decoded = decodeBase64(value.slice(start));
  const colon = decoded === null ? -1 : decoded.indexOf(':');
  if (decoded === null || colon < 0) throw malformedBasic();
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (
    clientId === null ||
    clientSecret === null ||
    clientId === '' ||
    textProblem(clientId, { maxLength: maxClientIdLength }) !== null
  ) {
    throw malformedBasic();
  }
  return { clientId, clientSecret };
}

/**
 * Authenticates the client of a token, revocation or introspection request.
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
 * A wrong or missing secret of a confidential client counts against the passport's
 * `clientAuthenticationFailures` rate limit; failures over it are answered `too_many_requests`
 * (429) with `retryAfter`. Only failures count, so a well-behaved client costs the limiter nothing.
 *
 * With the passport's revocation cache enabled (`revocationCacheSeconds`, default 5), a client row
 * read within the bound is reused, so a hot client costs no store round trip. Changes made through
 * the same instance (secret regeneration, update, revocation, deletion) evict it at once; changes
 * made elsewhere are seen within the bound. Any refusal (wrong or missing secret, revoked client,
 * a grant the cached row does not allow) is re-checked against a fresh row first, so a new secret
 * or a newly allowed grant works at once on every instance.
 *
 * @example
 * ```ts
 * const { client } = await authenticateClient(ctx, { params, authorization }, { allowPublic: true });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1
 */
export async function authenticateClient(
  ctx: ClientAuthenticationContext,
  input: ClientAuthenticationInput,
  options: ClientAuthenticationOptions = {},
): Promise<AuthenticatedClient> {
  const basic = parseBasicAuthorization(input.authorization);
  // The endpoints refused repeated parameters before calling this (rejectRepeatedParameters).
  const bodyClientId = input.params.get('client_id');
  const bodySecret = input.params.get('client_secret');
  const usedAuthorizationHeader = basic !== null;
  // Any Authorization header counts for the error (RFC 6749 5.2): a failed attempt answers 401 with
  // a challenge, also when the header used another scheme than Basic.
  const challenge = usedAuthorizationHeader || (input.authorization ?? '').trim() !== '';

  if (basic !== null && bodySecret !== null) {
    throw OAuthError.invalidRequest(
      'Client credentials were sent both in the Authorization header and in the body; use one method',
    );
  }
  if (basic !== null && bodyClientId !== null && bodyClientId !== basic.clientId) {
    throw OAuthError.invalidRequest('The client_id parameter does not match the Authorization header');
  }

  const clientId = basic?.clientId ?? bodyClientId;
  if (clientId === null || clientId === '') {
    throw OAuthError.invalidClient('Client authentication failed: no client_id', {
      usedAuthorizationHeader: challenge,
    });
  }
  const presented = basic !== null ? basic.clientSecret : bodySecret;
  const attempt: Attempt = {
    secret: presented === '' ? null : presented,
    method: basic !== null ? 'client_secret_basic' : 'client_secret_post',
    usedAuthorizationHeader,
    challenge,
    allowPublic: options.allowPublic === true,
  };

  const cache = ctx.cache?.enabled === true ? ctx.cache : undefined;
  let client: ClientRecord | null;
  if (cache !== undefined) {
    const now = cache.now();
    const cached = cache.client(clientId, now);
    if (cached !== undefined) {
      const result = check(cached, attempt);
      const grantOk = options.grantType === undefined || cached.grantTypes.includes(options.grantType);
      if (!(result instanceof OAuthError) && grantOk) return result;
      // A refusal is decided on a fresh row: the cached one may predate a change on another instance.
    }
    client = await cache.loadClient(ctx.store, clientId, now);
  } else {
    client = await ctx.store.findClient(clientId);
  }
  const result = check(client, attempt);
  if (!(result instanceof OAuthError)) return result;
  if (client !== null && !client.revoked && client.confidential && ctx.rateLimiter !== undefined) {
    // Throws too_many_requests once the client is over its limit of failures.
    await ctx.rateLimiter.hit('clientAuthenticationFailures', client.id, (ctx.now ?? Date.now)());
  }
  throw result;
}

interface Attempt {
  secret: string | null;
  method: 'client_secret_basic' | 'client_secret_post';
  usedAuthorizationHeader: boolean;
  challenge: boolean;
  allowPublic: boolean;
}

/** Checks the presented credentials against one client row; the error is returned, not thrown. */
function check(client: ClientRecord | null, attempt: Attempt): AuthenticatedClient | OAuthError {
  const { secret, usedAuthorizationHeader } = attempt;
  const fail = (description: string): OAuthError =>
    OAuthError.invalidClient(description, { usedAuthorizationHeader: attempt.challenge });
  if (client === null || client.revoked) {
    if (secret !== null) verifySecret(secret, decoyHash);
    return fail('Client authentication failed');
  }
  if (client.confidential) {
    if (secret === null) return fail('Client authentication failed: the client secret is required');
    const ok = client.secretHash !== null && verifySecret(secret, client.secretHash);
    if (!ok) return fail('Client authentication failed');
    return { client, usedAuthorizationHeader, method: attempt.method };
  }
  if (secret !== null) return fail('Client authentication failed: a public client must not send a secret');
  if (!attempt.allowPublic) {
    return fail('Client authentication failed: this endpoint requires a confidential client');
  }
  return { client, usedAuthorizationHeader, method: 'none' };
}

/**
 * Throws `unauthorized_client` unless the client may use `grantType`.
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
