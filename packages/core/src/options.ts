import type { SkipsAuthorization } from './endpoints/authorize.js';
import { PassportOptionsError } from './errors/passport-error.js';
import { PassportEventEmitter } from './events/emitter.js';
import type { GrantContext, Lifetimes } from './internal/context.js';
import {
  type Check,
  collectIssues,
  flag,
  fn,
  isRecord,
  optional,
  satisfies,
  section,
  stringWhere,
  wholeNumber,
} from './internal/option-checks.js';
import {
  defaultRateLimits,
  RateLimiter,
  type RateLimitName,
  type RateLimitOptions,
  type RateLimitRule,
} from './internal/rate-limiter.js';
import { type RandomSource, webCryptoRandom } from './internal/secrets.js';
import { KeySet } from './keys/key-set.js';
import { ScopeRegistry } from './scopes/registry.js';
import type { ScopeDefinition } from './scopes/types.js';
import { ReadThroughCache } from './stores/read-through-cache.js';
import type { PassportStore } from './stores/store.js';
import type { ClaimsHook } from './tokens/issue.js';

export type { RateLimitName, RateLimitOptions, RateLimitRule } from './internal/rate-limiter.js';
export type { ClaimsHook } from './tokens/issue.js';

/** The minimum a user object needs: a string id. */
export interface PassportUser {
  id: string;
}

/**
 * Where users come from: the host implements it over its own user table. The
 * client's `provider` picks one of {@link PassportOptions.userProviders}.
 *
 * The password grant (`grants.password`) needs both of its hooks on the provider of the clients
 * that use it; `createPassport` refuses a provider with only one of them, and the password grant
 * when no provider has both.
 *
 * @example
 * ```ts
 * const users: UserProvider<User> = {
 *   findById: (id) => db.users.find(id),
 *   findForPassport: (username) => db.users.findByEmail(username),
 *   validateForPassportPasswordGrant: (user, password) => verifyPassword(password, user.passwordHash),
 * };
 * ```
 */
export interface UserProvider<User extends PassportUser = PassportUser> {
  /** The user with this id, or `null`. */
  findById(id: string): Promise<User | null>;
  /**
   * Password grant: the user a `username` names, or `null` (Laravel Passport's
   * `findForPassport($username)` on the user model; unlike Laravel there is no `email` column to
   * fall back on, so the host says how usernames are looked up).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3.2
   */
  findForPassport?(username: string): Promise<User | null>;
  /**
   * Password grant: `true` when `password` is the user's (Laravel Passport's
   * `validateForPassportPasswordGrant($password)`; there is no `password` column to fall back on).
   * Compare with the slow password hash the host stores, never in plain text.
   */
  validateForPassportPasswordGrant?(user: User, password: string): Promise<boolean>;
}

/** Token lifetimes in seconds. */
export interface LifetimeOptions {
  /** @default 3600 (1 hour) */
  accessToken?: number;
  /** @default 2592000 (30 days) */
  refreshToken?: number;
  /** @default 31536000 (1 year) */
  personalAccessToken?: number;
  /** @default 600 (10 minutes) */
  authCode?: number;
  /** @default 600 (10 minutes) */
  deviceCode?: number;
}

/** Grants enabled on the token and authorization endpoints. */
export interface GrantOptions {
  /** @default true */
  authorizationCode?: boolean;
  /** @default true */
  refreshToken?: boolean;
  /** @default true */
  clientCredentials?: boolean;
  /** @default false */
  password?: boolean;
  /** @default false */
  implicit?: boolean;
  /** @default true */
  deviceCode?: boolean;
}

/**
 * Options of `createPassport` (validated once, at construction; a mistake throws
 * {@link PassportOptionsError} with a message that says how to fix it).
 *
 * @example
 * ```ts
 * const passport = createPassport({
 *   issuer: 'https://auth.example.com',
 *   store: new MemoryStore(),
 *   keys: await KeySet.generate(),
 *   scopes: { 'orders:read': 'Read your orders' },
 *   userProviders: { users: { findById: (id) => db.users.find(id) } },
 * });
 * ```
 */
export interface PassportOptions<User extends PassportUser = PassportUser> {
  /** The issuer identifier: an absolute http(s) URL without query or fragment (RFC 8414). */
  issuer: string;
  /** Where clients, tokens and codes live (`@passport/store-memory`, `@passport/store-postgres`, ...). */
  store: PassportStore;
  /** Signing keys: the active key signs access tokens, every key verifies them. */
  keys: KeySet;
  /** Scope ids with descriptions (see {@link ScopeRegistry}). @default {} */
  scopes?: Record<string, string> | ScopeDefinition[];
  /** Scopes granted when a request names none. @default [] */
  defaultScopes?: string[];
  /** Inherited scopes. @default false */
  inheritScopes?: boolean;
  /** Token lifetimes in seconds. Laravel Passport's values: 31536000 for the three tokens. */
  lifetimes?: LifetimeOptions;
  /**
   * Grant switches. Password and implicit are off unless enabled.
   * @default { authorizationCode: true, refreshToken: true, clientCredentials: true, password: false, implicit: false, deviceCode: true }
   */
  grants?: GrantOptions;
  /** PKCE policy (RFC 7636): S256 only and required from public clients by default. */
  pkce?: {
    /** Accept `code_challenge_method=plain`. @default false */
    allowPlain?: boolean;
    /** Require PKCE from confidential clients too. @default false */
    requireForConfidentialClients?: boolean;
  };
  /**
   * Seconds during which a refresh that lost its response can be retried (RFC 9700 section 4.14
   * leaves the handling of reuse to the server). When a rotation commits but the response never
   * reaches the client (a crash, a network cut), the client presents the same, now rotated,
   * refresh token again. Within this many seconds of that rotation, while the token it was
   * replaced by (`replacedBy`) has not been used and the family has not been revoked, the retry
   * succeeds: Passport rotates the unused successor (its pair dies, a new pair is issued,
   * following the chain a few hops when the retry is repeated) and the family lives on. A rotated
   * token presented after its successor was used, or after the window, is reuse: the whole family
   * is revoked and `refreshTokenReuseDetected` is emitted.
   *
   * How others handle it: Okta keeps the previous token valid for a grace period (`leeway`,
   * 0 to 60 seconds, default 30); Auth0's rotation overlap period (reuse interval, `leeway`,
   * default 0, off) lets only the most recently superseded token be exchanged again; Ory Hydra's
   * `oauth2.grant.refresh_token.rotation_grace_period` (default off, at most 5 minutes unless a
   * reuse count is set) keeps a used token valid for the period. The default of 30 seconds covers
   * a client's HTTP timeout and retry, or a server restart, and is narrower than Okta's window of
   * the same length: a retry only works while the successor is unused, so once the client has
   * used its new token, any use of the old one is reuse. `0` turns retries off: a rotated token
   * presented again always revokes the family (except by a request that lost a race at the very
   * same instant).
   * @default 30
   * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14
   */
  refreshTokenRetrySeconds?: number;
  /**
   * Seconds a **live** revocation-state lookup may be reused instead of asking the store again: the
   * access token row on the bearer path (`verifyAccessToken`, the `@passport/http` guards) and the
   * client row on the bearer path and in client authentication (the token, revocation, device
   * authorization and introspection endpoints). A short-lived, bounded (10,000 entries per kind)
   * in-process cache:
   *
   * - a revocation or change made **through this passport instance** (`revokeAccessToken`,
   *   `revokeUserToken`, the revocation endpoint, family revocation on code or refresh-token reuse,
   *   refresh rotation, client update, secret regeneration, revocation or deletion) takes effect
   *   at once;
   * - one made **elsewhere** (another process or instance, or directly on the store) takes effect
   *   at once when the store has a change feed (`subscribeChanges`, e.g. the memory store), and
   *   otherwise at most `revocationCacheSeconds` seconds after it completed: until then a token
   *   revoked there is still accepted by the guards here, and a client revoked there (or the old
   *   secret of a client whose secret was regenerated there) can still get tokens here;
   * - missing or revoked rows are never cached, no entry outlives its token's expiry, and client
   *   authentication decides every refusal on a fresh row (a new secret, or a newly allowed grant,
   *   works at once everywhere).
   *
   * `0` turns the cache off: every verification and client authentication asks the store (exact
   * across instances). Introspection answers token state from the store, never from the cache.
   * @default 5
   */
  revocationCacheSeconds?: number;
  /**
   * Limits against guessing and flooding (RFC 8628 section 5, password and client-secret
   * guessing), counted in the store so they hold across instances. Exceeding one answers
   * `429 too_many_requests` with `Retry-After`. Each limit takes `{ limit, windowSeconds }` or
   * `false` (off); `rateLimits: false` turns them all off. Device polling is paced separately,
   * by RFC 8628's `slow_down`.
   * @default { deviceVerification: { limit: 10, windowSeconds: 600 }, deviceAuthorization: { limit: 300, windowSeconds: 60 }, passwordFailures: { limit: 10, windowSeconds: 900 }, clientAuthenticationFailures: { limit: 30, windowSeconds: 60 } }
   */
  rateLimits?: RateLimitOptions | false;
  /** User providers by name; `users` is used for clients whose `provider` is `null`. @default {} */
  userProviders?: Record<string, UserProvider<User>>;
  /** Extra access token claims. */
  claims?: ClaimsHook;
  /**
   * Lets a client skip the approval screen for a user and scopes, besides the stored first-party
   * flag (Laravel Passport's `Client::skipsAuthorization($user, $scopes)`). Asked, sync or async,
   * when a signed-in user would otherwise see the approval screen; `true` approves at once,
   * exactly as for a first-party client. `prompt=consent` still shows the screen, and
   * `prompt=none` succeeds instead of answering `consent_required`.
   *
   * @example
   * ```ts
   * skipsAuthorization: ({ client, scopes }) =>
   *   partnerClientIds.has(client.id) && scopes.every((scope) => scope.endsWith(':read')),
   * ```
   * @default none: only first-party clients skip the screen
   */
  skipsAuthorization?: SkipsAuthorization<User>;
  /** Device authorization grant settings (RFC 8628). */
  device?: {
    /** @default `${issuer}/oauth/device` */
    verificationUri?: string;
    /** Minimum polling interval in seconds. @default 5 */
    interval?: number;
  };
  /** Client used by `createPersonalAccessToken`; created on demand when absent. */
  personalAccessClientId?: string;
  /** Current time in milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** Random bytes. @default crypto.getRandomValues */
  random?: RandomSource;
  /** New ids (`jti`, client ids). @default crypto.randomUUID */
  generateId?: () => string;
  /** Receives errors thrown by event listeners. @default ignored */
  onListenerError?: (error: unknown, event: string) => void;
}

/** Resolved grant switches. */
export type ResolvedGrants = Readonly<Required<GrantOptions>>;

/**
 * The options of a passport after validation and defaults (`passport.options`): plain, frozen
 * settings. The store, keys, scopes, events and clock are on the passport itself.
 */
export interface ResolvedOptions<User extends PassportUser = PassportUser> {
  readonly issuer: string;
  /** Token lifetimes in seconds. */
  readonly lifetimes: Readonly<Required<LifetimeOptions>>;
  readonly grants: ResolvedGrants;
  readonly pkce: Readonly<{ allowPlain: boolean; requireForConfidentialClients: boolean }>;
  readonly refreshTokenRetrySeconds: number;
  /** The limits in effect (a limit switched off is absent). */
  readonly rateLimits: Readonly<Partial<Record<RateLimitName, RateLimitRule>>>;
  /** The bound of the read-through cache (bearer path, client authentication), in seconds (`0`: off). */
  readonly revocationCacheSeconds: number;
  readonly inheritScopes: boolean;
  readonly userProviders: Readonly<Record<string, UserProvider<User>>>;
  readonly device: Readonly<{ verificationUri: string; interval: number }>;
  readonly personalAccessClientId: string | null;
}

/**
 * Everything one passport instance runs on, resolved once from validated options: the
 * {@link GrantContext} every grant and endpoint reads, the read-through cache, and the public
 * {@link ResolvedOptions}. Internal: `createPassport` builds it.
 */
export interface ServerContext<User extends PassportUser = PassportUser> extends GrantContext {
  readonly device: Readonly<{ verificationUri: string; interval: number }>;
  readonly userProviders: Readonly<Record<string, UserProvider<User>>>;
  readonly personalAccessClientId: string | null;
  /**
   * The read-through cache of the store (disabled when `revocationCacheSeconds` is `0`). When it
   * is enabled, `store` is the given store wrapped so this instance's revocations evict it.
   */
  readonly cache: ReadThroughCache;
  /** The public view of the resolved options (`passport.options`). */
  readonly options: ResolvedOptions<User>;
}

/** Default refresh retry window, in seconds (see `refreshTokenRetrySeconds`). */
export const defaultRefreshTokenRetrySeconds = 30;

/** The limits in effect: the defaults, overridden or switched off by `options`. */
function resolveRateLimits(
  options: RateLimitOptions | false | undefined,
): Readonly<Partial<Record<RateLimitName, RateLimitRule>>> {
  const rules: Partial<Record<RateLimitName, RateLimitRule>> = {};
  if (options === false) return Object.freeze(rules);
  for (const name of Object.keys(defaultRateLimits) as RateLimitName[]) {
    const given = options?.[name];
    if (given === false) continue;
    rules[name] = Object.freeze({ ...(given ?? defaultRateLimits[name]) });
  }
  return Object.freeze(rules);
}

/** Default bound of the revocation-state cache, in seconds (see `revocationCacheSeconds`). */
export const defaultRevocationCacheSeconds = 5;

/**
 * The default token lifetimes in seconds (the OAuth security BCP, not Laravel Passport's one year):
 * what `lifetimes` falls back to. A retired signing key must stay published for
 * `max(accessToken, personalAccessToken)` after it stopped signing.
 *
 * @example
 * ```ts
 * const keepRetiredKeysFor = Math.max(defaultLifetimes.accessToken, defaultLifetimes.personalAccessToken);
 * ```
 */
export const defaultLifetimes: Readonly<Lifetimes> = Object.freeze({
  accessToken: 3600,
  refreshToken: 2_592_000,
  personalAccessToken: 31_536_000,
  authCode: 600,
  deviceCode: 600,
});

const defaultGrants: ResolvedGrants = Object.freeze({
  authorizationCode: true,
  refreshToken: true,
  clientCredentials: true,
  password: false,
  implicit: false,
  deviceCode: true,
});

/** Every method of {@link PassportStore}: checked once when options are validated. */
export const storeMethods = [
  'createClient',
  'findClient',
  'updateClient',
  'deleteClient',
  'listClientsByOwner',
  'listClients',
  'saveTokens',
  'findAccessToken',
  'findRefreshToken',
  'rotateRefreshToken',
  'revokeAccessToken',
  'revokeRefreshToken',
  'revokeFamily',
  'revokeClientTokens',
  'listUserTokens',
  'purge',
  'saveAuthCode',
  'findAuthCode',
  'redeemAuthCode',
  'saveDeviceCode',
  'findDeviceCode',
  'findDeviceCodeByUserCode',
  'decideDeviceCode',
  'touchDeviceCode',
  'redeemDeviceCode',
  'useNonce',
  'hitRateLimit',
] as const satisfies readonly (keyof PassportStore)[];

function isAbsoluteHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') && !value.includes('?') && !value.includes('#')
  );
}

const secondsMessage = (example: number) => `must be a positive whole number of seconds, e.g. ${example}`;
const seconds = (example: number) =>
  optional(wholeNumber(1, Number.MAX_SAFE_INTEGER, secondsMessage(example)));

const storeCheck: Check = (value, path, issues) => {
  if (typeof value !== 'object' || value === null) {
    issues.push({
      path,
      message:
        'is required: a PassportStore, e.g. new MemoryStore() from @passport/store-memory or a @passport/store-postgres store',
    });
    return;
  }
  const missing = storeMethods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function');
  if (missing.length > 0) {
    issues.push({
      path,
      message: `is not a PassportStore: it lacks ${missing.join(', ')}; use a store package or implement the PassportStore interface and check it with @passport/store-testkit`,
    });
  }
};

/** `false` (switched off), or a value `check` accepts. */
const offOr =
  (check: Check): Check =>
  (value, path, issues) => {
    if (value !== false) check(value, path, issues);
  };
const rateLimitExpected =
  '{ limit, windowSeconds } with positive whole numbers, e.g. { limit: 10, windowSeconds: 600 }, or false (off)';
const rateLimitNumber = wholeNumber(1, Number.MAX_SAFE_INTEGER, `must be ${rateLimitExpected}`);
const rateLimitRule = optional(
  offOr(section({ limit: rateLimitNumber, windowSeconds: rateLimitNumber }, rateLimitExpected)),
);
const rateLimitsCheck = offOr(
  section(
    {
      deviceVerification: rateLimitRule,
      deviceAuthorization: rateLimitRule,
      passwordFailures: rateLimitRule,
      clientAuthenticationFailures: rateLimitRule,
    },
    'false (no limits) or an object of limits, e.g. { passwordFailures: { limit: 5, windowSeconds: 300 } }',
  ),
);

const isScopeList = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.every(
    (scope) => isRecord(scope) && typeof scope.id === 'string' && typeof scope.description === 'string',
  );
const isScopeRecord = (value: unknown): boolean =>
  isRecord(value) && Object.values(value).every((description) => typeof description === 'string');

const userProvidersCheck: Check = (value, path, issues) => {
  if (!isRecord(value)) {
    issues.push({
      path,
      message: 'must be an object of user providers by name, e.g. { users: { findById } }',
    });
    return;
  }
  for (const [name, provider] of Object.entries(value)) {
    if (!isRecord(provider) || typeof provider.findById !== 'function') {
      issues.push({
        path: `${path}.${name}`,
        message: 'must be a UserProvider: an object with an async findById(id) method',
      });
      continue;
    }
    // The password grant's hooks come in pairs: one alone is a mistake.
    const missing = passwordHooks.filter((hook) => typeof provider[hook] !== 'function');
    if (missing.length === 1) {
      issues.push({
        path: `${path}.${name}`,
        message: `lacks ${missing[0]}, which the password grant needs`,
      });
    }
  }
};

const passwordHooks = ['findForPassport', 'validateForPassportPasswordGrant'] as const;

/** With the password grant on, at least one user provider must have both of its hooks. */
const hasPasswordHooks = (providers: PassportOptions['userProviders']): boolean =>
  Object.values(providers ?? {}).some((provider) =>
    passwordHooks.every((hook) => typeof provider[hook] === 'function'),
  );

const optionsCheck = section(
  {
    issuer: stringWhere(
      isAbsoluteHttpUrl,
      'is required: an absolute https or http URL, e.g. https://auth.example.com',
      'must be an absolute https or http URL without query or fragment, e.g. https://auth.example.com',
    ),
    store: storeCheck,
    keys: satisfies(
      (value) => value instanceof KeySet,
      'must be a KeySet, e.g. await KeySet.generate() or KeySet.from([await importPrivateKeyPem(privateKeyPem)])',
    ),
    scopes: optional(
      satisfies(
        (value) => isScopeRecord(value) || isScopeList(value),
        'must be an object of { id: description } or an array of { id, description }, e.g. { "orders:read": "Read your orders" }',
      ),
    ),
    defaultScopes: optional(
      satisfies(
        (value) => Array.isArray(value) && value.every((scope) => typeof scope === 'string'),
        'must be an array of scope ids, e.g. ["orders:read"]',
      ),
    ),
    inheritScopes: optional(flag),
    lifetimes: optional(
      section(
        {
          accessToken: seconds(3600),
          refreshToken: seconds(2_592_000),
          personalAccessToken: seconds(31_536_000),
          authCode: seconds(600),
          deviceCode: seconds(600),
        },
        'an object of lifetimes in seconds, e.g. { accessToken: 3600, refreshToken: 2592000 }',
      ),
    ),
    grants: optional(
      section(
        {
          authorizationCode: optional(flag),
          refreshToken: optional(flag),
          clientCredentials: optional(flag),
          password: optional(flag),
          implicit: optional(flag),
          deviceCode: optional(flag),
        },
        'an object of grant switches, e.g. { password: true }',
      ),
    ),
    pkce: optional(
      section(
        { allowPlain: optional(flag), requireForConfidentialClients: optional(flag) },
        'an object, e.g. { requireForConfidentialClients: true }',
      ),
    ),
    refreshTokenRetrySeconds: optional(
      wholeNumber(0, 300, 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 30'),
    ),
    rateLimits: optional(rateLimitsCheck),
    revocationCacheSeconds: optional(
      wholeNumber(0, 300, 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 5'),
    ),
    userProviders: optional(userProvidersCheck),
    claims: optional(fn('(input) => extra claims (an object, or a promise of one)')),
    skipsAuthorization: optional(fn('({ client, user, scopes }) => boolean')),
    device: optional(
      section(
        {
          verificationUri: optional(
            stringWhere(
              isAbsoluteHttpUrl,
              'must be an absolute URL, e.g. https://auth.example.com/oauth/device',
              'must be an absolute https or http URL, e.g. https://auth.example.com/oauth/device',
            ),
          ),
          interval: seconds(5),
        },
        'an object, e.g. { interval: 5 }',
      ),
    ),
    personalAccessClientId: optional(
      stringWhere((value) => value !== '', 'must be a client id string', 'must be a client id string'),
    ),
    clock: optional(fn('returning the current time in milliseconds, e.g. () => Date.now()')),
    random: optional(fn('(length) => Uint8Array of random bytes')),
    generateId: optional(fn('returning a new unique id string, e.g. () => crypto.randomUUID()')),
    onListenerError: optional(fn('(error, event) => void')),
  },
  'an object with at least issuer, store and keys',
);

/** `defaults` overridden by the values of `given` that are not `undefined`. */
function withDefaults<T extends object>(defaults: T, given: Partial<T> | undefined): T {
  const out = { ...defaults };
  if (given !== undefined) {
    for (const key of Object.keys(given) as (keyof T)[]) {
      const value = given[key];
      if (value !== undefined) out[key] = value as T[keyof T];
    }
  }
  return out;
}

/**
 * Validates `createPassport` options once and resolves defaults into the instance's
 * {@link ServerContext}. Internal: `createPassport` calls it.
 *
 * @throws PassportOptionsError naming each bad option and how to fix it, e.g.
 *   `issuer must be an absolute https or http URL without query or fragment, e.g. https://auth.example.com`.
 */
export function resolveOptions<User extends PassportUser = PassportUser>(
  options: PassportOptions<User>,
): ServerContext<User> {
  const issues = collectIssues(optionsCheck, options);
  if (
    issues.length === 0 &&
    options.grants?.password === true &&
    !hasPasswordHooks(options.userProviders as PassportOptions['userProviders'])
  ) {
    issues.push(`grants.password needs a user provider with ${passwordHooks.join(' and ')}`);
  }
  if (issues.length > 0) throw new PassportOptionsError(`Invalid Passport options: ${issues.join('; ')}`);
  const issuer = options.issuer;
  const inheritScopes = options.inheritScopes ?? false;
  const scopes = new ScopeRegistry({
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.defaultScopes === undefined ? {} : { defaultScopes: options.defaultScopes }),
    inherit: inheritScopes,
  });
  const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
  const now = options.clock ?? Date.now;
  const revocationCacheSeconds = options.revocationCacheSeconds ?? defaultRevocationCacheSeconds;
  const cache = new ReadThroughCache({ seconds: revocationCacheSeconds, now });
  const store = cache.enabled ? cache.wrap(options.store) : options.store;
  const rateLimits = resolveRateLimits(options.rateLimits);
  const publicOptions: ResolvedOptions<User> = Object.freeze({
    issuer,
    lifetimes: Object.freeze(withDefaults(defaultLifetimes, options.lifetimes)),
    grants: Object.freeze(withDefaults(defaultGrants, options.grants)),
    pkce: Object.freeze({
      allowPlain: options.pkce?.allowPlain ?? false,
      requireForConfidentialClients: options.pkce?.requireForConfidentialClients ?? false,
    }),
    refreshTokenRetrySeconds: options.refreshTokenRetrySeconds ?? defaultRefreshTokenRetrySeconds,
    rateLimits,
    revocationCacheSeconds,
    inheritScopes,
    userProviders: Object.freeze({ ...options.userProviders }),
    device: Object.freeze({
      verificationUri: options.device?.verificationUri ?? `${base}/oauth/device`,
      interval: options.device?.interval ?? 5,
    }),
    personalAccessClientId: options.personalAccessClientId ?? null,
  });
  return {
    issuer,
    store,
    rateLimiter: new RateLimiter(store, rateLimits),
    keys: options.keys,
    scopes,
    events: new PassportEventEmitter(options.onListenerError),
    lifetimes: publicOptions.lifetimes,
    now,
    random: options.random ?? webCryptoRandom,
    generateId: options.generateId ?? (() => crypto.randomUUID()),
    grants: publicOptions.grants,
    pkce: publicOptions.pkce,
    refreshTokenRetrySeconds: publicOptions.refreshTokenRetrySeconds,
    ...(options.claims === undefined ? {} : { claims: options.claims }),
    skipsAuthorization: options.skipsAuthorization as SkipsAuthorization | undefined,
    device: publicOptions.device,
    userProviders: publicOptions.userProviders,
    personalAccessClientId: publicOptions.personalAccessClientId,
    cache,
    options: publicOptions,
  };
}
