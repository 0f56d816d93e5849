import { describe, expect, it } from 'vitest';
import { basic, ISSUER, makeClient, setup } from '../test/grants-harness.js';
import { PassportOptionsError } from './errors/passport-error.js';
import { createPassport } from './passport.js';

describe('createPassport', () => {
  it('exposes the resolved options, store, keys, scopes, events and clock', async () => {
    const h = await setup();
    // the store the facade uses: the given one behind the read-through cache
    expect(h.passport.store).toBe(h.ctx.store);
    expect(h.passport.store).not.toBe(h.store);
    expect(h.passport.options.issuer).toBe(ISSUER);
    expect(h.passport.keys).toBe(h.ctx.keys);
    expect(h.passport.now()).toBe(h.now());
    h.advance(60);
    expect(h.passport.now()).toBe(h.now());
    expect(h.passport.scopes.hasScope('read')).toBe(true);
    const seen: string[] = [];
    h.passport.events.on('clientCreated', ({ client }) => {
      seen.push(client.id);
    });
    const { client } = await makeClient(h);
    expect(seen).toEqual([client.id]);
  });

  it('evicts the read-through cache when a token is revoked through passport.store', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const { access_token } = await h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials' }),
      authorization: basic(client.id, secret ?? ''),
    });
    const verified = await h.passport.verifyAccessToken(access_token); // now cached as live
    await h.passport.store.revokeAccessToken(verified.record.id);
    await expect(h.passport.verifyAccessToken(access_token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('verifies aud against the audience option: one client id or a list', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const { access_token: token } = await h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials' }),
      authorization: basic(client.id, secret ?? ''),
    });
    expect((await h.passport.verifyAccessToken(token, { audience: client.id })).clientId).toBe(client.id);
    expect((await h.passport.verifyAccessToken(token, { audience: ['x', client.id] })).clientId).toBe(
      client.id,
    );
    await expect(
      h.passport.verifyAccessToken(token, { audience: ['another-api-client'] }),
    ).rejects.toMatchObject({
      code: 'ERR_TOKEN_AUDIENCE',
      message: 'The access token is meant for another audience',
    });
    // no audience: aud is not checked
    expect((await h.passport.verifyAccessToken(token, {})).clientId).toBe(client.id);
    expect((await h.passport.verifyAccessToken(token)).clientId).toBe(client.id);
  });

  it('spends a nonce once: the first useNonce is true, every later one false', async () => {
    const h = await setup();
    const expiresAt = new Date(h.now() + 600_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.passport.useNonce('authorize:n1', expiresAt)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await h.passport.useNonce('authorize:n1', expiresAt)).toBe(false);
    expect(await h.passport.useNonce('device:n1', expiresAt)).toBe(true);
  });

  it('picks the user provider of the client (null provider = "users")', async () => {
    const users = { findById: async (id: string) => ({ id }) };
    const admins = { findById: async (id: string) => ({ id: `admin-${id}` }) };
    const h = await setup({ userProviders: { users, admins } });
    const { client } = await makeClient(h);
    expect(h.passport.userProvider(client)).toBe(users);
    expect(h.passport.userProvider({ ...client, provider: 'admins' })).toBe(admins);
    expect(h.passport.userProvider({ ...client, provider: 'nobody' })).toBeNull();
  });

  it('rejects invalid options at construction with PassportOptionsError', async () => {
    const h = await setup();
    expect(() => createPassport({ issuer: 'not a url', store: h.store, keys: h.passport.keys })).toThrow(
      PassportOptionsError,
    );
  });

  it('leaves disabled grants unsupported at the token endpoint', async () => {
    const h = await setup({ grants: { clientCredentials: false } });
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    await expect(
      h.passport.handleTokenRequest({
        params: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.id,
          client_secret: secret ?? '',
        }),
        authorization: null,
      }),
    ).rejects.toMatchObject({ error: 'unsupported_grant_type' });
  });
});
