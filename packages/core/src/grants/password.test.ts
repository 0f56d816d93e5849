import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { PassportOptionsError } from '../errors/passport-error.js';
import { hashSecret } from '../internal/secrets.js';
import { KeySet } from '../keys/key-set.js';
import type { PassportOptions, UserProvider } from '../options.js';
import { createPassport } from '../passport.js';
import type { GrantType } from '../stores/records.js';

interface TestUser {
  id: string;
  username: string;
  password: string;
}

const alice: TestUser = { id: 'user-alice', username: 'alice@example.com', password: 'correct horse' };
const admin: TestUser = { id: 'admin-1', username: 'root', password: 'toor' };

function provider(users: TestUser[]): UserProvider<TestUser> {
  return {
    findById: async (id) => users.find((u) => u.id === id) ?? null,
    findForPassport: async (username) => users.find((u) => u.username === username) ?? null,
    validateForPassportPasswordGrant: async (user, password) => user.password === password,
  };
}

const keys = await KeySet.generate('ES256');

async function setup(options: Partial<PassportOptions<TestUser>> = {}, grantTypes?: GrantType[]) {
  const store = createMemoryStore();
  const passport = createPassport<TestUser>({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read', write: 'Write' },
    grants: { password: true },
    userProviders: { users: provider([alice]), admins: provider([admin]) },
    ...options,
  });
  const { client, plainSecret } = await passport.clients.create({
    name: 'First party app',
    grantTypes: grantTypes ?? ['password', 'refresh_token'],
  });
  const request = (fields: Record<string, string>, clientId = client.id, secret = plainSecret as string) =>
    passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'password',
        client_id: clientId,
        client_secret: secret,
        ...fields,
      }),
      authorization: null,
    });
  return { store, passport, client, plainSecret, request };
}

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe('password grant', () => {
  it('is unsupported_grant_type (400) when not enabled, and stores no token', async () => {
    const { request, store, passport } = await setup({ grants: {} });
    const error = await oauthError(request({ username: alice.username, password: alice.password }));
    expect(error.error).toBe('unsupported_grant_type');
    expect(error.status).toBe(400);
    expect(await passport.listUserTokens(alice.id)).toEqual([]);
    expect(await store.listUserTokens(alice.id, { now: new Date() })).toEqual([]);
  });

  it('issues an access token and a refresh token for valid credentials', async () => {
    const { request, passport, store, client } = await setup();
    const response = await request({ username: alice.username, password: alice.password, scope: 'read' });
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read' });
    expect(response.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const verified = await passport.verifyAccessToken(response.access_token);
    expect(verified).toMatchObject({ userId: alice.id, clientId: client.id, scopes: ['read'] });
    const refresh = await store.findRefreshToken(hashSecret(response.refresh_token as string));
    expect(refresh).toMatchObject({ accessTokenId: verified.record.id, userId: alice.id, revoked: false });
  });

  it('issues no refresh token when the client may not use the refresh grant', async () => {
    const { request } = await setup({}, ['password']);
    const response = await request({ username: alice.username, password: alice.password });
    expect(response.refresh_token).toBeUndefined();
  });

  it('allows the * scope', async () => {
    const { request, passport } = await setup();
    const response = await request({ username: alice.username, password: alice.password, scope: '*' });
    expect((await passport.verifyAccessToken(response.access_token)).scopes).toEqual(['*']);
  });

  it.each([
    ['an unknown user', { username: 'mallory', password: 'x' }],
    ['a wrong password', { username: alice.username, password: 'wrong' }],
  ])('answers invalid_grant (400) for %s and stores nothing', async (_, fields) => {
    const { request, passport } = await setup();
    const error = await oauthError(request(fields));
    expect(error.error).toBe('invalid_grant');
    expect(error.status).toBe(400);
    expect(error.errorDescription).toBe('The user credentials were incorrect');
    expect(await passport.listUserTokens(alice.id)).toEqual([]);
  });

  it.each([
    ['username', { password: alice.password }],
    ['password', { username: alice.username }],
    ['password', { username: alice.username, password: '' }],
  ])('answers invalid_request (400) without %s', async (missing, fields) => {
    const { request } = await setup();
    const error = await oauthError(request(fields));
    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    expect(error.errorDescription).toContain(missing);
  });

  it("looks users up in the client's provider", async () => {
    const { passport } = await setup();
    const { client, plainSecret } = await passport.clients.create({
      name: 'Admin console',
      grantTypes: ['password'],
      provider: 'admins',
    });
    const params = (username: string, password: string) =>
      new URLSearchParams({
        grant_type: 'password',
        client_id: client.id,
        client_secret: plainSecret as string,
        username,
        password,
      });
    const ok = await passport.handleTokenRequest({ params: params('root', 'toor'), authorization: null });
    expect((await passport.verifyAccessToken(ok.access_token)).userId).toBe(admin.id);
    const error = await oauthError(
      passport.handleTokenRequest({ params: params(alice.username, alice.password), authorization: null }),
    );
    expect(error.error).toBe('invalid_grant');
  });

  it('refuses at createPassport a password grant without a provider that has both of its hooks', async () => {
    const byId: UserProvider<TestUser> = { findById: async () => alice };
    const refusal = (userProviders: PassportOptions<TestUser>['userProviders']) => {
      try {
        createPassport<TestUser>({
          issuer: 'https://auth.example',
          store: createMemoryStore(),
          keys,
          grants: { password: true },
          ...(userProviders === undefined ? {} : { userProviders }),
        });
      } catch (error) {
        expect(error).toBeInstanceOf(PassportOptionsError);
        return (error as PassportOptionsError).message;
      }
      throw new Error('createPassport accepted the configuration');
    };
    for (const providers of [undefined, {}, { users: byId }]) {
      const message = refusal(providers);
      expect(message).toContain(
        'grants.password needs a user provider with findForPassport and validateForPassportPasswordGrant',
      );
    }
    const findOnly = { ...byId, findForPassport: async () => alice };
    expect(refusal({ users: findOnly })).toContain(
      'userProviders.users lacks validateForPassportPasswordGrant, which the password grant needs',
    );
    // one hook alone is a mistake even with the grant off
    expect(() =>
      createPassport<TestUser>({
        issuer: 'https://auth.example',
        store: createMemoryStore(),
        keys,
        userProviders: { users: findOnly },
      }),
    ).toThrow('userProviders.users lacks validateForPassportPasswordGrant');
    const checkOnly = { ...byId, validateForPassportPasswordGrant: async () => true };
    expect(refusal({ users: provider([alice]), admins: checkOnly })).toContain(
      'userProviders.admins lacks findForPassport',
    );
    // the grant switched off needs no hooks
    expect(
      createPassport<TestUser>({
        issuer: 'https://auth.example',
        store: createMemoryStore(),
        keys,
        userProviders: { users: byId },
      }).options.grants.password,
    ).toBe(false);
  });

  it("answers unauthorized_client when the client's provider has no password hooks, and issues nothing", async () => {
    const byId: UserProvider<TestUser> = { findById: async (id) => (id === admin.id ? admin : null) };
    const { passport } = await setup({ userProviders: { users: provider([alice]), admins: byId } });
    const { client, plainSecret } = await passport.clients.create({
      name: 'Admin console',
      grantTypes: ['password'],
      provider: 'admins',
    });
    const error = await oauthError(
      passport.handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'password',
          client_id: client.id,
          client_secret: plainSecret as string,
          username: admin.username,
          password: admin.password,
        }),
        authorization: null,
      }),
    );
    expect(error.error).toBe('unauthorized_client');
    expect(error.errorDescription).toContain('"admins" has no password login');
    expect(await passport.listUserTokens(admin.id)).toEqual([]);
  });

  it('answers server_error (500) when the client names a provider that is not configured', async () => {
    const { passport } = await setup();
    const { client, plainSecret } = await passport.clients.create({
      name: 'Orphan',
      grantTypes: ['password'],
      provider: 'nobody',
    });
    const error = await oauthError(
      passport.handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'password',
          client_id: client.id,
          client_secret: plainSecret as string,
          username: 'root',
          password: 'toor',
        }),
        authorization: null,
      }),
    );
    expect(error.error).toBe('server_error');
    expect(error.status).toBe(500);
  });

  it('answers unauthorized_client when the client may not use the password grant', async () => {
    const { passport } = await setup();
    const { client, plainSecret } = await passport.clients.create({
      name: 'Web',
      redirectUris: ['https://web.example/cb'],
    });
    const error = await oauthError(
      passport.handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'password',
          client_id: client.id,
          client_secret: plainSecret as string,
          username: alice.username,
          password: alice.password,
        }),
        authorization: null,
      }),
    );
    expect(error.error).toBe('unauthorized_client');
  });

  it('answers invalid_scope for an undefined scope', async () => {
    const { request } = await setup();
    const error = await oauthError(
      request({ username: alice.username, password: alice.password, scope: 'admin' }),
    );
    expect(error.error).toBe('invalid_scope');
    expect(error.status).toBe(400);
  });
});
