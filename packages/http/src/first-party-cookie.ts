import { type PassportUser, timingSafeEqual } from '@passport/core';
import { cookieValue, isSecureRequest, serializeCookie } from './internal/cookies.js';
import { randomToken, Signer } from './internal/crypto.js';
import { type Incoming, incomingFromFetch } from './internal/incoming.js';
import type { FirstPartyCookieOptions } from './options.js';

const purpose = 'passport.first-party-cookie';

/** Payload of the first-party cookie token. */
interface CookieTokenPayload {
  /** The user's id. */
  sub: string;
  /** The CSRF value the page must echo in `X-CSRF-TOKEN` / `X-XSRF-TOKEN`. */
  csrf: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Resolved cookie settings. */
export interface ResolvedCookieSettings {
  name: string;
  csrfCookieName: string;
  lifetime: number;
  path: string;
  domain: string | undefined;
  /** `undefined`: `Secure` when the request URL is https. */
  secure: boolean | undefined;
}

/** Fills in the defaults of {@link FirstPartyCookieOptions}. */
export function resolveCookieSettings(options: FirstPartyCookieOptions = {}): ResolvedCookieSettings {
  return {
    name: options.name ?? 'passport_token',
    csrfCookieName: options.csrfCookieName ?? 'XSRF-TOKEN',
    lifetime: options.lifetime ?? 3600,
    path: options.path ?? '/',
    domain: options.domain,
    secure: options.secure,
  };
}

/**
 * Issues and reads the first-party cookie (Laravel Passport's `CreateFreshApiToken`): an httpOnly
 * cookie holding a short-lived HMAC-signed token for the signed-in user, plus a readable CSRF
 * cookie whose value the page's JavaScript must echo in a header. Internal: the handler, the
 * guard and {@link withFirstPartyCookie} each build one.
 */
export class FirstPartyCookie {
  readonly settings: ResolvedCookieSettings;
  readonly #signer: Signer;
  readonly #clock: () => number;

  constructor(secret: string, options: FirstPartyCookieOptions = {}, clock: () => number = Date.now) {
    this.settings = resolveCookieSettings(options);
    this.#signer = new Signer(secret);
    this.#clock = clock;
  }

  /**
   * `Set-Cookie` values for `user`. The CSRF value of a still-valid cookie of the same user is kept,
   * so a page that already read it keeps working.
   */
  async issue(incoming: Incoming, user: PassportUser): Promise<string[]> {
    const current = await this.#read(incoming);
    const csrf = current !== null && current.sub === user.id ? current.csrf : randomToken(24);
    const exp = Math.floor(this.#clock() / 1000) + this.settings.lifetime;
    const token = await this.#signer.sign(purpose, { sub: user.id, csrf, exp } satisfies CookieTokenPayload);
    const common = {
      path: this.settings.path,
      maxAge: this.settings.lifetime,
      secure: this.settings.secure ?? isSecureRequest(incoming),
      sameSite: 'Lax' as const,
      ...(this.settings.domain === undefined ? {} : { domain: this.settings.domain }),
    };
    return [
      serializeCookie(this.settings.name, token, { ...common, httpOnly: true }),
      serializeCookie(this.settings.csrfCookieName, csrf, { ...common, httpOnly: false }),
    ];
  }

  /**
   * The user id of a valid cookie token whose CSRF value matches the request's `X-CSRF-TOKEN` or
   * `X-XSRF-TOKEN` header; `null` otherwise (no cookie, bad signature, expired, no or wrong header).
   */
  async authenticate(incoming: Incoming): Promise<string | null> {
    const payload = await this.#read(incoming);
    if (payload === null) return null;
    const header = incoming.header('x-csrf-token') ?? incoming.header('x-xsrf-token');
    if (header === null || !timingSafeEqual(header, payload.csrf)) return null;
    return payload.sub;
  }

  /** `true` when the request carries the cookie at all (valid or not). */
  present(incoming: Incoming): boolean {
    return cookieValue(incoming, this.settings.name) !== undefined;
  }

  async #read(incoming: Incoming): Promise<CookieTokenPayload | null> {
    const value = cookieValue(incoming, this.settings.name);
    if (value === undefined) return null;
    const payload = await this.#signer.verify<CookieTokenPayload>(purpose, value, this.#clock());
    if (payload === null || typeof payload.sub !== 'string' || typeof payload.csrf !== 'string') return null;
    return payload;
  }
}

/** Options of {@link withFirstPartyCookie}. */
export interface WithFirstPartyCookieOptions<User extends PassportUser = PassportUser>
  extends FirstPartyCookieOptions {
  /** Same secret as the guard's `cookie.secret` (and the handler's `secret`). */
  secret: string;
  /** The host app's session: the signed-in user of this request, or `null`. */
  authenticateUser: (request: Request) => User | null | Promise<User | null>;
  /**
   * Current time in ms, for the cookie's expiry. Pass the passport's clock (`passport.now`) when
   * the app has one, so the cookie and the guard agree.
   * @default Date.now
   */
  clock?: () => number;
}

/**
 * Wraps a host handler so that every `GET` response for a signed-in user sets the first-party
 * cookie (Laravel Passport's `CreateFreshApiToken`): an httpOnly, `SameSite=Lax` cookie
 * (`Secure` on https) with a short-lived signed token, and a readable `XSRF-TOKEN` cookie. The
 * app's own JavaScript can then call routes protected by a guard created with the same `cookie`
 * settings, sending the `XSRF-TOKEN` value in an `X-XSRF-TOKEN` header.
 *
 * @example
 * ```ts
 * const app = withFirstPartyCookie(renderPages, { secret, authenticateUser: sessionUser });
 * // in the browser:
 * fetch('/api/orders', { headers: { 'X-XSRF-TOKEN': readCookie('XSRF-TOKEN') } });
 * ```
 */
export function withFirstPartyCookie<User extends PassportUser>(
  handler: (request: Request) => Response | Promise<Response>,
  options: WithFirstPartyCookieOptions<User>,
): (request: Request) => Promise<Response> {
  const cookie = new FirstPartyCookie(options.secret, options, options.clock);
  return async (request) => {
    const response = await handler(request);
    if (request.method !== 'GET' || response.status >= 400) return response;
    const user = await options.authenticateUser(request);
    if (user === null) return response;
    const headers = new Headers(response.headers);
    for (const value of await cookie.issue(incomingFromFetch(request), user)) {
      headers.append('set-cookie', value);
    }
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  };
}
