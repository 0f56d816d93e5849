/**
 * Serves a page: the host's `render` hook when it gives one, else the built-in page, always with
 * the page security headers (no framing, CSP `frame-ancestors 'none'`, `no-store`, `nosniff`) and
 * the cookies the page's form needs.
 */
import type { PassportUser } from '@passport/core';
import type { HandlerContext } from '../internal/context.js';
import { html, type RouteResult, withPageSecurityHeaders } from '../internal/responses.js';
import { approvalPage, deviceApprovalPage } from './approval-page.js';
import { deviceCodeEntryPage } from './device-code-page.js';
import { errorPage, messagePage } from './layout.js';
import type { PageModel } from './models.js';

/** The built-in HTML of each page. */
const builtInPages: { [Page in PageModel['page']]: (model: Extract<PageModel, { page: Page }>) => string } = {
  authorization: approvalPage,
  'device-code': deviceCodeEntryPage,
  'device-approval': deviceApprovalPage,
  'device-outcome': (model) =>
    model.outcome === 'approved'
      ? messagePage('Device connected', 'You can return to your device now.')
      : messagePage('Request denied', 'The device was not given access.'),
  error: (model) => errorPage(model.title, model.message),
};

/**
 * The reply of a page: what `context.options.render` gives for `model` (HTML served with
 * `model.status`, or the host's `Response`), or the built-in page when it gives nothing.
 * `headers` (the form's CSRF cookie, `Retry-After`) are added to either.
 */
export async function renderPage<User extends PassportUser>(
  context: HandlerContext<User>,
  model: PageModel<User>,
  headers?: Record<string, string>,
): Promise<RouteResult> {
  const rendered =
    (await context.options.render?.(model)) ??
    (builtInPages[model.page] as (model: PageModel<User>) => string)(model);
  if (typeof rendered === 'string') return html(rendered, model.status, headers);
  const merged = withPageSecurityHeaders(new Headers(rendered.headers));
  for (const [name, value] of Object.entries(headers ?? {})) merged.append(name, value);
  return new Response(rendered.body, {
    status: rendered.status,
    statusText: rendered.statusText,
    headers: merged,
  });
}
