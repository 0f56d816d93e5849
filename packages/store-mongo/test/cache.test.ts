import { createPassport, KeySet, type Passport } from '@passport/core';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore, type MongoStore } from '../src/index.js';
import { createTestStore, destroyStore } from './helpers.js';

// Two instances of an application on one database: a revocation made through one reaches the
// other's read-through cache through the store's revocation feed (here by polling: FerretDB has no
// change streams), and without the feed within the cache's time bound.

describe.skipIf(!(await requireService('ferretdb')))('revocations across instances', () => {
  let base: MongoStore;
  let keys: KeySet;
  const stores: MongoStore[] = [];

  beforeAll(async () => {
    base = await createTestStore();
    keys = await KeySet.generate('ES256');
  });
  afterAll(async () => {
    for (const store of stores) await store.close();
    await destroyStore(base);
  });

  /** Two passports, each on its own store instance (its own client and feed) on one database. */
  async function twoInstances(options: { changeFeed: boolean; cacheSeconds: number }) {
    const clock = { now: Date.now() };
    const instance = async (): Promise<Passport> => {
      const store = await createMongoStore({
        db: base.db,
        changeFeed: options.changeFeed,
        changeFeedPollMs: 100,
      });
      stores.push(store);
      return createPassport({
        issuer: 'https://auth.example.test',
        store,
        keys,
        scopes: { read: 'Read' },
        revocationCacheSeconds: options.cacheSeconds,
        clock: () => clock.now,
      });
    };
    const [a, b] = [await instance(), await instance()];
    const { client, plainSecret } = await a.clients.create({
      name: 'Job',
      grantTypes: ['client_credentials'],
    });
    const { access_token } = await a.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
      authorization: `Basic ${btoa(`${client.id}:${plainSecret}`)}`,
    });
    // Instance B reads the token once: its cache now holds the live row.
    const verified = await b.verifyAccessToken(access_token);
    return { a, b, clock, token: access_token, jti: verified.record.id };
  }

  it('through the feed: the other instance refuses the token at once, long before its cache bound', async () => {
    const { a, b, token, jti } = await twoInstances({ changeFeed: true, cacheSeconds: 300 });
    expect(await a.revokeAccessToken(jti)).toBe(true);
    await expect
      .poll(
        () =>
          b.verifyAccessToken(token).then(
            () => 'accepted',
            (error: { code?: string }) => error.code,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe('ERR_TOKEN_REVOKED');
  });

  it('without the feed: the other instance refuses the token once its cache bound has passed', async () => {
    const { a, b, clock, token, jti } = await twoInstances({ changeFeed: false, cacheSeconds: 5 });
    expect(await a.revokeAccessToken(jti)).toBe(true);
    // Within the bound B may still answer from its cache; the revoking instance never does.
    await expect(a.verifyAccessToken(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
    await expect(b.verifyAccessToken(token)).resolves.toMatchObject({ record: { id: jti } });
    clock.now += 6_000;
    await expect(b.verifyAccessToken(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });
});
