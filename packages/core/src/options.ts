import { z } from 'zod';
import { PassportOptionsError } from './errors/passport-error.js';
import { PassportEventEmitter } from './events/emitter.js';
import type { Lifetimes, PassportContext } from './internal/context.js';
import { type RandomSource, webCryptoRandom } from './internal/secrets.js';
import { KeySet } from './keys/key-set.js';
import { ScopeRegistry } from './scopes/registry.js';
import type { ScopeDefinition } from './scopes/types.js';
import { ReadThroughCache } from './stores/read-through-cache.js';
import type { PassportStore } from './stores/store.js';
import type { ClaimsHook } from './tokens/issue.js';

export type { ClaimsHook } from './tokens/issue.js';

/** The minimum a user object needs: a string id. */
export interface PassportUser {
  id: string;
}

/**
 * Where users come from (PARITY T4, G4): the host implements it over its own user table. The
 * client's `provider` picks one of {@link PassportOptions.userProviders}.
 */
export interface UserProvider<User extends PassportUser = PassportUser> {
  /** The user with this id, or `null`. */
  findById(id: string): Promise<User | null>;
  /** Password grant: the user for a username (Passport's `findForPassport`). */
  findForPassport?(username: string): Promise<User | null>;
  /** Password grant: checks the password (Passport's `validateForPassportPasswordGrant`). */
  validateForPassportPasswordGrant?(user: User, password: string): Promise<boolean>;
}

/** Token lifetimes in seconds (PARITY F1). */
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

/** Grants enabled on the token and authorization endpoints (PARITY F2). */
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
  /** Signing keys: the active key signs access tokens, every key verifies them (PARITY K1 to K4). */
  keys: KeySet;
  /** Scope ids with descriptions (see {@link ScopeRegistry}). @default {} */
  scopes?: Record<string, string> | ScopeDefinition[];
  /** Scopes granted when a request names none. @default [] */
  defaultScopes?: string[];
  /** Inherited scopes (PARITY S3). @default false */
  inheritScopes?: boolean;
  /** Token lifetimes in seconds. Laravel Passport's values: 31536000 for the three tokens. */
  lifetimes?: LifetimeOptions;
  /**
   * Grant switches. Password and implicit are off unless enabled (PARITY F2).
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
  /** Seconds a rotated refresh token still answers concurrent refreshes without reuse detection. @default 0 */
  refreshTokenGraceSeconds?: number;
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
   *   at most `revocationCacheSeconds` seconds after it completed: until then a token revoked there
   *   is still accepted by the guards here, and a client revoked there (or the old secret of a
   *   client whose secret was regenerated there) can still get tokens here;
   * - missing or revoked rows are never cached, no entry outlives its token's expiry, and client
   *   authentication decides every refusal on a fresh row (a new secret, or a newly allowed grant,
   *   works at once everywhere).
   *
   * `0` turns the cache off: every verification and client authentication asks the store (exact
   * across instances). Introspection answers token state from the store, never from the cache.
   * @default 5
   */
  revocationCacheSeconds?: number;
  /** User providers by name; `users` is used for clients whose `provider` is `null`. @default {} */
  userProviders?: Record<string, UserProvider<User>>;
  /** Extra access token claims. */
  claims?: ClaimsHook;
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
 * Options after validation and defaults: the {@link PassportContext} every grant needs plus the
 * resolved switches. Internal; built once by `createPassport`.
 */
export interface ResolvedOptions<User extends PassportUser = PassportUser> extends PassportContext {
  /** The same object, typed as the context (pass it to grants and `issueTokens`). */
  readonly context: PassportContext;
  readonly grants: ResolvedGrants;
  readonly pkce: Readonly<{ allowPlain: boolean; requireForConfidentialClients: boolean }>;
  readonly refreshTokenGraceSeconds: number;
  /** The bound of the revocation-state cache (bearer path, client authentication), in seconds (`0`: off). */
  readonly revocationCacheSeconds: number;
  /**
   * The instance's revocation-state cache (disabled when `revocationCacheSeconds` is `0`). When it
   * is enabled, `store` is the given store wrapped so this instance's revocations evict it.
   */
  readonly revocationCache: ReadThroughCache;
  readonly inheritScopes: boolean;
  readonly userProviders: Readonly<Record<string, UserProvider<User>>>;
  readonly claims?: ClaimsHook;
  readonly device: Readonly<{ verificationUri: string; interval: number }>;
  readonly personalAccessClientId: string | null;
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
  'consumeRefreshToken',
  'rotateRefreshToken',
  'revokeAccessToken',
  'revokeRefreshToken',
  'revokeFamily',
  'revokeClientTokens',
  'listUserTokens',
  'purge',
  'saveAuthCode',
  'findAuthCode',
  'consumeAuthCode',
  'saveDeviceCode',
  'findDeviceCode',
  'findDeviceCodeByUserCode',
  'decideDeviceCode',
  'touchDeviceCode',
  'consumeDeviceCode',
  'useNonce',
] as const satisfies readonly (keyof PassportStore)[];

function isAbsoluteHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') && !value.includes('?') && !value.includes('#')
  );
}

const isFunction = (value: unknown): boolean => typeof value === 'function';

/** A strict object whose type and unknown-key errors say what the option expects. */
function section<T extends z.ZodRawShape>(shape: T, expected: string) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `has unknown key(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; known keys: ${known}`
        : `must be ${expected}`,
  });
}

const seconds = (example: number) =>
  z
    .number({ error: `must be a positive whole number of seconds, e.g. ${example}` })
    .int({ error: `must be a positive whole number of seconds, e.g. ${example}` })
    .positive({ error: `must be a positive whole number of seconds, e.g. ${example}` });

const flag = z.boolean({ error: 'must be true or false' });

const fn = (signature: string) => z.custom<never>(isFunction, { error: `must be a function ${signature}` });

const schema = section(
  {
    issuer: z
      .string({ error: 'is required: an absolute https or http URL, e.g. https://auth.example.com' })
      .refine(isAbsoluteHttpUrl, {
        error:
          'must be an absolute https or http URL without query or fragment, e.g. https://auth.example.com',
      }),
    store: z.custom<PassportStore>().superRefine((value, ctx) => {
      if (typeof value !== 'object' || value === null) {
        ctx.addIssue({
          code: 'custom',
          message:
            'is required: a PassportStore, e.g. new MemoryStore() from @passport/store-memory or a @passport/store-postgres store',
        });
        return;
      }
      const missing = storeMethods.filter(
        (m) => typeof (value as unknown as Record<string, unknown>)[m] !== 'function',
      );
      if (missing.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `is not a PassportStore: it lacks ${missing.join(', ')}; use a store package or implement the PassportStore interface and check it with @passport/store-testkit`,
        });
      }
    }),
    keys: z.custom<KeySet>((value) => value instanceof KeySet, {
      error:
        'must be a KeySet, e.g. await KeySet.generate() or KeySet.from([await importPrivateKeyPem(privateKeyPem)])',
    }),
    scopes: z
      .union(
        [z.record(z.string(), z.string()), z.array(z.object({ id: z.string(), description: z.string() }))],
        {
          error:
            'must be an object of { id: description } or an array of { id, description }, e.g. { "orders:read": "Read your orders" }',
        },
      )
      .optional(),
    defaultScopes: z
      .array(z.string(), { error: 'must be an array of scope ids, e.g. ["orders:read"]' })
      .optional(),
    inheritScopes: flag.optional(),
    lifetimes: section(
      {
        accessToken: seconds(3600).optional(),
        refreshToken: seconds(2_592_000).optional(),
        personalAccessToken: seconds(31_536_000).optional(),
        authCode: seconds(600).optional(),
        deviceCode: seconds(600).optional(),
      },
      'an object of lifetimes in seconds, e.g. { accessToken: 3600, refreshToken: 2592000 }',
    ).optional(),
    grants: section(
      {
        authorizationCode: flag.optional(),
        refreshToken: flag.optional(),
        clientCredentials: flag.optional(),
        password: flag.optional(),
        implicit: flag.optional(),
        deviceCode: flag.optional(),
      },
      'an object of grant switches, e.g. { password: true }',
    ).optional(),
    pkce: section(
      { allowPlain: flag.optional(), requireForConfidentialClients: flag.optional() },
      'an object, e.g. { requireForConfidentialClients: true }',
    ).optional(),
    refreshTokenGraceSeconds: z
      .number({ error: 'must be a whole number of seconds >= 0, e.g. 0 (off) or 10' })
      .int({ error: 'must be a whole number of seconds >= 0, e.g. 0 (off) or 10' })
      .nonnegative({ error: 'must be a whole number of seconds >= 0, e.g. 0 (off) or 10' })
      .optional(),
    revocationCacheSeconds: z
      .number({ error: 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 5' })
      .int({ error: 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 5' })
      .min(0, { error: 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 5' })
      .max(300, { error: 'must be a whole number of seconds from 0 to 300, e.g. 0 (off) or 5' })
      .optional(),
    userProviders: z
      .record(
        z.string(),
        z.custom<UserProvider>(
          (value) =>
            typeof value === 'object' && value !== null && isFunction((value as UserProvider).findById),
          { error: 'must be a UserProvider: an object with an async findById(id) method' },
        ),
        { error: 'must be an object of user providers by name, e.g. { users: { findById } }' },
      )
      .optional(),
    claims: fn('(input) => extra claims (an object, or a promise of one)').optional(),
    device: section(
      {
        verificationUri: z
          .string({ error: 'must be an absolute URL, e.g. https://auth.example.com/oauth/device' })
          .refine(isAbsoluteHttpUrl, {
            error: 'must be an absolute https or http URL, e.g. https://auth.example.com/oauth/device',
          })
          .optional(),
        interval: seconds(5).optional(),
      },
      'an object, e.g. { interval: 5 }',
    ).optional(),
    personalAccessClientId: z.string({ error: 'must be a client id string' }).min(1).optional(),
    clock: fn('returning the current time in milliseconds, e.g. () => Date.now()').optional(),
    random: fn('(length) => Uint8Array of random bytes').optional(),
    generateId: fn('returning a new unique id string, e.g. () => crypto.randomUUID()').optional(),
    onListenerError: fn('(error, event) => void').optional(),
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

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.length === 0 ? 'options' : issue.path.map(String).join('.');
      return `${path} ${issue.message}`;
    })
    .join('; ');
}

/**
 * Validates `createPassport` options once and resolves defaults into a {@link PassportContext}
 * plus the grant, PKCE and device settings. Internal: `createPassport` calls it.
 *
 * @throws PassportOptionsError naming each bad option and how to fix it, e.g.
 *   `issuer must be an absolute https or http URL without query or fragment, e.g. https://auth.example.com`.
 */
export function resolveOptions<User extends PassportUser = PassportUser>(
  options: PassportOptions<User>,
): ResolvedOptions<User> {
  const result = schema.safeParse(options);
  if (!result.success) {
    throw new PassportOptionsError(`Invalid Passport options: ${formatIssues(result.error.issues)}`, {
      cause: result.error,
    });
  }
  const issuer = options.issuer;
  const scopes = new ScopeRegistry({
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.defaultScopes === undefined ? {} : { defaultScopes: options.defaultScopes }),
    inherit: options.inheritScopes ?? false,
  });
  const base = issuer.endsWith('/') ? issuer.slice(0, -1) : issuer;
  const now = options.clock ?? Date.now;
  const revocationCacheSeconds = options.revocationCacheSeconds ?? defaultRevocationCacheSeconds;
  const revocationCache = new ReadThroughCache({ seconds: revocationCacheSeconds, now });
  const resolved = {
    issuer,
    store: revocationCache.enabled ? revocationCache.wrap(options.store) : options.store,
    keys: options.keys,
    scopes,
    events: new PassportEventEmitter(options.onListenerError),
    lifetimes: Object.freeze(withDefaults(defaultLifetimes, options.lifetimes)),
    now,
    random: options.random ?? webCryptoRandom,
    generateId: options.generateId ?? (() => crypto.randomUUID()),
    grants: Object.freeze(withDefaults(defaultGrants, options.grants)),
    pkce: Object.freeze({
      allowPlain: options.pkce?.allowPlain ?? false,
      requireForConfidentialClients: options.pkce?.requireForConfidentialClients ?? false,
    }),
    refreshTokenGraceSeconds: options.refreshTokenGraceSeconds ?? 0,
    revocationCacheSeconds,
    revocationCache,
    inheritScopes: options.inheritScopes ?? false,
    userProviders: Object.freeze({ ...options.userProviders }),
    ...(options.claims === undefined ? {} : { claims: options.claims }),
    device: Object.freeze({
      verificationUri: options.device?.verificationUri ?? `${base}/oauth/device`,
      interval: options.device?.interval ?? 5,
    }),
    personalAccessClientId: options.personalAccessClientId ?? null,
  } as Omit<ResolvedOptions<User>, 'context'> & { context?: PassportContext };
  resolved.context = resolved;
  return resolved as ResolvedOptions<User>;
}
