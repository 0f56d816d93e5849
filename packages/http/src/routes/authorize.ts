import {
  AuthorizationError,
  type AuthorizationRequest,
  type OAuthErrorCode,
  type PassportUser,
} from '@passport/core';
import { checkApprovalForm, issueApprovalForm } from '../internal/approval-form.js';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import type { Incoming } from '../internal/incoming.js';
import { encodedParametersProblem, parameterProblem } from '../internal/input.js';
import { json, type Reply, type RouteResult, redirect } from '../internal/responses.js';
import { hasForeignOrigin, loginRedirect, publicRequestUrl, unauthenticated } from '../internal/session.js';
import { renderPage } from '../pages/render.js';

/**
 * Turns an {@link AuthorizationError} into a redirect to the client, or an error page when the
 * client or redirect URI cannot be trusted (RFC 6749 section 4.1.2.1). Other errors propagate.
 */
function authorizationErrorResponse<User extends PassportUser>(
  error: unknown,
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> | Reply {
  if (!(error instanceof AuthorizationError)) throw error;
  const target = error.toRedirectUrl();
  if (target !== null) return redirect(target);
  if (wantsJson(incoming)) return json(error.toJSON(), error.status);
  return renderPage(context, {
    page: 'error',
    request: incoming.request,
    status: error.status,
    error: error.error,
    title: 'Authorization failed',
    message: error.errorDescription,
  });
}

function wantsJson(incoming: Incoming): boolean {
  const accept = incoming.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** The redirect URL carrying an error for a validated request (`prompt=none`). */
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
  incoming: Incoming,
  keepLoginPrompt: boolean,
): string {
  const url = publicRequestUrl(context, incoming);
  if (!keepLoginPrompt) {
    if (url.searchParams.get('prompt') === 'login') url.searchParams.delete('prompt');
    url.searchParams.delete('max_age');
  }
  return url.toString();
}

/**
 * `GET /oauth/authorize`: validates the request, sends guests to the login page, honours
 * `prompt`, auto-approves when no consent is needed, and otherwise shows the approval page with a
 * signed, single-use `auth_token` and a CSRF value.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export async function authorizeGetRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const { passport } = context;
  const request = incoming.request;
  const url = new URL(incoming.url);
  // Refused here, before anything is looked up or echoed back to a redirect URI: the request is
  // malformed, so the client and its redirect URI cannot be trusted either (RFC 6749 4.1.2.1).
  const malformed = encodedParametersProblem(url.search) ?? parameterProblem(url.searchParams);
  if (malformed !== null) {
    if (wantsJson(incoming)) return json({ error: 'invalid_request', error_description: malformed }, 400);
    return renderPage(context, {
      page: 'error',
      request,
      status: 400,
      error: 'invalid_request',
      title: 'Authorization failed',
      message: malformed,
    });
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
    return authorizationErrorResponse(error, incoming, context);
  }

  if (interaction === 'login' || user === null) {
    if (authRequest.prompt === 'none') {
      return errorRedirect(context, authRequest, 'login_required', 'The user must sign in');
    }
    const hasAuthTime = context.options.authenticatedAt !== undefined;
    return loginRedirect(context, incoming, returnUrl(context, incoming, hasAuthTime), {
      forceLogin: user !== null || authRequest.prompt === 'login',
    });
  }
  if (interaction === 'none') {
    try {
      return redirect(await passport.approveAuthorizationRequest(authRequest, user));
    } catch (error) {
      return authorizationErrorResponse(error, incoming, context);
    }
  }
  if (authRequest.prompt === 'none') {
    return errorRedirect(context, authRequest, 'consent_required', 'The user must approve this request');
  }

  const form = await issueApprovalForm(context, incoming, 'authorize', user, authRequest.params);
  return renderPage(
    context,
    {
      page: 'authorization',
      request,
      status: 200,
      authorizationRequest: authRequest,
      client: { id: authRequest.client.id, name: authRequest.client.name },
      scopes: passport.scopes.scopesFor(authRequest.scopes),
      user,
      action: new URL(context.endpoint('/authorize')).pathname,
      authToken: form.token,
      csrfToken: form.csrf,
    },
    { 'set-cookie': form.cookie },
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

/** The authorization request parameters an `auth_token` carries, or `null` when they are not. */
function requestParams(data: unknown): Record<string, string> | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const params = data as Record<string, unknown>;
  return Object.values(params).every((value) => typeof value === 'string')
    ? (params as Record<string, string>)
    : null;
}

/**
 * `POST /oauth/authorize` (approve; `action=deny` or `_method=DELETE` in the form denies) and
 * `DELETE /oauth/authorize` (deny). The `auth_token` must be valid, unexpired, signed for this
 * user, unused (single use through `passport.useNonce`), and its CSRF value must match both the
 * httpOnly CSRF cookie and the submitted `csrf_token` field or `X-CSRF-TOKEN` header.
 */
export async function authorizeDecisionRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const { passport } = context;
  if (hasForeignOrigin(context, incoming)) return invalidAuthToken('Cross-site request refused', 403);
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const methodOverride = field(body, '_method')?.toUpperCase();
  const action = field(body, 'action');
  const deny = incoming.method === 'DELETE' || methodOverride === 'DELETE' || action === 'deny';

  const user = await context.options.authenticateUser(incoming.request);
  if (user === null) return unauthenticated();

  const token = field(body, 'auth_token');
  if (token === null || token === '') return invalidAuthToken('The auth_token parameter is required');
  const form = await checkApprovalForm(
    context,
    incoming,
    'authorize',
    user,
    token,
    field(body, 'csrf_token'),
  );
  const params = form.ok ? requestParams(form.data) : null;
  if (!form.ok || params === null) {
    if (!form.ok && form.reason === 'other-user') {
      return invalidAuthToken('The authorization request belongs to another user', 403);
    }
    if (!form.ok && form.reason === 'csrf') return invalidAuthToken('CSRF token mismatch', 403);
    return invalidAuthToken('The authorization request is invalid or has expired, start again');
  }

  let authRequest: AuthorizationRequest;
  try {
    authRequest = await passport.validateAuthorizationRequest(new URLSearchParams(params));
  } catch (error) {
    return authorizationErrorResponse(error, incoming, context);
  }
  if (!(await form.spend())) return invalidAuthToken('The authorization request was already answered');

  if (deny) return redirect(passport.denyAuthorizationRequest(authRequest));
  try {
    return redirect(await passport.approveAuthorizationRequest(authRequest, user));
  } catch (error) {
    return authorizationErrorResponse(error, incoming, context);
  }
}
