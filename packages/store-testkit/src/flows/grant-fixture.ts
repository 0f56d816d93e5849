import {
  createPassport,
  KeySet,
  OAuthError,
  type Passport,
  type PassportOptions,
  type PassportStore,
  type TokenResponse,
  type UserProvider,
} from '@passport/core';
import { expect } from 'vitest';

/**
 * A small harness for the password, device, revocation, introspection and personal-access flow
 * suites: a `Passport` over the store under test, a movable clock, users, and helpers that assert
 * OAuth errors. Uses only `@passport/core`'s public API.
 *
 * @module
 */

/** A user of the flow suites' user provider. */
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

/** The issuer every flow passport uses. */
export const FLOW_ISSUER = 'https://auth.flows.example';

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
  options: Partial<PassportOptions<FlowUser>> = {},
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

/** Awaits `promise`, expecting an {@link OAuthError} with `error` and `status`; returns it. */
export async function expectOAuthError(
  promise: Promise<unknown>,
  error: OAuthError['error'],
  status: number,
): Promise<OAuthError> {
  const reason = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(reason, `expected OAuthError ${error}, but the call succeeded`).not.toBeNull();
  expect(reason).toBeInstanceOf(OAuthError);
  expect(reason).toMatchObject({ error, status });
  return reason as OAuthError;
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

/** The `jti` of an access token, read from its payload (no verification: for assertions only). */
export function jtiOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return (JSON.parse(json) as { jti: string }).jti;
}
