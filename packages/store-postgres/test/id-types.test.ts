import { createPassport, KeySet, StoreInvalidInputError } from '@passport/core';
import { makeAuthCode, makeClient, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterEach, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore } from './helpers.js';

const opened: PostgresStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await destroyStore(store);
});

const backends = {
  ...((await requireService('postgres')) ? { server: createServerStore } : {}),
  pglite: createMemoryPGliteStore,
};

describe.each(Object.entries(backends))('client id types (%s)', { timeout: 120_000 }, (_, create) => {
  it("idType 'bigint': identity ids travel as decimal strings through clients and tokens", async () => {
    const store = await create({ idType: 'bigint' });
    opened.push(store);
    const first = await store.nextClientId();
    const second = await store.nextClientId();
    expect(first).toMatch(/^\d+$/);
    expect(BigInt(second)).toBe(BigInt(first) + 1n);

    const client = makeClient({ id: first, ownerId: 'user-1' });
    await store.createClient(client);
    expect(await store.findClient(first)).toEqual(client);
    const pair = makeTokenPair({ accessToken: { clientId: first, userId: 'user-1' } });
    await store.saveTokens(pair);
    expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
    expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    expect(await store.listUserTokens('user-1', { now: new Date(), clientId: first })).toEqual([
      pair.accessToken,
    ]);
    expect(await store.revokeClientTokens(first)).toBe(2);

    const { rows } = await store.driver.query<{ type: string }>(
      `SELECT data_type AS type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'oauth_clients' AND column_name = 'id'`,
      [store.schema.schema],
    );
    expect(rows).toEqual([{ type: 'bigint' }]);
  });

  it('ids the column cannot hold: lookups answer not found, writes throw StoreInvalidInputError before any SQL', async () => {
    const store = await create({ idType: 'bigint' });
    opened.push(store);
    expect(await store.findClient('not-a-number')).toBeNull();
    expect(await store.updateClient('abc', { name: 'x', updatedAt: new Date() })).toBeNull();
    expect(await store.deleteClient('abc')).toBe(false);
    expect(await store.revokeClientTokens('abc')).toBe(0);
    expect(await store.listUserTokens('user-1', { now: new Date(), clientId: 'abc' })).toEqual([]);
    const error = await store.createClient(makeClient({ id: 'abc' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreInvalidInputError);
    expect((error as StoreInvalidInputError).code).toBe('ERR_STORE_INVALID_INPUT');
    await expect(store.saveAuthCode(makeAuthCode({ clientId: crypto.randomUUID() }))).rejects.toMatchObject({
      code: 'ERR_STORE_INVALID_INPUT',
    });

    const uuidStore = await create();
    opened.push(uuidStore);
    expect(await uuidStore.findClient('42')).toBeNull();
    expect(await uuidStore.nextClientId()).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("idType 'text' accepts any string id", async () => {
    const store = await create({ idType: 'text' });
    opened.push(store);
    const client = makeClient({ id: 'my-app' });
    await store.createClient(client);
    expect(await store.findClient('my-app')).toEqual(client);
  });

  it("idType 'bigint' end to end: passport.clients.create takes ids from the store's identity", async () => {
    const store = await create({ idType: 'bigint' });
    opened.push(store);
    const passport = createPassport({
      issuer: 'https://auth.example.test',
      store,
      keys: await KeySet.generate('ES256'),
    });
    const { client, plainSecret } = await passport.clients.create({
      name: 'Integer id client',
      grantTypes: ['client_credentials'],
    });
    expect(client.id).toMatch(/^\d+$/);
    expect(await store.findClient(client.id)).toEqual(client);
    const response = await passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: plainSecret ?? '',
      }),
      authorization: null,
    });
    expect((await passport.verifyAccessToken(response.access_token)).clientId).toBe(client.id);
  });
});

describe.each(Object.entries(backends))(
  'values a write cannot hold (%s)',
  { timeout: 120_000 },
  (_, create) => {
    it('a NUL byte in a text value is StoreInvalidInputError (SQLSTATE 22021), never a raw driver error', async () => {
      const store = await create();
      opened.push(store);
      const invalid = async (write: Promise<unknown>) => {
        const error = await write.then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreInvalidInputError);
        expect(error).toMatchObject({ code: 'ERR_STORE_INVALID_INPUT' });
      };
      await invalid(store.createClient(makeClient({ name: 'app\u0000' })));
      await invalid(store.saveTokens(makeTokenPair({ accessToken: { userId: 'user\u0000' } })));
      await invalid(store.useNonce('nonce\u0000', new Date()));
      await invalid(store.hitRateLimit('key\u0000', 1000, new Date()));
      // Nothing was written, and the store keeps working.
      expect(await store.listClients()).toEqual([]);
      expect(await store.useNonce('nonce', new Date())).toBe(true);
    });
  },
);
