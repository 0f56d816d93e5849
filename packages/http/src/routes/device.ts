import { OAuthError, type PassportUser } from '@passport/core';
import { checkApprovalForm, issueApprovalForm } from '../internal/approval-form.js';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import type { Incoming } from '../internal/incoming.js';
import { encodedParametersProblem, parameterProblem } from '../internal/input.js';
import { Reply, type RouteResult } from '../internal/responses.js';
import { hasForeignOrigin, loginRedirect, publicRequestUrl, unauthenticated } from '../internal/session.js';
import { renderPage } from '../pages/render.js';

/**
 * Runs a user-code lookup; a user over the `deviceVerification` rate limit (RFC 8628 section
 * 5.1) gets the error page `429 Too Many Requests` with `Retry-After` instead.
 */
async function limited<T, User extends PassportUser>(
  context: HandlerContext<User>,
  request: Request,
  lookup: () => Promise<T>,
): Promise<T | RouteResult> {
  try {
    return await lookup();
  } catch (error) {
    if (!(error instanceof OAuthError) || error.error !== 'too_many_requests') throw error;
    const seconds = error.retryAfter ?? 60;
    return renderPage(
      context,
      {
        page: 'error',
        request,
        status: 429,
        error: 'too_many_requests',
        title: 'Too many attempts',
        message: `Too many wrong codes. Try again in ${seconds} seconds.`,
      },
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
  const request = incoming.request;
  const user = await context.options.authenticateUser(request);
  if (user === null) return loginRedirect(context, incoming, publicRequestUrl(context, incoming).href);
  const action = new URL(context.endpoint('/device')).pathname;
  const url = new URL(incoming.url);
  const query = url.searchParams;
  const entry = (userCode: string, error: string | null) =>
    renderPage(context, {
      page: 'device-code',
      request,
      status: error === null ? 200 : 400,
      user,
      action,
      userCode,
      error,
    });
  if (encodedParametersProblem(url.search) !== null || parameterProblem(query) !== null) {
    return entry('', invalidCode);
  }
  const userCode = query.get('user_code')?.trim() ?? '';
  if (userCode === '') return entry('', null);

  const pending = await limited(context, request, () => context.passport.findDeviceRequest(userCode, user));
  if (pending instanceof Response || pending instanceof Reply) return pending;
  if (pending === null) return entry(userCode, invalidCode);
  const form = await issueApprovalForm(context, incoming, 'device', user, pending.userCode);
  return renderPage(
    context,
    {
      page: 'device-approval',
      request,
      status: 200,
      user,
      client: { id: pending.client.id, name: pending.client.name },
      userCode: pending.userCode,
      scopes: pending.scopes,
      action,
      deviceToken: form.token,
      csrfToken: form.csrf,
    },
    { 'set-cookie': form.cookie },
  );
}

/** What the code entry page says about a code that names no pending request. */
const invalidCode = 'That code is not valid or has expired. Check your device.';

/** `POST /oauth/device`: approves (`action=approve`) or denies (`action=deny`) the device request. */
export async function devicePostRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const request = incoming.request;
  const refused = (status: number, title: string, message: string) =>
    renderPage(context, { page: 'error', request, status, error: 'invalid_request', title, message });
  if (hasForeignOrigin(context, incoming))
    return refused(403, 'Request refused', 'Cross-site request refused.');
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const user = await context.options.authenticateUser(request);
  if (user === null) return unauthenticated();
  const token = typeof body.device_token === 'string' ? body.device_token : '';
  const submitted = typeof body.csrf_token === 'string' ? body.csrf_token : null;
  const form = await checkApprovalForm(context, incoming, 'device', user, token, submitted);
  if (!form.ok && form.reason === 'csrf') {
    return refused(403, 'Request refused', 'CSRF token mismatch. Reload the page and try again.');
  }
  if (!form.ok || typeof form.data !== 'string') {
    return refused(400, 'Request expired', 'This request is invalid or has expired. Enter the code again.');
  }
  if (!(await form.spend())) return refused(400, 'Already answered', 'This request was already answered.');
  const decision = body.action === 'deny' ? 'deny' : 'approve';
  const userCode = form.data;
  const decided = await limited(context, request, () =>
    context.passport.decideDeviceRequest(userCode, user, decision),
  );
  if (typeof decided !== 'boolean') return decided;
  if (!decided) return refused(400, 'Request expired', 'This code was already used or has expired.');
  const outcome = decision === 'approve' ? 'approved' : 'denied';
  return renderPage(context, { page: 'device-outcome', request, status: 200, user, outcome });
}
