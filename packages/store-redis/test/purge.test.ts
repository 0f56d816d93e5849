import { makeAccessToken, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStore } from '../src/index.js';
import { encodeId } from '../src/internal/keys.js';
import { createStandaloneStore, destroyStore } from './helpers.js';

// What TTLs leave behind: index entries whose record expired. They are skipped on read and purge
// removes them. A record's expiry is simulated by deleting its key, as Redis does when its TTL ends.
describe.skipIf(!(await requireService('redis')))('index entries of expired records', () => {
  let store: RedisStore;
  beforeAll(async () => {
    store = await createStandaloneStore();
  });
  afterAll(() => destroyStore(store));

  it('are skipped by reads and removed by purge', async () => {
    const now = new Date();
    const hourAgo = new Date(now.getTime() - 3_600_000);
    const userId = `user-${crypto.randomUUID()}`;
    const clientId = crypto.randomUUID();
    const pair = makeTokenPair({
      accessToken: {
        userId,
        clientId,
        createdAt: new Date(hourAgo.getTime() - 3_600_000),
        expiresAt: hourAgo,
      },
    });
    const alone = makeAccessToken({
      userId,
      clientId,
      familyId: null,
      createdAt: new Date(now.getTime() - 60_000),
    });
    await store.saveTokens(pair);
    await store.saveTokens({ accessToken: alone, refreshToken: null });

    const family = `${store.prefix}fam:{${encodeId(pair.refreshToken.familyId)}}:`;
    const userIndex = `${store.prefix}user:{${encodeId(userId)}}:tokens`;
    expect(await store.client.zcard(userIndex)).toBe(2);
    // The family's access token and the standalone token expire.
    await store.client.del(`${family}at:${encodeId(pair.accessToken.id)}`, `${store.prefix}at:{${alone.id}}`);

    expect(await store.findAccessToken(pair.accessToken.id)).toBeNull();
    expect(await store.listUserTokens(userId, { now: new Date(hourAgo.getTime() - 60_000) })).toEqual([]);
    expect(await store.client.zscore(`${family}ats`, encodeId(pair.accessToken.id))).not.toBeNull();

    await store.purge({ revoked: false, expiredBefore: null, revokedClientsBefore: null, now });
    expect(await store.client.zscore(`${family}ats`, encodeId(pair.accessToken.id))).toBeNull();
    // The expired token's user entry (score: its expiresAt) is gone; the standalone's is not yet.
    expect(await store.client.zrange(userIndex, 0, -1)).toEqual([alone.id]);
    // The family's live refresh token was left alone.
    expect(await store.revokeFamily(pair.refreshToken.familyId)).toBe(1);
  });
});
