import { OAuthError, type PassportUser } from '@passport/core';
import { checkApprovalForm, issueApprovalForm } from '../internal/approval-form.js';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import type { Incoming } from '../internal/incoming.js';
import { encodedParametersProblem, parameterProblem } from '../internal/input.js';
import { html, Reply, type RouteResult } from '../internal/responses.js';
import { hasForeignOrigin, loginRedirect, publicRequestUrl, unauthenticated } from '../internal/session.js';
import { deviceApprovalPage } from '../pages/approval-page.js';
import { deviceCodeEntryPage } from '../pages/device-code-page.js';
import { errorPage, messagePage } from '../pages/layout.js';

/**
 * Runs a user-code lookup; a user over the `deviceVerification` rate limit (RFC 8628 section
 * 5.1) gets the page `429 Too Many Requests` with `Retry-After` instead.
 */
async function limited<T>(lookup: () => Promise<T>): Promise<T | RouteResult> {
  try {
    return await lookup();
  } catch (error) {
    if (!(error instanceof OAuthError) || error.error !== 'too_many_requests') throw error;
    const seconds = error.retryAfter ?? 60;
    return html(
      errorPage('Too many attempts', `Too many wrong codes. Try again in ${seconds} seconds.`),
      429,
      { 'retry-after': String(seconds) },
    );
  }
}

/**
 * `GET /oauth/device` (RFC 8628 section 3.3): the signed-in user enters the code shown on the
 * device (or arrives with `?user_code=` from `verification_uri_complete`) and sees the approval
 * page, whose signed `device_token` carries the user code.
 */
export async function deviceGetRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await context.options.authenticateUser(incoming.request);
  if (user === null) return loginRedirect(context, incoming, publicRequestUrl(context, incoming).href);
  const action = new URL(context.endpoint('/device')).pathname;
  const url = new URL(incoming.url);
  const query = url.searchParams;
  if (encodedParametersProblem(url.search) !== null || parameterProblem(query) !== null) {
    const error = 'That code is not valid or has expired. Check your device.';
    return html(deviceCodeEntryPage({ action, error }), 400);
  }
  const userCode = query.get('user_code')?.trim() ?? '';
  if (userCode === '') return html(deviceCodeEntryPage({ action }));

  const pending = await limited(() => context.passport.findDeviceRequest(userCode, user));
  if (pending instanceof Response || pending instanceof Reply) return pending;
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
  const form = await issueApprovalForm(context, incoming, 'device', user, pending.userCode);
  return html(
    deviceApprovalPage({
      clientName: pending.client.name,
      userCode: pending.userCode,
      scopes: pending.scopes,
      action,
      deviceToken: form.token,
      csrfToken: form.csrf,
    }),
    200,
    { 'set-cookie': form.cookie },
  );
}

/** `POST /oauth/device`: approves (`action=approve`) or denies (`action=deny`) the device request. */
export async function devicePostRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  if (hasForeignOrigin(context, incoming)) {
    return html(errorPage('Request refused', 'Cross-site request refused.'), 403);
  }
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const user = await context.options.authenticateUser(incoming.request);
  if (user === null) return unauthenticated();
  const token = typeof body.device_token === 'string' ? body.device_token : '';
  const submitted = typeof body.csrf_token === 'string' ? body.csrf_token : null;
  const form = await checkApprovalForm(context, incoming, 'device', user, token, submitted);
  if (!form.ok && form.reason === 'csrf') {
    return html(errorPage('Request refused', 'CSRF token mismatch. Reload the page and try again.'), 403);
  }
  if (!form.ok || typeof form.data !== 'string') {
    return html(
      errorPage('Request expired', 'This request is invalid or has expired. Enter the code again.'),
      400,
    );
  }
  if (!(await form.spend())) {
    return html(errorPage('Already answered', 'This request was already answered.'), 400);
  }
  const decision = body.action === 'deny' ? 'deny' : 'approve';
  const userCode = form.data;
  const decided = await limited(() => context.passport.decideDeviceRequest(userCode, user, decision));
  if (typeof decided !== 'boolean') return decided;
  if (!decided) {
    return html(errorPage('Request expired', 'This code was already used or has expired.'), 400);
  }
  return decision === 'approve'
    ? html(messagePage('Device connected', 'You can return to your device now.'))
    : html(messagePage('Request denied', 'The device was not given access.'));
}
