import { type PassportUser, timingSafeEqual } from '@passport/core';
import type { HandlerContext } from './context.js';
import { cookieValue } from './cookies.js';
import type { Incoming } from './incoming.js';
import { json, type Reply, redirect } from './responses.js';

/** A `401` for JSON endpoints that need a signed-in user. */
export function unauthenticated(): Reply {
  return json({ error: 'unauthenticated', message: 'Sign in first.' }, 401);
}

/**
 * The URL of this request as the public sees it: the configured public URL, then the request's path
 * and query. What guests come back to after signing in; never built from the request's Host.
 */
export function publicRequestUrl<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
): URL {
  const url = new URL(incoming.url);
  return new URL(`${context.publicUrl}${url.pathname}${url.search}`);
}

/**
 * Sends a guest to the host's login page with a return URL; `401 login_required` when the host
 * configured no login URL. `forceLogin` asks the login page to re-authenticate (`prompt=login`).
 */
export function loginRedirect<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
  returnTo: string,
  options: { forceLogin?: boolean } = {},
): Reply {
  const { loginUrl, returnToParameter = 'return_to' } = context.options;
  if (loginUrl === undefined) {
    return json({ error: 'login_required', error_description: 'The user must sign in first' }, 401);
  }
  if (typeof loginUrl === 'function') return redirect(loginUrl(returnTo, incoming.request));
  // Relative to the configured public URL, never to the request (its Host is the client's to say).
  const target = new URL(loginUrl, `${context.publicUrl}/`);
  target.searchParams.set(returnToParameter, returnTo);
  if (options.forceLogin) target.searchParams.set('prompt', 'login');
  return redirect(target.toString());
}

/**
 * `true` when a state-changing call may proceed: its `Origin` is the configured public origin or a
 * trusted one, or it carries an `X-CSRF-TOKEN` / `X-XSRF-TOKEN` header equal to the `XSRF-TOKEN` cookie
 * (double submit). Browsers cannot forge either from another site.
 */
export function passesCsrfCheck<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
): boolean {
  const origin = incoming.header('origin');
  if (origin !== null && origin !== 'null') {
    if (origin === context.publicOrigin || context.trustedOrigins.has(origin)) return true;
  }
  const header = incoming.header('x-csrf-token') ?? incoming.header('x-xsrf-token');
  if (header === null || header === '') return false;
  const cookie = cookieValue(incoming, context.cookie.settings.csrfCookieName);
  return cookie !== undefined && cookie !== '' && timingSafeEqual(header, cookie);
}

/** A `403` for a state-changing call that failed the CSRF check. */
export function csrfFailure(): Reply {
  return json(
    {
      error: 'csrf_mismatch',
      message: 'Send the X-XSRF-TOKEN header with the XSRF-TOKEN cookie value, or call from the same origin.',
    },
    403,
  );
}

/** `true` when an `Origin` header is present and foreign (not the public origin, not trusted). */
export function hasForeignOrigin<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
): boolean {
  const origin = incoming.header('origin');
  if (origin === null) return false;
  return origin !== context.publicOrigin && !context.trustedOrigins.has(origin);
}
