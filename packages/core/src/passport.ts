import type { ClientAuthenticationInput } from './clients/client-authentication.js';
import { ClientService } from './clients/client-service.js';
import {
  type AuthorizationRequest,
  approveAuthorizationRequest,
  denyAuthorizationRequest,
  type InteractionOptions,
  interactionRequired,
  validateAuthorizationRequest,
} from './endpoints/authorize.js';
import {
  type DeviceAuthorizationResponse,
  decideDeviceRequest,
  findDeviceRequest,
  type PendingDeviceRequest,
  requestDeviceAuthorization,
} from './endpoints/device-authorization.js';
import { type IntrospectionResponse, introspectToken } from './endpoints/introspection.js';
import { revokeToken } from './endpoints/revocation.js';
import { handleTokenRequest, type TokenGrantHandlers } from './endpoints/token.js';
import {
  type ListUserTokensOptions,
  listUserTokens,
  type PurgeTokensOptions,
  purgeTokens,
  revokeAccessToken,
  revokePersonalAccessToken,
  revokeUserToken,
} from './endpoints/token-management.js';
import { PassportOptionsError } from './errors/passport-error.js';
import type { PassportEventEmitter } from './events/emitter.js';
import { handleAuthorizationCodeGrant } from './grants/authorization-code.js';
import { handleClientCredentialsGrant } from './grants/client-credentials.js';
import { deviceCodeGrantType, handleDeviceCodeGrant } from './grants/device-code.js';
import { handlePasswordGrant } from './grants/password.js';
import { createPersonalAccessToken, type PersonalAccessTokenResult } from './grants/personal-access.js';
import { handleRefreshTokenGrant } from './grants/refresh-token.js';
import { KeySet } from './keys/key-set.js';
import {
  type PassportOptions,
  type PassportUser,
  type ResolvedOptions,
  resolveOptions,
  type ServerContext,
  type UserProvider,
} from './options.js';
import type { ScopeRegistry } from './scopes/registry.js';
import type { AccessTokenRecord, ClientRecord, PurgeResult } from './stores/records.js';
import type { PassportStore } from './stores/store.js';
import {
  type VerifiedAccessToken,
  type VerifyTokenOptions,
  verifyAccessToken,
} from './tokens/access-token.js';
import type { TokenResponse } from './tokens/token-response.js';

/**
 * The authorization server: every endpoint's logic, independent of HTTP. Build it with
 * {@link createPassport}; `@passport/http` maps it to routes and calls nothing else, so a host
 * with its own HTTP layer gets the same behaviour from these methods.
 */
export interface Passport<User extends PassportUser = PassportUser> {
  /** The validated options with their defaults (frozen). */
  readonly options: ResolvedOptions<User>;
  /**
   * The store every method of this passport uses: the store given in the options, wrapped by the
   * instance's read-through cache when `revocationCacheSeconds` is above `0` (the default), so a
   * revocation or client change made through it evicts the cached rows at once (writes made on the
   * store you gave, bypassing this property, reach the cache like another instance's: at once when
   * the store has a change feed, `subscribeChanges`, otherwise within `revocationCacheSeconds`).
   * Methods specific to a store class (migrations, outage switches, `close` of a pool you own) are
   * not on it: keep your own reference to the store for those. Prefer the passport's methods, which
   * also emit events.
   */
  readonly store: PassportStore;
  /**
   * The key set in use: the one given in the options, or the last one passed to {@link setKeys}
   * (publish `keys.toJWKS()` at the JWKS endpoint; `@passport/http` does).
   */
  readonly keys: KeySet;
  /**
   * Replaces the key set at once, without a restart: tokens are signed, verified and published in
   * the JWKS with `keys` from the next call on. Keep every key that signed a token that has not
   * expired yet in the new set (as a previous, verify-only key), or those tokens stop verifying.
   * `@passport/cli`'s `startKeyReloader` calls it when the key directory changes.
   *
   * @throws PassportOptionsError when `keys` is not a {@link KeySet}.
   * @example
   * ```ts
   * passport.setKeys(passport.keys.withKey(next, { activateAt: Date.now() + 3_600_000 }));
   * ```
   */
  setKeys(keys: KeySet): void;
  /** The scope registry built from the `scopes` and `defaultScopes` options. */
  readonly scopes: ScopeRegistry;
  /** Typed event listeners: `passport.events.on('accessTokenCreated', ...)`. */
  readonly events: PassportEventEmitter;
  /**
   * The current time in milliseconds since the epoch, from the `clock` option. `@passport/http`
   * (handler, guards, approval forms, first-party cookie) reads the time here, so one clock rules
   * a whole server and a test moves it in one place.
   */
  now(): number;

  /**
   * Validates an authorization request (RFC 6749 sections 4.1.1 and 4.2.1). Throws an
   * `AuthorizationError`: when its `redirectUri` is `null` (unknown client, unregistered redirect
   * URI) show it, never redirect; otherwise redirect to `error.toRedirectUrl()`.
   */
  validateAuthorizationRequest(params: URLSearchParams): Promise<AuthorizationRequest>;
  /**
   * Whether the user must log in or consent first; honours `prompt` and `max_age`. With
   * `prompt=none` it throws an `AuthorizationError` (`login_required`, `consent_required`)
   * instead of asking.
   */
  interactionRequired(
    request: AuthorizationRequest,
    user: User | null,
    options?: InteractionOptions,
  ): Promise<'login' | 'consent' | 'none'>;
  /** Approves for `user`: the redirect URL with the code (query) or token (fragment), `state` and `iss`. */
  approveAuthorizationRequest(request: AuthorizationRequest, user: User): Promise<string>;
  /** The redirect URL with `error=access_denied`, `state` and `iss`. */
  denyAuthorizationRequest(request: AuthorizationRequest): string;

  /**
   * Answers a token request (RFC 6749 section 3.2), every enabled grant. Throws `OAuthError`;
   * store outages throw `StoreUnavailableError`.
   */
  handleTokenRequest(input: ClientAuthenticationInput): Promise<TokenResponse>;
  /** RFC 7009 revocation; unknown tokens succeed silently. */
  revoke(input: ClientAuthenticationInput): Promise<void>;
  /** RFC 7662 introspection. */
  introspect(input: ClientAuthenticationInput): Promise<IntrospectionResponse>;
  /** RFC 8628 device authorization request. */
  requestDeviceCode(input: ClientAuthenticationInput): Promise<DeviceAuthorizationResponse>;
  /**
   * The pending device request for a user code, for the verification page. With the signed-in
   * `user`, failed lookups count against the `deviceVerification` rate limit (429 when over it).
   */
  findDeviceRequest(userCode: string, user?: User): Promise<PendingDeviceRequest | null>;
  /**
   * Approves or denies a device request; `false` when none is pending for the code (a miss
   * counts against the user's `deviceVerification` rate limit).
   */
  decideDeviceRequest(userCode: string, user: User, decision: 'approve' | 'deny'): Promise<boolean>;
  /**
   * Marks the single-use value `id` used, remembered until `expiresAt`: `true` the first time,
   * `false` for every later call with the same id (also under concurrent calls: exactly one wins).
   * The approval forms of `@passport/http` spend their `auth_token` this way, so a form is
   * answered once. Prefix ids by purpose (`authorize:`, `device:`) so purposes never collide.
   *
   * @example
   * ```ts
   * if (!(await passport.useNonce(`authorize:${nonce}`, new Date(exp * 1000)))) return alreadyAnswered();
   * ```
   */
  useNonce(id: string, expiresAt: Date): Promise<boolean>;
  /**
   * One cheap read of the store (a refresh token id no one holds): resolves when the store
   * answers, rejects with `StoreUnavailableError` while it is down. For health checks, and for
   * `@passport/http`, which probes with it to tell when an outage has ended.
   *
   * @example
   * ```ts
   * const healthy = await passport.pingStore().then(() => true, () => false);
   * ```
   */
  pingStore(): Promise<void>;

  /**
   * Verifies a bearer access token (RFC 9068 section 4, RFC 6750): signature, claims and the store
   * row, and `aud` when `options.audience` is given. A live row may come from the instance's
   * read-through cache: a revocation made through this instance is refused at once, one made
   * elsewhere within the `revocationCacheSeconds` option (default 5; `0` asks the store every time).
   *
   * @throws PassportError `ERR_TOKEN_INVALID` (malformed, forged, another issuer),
   *   `ERR_TOKEN_AUDIENCE` (another audience), `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED`;
   *   `StoreUnavailableError` while the store is down.
   * @example
   * ```ts
   * const ordersApi = { audience: [webApp.id, mobileApp.id] };
   * const token = await passport.verifyAccessToken(bearer, ordersApi);
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
   */
  verifyAccessToken(token: string, options?: VerifyTokenOptions): Promise<VerifiedAccessToken>;
  /**
   * The client with this id for the bearer path (the `@passport/http` guards): like
   * `clients.find`, but a client that is not revoked may be served from the read-through cache
   * for up to `revocationCacheSeconds` (updates, revocation and deletion through this instance
   * evict it at once). Never use it to authenticate a client: the token endpoint reads the store.
   *
   * @example
   * ```ts
   * const client = await passport.findClientCached(verified.clientId);
   * if (client === null || client.revoked) throw new Error('client revoked');
   * ```
   */
  findClientCached(id: string): Promise<ClientRecord | null>;
  /** Creates a personal access token for `user` (Laravel Passport's `createToken`). */
  createPersonalAccessToken(user: User, name: string, scopes?: string[]): Promise<PersonalAccessTokenResult>;

  /** The user's live access tokens, newest first (filtered by client and kind on request). */
  listUserTokens(userId: string, options?: ListUserTokensOptions): Promise<AccessTokenRecord[]>;
  /** Revokes one of the user's tokens and its refresh tokens; `false` when it is not theirs. */
  revokeUserToken(userId: string, tokenId: string): Promise<boolean>;
  /**
   * Revokes one of the user's live personal access tokens; `false` when it is unknown, foreign,
   * not a personal access token or already revoked.
   */
  revokePersonalAccessToken(userId: string, tokenId: string): Promise<boolean>;
  /** Revokes an access token and its refresh tokens. */
  revokeAccessToken(tokenId: string): Promise<boolean>;
  /** Deletes revoked and expired rows. Defaults: revoked, expired, 168 hours. */
  purge(options?: PurgeTokensOptions): Promise<PurgeResult>;

  /** Client management: create, update, regenerate secrets, delete, find and list. */
  readonly clients: ClientService;
  /** The user provider of a client's users (`client.provider`, or `users`), or `null`. */
  userProvider(client: ClientRecord): UserProvider<User> | null;
}

/** A refresh token id (a SHA-256 in hex, as stores key them) that is never issued: what pingStore reads. */
const pingId = '0'.repeat(64);

/** The context behind each passport, for core's own unit tests. */
const contexts = new WeakMap<object, ServerContext>();

/**
 * The internal context a passport runs on (store, clock, grant settings, cache). Internal: core's
 * unit tests call grant and endpoint functions with it; nothing outside core can reach it.
 */
export function contextOf<User extends PassportUser>(passport: Passport<User>): ServerContext<User> {
  const ctx = contexts.get(passport);
  if (ctx === undefined) throw new TypeError('Not a passport made by createPassport');
  return ctx as ServerContext<User>;
}

/**
 * Creates the authorization server. Options are validated once; a mistake throws
 * `PassportOptionsError` with a message saying how to fix it.
 *
 * @example
 * ```ts
 * import { createPassport, KeySet } from '@passport/core';
 * import { MemoryStore } from '@passport/store-memory';
 *
 * const passport = createPassport({
 *   issuer: 'https://auth.example.com',
 *   store: new MemoryStore(),
 *   keys: await KeySet.generate('ES256'),
 *   scopes: { 'orders:read': 'Read your orders' },
 * });
 * const { client, plainSecret } = await passport.clients.create({
 *   name: 'Shop',
 *   redirectUris: ['https://shop.example/callback'],
 * });
 * ```
 */
export function createPassport<User extends PassportUser = PassportUser>(
  options: PassportOptions<User>,
): Passport<User> {
  const ctx = resolveOptions(options);

  const handlers: TokenGrantHandlers = {};
  if (ctx.grants.authorizationCode) handlers.authorization_code = handleAuthorizationCodeGrant;
  if (ctx.grants.refreshToken) handlers.refresh_token = handleRefreshTokenGrant;
  if (ctx.grants.clientCredentials) handlers.client_credentials = handleClientCredentialsGrant;
  if (ctx.grants.password)
    handlers.password = (_, params, client) => handlePasswordGrant(ctx, params, client);
  if (ctx.grants.deviceCode) handlers[deviceCodeGrantType] = handleDeviceCodeGrant;

  const clients = new ClientService(ctx);
  const userProviders = ctx.userProviders;
  const cache = ctx.cache;
  // Revocations made by other instances reach this cache at once when the store has a feed.
  cache.follow(options.store);
  const verifyOptions = {
    get keys() {
      return ctx.keys;
    },
    issuer: ctx.issuer,
    store: ctx.store,
    now: ctx.now,
    ...(cache.enabled ? { cache } : {}),
  };

  const passport: Passport<User> = {
    options: ctx.options,
    store: ctx.store,
    // a getter: setKeys replaces the key set on the context
    get keys() {
      return ctx.keys;
    },
    setKeys(keys) {
      if (!(keys instanceof KeySet)) {
        throw new PassportOptionsError(
          'setKeys expects a KeySet, e.g. await keySetFromPem({ active: privateKeyPem })',
        );
      }
      ctx.keys = keys;
    },
    scopes: ctx.scopes,
    events: ctx.events,
    clients,
    now: ctx.now,

    validateAuthorizationRequest: (params) => validateAuthorizationRequest(ctx, params),
    interactionRequired: (request, user, interaction) => interactionRequired(ctx, request, user, interaction),
    approveAuthorizationRequest: (request, user) => approveAuthorizationRequest(ctx, request, user),
    denyAuthorizationRequest: (request) => denyAuthorizationRequest(ctx, request),

    handleTokenRequest: (input) => handleTokenRequest(ctx, input, handlers),
    revoke: (input) => revokeToken(ctx, input),
    introspect: (input) => introspectToken(ctx, input),
    requestDeviceCode: (input) => requestDeviceAuthorization(ctx, input),
    findDeviceRequest: (userCode, user) => findDeviceRequest(ctx, userCode, user ?? null),
    decideDeviceRequest: (userCode, user, decision) => decideDeviceRequest(ctx, userCode, user, decision),
    useNonce: (id, expiresAt) => ctx.store.useNonce(id, expiresAt),
    async pingStore() {
      await ctx.store.findRefreshToken(pingId);
    },
    createPersonalAccessToken: (user, name, scopes) => createPersonalAccessToken(ctx, user, name, scopes),
    listUserTokens: (userId, listOptions) => listUserTokens(ctx, userId, listOptions),
    revokeUserToken: (userId, tokenId) => revokeUserToken(ctx, userId, tokenId),
    revokePersonalAccessToken: (userId, tokenId) => revokePersonalAccessToken(ctx, userId, tokenId),
    revokeAccessToken: (tokenId) => revokeAccessToken(ctx, tokenId),
    purge: (purgeOptions) => purgeTokens(ctx, purgeOptions),

    verifyAccessToken: (token, check) => verifyAccessToken(token, verifyOptions, check),
    async findClientCached(id) {
      if (!cache.enabled) return ctx.store.findClient(id);
      const now = ctx.now();
      return cache.client(id, now) ?? cache.loadClient(ctx.store, id, now);
    },
    userProvider: (client) => userProviders[client.provider ?? 'users'] ?? null,
  };
  contexts.set(passport, ctx as ServerContext);
  return passport;
}
