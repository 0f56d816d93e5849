import { describe, expect, it } from 'vitest';
import { ISSUER, makeClient, setup } from '../test/grants-harness.js';
import { PassportOptionsError } from './errors/passport-error.js';
import { createPassport } from './passport.js';

describe('createPassport', () => {
  it('exposes the resolved options, store, keys, scopes and events', async () => {
    const h = await setup();
    expect(h.passport.store).toBe(h.store);
    expect(h.passport.options.issuer).toBe(ISSUER);
    expect(h.passport.keys).toBe(h.passport.options.keys);
    expect(h.passport.scopes.hasScope('read')).toBe(true);
    const seen: string[] = [];
    h.passport.events.on('clientCreated', ({ client }) => {
      seen.push(client.id);
    });
    const { client } = await makeClient(h);
    expect(seen).toEqual([client.id]);
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
