import type { Passport, PassportUser } from '@passport/core';
import type { PageRenderer } from './pages/models.js';

/** Options of the first-party cookie, shared by the handler, the wrapper and the guard. */
export interface FirstPartyCookieOptions {
  /**
   * Name of the httpOnly cookie holding the signed token.
   * @default 'passport_token'
   */
  name?: string;
  /**
   * Name of the readable cookie holding the CSRF value the page's JavaScript echoes in
   * `X-XSRF-TOKEN` (or `X-CSRF-TOKEN`).
   * @default 'XSRF-TOKEN'
   */
  csrfCookieName?: string;
  /**
   * Lifetime of the cookie token in seconds.
   * @default 3600
   */
  lifetime?: number;
  /** Cookie path. @default '/' */
  path?: string;
  /** Cookie domain. @default the request host */
  domain?: string;
  /**
   * Set the `Secure` attribute. In `createPassportHandler` it follows the configured public URL
   * (`publicUrl`, by default the issuer), so cookies stay `Secure` behind a TLS-terminating proxy;
   * `withFirstPartyCookie`, which knows no public URL, follows the request URL unless this is set.
   * @default true when the public URL is https (handler); the request URL's scheme (wrapper)
   */
  secure?: boolean;
}

/** A store outage as the handler saw it: see {@link PassportHandlerOptions.onStoreOutage}. */
export type StoreOutageEvent =
  | {
      type: 'started';
      /** The store's error on the first refused request (a `StoreUnavailableError`, or one caused by it). */
      error: unknown;
      startedAt: Date;
    }
  | {
      type: 'ended';
      startedAt: Date;
      /** When a probe or a request found the store answering again. */
      endedAt: Date;
      /** Requests answered `503 temporarily_unavailable` during the outage. */
      refused: number;
    };

/** Options of {@link createPassportHandler}. */
export interface PassportHandlerOptions<User extends PassportUser = PassportUser> {
  /** The Passport server, from `createPassport(options)`. */
  passport: Passport<User>;
  /**
   * Path prefix of every endpoint.
   * @default '/oauth'
   */
  basePath?: string;
  /**
   * The host app's session: the signed-in user of this request, or `null` for a guest.
   *
   * @example
   * ```ts
   * authenticateUser: async (request) => sessions.userFor(request.headers.get('cookie')),
   * ```
   */
  authenticateUser: (request: Request) => User | null | Promise<User | null>;
  /**
   * When the signed-in user last authenticated (ms since the epoch), so `prompt=login` and
   * `max_age` can be satisfied by a fresh login. Without it, the login page is asked to
   * re-authenticate (`prompt=login` on `loginUrl`) and the return URL drops `prompt=login` and
   * `max_age`, so the user is not sent round in circles.
   */
  authenticatedAt?: (request: Request, user: User) => number | null | Promise<number | null>;
  /**
   * Where guests are sent to sign in. A string gets the return URL appended as the
   * `returnToParameter` query parameter; a function builds the URL itself. Without it, guests get
   * `401 login_required`.
   */
  loginUrl?: string | ((returnTo: string, request: Request) => string);
  /**
   * Query parameter carrying the return URL on `loginUrl`.
   * @default 'return_to'
   */
  returnToParameter?: string;
  /**
   * HMAC key (at least 32 characters) signing the approval form's `auth_token`, its CSRF value and
   * the first-party cookie. Every instance behind a load balancer must share it.
   */
  secret: string;
  /**
   * Renders any page Passport serves instead of the built-in one (Laravel Passport's published
   * views): the authorization approval page, the device code entry and confirmation pages, the
   * device outcome page and the error page, each given as a typed model told apart by `page`
   * (`PageModel`). Return HTML (served with the model's `status` and the page security
   * headers: `X-Frame-Options: DENY`, CSP `frame-ancestors 'none'`, `Cache-Control: no-store`,
   * `nosniff`, `Referrer-Policy`), a complete `Response` (those headers and the form's CSRF cookie
   * are added where it lacks them), or `undefined` to keep the built-in page.
   *
   * @example
   * ```ts
   * render: (model) => {
   *   if (model.page === 'authorization') return approvalView(model.client.name, model.scopes, model);
   *   if (model.page === 'error') return errorView(model.title, model.message);
   *   return undefined; // the built-in device pages
   * },
   * ```
   * @default the built-in pages
   */
  render?: PageRenderer<User>;
  /**
   * Called with every unexpected error (answered `500 server_error`). A store outage (answered
   * `503 temporarily_unavailable`) is reported once, not per request: to `onStoreOutage` when it is
   * set, otherwise here, with the first request's `StoreUnavailableError`.
   */
  onError?: (error: unknown, request: Request) => void;
  /**
   * Called once when a store outage starts (the first request answered `503`, with its error) and
   * once when it ends (the store answers again, with how many requests were refused meanwhile).
   * While the store is down, requests that do not need it may probe it with one cheap read, at most
   * one at a time and one per second, so the end is noticed without waiting for a request that
   * needs the store.
   *
   * @example
   * ```ts
   * onStoreOutage: (event) =>
   *   event.type === 'started'
   *     ? log.error(`store unavailable: ${event.error}`)
   *     : log.warn(`store back after ${event.endedAt.getTime() - event.startedAt.getTime()} ms, ${event.refused} requests refused`),
   * ```
   */
  onStoreOutage?: (event: StoreOutageEvent) => void;
  /**
   * Largest accepted request body in bytes; larger bodies get `413`.
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * How long the approval form stays valid, in seconds.
   * @default 600
   */
  authTokenLifetime?: number;
  /**
   * Public URL of the endpoints (an origin, or an origin and a path prefix a proxy strips): every
   * absolute URL the handler answers with is built from it, never from the request's `Host`: the
   * metadata document, form actions, the login redirect and its return URL. Cookies are `Secure`
   * when it is https.
   * @default the issuer's origin
   */
  publicUrl?: string;
  /**
   * Extra origins (besides the public origin of `publicUrl`) whose `Origin` header lets a state-changing JSON API
   * call through without a CSRF header.
   * @default []
   */
  trustedOrigins?: string[];
  /** First-party cookie settings for `POST /oauth/token/refresh`. */
  cookie?: FirstPartyCookieOptions;
  /**
   * Route groups to serve, each on unless switched off (Laravel Passport's `Passport::ignoreRoutes()`
   * and its route groups). A group that is off answers `404` like an unknown path, and the metadata
   * document (RFC 8414) no longer advertises its endpoints. The protocol endpoints (token,
   * authorize, revoke, introspect, JWKS, metadata) are always served.
   *
   * @example
   * ```ts
   * // an API-only server: no JSON API for a UI, no device flow, no first-party cookie
   * routes: { api: false, personalAccessTokens: false, device: false, cookieRefresh: false },
   * ```
   * @default every group on
   */
  routes?: RouteGroups;
}

/** The route groups of {@link PassportHandlerOptions.routes}; `false` switches one off. */
export interface RouteGroups {
  /**
   * The signed-in user's JSON API: `/clients`, `/clients/:id`, `/tokens`, `/tokens/:id`, `/scopes`.
   * @default true
   */
  api?: boolean;
  /**
   * The personal access token routes: `/personal-access-tokens`, `/personal-access-tokens/:id`.
   * @default true
   */
  personalAccessTokens?: boolean;
  /**
   * The device flow (RFC 8628): `POST /device/code` and the verification pages `GET|POST /device`.
   * When off, the metadata lists neither `device_authorization_endpoint` nor the device code grant;
   * switch the grant off in core too (`grants.deviceCode: false`) to refuse it at the token
   * endpoint.
   * @default true
   */
  device?: boolean;
  /**
   * `POST /token/refresh`, which renews the first-party cookie.
   * @default true
   */
  cookieRefresh?: boolean;
}
