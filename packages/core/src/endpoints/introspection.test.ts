import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { KeySet } from '../keys/key-set.js';
import { createPassport } from '../passport.js';

const keys = await KeySet.generate('ES256');
const alice = { id: 'user-alice', username: 'alice', password: 'pw' };
const issuer = 'https://auth.example';

async function setup() {
  const store = createMemoryStore();
  const start = Date.parse('2026-01-01T00:00:00Z');
  let now = start;
  const passport = createPassport({
    issuer,
    store,
    keys,
    scopes: { read: 'Read', write: 'Write' },
    clock: () => now,
    grants: { password: true },
    userProviders: {
      users: {
        findById: async (id) => (id === alice.id ? alice : null),
        findForPassport: async (username) => (username === alice.username ? alice : null),
        validateForPassportPasswordGrant: async (_user, password) => password === alice.password,
      },
    },
  });
  const { client: app, plainSecret: appSecret } = await passport.clients.create({
    name: 'App',
    grantTypes: ['password', 'refresh_token'],
  });
  const { client: api, plainSecret: apiSecret } = await passport.clients.create({
    name: 'Resource server',
    grantTypes: ['client_credentials'],
    resourceServer: true,
  });
  const { client: other, plainSecret: otherSecret } = await passport.clients.create({
    name: 'Another client',
    grantTypes: ['client_credentials'],
  });
  const login = () =>
    passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'password',
        client_id: app.id,
        client_secret: appSecret as string,
        username: alice.username,
        password: alice.password,
        scope: 'read write',
      }),
      authorization: null,
    });
  const introspectAs = (clientId: string, secret: string, fields: Record<string, string>) =>
    passport.introspect({
      params: new URLSearchParams({ ...fields, client_id: clientId, client_secret: secret }),
      authorization: null,
    });
  return {
    store,
    passport,
    app,
    appSecret: appSecret as string,
    api,
    login,
    start,
    byApi: (fields: Record<string, string>) => introspectAs(api.id, apiSecret as string, fields),
    byApp: (fields: Record<string, string>) => introspectAs(app.id, appSecret as string, fields),
    byOther: (fields: Record<string, string>) => introspectAs(other.id, otherSecret as string, fields),
    other,
    advance: (seconds: number) => (now += seconds * 1000),
  };
}

describe('token introspection (RFC 7662)', () => {
  it('shows an access token only to its own client and to resource servers: anyone else gets active false', async () => {
    const { login, byApi, byApp, byOther, passport, other } = await setup();
    const tokens = await login();
    expect(await byApp({ token: tokens.access_token })).toMatchObject({ active: true, username: 'alice' });
    expect(await byApi({ token: tokens.access_token })).toMatchObject({ active: true, username: 'alice' });
    // A confidential client that is neither learns nothing: not the user, not even that it exists.
    expect(await byOther({ token: tokens.access_token })).toEqual({ active: false });
    expect(await byOther({ token: tokens.refresh_token as string })).toEqual({ active: false });
    // An administrator makes it a resource server: from then on it sees the token.
    await passport.clients.update(other.id, { resourceServer: true });
    expect(await byOther({ token: tokens.access_token })).toMatchObject({ active: true, sub: alice.id });
    // A resource server still never sees another client's refresh token.
    expect(await byOther({ token: tokens.refresh_token as string })).toEqual({ active: false });
  });

  it('describes a live access token to a resource server', async () => {
    const { login, byApi, app, start } = await setup();
    const tokens = await login();
    const result = await byApi({ token: tokens.access_token });
    const iat = Math.floor(start / 1000);
    expect(result).toEqual({
      active: true,
      scope: 'read write',
      client_id: app.id,
      sub: alice.id,
      token_type: 'Bearer',
      exp: iat + 3600,
      iat,
      nbf: iat,
      aud: app.id,
      iss: issuer,
      jti: expect.any(String),
      username: 'alice',
    });
  });

  it('describes a live refresh token to its own client only', async () => {
    const { login, byApi, byApp, app, start } = await setup();
    const tokens = await login();
    const refresh = tokens.refresh_token as string;
    const iat = Math.floor(start / 1000);
    expect(await byApp({ token: refresh, token_type_hint: 'refresh_token' })).toEqual({
      active: true,
      scope: 'read write',
      client_id: app.id,
      sub: alice.id,
      token_type: 'refresh_token',
      exp: iat + 2_592_000,
      iat,
      iss: issuer,
      username: 'alice',
    });
    expect(await byApp({ token: refresh })).toMatchObject({ active: true, token_type: 'refresh_token' });
    expect(await byApi({ token: refresh })).toEqual({ active: false });
  });

  it('answers active false for unknown, malformed, expired and revoked tokens', async () => {
    const { login, byApi, byApp, passport, advance } = await setup();
    expect(await byApi({ token: 'unknown' })).toEqual({ active: false });
    expect(await byApi({ token: 'a.b.c' })).toEqual({ active: false });
    expect(await byApi({ token: 'not even close..' })).toEqual({ active: false });

    const revoked = await login();
    expect(await byApi({ token: revoked.access_token })).toMatchObject({ active: true });
    const jti = (await passport.verifyAccessToken(revoked.access_token)).record.id;
    await passport.revokeAccessToken(jti);
    expect(await byApi({ token: revoked.access_token })).toEqual({ active: false });
    expect(await byApp({ token: revoked.refresh_token as string })).toEqual({ active: false });

    const expiring = await login();
    advance(3601);
    expect(await byApi({ token: expiring.access_token })).toEqual({ active: false });
    expect(await byApp({ token: expiring.refresh_token as string })).toMatchObject({ active: true });
    advance(2_592_000);
    expect(await byApp({ token: expiring.refresh_token as string })).toEqual({ active: false });
  });

  it('answers active false for a rotated refresh token and for tokens of a deleted client', async () => {
    const { login, byApi, byApp, passport, app, appSecret } = await setup();
    const tokens = await login();
    const rotated = tokens.refresh_token as string;
    expect(await byApp({ token: rotated })).toMatchObject({ active: true });
    const refreshed = await passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rotated }),
      authorization: `Basic ${btoa(`${app.id}:${appSecret}`)}`,
    });
    expect(await byApp({ token: rotated })).toEqual({ active: false });
    expect(await byApp({ token: refreshed.refresh_token as string })).toMatchObject({ active: true });
    expect(await byApi({ token: refreshed.access_token })).toMatchObject({ active: true });
    await passport.clients.delete(app.id);
    expect(await byApi({ token: refreshed.access_token })).toEqual({ active: false });
  });

  it('requires a confidential client (invalid_client, 401) and the token parameter (invalid_request)', async () => {
    const { passport, login, byApi } = await setup();
    const tokens = await login();
    const { client: spa } = await passport.clients.create({
      name: 'SPA',
      confidential: false,
      redirectUris: ['https://spa.example/cb'],
    });
    const error = await passport
      .introspect({
        params: new URLSearchParams({ token: tokens.access_token, client_id: spa.id }),
        authorization: null,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect([(error as OAuthError).error, (error as OAuthError).status]).toEqual(['invalid_client', 401]);

    const missing = await byApi({}).catch((e: unknown) => e);
    expect([(missing as OAuthError).error, (missing as OAuthError).status]).toEqual(['invalid_request', 400]);
  });

  it("reads a client's own token with one store read of the token row, and another client's token's client from the store", async () => {
    const { login, byApp, byApi, store } = await setup();
    const tokens = await login();
    const calls: string[] = [];
    for (const method of ['findClient', 'findAccessToken', 'findRefreshToken'] as const) {
      const original = store[method].bind(store) as (id: string) => Promise<unknown>;
      (store as unknown as Record<string, unknown>)[method] = (id: string) => {
        calls.push(method);
        return original(id);
      };
    }
    // Warm the client cache, as any earlier request of the client would.
    await byApp({ token: tokens.access_token });
    calls.length = 0;
    expect(await byApp({ token: tokens.access_token })).toMatchObject({ active: true, username: 'alice' });
    expect(calls).toEqual(['findAccessToken']);
    calls.length = 0;
    await byApi({ token: tokens.access_token });
    calls.length = 0;
    // A resource server asking about another client's token: that client's row is read fresh.
    expect(await byApi({ token: tokens.access_token })).toMatchObject({ active: true });
    expect(calls).toEqual(['findAccessToken', 'findClient']);
  });
});
