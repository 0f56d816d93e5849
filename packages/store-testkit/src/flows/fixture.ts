import {
  type ClientRecord,
  computeS256Challenge,
  createPassport,
  type GrantType,
  hashSecret,
  KeySet,
  OAuthError,
  type Passport,
  type PassportOptions,
  type PassportStore,
  type RefreshTokenRecord,
  type TokenResponse,
  type UserProvider,
} from '@passport/core';
import { expect } from 'vitest';

/**
 * The one harness of the flow suites: a `Passport` over the store under test with a movable
 * clock, users, clients, and helpers that run a step of a flow or assert an OAuth error. Uses only
 * `@passport/core`'s public API, as a store's own users would.
 *
 * @module
 */

/** A user of the flow suites' user providers. */
export interface FlowUser {
  id: string;
  username: string;
  password: string;
}

/** Alice and Bob, known to the default `users` provider. */
export const flowUsers = {
  alice: { id: 'flow-user-alice', username: 'alice@example.com', password: 'correct horse battery' },
  bob: { id: 'flow-user-bob', username: 'bob@example.com', password: 'hunter2 hunter2' },
} as const satisfies Record<string, FlowUser>;

/** Administrators, known only to the `admins` provider. */
export const flowAdmins = {
  root: { id: 'flow-admin-root', username: 'root', password: 'toor toor' },
} as const satisfies Record<string, FlowUser>;

/** A user of its own, so tests sharing one database never see each other's tokens. */
export function uniqueUser(): FlowUser {
  const id = `flow-user-${crypto.randomUUID()}`;
  return { id, username: id, password: 'not used' };
}

/** The issuer every flow passport uses. */
export const FLOW_ISSUER = 'https://auth.flows.example';

/** The device authorization grant's `grant_type` (RFC 8628 section 3.4). */
export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT_URI = 'https://client.flows.example/callback';

function userProvider(users: readonly FlowUser[]): UserProvider<FlowUser> {
  return {
    findById: async (id) => users.find((user) => user.id === id) ?? null,
    findForPassport: async (username) => users.find((user) => user.username === username) ?? null,
    validateForPassportPasswordGrant: async (user, password) => user.password === password,
  };
}

let sharedKeys: Promise<KeySet> | undefined;

/** One ES256 key set for every flow test (generating keys is not what the flows test). */
function flowKeys(): Promise<KeySet> {
  sharedKeys ??= KeySet.generate('ES256');
  return sharedKeys;
}

/** What {@link createFlowPassport} returns. */
export interface FlowPassport {
  passport: Passport<FlowUser>;
  store: PassportStore;
  /** The injected clock's current time (ms). */
  now: () => number;
  /** Moves the injected clock forward. */
  advance: (seconds: number) => void;
}

/**
 * A `Passport` over `store` with scopes `read` and `write`, the `users` and `admins` providers,
 * and a clock that starts at the real current time (so stores that index by time see plausible
 * dates) and only moves when told.
 */
export async function createFlowPassport(
  store: PassportStore,
  options: Partial<Omit<PassportOptions<FlowUser>, 'store' | 'keys' | 'clock'>> = {},
): Promise<FlowPassport> {
  let now = Math.floor(Date.now() / 1000) * 1000;
  const passport = createPassport<FlowUser>({
    issuer: FLOW_ISSUER,
    store,
    keys: await flowKeys(),
    scopes: { read: 'Read your data', write: 'Change your data' },
    clock: () => now,
    userProviders: {
      users: userProvider(Object.values(flowUsers)),
      admins: userProvider(Object.values(flowAdmins)),
    },
    ...options,
  });
  return { passport, store, now: () => now, advance: (seconds) => (now += seconds * 1000) };
}

/** Creates a client with a redirect URI through `passport.clients` (public by default). */
export async function createFlowClient(
  f: FlowPassport,
  options: { confidential?: boolean; grantTypes?: GrantType[] } = {},
): Promise<{ client: ClientRecord; secret: string | null }> {
  const { client, plainSecret } = await f.passport.clients.create({
    name: 'Flow client',
    redirectUris: [REDIRECT_URI],
    grantTypes: options.grantTypes ?? ['authorization_code', 'refresh_token'],
    confidential: options.confidential ?? false,
  });
  return { client, secret: plainSecret };
}

/** A valid PKCE verifier and its S256 challenge. */
export const FLOW_VERIFIER = 'flow-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
export const FLOW_CHALLENGE = computeS256Challenge(FLOW_VERIFIER);

/** Authorize then approve for `user`; returns the code from the redirect (checks `state` and `iss`). */
export async function authorizeCode(
  f: FlowPassport,
  client: ClientRecord,
  user: FlowUser,
  scope = 'read',
): Promise<string> {
  const request = await f.passport.validateAuthorizationRequest(
    new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: REDIRECT_URI,
      scope,
      state: 'flow-state',
      code_challenge: FLOW_CHALLENGE,
      code_challenge_method: 'S256',
    }),
  );
  const url = new URL(await f.passport.approveAuthorizationRequest(request, user));
  expect(url.searchParams.get('state')).toBe('flow-state');
  expect(url.searchParams.get('iss')).toBe(FLOW_ISSUER);
  const code = url.searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code ?? '';
}

/** Redeems `code` for a public client, with the PKCE verifier. */
export function redeemCode(
  f: FlowPassport,
  client: ClientRecord,
  code: string,
  verifier = FLOW_VERIFIER,
): Promise<TokenResponse> {
  return f.passport.handleTokenRequest({
    params: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: client.id,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
    authorization: null,
  });
}

/** A refresh request for a public client. */
export function refreshWith(
  f: FlowPassport,
  client: ClientRecord,
  refreshToken: string,
  scope?: string,
): Promise<TokenResponse> {
  const params = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: client.id,
    refresh_token: refreshToken,
  });
  if (scope !== undefined) params.set('scope', scope);
  return f.passport.handleTokenRequest({ params, authorization: null });
}

/** A token request with the client's credentials in the body. */
export function tokenRequest(
  passport: Passport<FlowUser>,
  client: { id: string; secret: string | null },
  fields: Record<string, string>,
): Promise<TokenResponse> {
  const params = new URLSearchParams({ client_id: client.id, ...fields });
  if (client.secret !== null) params.set('client_secret', client.secret);
  return passport.handleTokenRequest({ params, authorization: null });
}

/** `Authorization: Basic` for a client, form-encoding id and secret first (RFC 6749 2.3.1). */
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(clientId)}:${encode(secret)}`)}`;
}

/**
 * Awaits `promise`, expecting an {@link OAuthError} with `error` (and `status` when given);
 * returns it.
 */
export async function expectOAuthError(
  promise: Promise<unknown>,
  error: OAuthError['error'],
  status?: number,
): Promise<OAuthError> {
  const reason = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(reason, `expected OAuthError ${error}, but the call succeeded`).not.toBeNull();
  expect(reason).toBeInstanceOf(OAuthError);
  expect(reason).toMatchObject(status === undefined ? { error } : { error, status });
  return reason as OAuthError;
}

/** `true` when `passport.verifyAccessToken` accepts the access token. */
export function isLive(f: FlowPassport, accessToken: string): Promise<boolean> {
  return f.passport.verifyAccessToken(accessToken).then(
    () => true,
    () => false,
  );
}

/** The stored refresh token row of a token response. */
export function refreshRow(
  f: FlowPassport,
  response: TokenResponse | undefined,
): Promise<RefreshTokenRecord | null> {
  return f.store.findRefreshToken(hashSecret(response?.refresh_token ?? ''));
}

/** The `jti` of an access token, read from its payload (no verification: for assertions only). */
export function jtiOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return (JSON.parse(json) as { jti: string }).jti;
}
