import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { PassportOptionsError } from '../errors/passport-error.js';
import { KeySet } from '../keys/key-set.js';
import type { PassportOptions } from '../options.js';
import { createPassport } from '../passport.js';
import { personalAccessClientName } from './personal-access.js';

const keys = await KeySet.generate('ES256');
const alice = { id: 'user-alice' };

function setup(options: Partial<PassportOptions> = {}) {
  const store = createMemoryStore();
  const now = Date.parse('2026-01-01T00:00:00Z');
  const passport = createPassport({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read', write: 'Write' },
    clock: () => now,
    ...options,
  });
  return { store, passport, now };
}

describe('personal access tokens', () => {
  it('creates a named token with the personal lifetime, no refresh token, on a client created on demand', async () => {
    const { passport, store, now } = setup();
    const { accessToken, token } = await passport.createPersonalAccessToken(alice, ' CLI ', ['read']);

    expect(token).toMatchObject({
      userId: alice.id,
      name: 'CLI',
      scopes: ['read'],
      revoked: false,
      familyId: null,
    });
    expect(token.expiresAt.getTime()).toBe(now + 31_536_000 * 1000);
    expect(await store.findAccessToken(token.id)).toEqual(token);
    const verified = await passport.verifyAccessToken(accessToken);
    expect(verified.record.id).toBe(token.id);
    expect(verified.claims.exp - verified.claims.iat).toBe(31_536_000);

    const [client, ...others] = await store.listClients();
    expect(others).toEqual([]);
    expect(client).toMatchObject({
      id: token.clientId,
      name: personalAccessClientName,
      grantTypes: ['personal_access'],
      secretHash: null,
      confidential: true,
    });
  });

  it('reuses one personal access client, even for concurrent first calls', async () => {
    const { passport, store } = setup();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => passport.createPersonalAccessToken(alice, `token ${i}`)),
    );
    expect(new Set(results.map((r) => r.token.clientId)).size).toBe(1);
    await passport.createPersonalAccessToken(alice, 'later');
    expect(await store.listClients()).toHaveLength(1);
    expect(await passport.listUserTokens(alice.id)).toHaveLength(6);
  });

  it('uses the configured personalAccessClientId, and rejects one that is not a personal access client', async () => {
    const first = setup();
    const { client } = await first.passport.clients.create({
      name: 'Personal',
      grantTypes: ['personal_access'],
    });
    const configured = createPassport({
      issuer: 'https://auth.example',
      store: first.store,
      keys,
      personalAccessClientId: client.id,
    });
    const { token } = await configured.createPersonalAccessToken(alice, 'x');
    expect(token.clientId).toBe(client.id);

    const { client: web } = await first.passport.clients.create({
      name: 'Web',
      redirectUris: ['https://web.example/cb'],
    });
    const wrong = createPassport({
      issuer: 'https://auth.example',
      store: first.store,
      keys,
      personalAccessClientId: web.id,
    });
    await expect(wrong.createPersonalAccessToken(alice, 'x')).rejects.toBeInstanceOf(PassportOptionsError);
  });

  it('allows *, rejects undefined scopes (invalid_scope) and an empty name (invalid_request), storing nothing', async () => {
    const { passport } = setup();
    expect((await passport.createPersonalAccessToken(alice, 'all', ['*'])).token.scopes).toEqual(['*']);
    const scopeError = await passport
      .createPersonalAccessToken(alice, 'x', ['admin'])
      .catch((e: unknown) => e);
    expect(scopeError).toBeInstanceOf(OAuthError);
    expect((scopeError as OAuthError).error).toBe('invalid_scope');
    const nameError = await passport.createPersonalAccessToken(alice, '  ').catch((e: unknown) => e);
    expect((nameError as OAuthError).error).toBe('invalid_request');
    expect(await passport.listUserTokens(alice.id)).toHaveLength(1);
  });

  it('is never issued over the token endpoint: grant_type=personal_access is unsupported_grant_type', async () => {
    const { passport } = setup();
    const { client, plainSecret } = await passport.clients.create({
      name: 'P',
      grantTypes: ['personal_access'],
    });
    const issued: string[] = [];
    passport.events.on('accessTokenCreated', ({ accessToken }) => void issued.push(accessToken.id));
    const error = await passport
      .handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'personal_access',
          client_id: client.id,
          client_secret: plainSecret as string,
        }),
        authorization: null,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect([(error as OAuthError).error, (error as OAuthError).status]).toEqual([
      'unsupported_grant_type',
      400,
    ]);
    expect(issued).toEqual([]);
  });

  it('uses the configured personal access lifetime', async () => {
    const { passport, now } = setup({ lifetimes: { personalAccessToken: 86_400 } });
    const { token } = await passport.createPersonalAccessToken(alice, 'day');
    expect(token.expiresAt.getTime()).toBe(now + 86_400_000);
  });
});
