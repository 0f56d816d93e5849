import {
  AuthorizationError,
  type AuthorizationRequest,
  type OAuthErrorCode,
  type PassportUser,
} from '@passport/core';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import { cookieValue, serializeCookie } from '../internal/cookies.js';
import { randomToken, safeEqual } from '../internal/crypto.js';
import { headerOf } from '../internal/dispatch.js';
import { encodedParametersProblem, parameterProblem } from '../internal/input.js';
import {
  html,
  json,
  type Reply,
  type RouteResult,
  redirect,
  withPageSecurityHeaders,
} from '../internal/responses.js';
import { hasForeignOrigin, loginRedirect, publicRequestUrl, unauthenticated } from '../internal/session.js';
import { approvalPage } from '../pages/approval-page.js';
import { errorPage } from '../pages/layout.js';

/** Purpose label of the approval form's signed token. */
const authTokenPurpose = 'passport.authorize';

/** Payload of the signed, single-use `auth_token` (PARITY A5). */
interface AuthTokenPayload {
  /** The validated authorization request parameters. */
  p: Record<string, string>;
  /** The user the page was shown to. */
  u: string;
  /** Single-use nonce (consumed through `store.useNonce`). */
  n: string;
  /** CSRF value, also in the httpOnly CSRF cookie and the form. */
  c: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Name of the httpOnly cookie binding the approval form to the browser that loaded it. */
export const authorizeCsrfCookie = 'passport_csrf';

/**
 * Turns an {@link AuthorizationError} into a redirect to the client, or an error page when the
 * client or redirect URI cannot be trusted (PARITY A2). Other errors propagate.
 */
export function authorizationErrorResponse(error: unknown, request: Request): Reply {
  if (!(error instanceof AuthorizationError)) throw error;
  const target = error.toRedirectUrl();
  if (target !== null) return redirect(target);
  if (wantsJson(request)) return json(error.toJSON(), error.status);
  return html(errorPage('Authorization failed', error.errorDescription), error.status);
}

function wantsJson(request: Request): boolean {
  const accept = headerOf(request, 'accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** The redirect URL carrying an error for a validated request (prompt=none, PARITY A4). */
function errorRedirect<User extends PassportUser>(
  context: HandlerContext<User>,
  authRequest: AuthorizationRequest,
  code: OAuthErrorCode,
  description: string,
): Reply {
  const error = new AuthorizationError(code, description, {
    redirectUri: authRequest.redirectUri,
    state: authRequest.state,
    responseMode: authRequest.responseMode,
    issuer: context.passport.options.issuer,
  });
  return redirect(error.toRedirectUrl() ?? authRequest.redirectUri);
}

/**
 * The authorize URL to come back to after signing in. Without an `authenticatedAt` hook the
 * freshness of the login cannot be checked, so `prompt=login` and `max_age` are dropped (no loop).
 */
function returnUrl<User extends PassportUser>(
  context: HandlerContext<User>,
  request: Request,
  keepLoginPrompt: boolean,
): string {
  const url = publicRequestUrl(context, request);
  if (!keepLoginPrompt) {
    if (url.searchParams.get('prompt') === 'login') url.searchParams.delete('prompt');
    url.searchParams.delete('max_age');
  }
  return url.toString();
}

/**
 * `GET /oauth/authorize` (PARITY A1 to A9): validates the request, sends guests to the login page,
 * honours `prompt`, auto-approves when no consent is needed, and otherwise shows the approval page
 * with a signed, single-use `auth_token` and a CSRF value.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export async function authorizeGetRoute<User extends PassportUser>(
  request: Request,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const { passport } = context;
  const url = new URL(request.url);
  // Refused here, before anything is looked up or echoed back to a redirect URI: the request is
  // malformed, so the client and its redirect URI cannot be trusted either (RFC 6749 4.1.2.1).
  const malformed = encodedParametersProblem(url.search) ?? parameterProblem(url.searchParams);
  if (malformed !== null) {
    if (wantsJson(request)) return json({ error: 'invalid_request', error_description: malformed }, 400);
    return html(errorPage('Authorization failed', malformed), 400);
  }
  let authRequest: AuthorizationRequest;
  let interaction: 'login' | 'consent' | 'none';
  const user = await context.options.authenticateUser(request);
  try {
    authRequest = await passport.validateAuthorizationRequest(url.searchParams);
    const authenticatedAt =
      user !== null && context.options.authenticatedAt
        ? await context.options.authenticatedAt(request, user)
        : null;
    interaction = await passport.interactionRequired(
      authRequest,
      user,
      authenticatedAt === null ? {} : { authenticatedAt },
    );
  } catch (error) {
    return authorizationErrorResponse(error, request);
  }

  if (interaction === 'login' || user === null) {
    if (authRequest.prompt === 'none') {
      return errorRedirect(context, authRequest, 'login_required', 'The user must sign in');
    }
    const hasAuthTime = context.options.authenticatedAt !== undefined;
    return loginRedirect(context, request, returnUrl(context, request, hasAuthTime), {
      forceLogin: user !== null || authRequest.prompt === 'login',
    });
  }
  if (interaction === 'none') {
    try {
      return redirect(await passport.approveAuthorizationRequest(authRequest, user));
    } catch (error) {
      return authorizationErrorResponse(error, request);
    }
  }
  if (authRequest.prompt === 'none') {
    return errorRedirect(context, authRequest, 'consent_required', 'The user must approve this request');
  }

  const csrf = cookieValue(request, authorizeCsrfCookie) || randomToken(24);
  const payload: AuthTokenPayload = {
    p: authRequest.params,
    u: user.id,
    n: randomToken(16),
    c: csrf,
    exp: Math.floor(context.now() / 1000) + context.authTokenLifetime,
  };
  const authToken = await context.signer.sign(authTokenPurpose, payload);
  const csrfCookie = serializeCookie(authorizeCsrfCookie, csrf, {
    path: context.basePath || '/',
    httpOnly: true,
    secure: context.secureCookies,
    sameSite: 'Lax',
    maxAge: context.authTokenLifetime,
  });
  const action = new URL(context.endpoint('/authorize')).pathname;
  const scopes = passport.scopes.scopesFor(authRequest.scopes);

  if (context.options.render) {
    const rendered = await context.options.render({
      request,
      authorizationRequest: authRequest,
      client: { id: authRequest.client.id, name: authRequest.client.name },
      scopes,
      user,
      action,
      authToken,
      csrfToken: csrf,
    });
    if (typeof rendered === 'string') return html(rendered, 200, { 'set-cookie': csrfCookie });
    const headers = withPageSecurityHeaders(new Headers(rendered.headers));
    headers.append('set-cookie', csrfCookie);
    return new Response(rendered.body, { status: rendered.status, statusText: rendered.statusText, headers });
  }
  return html(
    approvalPage({ clientName: authRequest.client.name, scopes, action, authToken, csrfToken: csrf }),
    200,
    { 'set-cookie': csrfCookie },
  );
}

/** Reads a string field of a decoded body. */
function field(body: Record<string, unknown>, name: string): string | null {
  const value = body[name];
  return typeof value === 'string' ? value : null;
}

function invalidAuthToken(description: string, status = 400): Reply {
  return json({ error: 'invalid_request', error_description: description }, status);
}

/**
 * `POST /oauth/authorize` (approve; `action=deny` or `_method=DELETE` in the form denies) and
 * `DELETE /oauth/authorize` (deny). The `auth_token` must be valid, unexpired, signed for this
 * user, unused (single use through `store.useNonce`), and its CSRF value must match both the
 * httpOnly CSRF cookie and the submitted `csrf_token` field or `X-CSRF-TOKEN` header.
 */
export async function authorizeDecisionRoute<User extends PassportUser>(
  request: Request,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const { passport } = context;
  if (hasForeignOrigin(context, request)) return invalidAuthToken('Cross-site request refused', 403);
  const body = await readJsonOrForm(request, context.maxBodyBytes);
  const methodOverride = field(body, '_method')?.toUpperCase();
  const action = field(body, 'action');
  const deny = request.method === 'DELETE' || methodOverride === 'DELETE' || action === 'deny';

  const user = await context.options.authenticateUser(request);
  if (user === null) return unauthenticated();

  const token = field(body, 'auth_token');
  if (token === null || token === '') return invalidAuthToken('The auth_token parameter is required');
  const payload = await context.signer.verify<AuthTokenPayload>(authTokenPurpose, token, context.now());
  if (payload === null || typeof payload.p !== 'object' || payload.p === null) {
    return invalidAuthToken('The authorization request is invalid or has expired, start again');
  }
  if (payload.u !== user.id)
    return invalidAuthToken('The authorization request belongs to another user', 403);

  const submitted = field(body, 'csrf_token') ?? headerOf(request, 'x-csrf-token');
  const cookie = cookieValue(request, authorizeCsrfCookie);
  if (
    submitted === null ||
    cookie === undefined ||
    !safeEqual(submitted, payload.c) ||
    !safeEqual(cookie, payload.c)
  ) {
    return invalidAuthToken('CSRF token mismatch', 403);
  }

  let authRequest: AuthorizationRequest;
  try {
    authRequest = await passport.validateAuthorizationRequest(new URLSearchParams(payload.p));
  } catch (error) {
    return authorizationErrorResponse(error, request);
  }
  const fresh = await passport.store.useNonce(`authorize:${payload.n}`, new Date(payload.exp * 1000));
  if (!fresh) return invalidAuthToken('The authorization request was already answered');

  if (deny) return redirect(passport.denyAuthorizationRequest(authRequest));
  try {
    return redirect(await passport.approveAuthorizationRequest(authRequest, user));
  } catch (error) {
    return authorizationErrorResponse(error, request);
  }
}
