import type { PassportUser } from '@passport/core';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import { cookieValue, serializeCookie } from '../internal/cookies.js';
import { randomToken, safeEqual } from '../internal/crypto.js';
import { headerOf } from '../internal/dispatch.js';
import { encodedParametersProblem, parameterProblem } from '../internal/input.js';
import { html, type RouteResult } from '../internal/responses.js';
import { hasForeignOrigin, loginRedirect, publicRequestUrl, unauthenticated } from '../internal/session.js';
import { deviceApprovalPage } from '../pages/approval-page.js';
import { deviceCodeEntryPage } from '../pages/device-code-page.js';
import { errorPage, messagePage } from '../pages/layout.js';
import { authorizeCsrfCookie } from './authorize.js';

const deviceTokenPurpose = 'passport.device';

/** Payload of the signed, single-use device approval token. */
interface DeviceTokenPayload {
  /** The user code. */
  uc: string;
  /** The user the page was shown to. */
  u: string;
  /** Single-use nonce. */
  n: string;
  /** CSRF value. */
  c: string;
  exp: number;
}

/**
 * `GET /oauth/device` (RFC 8628 section 3.3): the signed-in user enters the code shown on the
 * device (or arrives with `?user_code=` from `verification_uri_complete`) and sees the approval page.
 */
export async function deviceGetRoute<User extends PassportUser>(
  request: Request,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await context.options.authenticateUser(request);
  if (user === null) return loginRedirect(context, request, publicRequestUrl(context, request).href);
  const action = new URL(context.endpoint('/device')).pathname;
  const url = new URL(request.url);
  const query = url.searchParams;
  if (encodedParametersProblem(url.search) !== null || parameterProblem(query) !== null) {
    const error = 'That code is not valid or has expired. Check your device.';
    return html(deviceCodeEntryPage({ action, error }), 400);
  }
  const userCode = query.get('user_code')?.trim() ?? '';
  if (userCode === '') return html(deviceCodeEntryPage({ action }));

  const pending = await context.passport.findDeviceRequest(userCode);
  if (pending === null) {
    return html(
      deviceCodeEntryPage({
        action,
        userCode,
        error: 'That code is not valid or has expired. Check your device.',
      }),
      400,
    );
  }
  const csrf = cookieValue(request, authorizeCsrfCookie) || randomToken(24);
  const deviceToken = await context.signer.sign(deviceTokenPurpose, {
    uc: pending.userCode,
    u: user.id,
    n: randomToken(16),
    c: csrf,
    exp: Math.floor(context.now() / 1000) + context.authTokenLifetime,
  } satisfies DeviceTokenPayload);
  const cookie = serializeCookie(authorizeCsrfCookie, csrf, {
    path: context.basePath || '/',
    httpOnly: true,
    secure: context.secureCookies,
    sameSite: 'Lax',
    maxAge: context.authTokenLifetime,
  });
  return html(
    deviceApprovalPage({
      clientName: pending.client.name,
      userCode: pending.userCode,
      scopes: pending.scopes,
      action,
      deviceToken,
      csrfToken: csrf,
    }),
    200,
    { 'set-cookie': cookie },
  );
}

/** `POST /oauth/device`: approves (`action=approve`) or denies (`action=deny`) the device request. */
export async function devicePostRoute<User extends PassportUser>(
  request: Request,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  if (hasForeignOrigin(context, request)) {
    return html(errorPage('Request refused', 'Cross-site request refused.'), 403);
  }
  const body = await readJsonOrForm(request, context.maxBodyBytes);
  const user = await context.options.authenticateUser(request);
  if (user === null) return unauthenticated();
  const token = typeof body.device_token === 'string' ? body.device_token : '';
  const payload = await context.signer.verify<DeviceTokenPayload>(deviceTokenPurpose, token, context.now());
  if (payload === null || payload.u !== user.id) {
    return html(
      errorPage('Request expired', 'This request is invalid or has expired. Enter the code again.'),
      400,
    );
  }
  const submitted = typeof body.csrf_token === 'string' ? body.csrf_token : headerOf(request, 'x-csrf-token');
  const cookie = cookieValue(request, authorizeCsrfCookie);
  if (
    submitted === null ||
    cookie === undefined ||
    !safeEqual(submitted, payload.c) ||
    !safeEqual(cookie, payload.c)
  ) {
    return html(errorPage('Request refused', 'CSRF token mismatch. Reload the page and try again.'), 403);
  }
  if (!(await context.passport.store.useNonce(`device:${payload.n}`, new Date(payload.exp * 1000)))) {
    return html(errorPage('Already answered', 'This request was already answered.'), 400);
  }
  const decision = body.action === 'deny' ? 'deny' : 'approve';
  const decided = await context.passport.decideDeviceRequest(payload.uc, user, decision);
  if (!decided) {
    return html(errorPage('Request expired', 'This code was already used or has expired.'), 400);
  }
  return decision === 'approve'
    ? html(messagePage('Device connected', 'You can return to your device now.'))
    : html(messagePage('Request denied', 'The device was not given access.'));
}
