import {
  type ClientRecord,
  type Passport,
  PassportError,
  PassportOptionsError,
  type PassportUser,
  type UserProvider,
  type VerifiedAccessToken,
} from '@passport/core';
import { FirstPartyCookie } from './first-party-cookie.js';
import { type Incoming, incomingFromFetch } from './internal/incoming.js';
import { isStoreUnavailable, storeUnavailableResponse, toResponse } from './internal/responses.js';
import type { FirstPartyCookieOptions } from './options.js';

/** What every {@link Authentication} carries besides who is calling. */
interface AuthenticationBase {
  /** The verified bearer token; `null` for the first-party cookie and `@passport/http/testing` guards. */
  token: VerifiedAccessToken | null;
  /** The token's scopes (`['*']` for the first-party cookie). */
  scopes: string[];
  /** How the request authenticated. */
  via: 'bearer' | 'cookie' | 'testing';
  /**
   * `true` when the token carries `scope` (`*` grants every scope; inherited scopes count when
   * the server enables them): Laravel Passport's `tokenCan`.
   */
  tokenCan(scope: string): boolean;
}

/** A request acting for a user: a token issued to a user, or the first-party cookie. */
export interface UserAuthentication<User extends PassportUser = PassportUser> extends AuthenticationBase {
  /** The resource owner. */
  user: User;
  /** The client the token was issued to; `null` for the first-party cookie. */
  client: ClientRecord | null;
}

/**
 * A request acting for a client alone: a client-credentials token (RFC 6749 section 4.4), whose
 * `sub` names no user whatever its value.
 */
export interface ClientAuthentication extends AuthenticationBase {
  /** Always `null`: no user took part. */
  user: null;
  /** The client the token was issued to. */
  client: ClientRecord;
}

/**
 * Who a request to a protected route is acting for: a user ({@link UserAuthentication}) or a
 * client alone ({@link ClientAuthentication}). Test `user !== null` to tell them apart.
 */
export type Authentication<User extends PassportUser = PassportUser> =
  | UserAuthentication<User>
  | ClientAuthentication;

/**
 * Which callers a protected route accepts:
 * - `'user'` (the default): tokens issued to a user, and the first-party cookie; a
 *   client-credentials token is refused with `401 invalid_token`, as Laravel Passport's `auth:api`
 *   refuses a token without a user.
 * - `'client'`: client-credentials tokens only, like Laravel Passport's `CheckClientCredentials`
 *   middleware ({@link Guard.requireClient}).
 * - `'any'`: both; the handler's `user` is then `null` for a client-credentials token.
 */
export type GuardAccept = 'user' | 'client' | 'any';

/** The authentication a route accepting `Accept` callers receives. */
export type AuthenticationFor<User extends PassportUser, Accept extends GuardAccept> = Accept extends 'user'
  ? UserAuthentication<User>
  : Accept extends 'client'
    ? ClientAuthentication
    : Authentication<User>;

/** Outcome of {@link Guard.check}. */
export type GuardCheck<User extends PassportUser = PassportUser> =
  | { kind: 'authenticated'; authentication: Authentication<User> }
  | { kind: 'missing' }
  | { kind: 'invalid'; description: string };

/** Options of the `require*` wrappers that take a handler. */
export interface RouteOptions<Accept extends GuardAccept = 'user'> {
  /**
   * Which callers the route accepts: see {@link GuardAccept}. Any other value means users only.
   * @default 'user'
   */
  accept?: Accept | undefined;
}

/**
 * What a route requires of the token, for {@link Guard.decide}: the same rules as
 * {@link Guard.requireToken} (nothing set), {@link Guard.requireScopes} (`scopes`),
 * {@link Guard.requireAnyScope} (`anyScope`) and {@link Guard.requireClient} (`accept: 'client'`).
 */
export interface GuardRequirement<Accept extends GuardAccept = GuardAccept> extends RouteOptions<Accept> {
  /** The token must have **all** of these scopes (`403 insufficient_scope` otherwise). */
  scopes?: readonly string[];
  /** The token must have **at least one** of these scopes. */
  anyScope?: readonly string[];
}

/** The outcome of {@link Guard.decide}: the authentication, or the refusal to send as it is. */
export type GuardDecision<User extends PassportUser = PassportUser, Accept extends GuardAccept = 'user'> =
  | { ok: true; authentication: AuthenticationFor<User, Accept> }
  | { ok: false; refusal: Response };

/** Options of {@link createGuard}. */
export interface GuardOptions<User extends PassportUser = PassportUser> {
  /** The Passport server. */
  passport: Passport<User>;
  /**
   * The user provider this guard serves. A token is accepted only when its client's `provider`
   * (`null` meaning `users`) is this one.
   * @default 'users'
   */
  provider?: string;
  /**
   * Loads users by id. Defaults to `passport.options.userProviders[provider]`; without either, the
   * user is `{ id }`.
   */
  userProvider?: UserProvider<User>;
  /**
   * Accept the first-party cookie set by `withFirstPartyCookie`, with the same secret. A bearer
   * token, when present, always wins.
   */
  cookie?: FirstPartyCookieOptions & { secret: string };
  /**
   * `realm` of the `WWW-Authenticate` challenge.
   * @default 'api'
   */
  realm?: string;
  /**
   * The accepted `aud` values: a bearer token whose `aud` is not this one (or not one of this
   * list) is refused with `401 invalid_token`. Passport's tokens carry the id of the client they
   * were issued to in `aud` (as Laravel Passport's do), so a resource server names the clients it
   * serves and refuses tokens minted for another API. Checked by core's verifier
   * (`passport.verifyAccessToken(token, { audience })`). Not checked when omitted; the
   * first-party cookie has no audience and is not affected.
   *
   * @example
   * ```ts
   * const ordersApi = createGuard({ passport, audience: [ordersWebApp.id, ordersMobileApp.id] });
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
   */
  audience?: string | readonly string[];
}

/** A route handler that runs once the request is authenticated. */
export type ProtectedHandler<Auth = UserAuthentication> = (
  request: Request,
  authentication: Auth,
) => Response | Promise<Response>;

/**
 * Protects the host app's routes with Passport tokens. Immutable: what a guard accepts is fixed
 * when it is created. Tests that need a signed-in caller without a token build a testing guard
 * with `actingAs` from `@passport/http/testing` instead of switching this one.
 *
 * Routes accept tokens issued to a user by default (the handler's `user` is typed non-null), like
 * Laravel Passport's `auth:api`; {@link Guard.requireClient} accepts client-credentials tokens
 * only, and `{ accept: 'any' }` both.
 */
export interface Guard<User extends PassportUser = PassportUser> {
  /** The provider this guard serves. */
  readonly provider: string;
  /**
   * The authentication of `request` (a user's or a client's: no route rule applies), or `null`
   * when it has no valid token (or cookie).
   */
  authenticate(request: Request): Promise<Authentication<User> | null>;
  /** Like {@link Guard.authenticate}, but tells a missing token apart from an invalid one. */
  check(request: Request): Promise<GuardCheck<User>>;
  /**
   * Checks `request` against `requirement` (by default: a user's token, no scope) and gives the
   * authentication, or the refusal the `require*` wrappers would answer (`401` with a Bearer
   * challenge, `403 insufficient_scope`, `503 temporarily_unavailable` while the store is down),
   * for hosts that write their own responses (Express-style middleware, `authenticateNode` in
   * `@passport/http/node`).
   */
  decide<Accept extends GuardAccept = 'user'>(
    request: Request,
    requirement?: GuardRequirement<Accept>,
  ): Promise<GuardDecision<User, Accept>>;
  /**
   * Runs `handler` for any valid token of the accepted callers (a user's by default); otherwise
   * `401` with a Bearer challenge. Like every wrapper, it answers `503 temporarily_unavailable`
   * while the store is down.
   *
   * @example
   * ```ts
   * const me = api.requireToken((request, { user }) => Response.json({ id: user.id }));
   * const status = api.requireToken((request, { user, client }) => Response.json({ user, client: client?.id }), {
   *   accept: 'any',
   * });
   * ```
   */
  requireToken<Accept extends GuardAccept = 'user'>(
    handler: ProtectedHandler<AuthenticationFor<User, Accept>>,
    options?: RouteOptions<Accept>,
  ): (request: Request) => Promise<Response>;
  /** Runs `handler` when the token has **all** of `scopes`; otherwise `403 insufficient_scope`. */
  requireScopes<Accept extends GuardAccept = 'user'>(
    scopes: readonly string[],
    handler: ProtectedHandler<AuthenticationFor<User, Accept>>,
    options?: RouteOptions<Accept>,
  ): (request: Request) => Promise<Response>;
  /** Runs `handler` when the token has **at least one** of `scopes`; otherwise `403 insufficient_scope`. */
  requireAnyScope<Accept extends GuardAccept = 'user'>(
    scopes: readonly string[],
    handler: ProtectedHandler<AuthenticationFor<User, Accept>>,
    options?: RouteOptions<Accept>,
  ): (request: Request) => Promise<Response>;
  /**
   * Runs `handler` only for client-credentials tokens (no user), with all of `scopes` when given
   * (Laravel Passport's `CheckClientCredentials`): the same as `requireScopes(scopes, handler,
   * { accept: 'client' })`. A user's token is refused with `401 invalid_token`.
   */
  requireClient(
    handler: ProtectedHandler<ClientAuthentication>,
    scopes?: readonly string[],
  ): (request: Request) => Promise<Response>;
}

/** Quotes a value for an auth-param (RFC 7235 quoted-string). */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/[\r\n]/g, ' ')}"`;
}

/**
 * The RFC 6750 error response: `401` with `WWW-Authenticate: Bearer realm=...` (plus
 * `error="invalid_token"` when a token was sent), or `403 insufficient_scope` with `scope`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function bearerChallenge(
  realm: string,
  error?: {
    code: 'invalid_token' | 'insufficient_scope' | 'invalid_request';
    description: string;
    scope?: string;
  },
): Response {
  const params = [`realm=${quote(realm)}`];
  if (error) {
    params.push(`error=${quote(error.code)}`, `error_description=${quote(error.description)}`);
    if (error.scope !== undefined) params.push(`scope=${quote(error.scope)}`);
  }
  const status = error?.code === 'insufficient_scope' ? 403 : error?.code === 'invalid_request' ? 400 : 401;
  const body = error
    ? {
        error: error.code,
        error_description: error.description,
        ...(error.scope ? { scope: error.scope } : {}),
      }
    : { error: 'unauthenticated', error_description: 'A bearer token is required' };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'www-authenticate': `Bearer ${params.join(', ')}`,
    },
  });
}

/** The bearer token of the `Authorization` header; `null` without one; `''` when malformed. */
function bearerToken(incoming: Incoming): string | null {
  const header = incoming.header('authorization');
  if (header === null) return null;
  const match = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(header);
  if (match) return match[1] as string;
  return /^Bearer\b/i.test(header) ? '' : null;
}

/** What a guard is made of besides its authentication check. */
export interface GuardSettings<User extends PassportUser> {
  passport: Passport<User>;
  provider: string;
  realm: string;
}

/** How a guard authenticates one request. */
export type GuardAuthenticator<User extends PassportUser> = (incoming: Incoming) => Promise<GuardCheck<User>>;

/** What the Node adapter and the testing guards need of a guard besides its public methods. */
export interface GuardInternals<User extends PassportUser> {
  settings: GuardSettings<User>;
  decide<Accept extends GuardAccept = 'user'>(
    incoming: Incoming,
    requirement?: GuardRequirement<Accept>,
  ): Promise<GuardDecision<User, Accept>>;
}

const guardInternals = new WeakMap<object, GuardInternals<PassportUser>>();

/**
 * The internals of a guard made by {@link createGuard} or `@passport/http/testing`, for
 * `authenticateNode` (which decides on the Node adapter's request without building a `Request`)
 * and the testing guards. Internal: not exported from the package.
 */
export function internalsOf<User extends PassportUser>(guard: Guard<User>): GuardInternals<User> {
  const internals = guardInternals.get(guard);
  if (internals === undefined) throw new TypeError('Not a guard made by createGuard');
  return internals as unknown as GuardInternals<User>;
}

/** `tokenCan` for a granted scope list: `*` grants everything, inherited scopes per the registry. */
export function scopeChecker<User extends PassportUser>(
  passport: Passport<User>,
  scopes: readonly string[],
): (scope: string) => boolean {
  return (scope) => scopes.includes('*') || passport.scopes.tokenCan(scopes, scope);
}

/**
 * Builds a guard around `authenticate`: the requirements, the refusals (RFC 6750 challenges,
 * `403 insufficient_scope`, `503` while the store is down) and the wrappers are the same for
 * every guard; only how a request authenticates differs. The result is frozen. Internal:
 * `createGuard` and the testing guards of `@passport/http/testing` call it.
 */
export function buildGuard<User extends PassportUser>(
  settings: GuardSettings<User>,
  authenticate: GuardAuthenticator<User>,
): Guard<User> {
  const { realm } = settings;
  const insufficient = (scopes: readonly string[]) =>
    bearerChallenge(realm, {
      code: 'insufficient_scope',
      description: 'The token lacks a required scope',
      scope: scopes.join(' '),
    });

  /** The refusal `requirement` gives `auth`, or `null` when it is met. */
  function refusalFor(auth: Authentication<User>, requirement: GuardRequirement): Response | null {
    // Anything but 'client' and 'any' (a typo included) means users only: fail closed.
    const accept = requirement.accept;
    if (accept === 'client') {
      if (auth.user !== null || auth.client === null) {
        return bearerChallenge(realm, {
          code: 'invalid_token',
          description: 'This resource accepts client-credentials tokens only',
        });
      }
    } else if (accept !== 'any' && auth.user === null) {
      return bearerChallenge(realm, {
        code: 'invalid_token',
        description: 'A user token is required: client-credentials tokens are not accepted',
      });
    }
    const all = requirement.scopes;
    if (all !== undefined && !all.every((s) => auth.tokenCan(s))) return insufficient(all);
    const any = requirement.anyScope;
    if (any !== undefined && !any.some((s) => auth.tokenCan(s))) return insufficient(any);
    return null;
  }

  async function decide(
    incoming: Incoming,
    requirement: GuardRequirement = {},
  ): Promise<GuardDecision<User>> {
    let result: GuardCheck<User>;
    try {
      result = await authenticate(incoming);
    } catch (error) {
      if (!isStoreUnavailable(error)) throw error;
      return { ok: false, refusal: toResponse(storeUnavailableResponse()) };
    }
    if (result.kind === 'missing') return { ok: false, refusal: bearerChallenge(realm) };
    if (result.kind === 'invalid') {
      return {
        ok: false,
        refusal: bearerChallenge(realm, { code: 'invalid_token', description: result.description }),
      };
    }
    const refusal = refusalFor(result.authentication, requirement);
    // refusalFor has checked the caller against `accept`, which is what the decision's type says
    return refusal === null
      ? { ok: true, authentication: result.authentication as UserAuthentication<User> }
      : { ok: false, refusal };
  }

  function protect(
    handler: ProtectedHandler<never>,
    requirement: GuardRequirement,
  ): (request: Request) => Promise<Response> {
    const run = handler as ProtectedHandler<Authentication<User>>;
    return async (request) => {
      const decision = await decide(incomingFromFetch(request), requirement);
      return decision.ok ? run(request, decision.authentication) : decision.refusal;
    };
  }

  const guard: Guard<User> = Object.freeze({
    provider: settings.provider,
    check: (request: Request) => authenticate(incomingFromFetch(request)),
    decide: (request: Request, requirement?: GuardRequirement) =>
      decide(incomingFromFetch(request), requirement),
    async authenticate(request: Request) {
      const result = await authenticate(incomingFromFetch(request));
      return result.kind === 'authenticated' ? result.authentication : null;
    },
    requireToken: (handler: ProtectedHandler<never>, options?: RouteOptions<GuardAccept>) =>
      protect(handler, { accept: options?.accept }),
    requireScopes: (
      scopes: readonly string[],
      handler: ProtectedHandler<never>,
      options?: RouteOptions<GuardAccept>,
    ) => protect(handler, { scopes, accept: options?.accept }),
    requireAnyScope: (
      scopes: readonly string[],
      handler: ProtectedHandler<never>,
      options?: RouteOptions<GuardAccept>,
    ) => protect(handler, { anyScope: scopes, accept: options?.accept }),
    requireClient: (handler: ProtectedHandler<never>, scopes: readonly string[] = []) =>
      protect(handler, { accept: 'client', scopes }),
  }) as Guard<User>;
  guardInternals.set(guard, { settings, decide } as unknown as GuardInternals<PassportUser>);
  return guard;
}

/**
 * Creates a guard for the host's own routes: resolves `Authorization: Bearer` tokens (and,
 * optionally, the first-party cookie) to `{ user, client, token, scopes, tokenCan }` and wraps
 * handlers with token and scope requirements. Routes accept users' tokens unless they say
 * otherwise (`requireClient`, `{ accept: 'any' }`). The cookie's expiry is read on the passport's
 * clock (`passport.now()`).
 *
 * @example
 * ```ts
 * const api = createGuard({ passport, audience: shopApp.id });
 * const listOrders = api.requireScopes(['orders:read'], async (request, { user }) =>
 *   Response.json(await db.orders(user.id)));
 * const pushReport = api.requireClient(async (request, { client }) => Response.json({ from: client.id }), [
 *   'reports:push',
 * ]);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6750
 */
export function createGuard<User extends PassportUser>(options: GuardOptions<User>): Guard<User> {
  if (typeof options !== 'object' || options === null || typeof options.passport !== 'object') {
    throw new PassportOptionsError('createGuard needs { passport }: pass the result of createPassport().');
  }
  const { passport } = options;
  const provider = options.provider ?? 'users';
  const cookie =
    options.cookie === undefined
      ? null
      : new FirstPartyCookie(options.cookie.secret, options.cookie, () => passport.now());
  const configuredProvider = passport.options.userProviders[provider] as UserProvider<User> | undefined;
  const users: UserProvider<User> | null = options.userProvider ?? configuredProvider ?? null;

  const loadUser = async (id: string): Promise<User | null> =>
    users === null ? ({ id } as User) : users.findById(id);
  // Built once: the bearer path allocates nothing for the audience check.
  const verifyOptions = options.audience === undefined ? undefined : { audience: options.audience };

  async function check(incoming: Incoming): Promise<GuardCheck<User>> {
    const token = bearerToken(incoming);
    if (token === '') return { kind: 'invalid', description: 'The Authorization header is malformed' };
    if (token !== null) return checkBearer(token);
    if (cookie?.present(incoming)) {
      const userId = await cookie.authenticate(incoming);
      if (userId === null) {
        return {
          kind: 'invalid',
          description: 'The first-party cookie is invalid, expired or lacks its CSRF header',
        };
      }
      const user = await loadUser(userId);
      if (user === null) return { kind: 'invalid', description: 'The user no longer exists' };
      return {
        kind: 'authenticated',
        authentication: {
          user,
          client: null,
          token: null,
          scopes: ['*'],
          via: 'cookie',
          tokenCan: () => true,
        },
      };
    }
    return { kind: 'missing' };
  }

  async function checkBearer(token: string): Promise<GuardCheck<User>> {
    let verified: VerifiedAccessToken;
    try {
      verified = await passport.verifyAccessToken(token, verifyOptions);
    } catch (error) {
      if (error instanceof PassportError && error.code.startsWith('ERR_TOKEN_')) {
        return {
          kind: 'invalid',
          description:
            error.code === 'ERR_TOKEN_EXPIRED' ? 'The token has expired' : 'The token is invalid or revoked',
        };
      }
      throw error;
    }
    // Served from the passport's read-through cache while warm (the same bound as the token's
    // row, `revocationCacheSeconds`): a warm request makes no store call at all.
    const client = await passport.findClientCached(verified.clientId);
    if (client === null || client.revoked)
      return { kind: 'invalid', description: 'The token is invalid or revoked' };
    if ((client.provider ?? 'users') !== provider) {
      return { kind: 'invalid', description: 'The token was not issued for this guard' };
    }
    let user: User | null = null;
    if (verified.userId !== null) {
      const source = options.userProvider ?? passport.userProvider(client);
      user = source ? await source.findById(verified.userId) : ({ id: verified.userId } as User);
      if (user === null) return { kind: 'invalid', description: 'The token is invalid or revoked' };
    }
    const scopes = [...verified.scopes];
    // A user's token, or a client-credentials token (user null, client set): one of the union.
    const authentication = {
      user,
      client,
      token: verified,
      scopes,
      via: 'bearer',
      tokenCan: scopeChecker(passport, scopes),
    } as Authentication<User>;
    return { kind: 'authenticated', authentication };
  }

  return buildGuard({ passport, provider, realm: options.realm ?? 'api' }, check);
}
