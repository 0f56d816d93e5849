/**
 * The approval form's protection, shared by the authorization page (`GET|POST /oauth/authorize`)
 * and the device page (`GET|POST /oauth/device`): a signed, single-use token carrying what the
 * page was shown for, bound to the user it was shown to and to the browser that loaded it by a
 * CSRF value that is also in an httpOnly cookie.
 *
 * - {@link issueApprovalForm} (on `GET`): signs `{ d: data, u: user id, n: nonce, c: csrf, exp }`
 *   for the purpose (the HMAC covers it, so an authorization token is never a device token) and
 *   makes the `passport_csrf` cookie (the browser's existing value is kept, so two open pages both
 *   work).
 * - {@link checkApprovalForm} (on `POST`): the token must verify, be unexpired and be the same
 *   user's; the submitted CSRF value and the cookie must both equal the token's. Only then can
 *   the caller spend the nonce (`passport.useNonce`, so a form is answered once across every
 *   instance sharing the store).
 */
import type { PassportUser } from '@passport/core';
import { timingSafeEqual } from '@passport/core';
import type { HandlerContext } from './context.js';
import { cookieValue, serializeCookie } from './cookies.js';
import { randomToken } from './crypto.js';
import type { Incoming } from './incoming.js';

/** Name of the httpOnly cookie binding an approval form to the browser that loaded it. */
export const approvalCsrfCookie = 'passport_csrf';

/** What an approval form is for: the signing purpose and the prefix of its single-use nonce. */
export type ApprovalPurpose = 'authorize' | 'device';

/** Payload of the signed approval token. */
interface ApprovalTokenPayload {
  /** What the page was shown for (the authorization request's parameters, the user code). */
  d: unknown;
  /** The user the page was shown to. */
  u: string;
  /** Single-use nonce. */
  n: string;
  /** CSRF value, also in the httpOnly cookie and the form. */
  c: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** What the page embeds and sends. */
export interface IssuedApprovalForm {
  /** The signed token: a hidden field of the form (`auth_token`, `device_token`). */
  token: string;
  /** The CSRF value: the `csrf_token` hidden field. */
  csrf: string;
  /** The `Set-Cookie` value of the CSRF cookie. */
  cookie: string;
}

/** Signs an approval token carrying `data` for `user` and makes its CSRF cookie. */
export async function issueApprovalForm<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
  purpose: ApprovalPurpose,
  user: User,
  data: unknown,
): Promise<IssuedApprovalForm> {
  const csrf = cookieValue(incoming, approvalCsrfCookie) || randomToken(24);
  const payload: ApprovalTokenPayload = {
    d: data,
    u: user.id,
    n: randomToken(16),
    c: csrf,
    exp: Math.floor(context.passport.now() / 1000) + context.authTokenLifetime,
  };
  const token = await context.signer.sign(`passport.${purpose}`, payload);
  const cookie = serializeCookie(approvalCsrfCookie, csrf, {
    path: context.basePath || '/',
    httpOnly: true,
    secure: context.secureCookies,
    sameSite: 'Lax',
    maxAge: context.authTokenLifetime,
  });
  return { token, csrf, cookie };
}

/** The outcome of {@link checkApprovalForm}. */
export type ApprovalFormCheck =
  | {
      ok: true;
      /** What the token was issued for. */
      data: unknown;
      /** Spends the token's nonce: `true` the first time, `false` when the form was answered already. */
      spend(): Promise<boolean>;
    }
  | {
      ok: false;
      /**
       * `invalid`: missing, malformed, forged, expired or issued for another purpose;
       * `other-user`: issued to another user; `csrf`: the CSRF value or cookie does not match.
       */
      reason: 'invalid' | 'other-user' | 'csrf';
    };

/**
 * Checks a submitted approval form: the `token` (the hidden field), for `user`, with the
 * submitted CSRF value (`csrf_token` field, or the `X-CSRF-TOKEN` header when the field is
 * absent) and the CSRF cookie.
 */
export async function checkApprovalForm<User extends PassportUser>(
  context: HandlerContext<User>,
  incoming: Incoming,
  purpose: ApprovalPurpose,
  user: User,
  token: string,
  submittedCsrf: string | null,
): Promise<ApprovalFormCheck> {
  const payload =
    token === ''
      ? null
      : await context.signer.verify<ApprovalTokenPayload>(
          `passport.${purpose}`,
          token,
          context.passport.now(),
        );
  if (payload === null || typeof payload.n !== 'string' || typeof payload.c !== 'string') {
    return { ok: false, reason: 'invalid' };
  }
  if (payload.u !== user.id) return { ok: false, reason: 'other-user' };
  const submitted = submittedCsrf ?? incoming.header('x-csrf-token');
  const cookie = cookieValue(incoming, approvalCsrfCookie);
  if (
    submitted === null ||
    cookie === undefined ||
    !timingSafeEqual(submitted, payload.c) ||
    !timingSafeEqual(cookie, payload.c)
  ) {
    return { ok: false, reason: 'csrf' };
  }
  const expiresAt = new Date(payload.exp * 1000);
  return {
    ok: true,
    data: payload.d,
    spend: () => context.passport.useNonce(`${purpose}:${payload.n}`, expiresAt),
  };
}
