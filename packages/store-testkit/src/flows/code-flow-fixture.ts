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
} from '@passport/core';
import { expect } from 'vitest';

/**
 * A passport over the store under test, with an injected clock, for the authorization code,
 * refresh and client credentials flow suites. Only the public API of `@passport/core` is used.
 */
export interface CodeFlowFixture {
  passport: Passport;
  store: PassportStore;
  /** The injected clock (ms). */
  now(): number;
  /** Moves the injected clock forward. */
  advance(seconds: number): void;
}

let keys: Promise<KeySet> | undefined;

/** Reference instant of these suites (the store never reads a clock; core's is injected). */
export const CODE_FLOW_T0 = Date.UTC(2030, 0, 1, 0, 0, 0);
const ISSUER = 'https://auth.code-flows.example';
const REDIRECT_URI = 'https://client.flows.example/callback';

/** A fresh passport over `store` with scopes `read`, `write` and an injected clock. */
export async function codeFlowFixture(
  store: PassportStore,
  options: Partial<Omit<PassportOptions, 'store' | 'keys' | 'clock'>> = {},
): Promise<CodeFlowFixture> {
  keys ??= KeySet.generate('ES256');
  let now = CODE_FLOW_T0;
  const passport = createPassport({
    issuer: ISSUER,
    store,
    keys: await keys,
    scopes: { read: 'Read', write: 'Write' },
    clock: () => now,
    ...options,
  });
  return {
    passport,
    store,
    now: () => now,
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}

/** A unique user, so a shared database never mixes tests. */
export const uniqueUser = (): { id: string } => ({ id: `flow-user-${crypto.randomUUID()}` });

/** Creates a client through `passport.clients` (public by default). */
export async function createFlowClient(
  f: CodeFlowFixture,
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
  f: CodeFlowFixture,
  client: ClientRecord,
  user: { id: string },
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
  expect(url.searchParams.get('iss')).toBe(ISSUER);
  const code = url.searchParams.get('code');
  expect(code).toEqual(expect.any(String));
  return code ?? '';
}

/** Redeems `code` for a public client, with the PKCE verifier. */
export function redeemCode(
  f: CodeFlowFixture,
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
  f: CodeFlowFixture,
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

/** Asserts that `promise` rejects with an {@link OAuthError} whose `error` is `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error, `expected OAuthError ${code}, but the call succeeded`).not.toBeNull();
  expect(error).toBeInstanceOf(OAuthError);
  expect(error).toMatchObject({ error: code });
  return error as OAuthError;
}

/** `true` when `passport.verifyAccessToken` accepts the access token. */
export function isLive(f: CodeFlowFixture, accessToken: string): Promise<boolean> {
  return f.passport.verifyAccessToken(accessToken).then(
    () => true,
    () => false,
  );
}

/** The stored refresh token row of a token response. */
export function refreshRow(
  f: CodeFlowFixture,
  response: TokenResponse | undefined,
): Promise<RefreshTokenRecord | null> {
  return f.store.findRefreshToken(hashSecret(response?.refresh_token ?? ''));
}

/** `Authorization: Basic` per RFC 6749 2.3.1 (form-urlencoded values, then base64). */
export function basicHeader(id: string, secret: string): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${btoa(`${encode(id)}:${encode(secret)}`)}`;
}
