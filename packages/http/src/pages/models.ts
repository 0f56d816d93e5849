/**
 * What each page Passport serves shows: the models a host's `render` hook receives. Every page is
 * replaceable, as Laravel Passport's published views are.
 */
import type { AuthorizationRequest, OAuthErrorCode, PassportUser, ScopeDefinition } from '@passport/core';

/** The client a page names. */
export interface PageClient {
  id: string;
  name: string;
}

/**
 * The approval page of `GET /oauth/authorize`: the user approves or denies a client's request.
 * Served `200` with the form's CSRF cookie (kept on a host `Response` too).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
 */
export interface ApprovalPageModel<User extends PassportUser = PassportUser> {
  page: 'authorization';
  /** The incoming `GET /oauth/authorize` request. */
  request: Request;
  /** The status a rendered string is served with. */
  status: 200;
  /** The validated authorization request (client, scopes, redirect URI, state...). */
  authorizationRequest: AuthorizationRequest;
  /** The client asking for access. */
  client: PageClient;
  /** The requested scopes with their descriptions. */
  scopes: ScopeDefinition[];
  /** The signed-in user. */
  user: User;
  /** Where the form posts (approve: `POST`, deny: `DELETE`, or `POST` with `action=deny`). */
  action: string;
  /** Signed, single-use token carrying the pending request: send it back as `auth_token`. */
  authToken: string;
  /** CSRF token: send it back as `csrf_token` (form field) or the `X-CSRF-TOKEN` header. */
  csrfToken: string;
}

/**
 * The device verification page of `GET /oauth/device` where the user types the code their device
 * shows: empty (`200`), or again with `error` after a code that is not valid (`400`). The form
 * sends `user_code` to `action` with `GET`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
export interface DeviceCodePageModel<User extends PassportUser = PassportUser> {
  page: 'device-code';
  request: Request;
  /** `200`, or `400` with an `error`. */
  status: number;
  /** The signed-in user. */
  user: User;
  /** Where the form goes (`GET`, field `user_code`). */
  action: string;
  /** What the user typed, to fill the field again; `''` at first. */
  userCode: string;
  /** Why the code was refused, to show beside the field; `null` at first. */
  error: string | null;
}

/**
 * The device confirmation page: the user approves or denies the device request of `userCode`.
 * Served `200` with the form's CSRF cookie. The form posts `device_token`, `csrf_token` and
 * `action` (`approve` or `deny`) to `action`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
export interface DeviceApprovalPageModel<User extends PassportUser = PassportUser> {
  page: 'device-approval';
  request: Request;
  status: 200;
  /** The signed-in user. */
  user: User;
  /** The client the device runs. */
  client: PageClient;
  /** The code the device shows, formatted `XXXX-XXXX`, for the user to compare. */
  userCode: string;
  /** The requested scopes with their descriptions. */
  scopes: ScopeDefinition[];
  /** Where the form posts. */
  action: string;
  /** Signed, single-use token carrying the user code: send it back as `device_token`. */
  deviceToken: string;
  /** CSRF token: send it back as `csrf_token`. */
  csrfToken: string;
}

/** The page after the user approved or denied a device request (`200`). */
export interface DeviceOutcomePageModel<User extends PassportUser = PassportUser> {
  page: 'device-outcome';
  request: Request;
  status: 200;
  /** The signed-in user. */
  user: User;
  /** `approved`: the device gets its tokens at its next poll; `denied`: it gets `access_denied`. */
  outcome: 'approved' | 'denied';
}

/**
 * An error shown in the browser instead of a redirect: an authorization request whose client or
 * redirect URI cannot be trusted (RFC 6749 section 4.1.2.1), a malformed request, or a device
 * form that is refused (cross-site, CSRF mismatch, expired, already answered).
 */
export interface ErrorPageModel {
  page: 'error';
  request: Request;
  /** The HTTP status (`400`, `401`, `403`, `429`...). */
  status: number;
  /** The RFC 6749 error code (`invalid_request`, `invalid_client`, `unauthorized_client`...). */
  error: OAuthErrorCode;
  /** A short heading, e.g. `Authorization failed`. */
  title: string;
  /** What went wrong, for the user. */
  message: string;
}

/** Every page Passport serves, told apart by `page`. */
export type PageModel<User extends PassportUser = PassportUser> =
  | ApprovalPageModel<User>
  | DeviceCodePageModel<User>
  | DeviceApprovalPageModel<User>
  | DeviceOutcomePageModel<User>
  | ErrorPageModel;

/**
 * Renders a page instead of the built-in one: HTML (served with the model's `status` and the
 * page security headers), a complete `Response` (its status is kept, and the security headers and
 * cookies Passport needs are added where it lacks them), or `undefined` (or `null`) for the
 * built-in page.
 *
 * @example
 * ```ts
 * const render: PageRenderer<User> = (model) =>
 *   model.page === 'authorization' ? myApprovalPage(model) : undefined;
 * ```
 */
export type PageRenderer<User extends PassportUser = PassportUser> = (
  model: PageModel<User>,
) => string | Response | null | undefined | Promise<string | Response | null | undefined>;
