import { StoreUnavailableError } from '@passport/core';
import { makeAuthCode, makeClient, makeDeviceCode, makeTokenPair } from '@passport/store-testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, MemoryStore } from './index.js';

const now = new Date('2030-01-01T00:00:00.000Z');

describe('MemoryStore (beyond the conformance kit)', () => {
  it('createMemoryStore returns an empty MemoryStore', async () => {
    const store = createMemoryStore();
    expect(store).toBeInstanceOf(MemoryStore);
    expect(await store.listClients()).toEqual([]);
  });

  it('simulateOutage makes every method reject with StoreUnavailableError until endOutage', async () => {
    const store = new MemoryStore();
    const client = makeClient();
    await store.createClient(client);
    store.simulateOutage();
    expect(store.available).toBe(false);
    await expect(store.findClient(client.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.useNonce('n', now)).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    await expect(
      store.purge({ revoked: true, expiredBefore: null, revokedClientsBefore: null, now }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.saveTokens(makeTokenPair())).rejects.toThrow(/Simulated outage.*saveTokens/);
    await expect(store.close()).resolves.toBeUndefined(); // teardown still works
    store.endOutage();
    expect(store.available).toBe(true);
    expect(await store.findClient(client.id)).toEqual(client);
  });

  it('simulateOutage can target single methods; a failed saveTokens stores nothing', async () => {
    const store = new MemoryStore();
    const pair = makeTokenPair();
    store.simulateOutage({ methods: ['saveTokens'], message: 'primary down' });
    await expect(store.saveTokens(pair)).rejects.toThrow('primary down (saveTokens)');
    expect(await store.findAccessToken(pair.accessToken.id)).toBeNull();
    expect(await store.findRefreshToken(pair.refreshToken.id)).toBeNull();
    store.endOutage();
    await store.saveTokens(pair);
    expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
  });

  it('a simulated outage of rotateRefreshToken writes nothing; the rotation works after it', async () => {
    const store = new MemoryStore();
    const pair = makeTokenPair({ accessToken: { createdAt: now } });
    const next = makeTokenPair({ accessToken: { familyId: pair.accessToken.familyId, createdAt: now } });
    await store.saveTokens(pair);
    store.simulateOutage({ methods: ['rotateRefreshToken'] });
    await expect(store.rotateRefreshToken(pair.refreshToken.id, now, next)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
    expect(await store.findAccessToken(next.accessToken.id)).toBeNull();
    expect(await store.findRefreshToken(next.refreshToken.id)).toBeNull();
    store.endOutage();
    expect(await store.rotateRefreshToken(pair.refreshToken.id, now, next)).toMatchObject({
      consumedAt: now,
    });
    expect(await store.findRefreshToken(next.refreshToken.id)).toEqual(next.refreshToken);
  });

  it('clear deletes every record', async () => {
    const store = new MemoryStore();
    const client = makeClient({ ownerId: 'owner' });
    const pair = makeTokenPair({ accessToken: { userId: 'user', createdAt: now } });
    const code = makeAuthCode({ clientId: client.id, createdAt: now });
    const device = makeDeviceCode({ clientId: client.id, createdAt: now });
    await store.createClient(client);
    await store.saveTokens(pair);
    await store.saveAuthCode(code);
    await store.saveDeviceCode(device);
    await store.useNonce('nonce', now);
    await store.hitRateLimit('key', 60_000, now);

    store.clear();

    expect(await store.listClients()).toEqual([]);
    expect(await store.listClientsByOwner('owner')).toEqual([]);
    expect(await store.findAccessToken(pair.accessToken.id)).toBeNull();
    expect(await store.listUserTokens('user', { now })).toEqual([]);
    expect(await store.findAuthCode(code.id)).toBeNull();
    expect(await store.findDeviceCodeByUserCode(device.userCode, now)).toBeNull();
    expect(await store.revokeClientTokens(client.id)).toBe(0);
    expect(await store.useNonce('nonce', now)).toBe(true);
    expect(await store.hitRateLimit('key', 60_000, now)).toMatchObject({ count: 1 });
  });

  it('delivers changes synchronously to every subscriber until it unsubscribes; a throwing one does not fail the write', async () => {
    const store = new MemoryStore();
    const seen: string[] = [];
    const stop = await store.subscribeChanges({ changed: (event) => seen.push(event.type) });
    await store.subscribeChanges({
      changed: () => {
        throw new Error('a broken subscriber');
      },
    });
    const pair = makeTokenPair({ accessToken: { createdAt: now } });
    await store.saveTokens(pair);
    expect(await store.revokeAccessToken(pair.accessToken.id)).toBe(true);
    expect(seen).toEqual(['accessTokens']);
    await stop();
    await store.revokeFamily(pair.refreshToken.familyId);
    expect(seen).toEqual(['accessTokens']);
  });

  it('a simulated outage of redeemAuthCode writes nothing; the code is redeemable after it', async () => {
    const store = new MemoryStore();
    const code = makeAuthCode({ createdAt: now });
    const tokens = makeTokenPair({ accessToken: { familyId: code.id, createdAt: now } });
    await store.saveAuthCode(code);
    store.simulateOutage({ methods: ['redeemAuthCode'] });
    await expect(store.redeemAuthCode(code.id, now, tokens)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.findAuthCode(code.id)).toEqual(code);
    expect(await store.findAccessToken(tokens.accessToken.id)).toBeNull();
    store.endOutage();
    expect(await store.redeemAuthCode(code.id, now, tokens)).toMatchObject({ consumedAt: now });
  });

  it('purged rows leave nothing behind in the indexes', async () => {
    const store = new MemoryStore();
    const pair = makeTokenPair({ accessToken: { userId: 'user', createdAt: now } });
    await store.saveTokens(pair);
    await store.revokeAccessToken(pair.accessToken.id);
    expect(
      await store.purge({ revoked: true, expiredBefore: null, revokedClientsBefore: null, now }),
    ).toMatchObject({
      accessTokens: 1,
      refreshTokens: 1,
    });
    // Re-inserting the same ids works, and revocation counts only the new rows.
    await store.saveTokens(pair);
    expect(await store.revokeFamily(pair.refreshToken.familyId)).toBe(2);
    expect(await store.revokeClientTokens(pair.accessToken.clientId)).toBe(0);
  });
});
