import { OAuthError, PassportOptionsError, type PassportUser } from '@passport/core';
import { FirstPartyCookie } from './first-party-cookie.js';
import { defaultMaxBodyBytes, PayloadTooLargeError } from './internal/body.js';
import type { HandlerContext, RouteHandler } from './internal/context.js';
import { Signer } from './internal/crypto.js';
import { registerDispatcher } from './internal/dispatch.js';
import { type Incoming, incomingFromFetch } from './internal/incoming.js';
import { isValidId } from './internal/input.js';
import { StoreOutageMonitor } from './internal/outage.js';
import {
  isStoreInvalidInput,
  isStoreUnavailable,
  json,
  oauthErrorResponse,
  type Reply,
  type RouteResult,
  storeInvalidInputResponse,
  storeUnavailableResponse,
  toResponse,
} from './internal/responses.js';
import type { PassportHandlerOptions, RouteGroups } from './options.js';
import {
  clientRoute,
  clientsRoute,
  personalTokenRoute,
  personalTokensRoute,
  scopesRoute,
  tokensRoute,
  tokenRoute as userTokenRoute,
} from './routes/api.js';
import { authorizeDecisionRoute, authorizeGetRoute } from './routes/authorize.js';
import { deviceGetRoute, devicePostRoute } from './routes/device.js';
import {
  deviceCodeRoute,
  introspectRoute,
  jwksRoute,
  metadataRoute,
  refreshCookieRoute,
  revokeRoute,
  tokenRoute,
} from './routes/protocol.js';

/** A Fetch API handler: what every runtime and framework can mount. */
export type FetchHandler = (request: Request) => Promise<Response>;

type Methods<User extends PassportUser> = Partial<Record<string, RouteHandler<User>>>;

interface Route<User extends PassportUser> {
  /** Path below the base path; `:id` matches one segment. */
  pattern: string;
  methods: Methods<User>;
}

/** The routes served: the protocol endpoints, and each group of `routes` that is on. */
function routes<User extends PassportUser>(on: Required<RouteGroups>): Route<User>[] {
  return [
    { pattern: '/token', methods: { POST: tokenRoute } },
    {
      pattern: '/authorize',
      methods: { GET: authorizeGetRoute, POST: authorizeDecisionRoute, DELETE: authorizeDecisionRoute },
    },
    { pattern: '/revoke', methods: { POST: revokeRoute } },
    { pattern: '/introspect', methods: { POST: introspectRoute } },
    { pattern: '/jwks', methods: { GET: jwksRoute } },
    ...(on.cookieRefresh ? [{ pattern: '/token/refresh', methods: { POST: refreshCookieRoute } }] : []),
    ...(on.device
      ? [
          { pattern: '/device/code', methods: { POST: deviceCodeRoute } },
          { pattern: '/device', methods: { GET: deviceGetRoute, POST: devicePostRoute } },
        ]
      : []),
    ...(on.api
      ? [
          { pattern: '/clients', methods: { GET: clientsRoute, POST: clientsRoute } },
          { pattern: '/clients/:id', methods: { PUT: clientRoute, DELETE: clientRoute } },
          { pattern: '/tokens', methods: { GET: tokensRoute } },
          { pattern: '/tokens/:id', methods: { DELETE: userTokenRoute } },
          { pattern: '/scopes', methods: { GET: scopesRoute } },
        ]
      : []),
    ...(on.personalAccessTokens
      ? [
          {
            pattern: '/personal-access-tokens',
            methods: { GET: personalTokensRoute, POST: personalTokensRoute },
          },
          { pattern: '/personal-access-tokens/:id', methods: { DELETE: personalTokenRoute } },
        ]
      : []),
  ];
}

/** The `routes` option with every group resolved (on unless switched off). */
function resolveRouteGroups(given: RouteGroups = {}): Required<RouteGroups> {
  const groups = { api: true, personalAccessTokens: true, device: true, cookieRefresh: true };
  // A misspelt group would silently stay on: refuse it.
  for (const [name, on] of Object.entries(given)) {
    if (!Object.hasOwn(groups, name) || typeof (on ?? true) !== 'boolean') {
      throw new PassportOptionsError(
        `createPassportHandler: routes.${name} is not a route group switch (${Object.keys(groups).join(', ')}: true or false).`,
      );
    }
    if (on === false) groups[name as keyof RouteGroups] = false;
  }
  return groups;
}

function match(want: readonly string[], path: string): { id?: string } | null {
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: { id?: string } = {};
  for (let i = 0; i < want.length; i++) {
    const segment = got[i] as string;
    if (want[i] === ':id') {
      if (segment === '') return null;
      try {
        params.id = decodeURIComponent(segment);
      } catch {
        return null;
      }
      // NUL, control characters or an overlong id name nothing that exists: 404, not a store error.
      if (!isValidId(params.id)) return null;
    } else if (want[i] !== segment) {
      return null;
    }
  }
  return params;
}

function normalizeBasePath(basePath: string): string {
  if (basePath === '' || basePath === '/') return '';
  if (!basePath.startsWith('/')) {
    throw new PassportOptionsError(
      `basePath must start with "/" (got "${basePath}"); use for example "/oauth".`,
    );
  }
  return withoutTrailingSlashes(basePath);
}

/** `value` without its trailing slashes (a loop: `/\/+$/` backtracks quadratically). */
function withoutTrailingSlashes(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 47) end--;
  return value.slice(0, end);
}

const metadataPath = '/.well-known/oauth-authorization-server';

/**
 * Creates the Fetch handler serving every Passport endpoint below `basePath` (default `/oauth`)
 * plus `/.well-known/oauth-authorization-server`. It takes a `Request` and returns a `Response`,
 * so it mounts in any runtime (Node through `@passport/http/node`, Bun, Deno, Workers) and
 * framework (Hono, Express...).
 *
 * Endpoints: `POST /token`, `GET|POST|DELETE /authorize`, `POST /revoke` (RFC 7009),
 * `POST /introspect` (RFC 7662), `GET /jwks`, `POST /device/code` and `GET|POST /device`
 * (RFC 8628), the signed-in user's JSON API (`/clients`, `/tokens`, `/scopes`,
 * `/personal-access-tokens`) and `POST /token/refresh` (first-party cookie). The JSON API, the
 * personal access token routes, the device flow and the cookie refresh can each be switched off
 * (`routes`); every page can be replaced (`render`).
 *
 * Requests outside the base path answer `404`; wrong methods `405` with `Allow`. Bodies over
 * `maxBodyBytes` are `413`. Unexpected errors are `500 server_error` (passed to `onError`, never
 * shown); a store outage is `503 temporarily_unavailable` with `Retry-After`, reported once when it
 * starts and once when it ends (`onStoreOutage`), not per request; a value the store cannot hold
 * (`StoreInvalidInputError`) is `400 invalid_request`; a rate limit of Passport's limiter is
 * `429 too_many_requests` with `Retry-After`. Every route goes through the passport's facade (never
 * its store), and times (the approval form's expiry, the first-party cookie) are read from
 * `passport.now()`.
 *
 * @example
 * ```ts
 * const handler = createPassportHandler({
 *   passport,
 *   secret: process.env.PASSPORT_SECRET!,
 *   authenticateUser: (request) => sessionUser(request),
 *   loginUrl: '/login',
 * });
 * Bun.serve({ fetch: handler });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
export function createPassportHandler<User extends PassportUser>(
  options: PassportHandlerOptions<User>,
): FetchHandler {
  if (typeof options !== 'object' || options === null || typeof options.passport !== 'object') {
    throw new PassportOptionsError(
      'createPassportHandler needs { passport }: pass the result of createPassport().',
    );
  }
  if (typeof options.secret !== 'string' || options.secret.length < 32) {
    throw new PassportOptionsError(
      'createPassportHandler needs a secret of at least 32 characters (for example 32 random bytes, base64url).',
    );
  }
  if (typeof options.authenticateUser !== 'function') {
    throw new PassportOptionsError(
      'createPassportHandler needs authenticateUser(request): return the signed-in user or null.',
    );
  }
  for (const name of ['maxBodyBytes', 'authTokenLifetime'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value <= 0)) {
      throw new PassportOptionsError(
        `createPassportHandler: ${name} must be a positive integer (got ${String(value)}).`,
      );
    }
  }
  const basePath = normalizeBasePath(options.basePath ?? '/oauth');
  const { passport } = options;
  const now = () => passport.now();
  const publicUrl = withoutTrailingSlashes(options.publicUrl ?? new URL(passport.options.issuer).origin);
  let publicOrigin: string;
  try {
    publicOrigin = new URL(publicUrl).origin;
  } catch (cause) {
    throw new PassportOptionsError(
      `createPassportHandler: publicUrl must be an absolute URL such as "https://as.example" (got "${publicUrl}").`,
      { cause },
    );
  }
  const secureCookies = publicUrl.startsWith('https:');
  const context: HandlerContext<User> = {
    passport,
    options,
    basePath,
    maxBodyBytes: options.maxBodyBytes ?? defaultMaxBodyBytes,
    authTokenLifetime: options.authTokenLifetime ?? 600,
    signer: new Signer(options.secret),
    cookie: new FirstPartyCookie(options.secret, { secure: secureCookies, ...options.cookie }, now),
    endpoint: (path) => `${publicUrl}${basePath}${path}`,
    publicUrl,
    publicOrigin,
    secureCookies,
    trustedOrigins: new Set(options.trustedOrigins ?? []),
    routes: resolveRouteGroups(options.routes),
  };
  // Routes of a group that is off are left out: they answer 404 like any unknown path.
  const table = routes<User>(context.routes).map((route) => ({
    ...route,
    segments: route.pattern.split('/'),
  }));
  // Paths without a parameter are looked up directly; the rest are matched segment by segment.
  const exact = new Map(table.filter((route) => !route.pattern.includes(':')).map((r) => [r.pattern, r]));
  const parameterized = table.filter((route) => route.pattern.includes(':'));
  const issuerPath = withoutTrailingSlashes(new URL(passport.options.issuer).pathname);
  const { onError, onStoreOutage } = options;
  const outages = new StoreOutageMonitor(
    () => passport.pingStore(),
    now,
    (event, incoming) => {
      if (onStoreOutage !== undefined) {
        try {
          onStoreOutage(event);
        } catch {
          // A failing hook must not change the response.
        }
      } else if (event.type === 'started') {
        report(onError, event.error, incoming.request);
      }
    },
  );

  const dispatch = async (incoming: Incoming): Promise<RouteResult> => {
    try {
      const path = incoming.pathname;
      if (path === metadataPath || (issuerPath !== '' && path === `${metadataPath}${issuerPath}`)) {
        if (incoming.method !== 'GET' && incoming.method !== 'HEAD') return methodNotAllowed(['GET', 'HEAD']);
        return await metadataRoute(incoming, context);
      }
      if (path !== basePath && !path.startsWith(`${basePath}/`)) return notFound();
      const relative = path.slice(basePath.length) || '/';
      let route = exact.get(relative);
      let params: { id?: string } | null = route === undefined ? null : {};
      for (let i = 0; params === null && i < parameterized.length; i++) {
        route = parameterized[i];
        params = match((route as (typeof parameterized)[number]).segments, relative);
      }
      if (route === undefined || params === null) return notFound();
      const method = incoming.method === 'HEAD' && route.methods.GET ? 'GET' : incoming.method;
      const handle = route.methods[method];
      if (!handle) return methodNotAllowed(Object.keys(route.methods));
      const result = await handle(incoming, context, params);
      outages.settled(incoming);
      return result;
    } catch (error) {
      if (isStoreUnavailable(error)) {
        outages.refused(error, incoming);
        return storeUnavailableResponse();
      }
      outages.settled(incoming);
      return errorResponse(error, incoming.request, options.onError);
    }
  };
  const handler: FetchHandler = async (request) => toResponse(await dispatch(incomingFromFetch(request)));
  // Given this very handler (not a host function wrapping it), the Node adapter dispatches its
  // own request view directly and writes our replies without building a Response.
  registerDispatcher(handler, dispatch);
  return handler;
}

function notFound(): Reply {
  return json({ error: 'not_found', error_description: 'No such endpoint' }, 404);
}

function methodNotAllowed(allowed: string[]): Reply {
  return json({ error: 'method_not_allowed', error_description: 'Method not allowed' }, 405, {
    allow: allowed.join(', '),
  });
}

function report(
  onError: ((error: unknown, request: Request) => void) | undefined,
  error: unknown,
  request: Request,
) {
  try {
    onError?.(error, request);
  } catch {
    // A failing hook must not change the response.
  }
}

/** Maps anything thrown by a route to a response without internals (no stack traces, ever). */
function errorResponse(
  error: unknown,
  request: Request,
  onError: ((error: unknown, request: Request) => void) | undefined,
): Reply {
  if (error instanceof PayloadTooLargeError) {
    return json({ error: 'invalid_request', error_description: error.message }, 413);
  }
  // A value the store cannot hold slipped past validation: the client's fault, not a 500.
  if (isStoreInvalidInput(error)) return storeInvalidInputResponse();
  if (error instanceof OAuthError) {
    if (error.status >= 500) report(onError, error, request);
    // core flags a failed client authentication that came with an Authorization header (any
    // scheme): oauthErrorResponse adds the WWW-Authenticate challenge (RFC 6749 section 5.2).
    return oauthErrorResponse(error);
  }
  report(onError, error, request);
  return oauthErrorResponse(OAuthError.serverError());
}
