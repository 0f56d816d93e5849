import { redirectUriMatches } from '../clients/redirect-uri.js';
import { OAuthError } from '../errors/oauth-error.js';
import { issueImplicitToken } from '../grants/implicit.js';
import { type CodeChallengeMethod, parseCodeChallenge } from '../grants/pkce.js';
import type { GrantContext } from '../internal/context.js';
import { repeatedParameter, repeatedParameterError } from '../internal/params.js';
import { generateSecret, hashSecret } from '../internal/secrets.js';
import { finalizeScopes } from '../scopes/finalize.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { AuthCodeRecord, ClientRecord, GrantType } from '../stores/records.js';
import { AuthorizationError, appendResponseParams, type ResponseMode } from './authorization-error.js';

/** `prompt` values Passport honours (OpenID Connect Core 3.1.2.1). */
export type AuthorizationPrompt = 'none' | 'login' | 'consent';

/** A validated authorization request, ready for login, consent and approval. */
export interface AuthorizationRequest {
  /** The client, as read from the store (never revoked). */
  client: ClientRecord;
  /** `code` (authorization code flow) or `token` (implicit flow, only when enabled). */
  responseType: 'code' | 'token';
  /** The redirect URI responses go to: the one sent, or the client's only registered one. */
  redirectUri: string;
  /** `redirect_uri` was sent, so the token request must repeat it (RFC 6749 4.1.3). */
  redirectUriProvided: boolean;
  /** Finalized scopes (defaults applied, all defined and allowed for the client). */
  scopes: string[];
  /** The client's `state`, echoed on every redirect; `null` when not sent. */
  state: string | null;
  /** The PKCE `code_challenge` (RFC 7636), stored with the code; `null` when not sent. */
  codeChallenge: string | null;
  /** `S256`, or `plain` when enabled; `null` without a challenge. */
  codeChallengeMethod: CodeChallengeMethod | null;
  /** The `prompt` parameter, read by {@link interactionRequired}; `null` when not sent. */
  prompt: AuthorizationPrompt | null;
  /** `query` for the code flow, `fragment` for the implicit flow. */
  responseMode: ResponseMode;
  /** Every request parameter (none is repeated), for re-validation after the login round trip. */
  params: Record<string, string>;
}

/** Options of {@link interactionRequired}. */
export interface InteractionOptions {
  /**
   * When the user last authenticated (ms since the epoch). `prompt=login` is satisfied by a login
   * at most 60 seconds old (or `max_age` when the request sent it).
   */
  authenticatedAt?: number;
}

/** What a {@link SkipsAuthorization} hook is asked about: one authorization request of one user. */
export interface SkipsAuthorizationInput<User extends { id: string } = { id: string }> {
  /** The client asking, as read from the store. */
  client: ClientRecord;
  /** The signed-in user. */
  user: User;
  /** The finalized scopes of the request. */
  scopes: readonly string[];
}

/**
 * Decides whether a client may skip the approval screen for this user and these scopes, besides
 * the stored first-party flag (Laravel Passport's `Client::skipsAuthorization($user, $scopes)`):
 * `true` approves at once, exactly as for a first-party client. `prompt=consent` still asks.
 *
 * @example
 * ```ts
 * const skipsAuthorization: SkipsAuthorization<User> = ({ client, user }) =>
 *   trustedPartners.has(client.id) && user.emailVerified;
 * ```
 */
export type SkipsAuthorization<User extends { id: string } = { id: string }> = (
  input: SkipsAuthorizationInput<User>,
) => boolean | Promise<boolean>;

/** How fresh a login must be to satisfy `prompt=login` when the request has no `max_age`. */
export const PROMPT_LOGIN_MAX_AGE_SECONDS = 60;

function paramsRecord(params: URLSearchParams): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of params) record[name] = value;
  return record;
}

/**
 * Validates an authorization request (RFC 6749 4.1.1 and 4.2.1).
 *
 * Errors found before the client and its redirect URI are trusted (missing or unknown client,
 * unregistered or ambiguous `redirect_uri`, a repeated `client_id` or `redirect_uri`) are thrown
 * as an {@link AuthorizationError} with `redirectUri: null`: show them, never redirect. Later
 * errors (`invalid_request`, `unsupported_response_type`, `unauthorized_client`, `invalid_scope`)
 * carry the redirect URI, `state` and response mode.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export async function validateAuthorizationRequest(
  ctx: GrantContext,
  params: URLSearchParams,
): Promise<AuthorizationRequest> {
  const fatal = (error: OAuthError): AuthorizationError =>
    AuthorizationError.from(error, { redirectUri: null, issuer: ctx.issuer });

  const repeated = repeatedParameter(params);
  if (repeated !== null) {
    // A repeated client_id or redirect_uri leaves the client or where to answer in doubt: the
    // error is shown, never redirected. Other repeated parameters are answered at the redirect URI.
    for (const name of ['client_id', 'redirect_uri']) {
      if (params.getAll(name).length > 1) throw fatal(repeatedParameterError(name));
    }
  }
  const clientId = params.get('client_id');
  if (clientId === null || clientId === '') {
    throw fatal(OAuthError.invalidRequest('The "client_id" parameter is required'));
  }
  const client = await ctx.store.findClient(clientId);
  if (client === null || client.revoked) throw fatal(OAuthError.invalidClient('Unknown client'));

  const sentRedirectUri = params.get('redirect_uri');
  let redirectUri: string;
  if (sentRedirectUri !== null) {
    if (!redirectUriMatches(client.redirectUris, sentRedirectUri)) {
      throw fatal(OAuthError.invalidRequest('The redirect_uri is not registered for this client'));
    }
    redirectUri = sentRedirectUri;
  } else if (client.redirectUris.length === 1 && client.redirectUris[0] !== undefined) {
    redirectUri = client.redirectUris[0];
  } else {
    throw fatal(
      OAuthError.invalidRequest(
        'The "redirect_uri" parameter is required when the client has several redirect URIs',
      ),
    );
  }

  // From here on the redirect URI is trusted: errors go back to the client.
  const state = params.get('state');
  const responseTypeParam = params.get('response_type');
  let responseMode: ResponseMode = responseTypeParam === 'token' ? 'fragment' : 'query';
  const back = (error: OAuthError): AuthorizationError =>
    AuthorizationError.from(error, { redirectUri, state, responseMode, issuer: ctx.issuer });

  if (repeated !== null) throw back(repeatedParameterError(repeated));

  const modeParam = params.get('response_mode');
  if (modeParam !== null) {
    if (modeParam !== 'query' && modeParam !== 'fragment') {
      throw back(OAuthError.invalidRequest(`Unsupported response_mode "${modeParam}"`));
    }
    if (responseTypeParam === 'token' && modeParam === 'query') {
      throw back(OAuthError.invalidRequest('The token response type must use response_mode=fragment'));
    }
    responseMode = modeParam;
  }

  if (responseTypeParam === null || responseTypeParam === '') {
    throw back(OAuthError.invalidRequest('The "response_type" parameter is required'));
  }
  let responseType: 'code' | 'token';
  let grantType: GrantType;
  if (responseTypeParam === 'code' && ctx.grants.authorizationCode) {
    responseType = 'code';
    grantType = 'authorization_code';
  } else if (responseTypeParam === 'token' && ctx.grants.implicit) {
    responseType = 'token';
    grantType = 'implicit';
  } else {
    throw back(OAuthError.unsupportedResponseType(`Unsupported response_type "${responseTypeParam}"`));
  }
  if (!client.grantTypes.includes(grantType)) {
    throw back(OAuthError.unauthorizedClient(`The client is not allowed to use the ${grantType} grant`));
  }

  let scopes: string[];
  try {
    scopes = finalizeScopes(ctx, { requested: ScopeRegistry.parse(params.get('scope')), client, grantType });
  } catch (error) {
    if (error instanceof OAuthError) throw back(error);
    throw error;
  }

  let codeChallenge: string | null = null;
  let codeChallengeMethod: CodeChallengeMethod | null = null;
  if (responseType === 'code') {
    const challenge = params.get('code_challenge');
    if (challenge !== null) {
      try {
        codeChallengeMethod = parseCodeChallenge(challenge, params.get('code_challenge_method'), {
          allowPlain: ctx.pkce.allowPlain,
        });
      } catch (error) {
        if (error instanceof OAuthError) throw back(error);
        throw error;
      }
      codeChallenge = challenge;
    } else if (!client.confidential || ctx.pkce.requireForConfidentialClients) {
      throw back(OAuthError.invalidRequest('PKCE is required: send code_challenge (S256)'));
    } else if (params.get('code_challenge_method') !== null) {
      throw back(OAuthError.invalidRequest('code_challenge_method was sent without code_challenge'));
    }
  }

  const promptParam = params.get('prompt');
  let prompt: AuthorizationPrompt | null = null;
  if (promptParam !== null && promptParam !== '') {
    if (promptParam !== 'none' && promptParam !== 'login' && promptParam !== 'consent') {
      throw back(OAuthError.invalidRequest(`Unsupported prompt "${promptParam}"`));
    }
    prompt = promptParam;
  }
  const maxAge = params.get('max_age');
  if (maxAge !== null && !/^\d{1,10}$/.test(maxAge)) {
    throw back(OAuthError.invalidRequest('max_age must be a non-negative integer'));
  }

  return {
    client,
    responseType,
    redirectUri,
    redirectUriProvided: sentRedirectUri !== null,
    scopes,
    state,
    codeChallenge,
    codeChallengeMethod,
    prompt,
    responseMode,
    params: paramsRecord(params),
  };
}

function redirectTarget(ctx: GrantContext, request: AuthorizationRequest) {
  return {
    redirectUri: request.redirectUri,
    state: request.state,
    responseMode: request.responseMode,
    issuer: ctx.issuer,
  };
}

/**
 * `true` when the user already granted these scopes to this client: they are a subset of the
 * scopes of the user's live tokens for the client (Passport's auto-approval).
 */
async function alreadyGranted(ctx: GrantContext, request: AuthorizationRequest, userId: string) {
  const tokens = await ctx.store.listUserTokens(userId, {
    now: new Date(ctx.now()),
    clientId: request.client.id,
  });
  if (tokens.length === 0) return false;
  const granted = new Set(tokens.flatMap((token) => token.scopes));
  return request.scopes.every((scope) => granted.has(scope));
}

/**
 * What the host must do before approving: `'login'` (authenticate the user),
 * `'consent'` (show the approval page) or `'none'` (approve now).
 *
 * - No user, or `prompt=login` without a fresh login: `'login'`.
 * - `prompt=consent`: always `'consent'`.
 * - First-party clients, clients the `skipsAuthorization` hook lets through, and scopes the user
 *   already granted this client: `'none'`.
 * - `prompt=none` never asks: it throws an {@link AuthorizationError} `login_required` or
 *   `consent_required` that redirects back to the client.
 *
 * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest
 */
export async function interactionRequired(
  ctx: GrantContext,
  request: AuthorizationRequest,
  user: { id: string } | null,
  options: InteractionOptions = {},
): Promise<'login' | 'consent' | 'none'> {
  const target = redirectTarget(ctx, request);
  const silent = request.prompt === 'none';

  let needsLogin = user === null;
  const maxAgeParam = request.params.max_age;
  if (!needsLogin && (request.prompt === 'login' || maxAgeParam !== undefined)) {
    const maxAge = maxAgeParam !== undefined ? Number(maxAgeParam) : PROMPT_LOGIN_MAX_AGE_SECONDS;
    needsLogin = options.authenticatedAt === undefined || ctx.now() - options.authenticatedAt > maxAge * 1000;
  }
  if (needsLogin) {
    if (silent) {
      throw new AuthorizationError('login_required', 'The user must log in', target);
    }
    return 'login';
  }
  if (request.prompt === 'consent') return 'consent';
  if (request.client.firstParty) return 'none';
  if (user !== null) {
    if (await ctx.skipsAuthorization?.({ client: request.client, user, scopes: request.scopes }))
      return 'none';
    if (await alreadyGranted(ctx, request, user.id)) return 'none';
  }
  if (silent) {
    throw new AuthorizationError('consent_required', 'The user must approve the request', target);
  }
  return 'consent';
}

/**
 * Approves the request for `user` and returns the redirect URL: the code in
 * the query (`code`, `state`, `iss`), or for the implicit flow the access token in the fragment
 * (`access_token`, `token_type`, `expires_in`, `scope`, `state`, `iss`; never a refresh token).
 *
 * The code is 256 random bits, stored only as its SHA-256, valid `lifetimes.authCode` seconds and
 * bound to the client, user, scopes, PKCE challenge and redirect URI.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export async function approveAuthorizationRequest(
  ctx: GrantContext,
  request: AuthorizationRequest,
  user: { id: string },
): Promise<string> {
  // The request may have waited for login and consent: re-check what could have changed since.
  const client = await ctx.store.findClient(request.client.id);
  if (client === null || client.revoked) {
    throw new AuthorizationError('invalid_client', 'Unknown client', {
      redirectUri: null,
      issuer: ctx.issuer,
    });
  }
  if (!redirectUriMatches(client.redirectUris, request.redirectUri)) {
    throw new AuthorizationError('invalid_request', 'The redirect_uri is not registered for this client', {
      redirectUri: null,
      issuer: ctx.issuer,
    });
  }
  const response: Record<string, string> = {};

  if (request.responseType === 'token') {
    Object.assign(response, await issueImplicitToken(ctx, { client, scopes: request.scopes }, user));
  } else {
    const code = generateSecret(ctx.random);
    const now = ctx.now();
    const record: AuthCodeRecord = {
      id: hashSecret(code),
      clientId: client.id,
      userId: user.id,
      scopes: [...request.scopes],
      redirectUri: request.redirectUriProvided ? request.redirectUri : null,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      revoked: false,
      consumedAt: null,
      createdAt: new Date(now),
      expiresAt: new Date(now + ctx.lifetimes.authCode * 1000),
    };
    await ctx.store.saveAuthCode(record);
    ctx.events.emit('authCodeCreated', { authCode: record });
    response.code = code;
  }

  if (request.state !== null) response.state = request.state;
  response.iss = ctx.issuer;
  return appendResponseParams(request.redirectUri, response, request.responseMode);
}

/**
 * The redirect URL telling the client the user denied the request: `error=access_denied`,
 * `state` and `iss`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 */
export function denyAuthorizationRequest(ctx: GrantContext, request: AuthorizationRequest): string {
  const error = OAuthError.accessDenied();
  const response: Record<string, string> = { error: error.error, error_description: error.errorDescription };
  if (request.state !== null) response.state = request.state;
  response.iss = ctx.issuer;
  return appendResponseParams(request.redirectUri, response, request.responseMode);
}
