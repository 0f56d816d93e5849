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

/** Who a request to a protected route is acting for. */
export interface Authentication<User extends PassportUser = PassportUser> {
  /** The resource owner; always `null` for a client-credentials token, whatever its `sub`. */
  user: User | null;
  /** The client the token was issued to; `null` for the first-party cookie. */
  client: ClientRecord | null;
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

/** Outcome of {@link Guard.check}. */
export type GuardCheck<User extends PassportUser = PassportUser> =
  | { kind: 'authenticated'; authentication: Authentication<User> }
  | { kind: 'missing' }
  | { kind: 'invalid'; description: string };

/**
 * What a route requires of the token, for {@link Guard.decide}: the same rules as
 * {@link Guard.requireToken} (nothing set), {@link Guard.requireScopes} (`scopes`),
 * {@link Guard.requireAnyScope} (`anyScope`) and {@link Guard.requireClient} (`clientOnly`).
 */
export interface GuardRequirement {
  /** The token must have **all** of these scopes (`403 insufficient_scope` otherwise). */
  scopes?: readonly string[];
  /** The token must have **at least one** of these scopes. */
  anyScope?: readonly string[];
  /** Client-credentials tokens only (no user), like Laravel Passport's `CheckClientCredentials`. */
  clientOnly?: boolean;
}

/** The outcome of {@link Guard.decide}: the authentication, or the refusal to send as it is. */
export type GuardDecision<User extends PassportUser = PassportUser> =
  | { ok: true; authentication: Authentication<User> }
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
}

/** A route handler that runs once the request is authenticated. */
export type ProtectedHandler<User extends PassportUser = PassportUser> = (
  request: Request,
  authentication: Authentication<User>,
) => Response | Promise<Response>;

/**
 * Protects the host app's routes with Passport tokens. Immutable: what a guard accepts is fixed
 * when it is created. Tests that need a signed-in caller without a token build a testing guard
 * with `actingAs` from `@passport/http/testing` instead of switching this one.
 */
export interface Guard<User extends PassportUser = PassportUser> {
  /** The provider this guard serves. */
  readonly provider: string;
  /** The authentication of `request`, or `null` when it has no valid token (or cookie). */
  authenticate(request: Request): Promise<Authentication<User> | null>;
  /** Like {@link Guard.authenticate}, but tells a missing token apart from an invalid one. */
  check(request: Request): Promise<GuardCheck<User>>;
  /**
   * Checks `request` against `requirement` and gives the authentication, or the refusal the
   * `require*` wrappers would answer (`401` with a Bearer challenge, `403 insufficient_scope`,
   * `503 temporarily_unavailable` while the store is down), for hosts that write their own
   * responses (Express-style middleware, `authenticateNode` in `@passport/http/node`).
   */
  decide(request: Request, requirement?: GuardRequirement): Promise<GuardDecision<User>>;
  /**
   * Runs `handler` for any valid token; otherwise `401` with a Bearer challenge. Like every
   * wrapper, it answers `503 temporarily_unavailable` while the store is down.
   */
  requireToken(handler: ProtectedHandler<User>): (request: Request) => Promise<Response>;
  /** Runs `handler` when the token has **all** of `scopes`; otherwise `403 insufficient_scope`. */
  requireScopes(
    scopes: readonly string[],
    handler: ProtectedHandler<User>,
  ): (request: Request) => Promise<Response>;
  /** Runs `handler` when the token has **at least one** of `scopes`; otherwise `403 insufficient_scope`. */
  requireAnyScope(
    scopes: readonly string[],
    handler: ProtectedHandler<User>,
  ): (request: Request) => Promise<Response>;
  /**
   * Runs `handler` only for client-credentials tokens (no user), with all of `scopes` when given
   * (Laravel Passport's `CheckClientCredentials`).
   */
  requireClient(
    handler: ProtectedHandler<User>,
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
  decide(incoming: Incoming, requirement?: GuardRequirement): Promise<GuardDecision<User>>;
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
    if (requirement.clientOnly === true && (auth.user !== null || auth.client === null)) {
      return bearerChallenge(realm, {
        code: 'invalid_token',
        description: 'This resource accepts client-credentials tokens only',
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
    return refusal === null ? { ok: true, authentication: result.authentication } : { ok: false, refusal };
  }

  function protect(
    handler: ProtectedHandler<User>,
    requirement: GuardRequirement,
  ): (request: Request) => Promise<Response> {
    return async (request) => {
      const decision = await decide(incomingFromFetch(request), requirement);
      return decision.ok ? handler(request, decision.authentication) : decision.refusal;
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
    requireToken: (handler: ProtectedHandler<User>) => protect(handler, {}),
    requireScopes: (scopes: readonly string[], handler: ProtectedHandler<User>) =>
      protect(handler, { scopes }),
    requireAnyScope: (scopes: readonly string[], handler: ProtectedHandler<User>) =>
      protect(handler, { anyScope: scopes }),
    requireClient: (handler: ProtectedHandler<User>, scopes: readonly string[] = []) =>
      protect(handler, { clientOnly: true, scopes }),
  });
  guardInternals.set(guard, { settings, decide } as unknown as GuardInternals<PassportUser>);
  return guard;
}

/**
 * Creates a guard for the host's own routes: resolves `Authorization: Bearer` tokens (and,
 * optionally, the first-party cookie) to `{ user, client, token, scopes, tokenCan }` and wraps
 * handlers with token and scope requirements. The cookie's expiry is read on the passport's
 * clock (`passport.now()`).
 *
 * @example
 * ```ts
 * const api = createGuard({ passport });
 * const listOrders = api.requireScopes(['orders:read'], async (request, { user }) =>
 *   Response.json(await db.orders(user!.id)));
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
      verified = await passport.verifyAccessToken(token);
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
    return {
      kind: 'authenticated',
      authentication: {
        user,
        client,
        token: verified,
        scopes,
        via: 'bearer',
        tokenCan: scopeChecker(passport, scopes),
      },
    };
  }

  return buildGuard({ passport, provider, realm: options.realm ?? 'api' }, check);
}
