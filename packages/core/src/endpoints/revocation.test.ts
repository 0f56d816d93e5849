import { createMemoryStore } from '@passport/store-memory';
import { type JWTHeaderParameters, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { hashSecret } from '../internal/secrets.js';
import { KeySet } from '../keys/key-set.js';
import { createPassport } from '../passport.js';
import { signedTokenId } from './revocation.js';

const keys = await KeySet.generate('ES256');
const otherKeys = await KeySet.generate('ES256');
const alice = { id: 'user-alice', username: 'alice', password: 'pw' };

async function setup() {
  const store = createMemoryStore();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const passport = createPassport({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read' },
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
  const makeClient = async (name: string) => {
    const { client, plainSecret } = await passport.clients.create({
      name,
      grantTypes: ['password', 'refresh_token'],
    });
    const secret = plainSecret as string;
    const login = () =>
      passport.handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'password',
          client_id: client.id,
          client_secret: secret,
          username: alice.username,
          password: alice.password,
          scope: 'read',
        }),
        authorization: null,
      });
    const revoke = (fields: Record<string, string>) =>
      passport.revoke({
        params: new URLSearchParams(fields),
        authorization: `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(secret)}`)}`,
      });
    return { client, secret, login, revoke };
  };
  return { store, passport, makeClient, advance: (seconds: number) => (now += seconds * 1000) };
}

const jtiOf = (jwt: string): string =>
  (JSON.parse(atob((jwt.split('.')[1] as string).replace(/-/g, '+').replace(/_/g, '/'))) as { jti: string })
    .jti;

describe('token revocation (RFC 7009)', () => {
  it('revokes an access token (and its refresh token) by value, with or without hint', async () => {
    const { store, passport, makeClient } = await setup();
    const app = await makeClient('App');
    const revokedEvents: string[] = [];
    passport.events.on('accessTokenRevoked', ({ accessTokenId }) => void revokedEvents.push(accessTokenId));

    const first = await app.login();
    await app.revoke({ token: first.access_token, token_type_hint: 'access_token' });
    expect((await store.findAccessToken(jtiOf(first.access_token)))?.revoked).toBe(true);
    expect((await store.findRefreshToken(hashSecret(first.refresh_token as string)))?.revoked).toBe(true);
    expect(revokedEvents).toEqual([jtiOf(first.access_token)]);

    const second = await app.login();
    await app.revoke({ token: second.access_token });
    expect((await store.findAccessToken(jtiOf(second.access_token)))?.revoked).toBe(true);
  });

  it('revokes a refresh token and the access token issued with it, whatever the hint', async () => {
    const { store, makeClient } = await setup();
    const app = await makeClient('App');
    for (const hint of ['refresh_token', 'access_token', 'something_else', null]) {
      const tokens = await app.login();
      await app.revoke(
        hint === null
          ? { token: tokens.refresh_token as string }
          : { token: tokens.refresh_token as string, token_type_hint: hint },
      );
      expect((await store.findRefreshToken(hashSecret(tokens.refresh_token as string)))?.revoked).toBe(true);
      expect((await store.findAccessToken(jtiOf(tokens.access_token)))?.revoked).toBe(true);
    }
  });

  it('revokes an expired access token (signature checked, expiry not)', async () => {
    const { store, makeClient, advance } = await setup();
    const app = await makeClient('App');
    const tokens = await app.login();
    advance(7200);
    await app.revoke({ token: tokens.access_token });
    expect((await store.findAccessToken(jtiOf(tokens.access_token)))?.revoked).toBe(true);
  });

  it('succeeds silently for unknown and malformed tokens', async () => {
    const { makeClient } = await setup();
    const app = await makeClient('App');
    await expect(app.revoke({ token: 'unknown-refresh-token' })).resolves.toBeUndefined();
    await expect(app.revoke({ token: 'a.b.c' })).resolves.toBeUndefined();
    await expect(app.revoke({ token: 'x'.repeat(2000) })).resolves.toBeUndefined();
  });

  it("does not revoke another client's token but still answers success", async () => {
    const { store, makeClient } = await setup();
    const owner = await makeClient('Owner');
    const intruder = await makeClient('Intruder');
    const tokens = await owner.login();
    await expect(intruder.revoke({ token: tokens.access_token })).resolves.toBeUndefined();
    await expect(intruder.revoke({ token: tokens.refresh_token as string })).resolves.toBeUndefined();
    expect((await store.findAccessToken(jtiOf(tokens.access_token)))?.revoked).toBe(false);
    expect((await store.findRefreshToken(hashSecret(tokens.refresh_token as string)))?.revoked).toBe(false);
  });

  it('ignores a token signed by a foreign key even when its jti exists', async () => {
    const { makeClient } = await setup();
    const app = await makeClient('App');
    const tokens = await app.login();
    const jti = jtiOf(tokens.access_token);
    expect(await signedTokenId({ keys, issuer: 'https://auth.example' }, tokens.access_token)).toBe(jti);
    expect(
      await signedTokenId({ keys: otherKeys, issuer: 'https://auth.example' }, tokens.access_token),
    ).toBeNull();
    expect(await signedTokenId({ keys, issuer: 'https://other.example' }, tokens.access_token)).toBeNull();
    const [h, p] = tokens.access_token.split('.');
    expect(await signedTokenId({ keys, issuer: 'https://auth.example' }, `${h}.${p}.AAAA`)).toBeNull();
  });

  it('ignores a JWT signed by our key that is not an access token (typ), or has crit (same rules as the guard)', async () => {
    const { store, makeClient } = await setup();
    const app = await makeClient('App');
    const tokens = await app.login();
    const jti = jtiOf(tokens.access_token);
    const claims = JSON.parse(
      atob((tokens.access_token.split('.')[1] as string).replace(/-/g, '+').replace(/_/g, '/')),
    ) as JWTPayload;
    const key = keys.active;
    for (const header of [
      { alg: key.alg, kid: key.kid }, // no typ
      { alg: key.alg, kid: key.kid, typ: 'JWT' }, // an ordinary JWT, e.g. an ID token
      { alg: key.alg, kid: key.kid, typ: 'at+jwt', crit: ['urn:example:ext'], 'urn:example:ext': 1 },
    ]) {
      const other = await new SignJWT(claims)
        .setProtectedHeader(header as JWTHeaderParameters)
        .sign(key.privateKey as CryptoKey, { crit: { 'urn:example:ext': true } });
      expect(await signedTokenId({ keys, issuer: 'https://auth.example' }, other)).toBeNull();
      await app.revoke({ token: other, token_type_hint: 'access_token' });
      expect((await store.findAccessToken(jti))?.revoked).toBe(false);
    }
  });

  it('requires client authentication (invalid_client, 401) and the token parameter (invalid_request)', async () => {
    const { passport, makeClient, store } = await setup();
    const app = await makeClient('App');
    const tokens = await app.login();
    const error = await passport
      .revoke({
        params: new URLSearchParams({
          token: tokens.access_token,
          client_id: app.client.id,
          client_secret: 'wrong',
        }),
        authorization: null,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('invalid_client');
    expect((error as OAuthError).status).toBe(401);
    expect((await store.findAccessToken(jtiOf(tokens.access_token)))?.revoked).toBe(false);

    const missing = await app.revoke({}).catch((e: unknown) => e);
    expect((missing as OAuthError).error).toBe('invalid_request');
    expect((missing as OAuthError).status).toBe(400);
  });

  it('lets a public client revoke its own tokens with client_id alone, not those of others', async () => {
    const { passport, store } = await setup();
    const { client } = await passport.clients.create({
      name: 'CLI',
      confidential: false,
      grantTypes: ['password', 'refresh_token'],
    });
    const own = await passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'password',
        client_id: client.id,
        username: alice.username,
        password: alice.password,
      }),
      authorization: null,
    });
    const personal = await passport.createPersonalAccessToken(alice, 'x');
    for (const token of [own.access_token, personal.accessToken]) {
      await passport.revoke({
        params: new URLSearchParams({ token, client_id: client.id }),
        authorization: null,
      });
    }
    expect((await store.findAccessToken(jtiOf(own.access_token)))?.revoked).toBe(true);
    expect((await store.findAccessToken(personal.token.id))?.revoked).toBe(false);
  });
});
