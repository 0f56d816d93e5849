import { PassportError } from '@passport/core';
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

  it('ids the column cannot hold: lookups answer not found, writes throw ERR_VALIDATION before any SQL', async () => {
    const store = await create({ idType: 'bigint' });
    opened.push(store);
    expect(await store.findClient('not-a-number')).toBeNull();
    expect(await store.updateClient('abc', { name: 'x', updatedAt: new Date() })).toBeNull();
    expect(await store.deleteClient('abc')).toBe(false);
    expect(await store.revokeClientTokens('abc')).toBe(0);
    expect(await store.listUserTokens('user-1', { now: new Date(), clientId: 'abc' })).toEqual([]);
    const error = await store.createClient(makeClient({ id: 'abc' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PassportError);
    expect((error as PassportError).code).toBe('ERR_VALIDATION');
    await expect(store.saveAuthCode(makeAuthCode({ clientId: crypto.randomUUID() }))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
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
});
