import { PassportOptionsError } from '@passport/core';
import { makeAuthCode, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore, type MongoStore } from '../src/index.js';
import {
  createTestStore,
  destroyStore,
  MONGODB_URL,
  randomDatabase,
  resetStore,
  TEST_CLIENT_OPTIONS,
} from './helpers.js';

// What the document design promises beyond the conformance kit: the shape of the documents, the
// ordering of revocations with concurrent rotations and redemptions, what purge keeps.

function pair(overrides: Parameters<typeof makeTokenPair>[0] = {}) {
  const made = makeTokenPair(overrides);
  return { accessToken: made.accessToken, refreshToken: { ...made.refreshToken, replacedBy: null } };
}

const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1) + seconds * 1000);

describe.skipIf(!(await requireService('ferretdb')))('the document design', () => {
  let store: MongoStore;
  let isFerretDB: boolean;

  beforeAll(async () => {
    store = await createTestStore();
    const info = await store.db.admin().command({ buildInfo: 1 });
    isFerretDB = typeof info.ferretdbVersion === 'string';
  });
  afterAll(async () => {
    await destroyStore(store);
  });

  const tokens = () => store.db.collection(store.collectionNames.tokens);

  it('saveTokens writes ONE document: the access token with its refresh token inside', async () => {
    const saved = pair();
    await store.saveTokens(saved);
    const docs = await tokens()
      .find({ $or: [{ _id: saved.accessToken.id as never }, { 'rt.id': saved.refreshToken.id }] })
      .toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ _id: saved.accessToken.id, rt: { id: saved.refreshToken.id } });
    // The refresh token's accessTokenId is implied by the document (stored only when it differs).
    expect(docs[0]?.rt).not.toHaveProperty('accessTokenId');
  });

  it('a rotation is the insert of the next pair keyed by the rotated token: of 50 racers one document exists', async () => {
    const base = pair();
    await store.saveTokens(base);
    const now = new Date();
    const nexts = Array.from({ length: 50 }, () => pair());
    const results = await Promise.all(
      nexts.map((next) => store.rotateRefreshToken(base.refreshToken.id, now, next)),
    );
    expect(results.filter((result) => result !== null)).toHaveLength(1);
    const winner = nexts[results.findIndex((result) => result !== null)];
    const children = await tokens()
      .find({ parent: `r:${base.refreshToken.id}` })
      .toArray();
    expect(children).toHaveLength(1);
    expect(children[0]).toMatchObject({
      _id: `r:${base.refreshToken.id}`,
      jti: winner?.accessToken.id,
      rt: { id: winner?.refreshToken.id },
    });
    // The losers' lookups were removed again: one T and one A lookup per stored pair.
    const lookups = store.db.collection(store.collectionNames.lookups);
    for (const next of nexts) {
      const expected = next === winner ? 1 : 0;
      expect(await lookups.countDocuments({ _id: `T${next.refreshToken.id}` as never })).toBe(expected);
      expect(await lookups.countDocuments({ _id: `A${next.accessToken.id}` as never })).toBe(expected);
    }
    expect(await store.findAccessToken(winner?.accessToken.id ?? '')).toEqual(winner?.accessToken);
  });

  it('revokeFamily is ordered with concurrent rotations: a rotation that won has its pair revoked', async () => {
    for (let round = 0; round < 25; round++) {
      const familyId = crypto.randomUUID();
      const base = pair({ accessToken: { familyId } });
      await store.saveTokens(base);
      const next = pair({ accessToken: { familyId } });
      const [rotated] = await Promise.all([
        store.rotateRefreshToken(base.refreshToken.id, at(5), next),
        store.revokeFamily(familyId),
      ]);
      const nextAccess = await store.findAccessToken(next.accessToken.id);
      const nextRefresh = await store.findRefreshToken(next.refreshToken.id);
      if (rotated === null) {
        // The revocation came first: nothing was written.
        expect(nextAccess).toBeNull();
        expect(nextRefresh).toBeNull();
      } else {
        // The rotation came first: the revocation reached its pair.
        expect(nextAccess?.revoked).toBe(true);
        expect(nextRefresh?.revoked).toBe(true);
      }
      expect((await store.findRefreshToken(base.refreshToken.id))?.revoked).toBe(true);
    }
  });

  it('revokeClientTokens is ordered with concurrent redemptions: a redemption that won has its tokens revoked', async () => {
    for (let round = 0; round < 25; round++) {
      const code = makeAuthCode({ createdAt: at(0) });
      await store.saveAuthCode(code);
      const issued = pair({ accessToken: { familyId: code.id, clientId: code.clientId } });
      const [redeemed] = await Promise.all([
        store.redeemAuthCode(code.id, at(1), issued),
        store.revokeClientTokens(code.clientId),
      ]);
      const access = await store.findAccessToken(issued.accessToken.id);
      if (redeemed === null) expect(access).toBeNull();
      else expect(access?.revoked).toBe(true);
      expect((await store.findAuthCode(code.id))?.revoked).toBe(true);
    }
  });

  it('purge keeps the pair that records a code redemption until the code expires: the code never becomes redeemable again', async () => {
    await resetStore(store);
    const code = makeAuthCode({ createdAt: at(0), expiresAt: at(600) });
    await store.saveAuthCode(code);
    const issued = pair({ accessToken: { familyId: code.id, createdAt: at(1) } });
    expect(await store.redeemAuthCode(code.id, at(1), issued)).not.toBeNull();
    await store.revokeFamily(code.id);
    const options = { revoked: true, expiredBefore: null, revokedClientsBefore: null, now: at(10) };
    expect(await store.purge(options)).toMatchObject({ accessTokens: 1, refreshTokens: 1, authCodes: 0 });
    // The tokens read as deleted, the code as consumed: a replay is still a replay.
    expect(await store.findAccessToken(issued.accessToken.id)).toBeNull();
    expect(await store.findRefreshToken(issued.refreshToken.id)).toBeNull();
    expect((await store.findAuthCode(code.id))?.consumedAt).toEqual(at(1));
    expect(
      await store.redeemAuthCode(code.id, at(20), pair({ accessToken: { familyId: code.id } })),
    ).toBeNull();
    // Once the code has expired, both go.
    const later = { ...options, now: at(700) };
    expect(await store.purge(later)).toMatchObject({ authCodes: 1 });
    expect(await tokens().countDocuments({ parent: `c:${code.id}` })).toBe(0);
    // Their lookups went with them.
    const lookups = store.db.collection(store.collectionNames.lookups);
    expect(
      await lookups.countDocuments({
        _id: { $in: [`T${issued.refreshToken.id}`, `A${issued.accessToken.id}`] } as never,
      }),
    ).toBe(0);
  });

  it('ensureIndexes is idempotent; TTL indexes where the server has them (not FerretDB 1.x)', async () => {
    const first = await store.ensureIndexes();
    const second = await store.ensureIndexes();
    expect(second).toEqual(first);
    expect(first.ttl).toBe(!isFerretDB);
    expect(first.indexes).toContain(`${store.collectionNames.tokens}.rt_id`);
    const indexes = await tokens().listIndexes().toArray();
    expect(indexes.find((index) => index.name === 'rt_id')).toMatchObject({
      key: { 'rt.id': 1 },
      unique: true,
    });
  });

  it('the revocation feed delivers a revocation made by another instance (polling without change streams)', async () => {
    const other = await createMongoStore({ db: store.db });
    const events: unknown[] = [];
    let connected = 0;
    const unsubscribe = await store.subscribeChanges({
      changed: (event) => events.push(event),
      connected: () => {
        connected += 1;
      },
    });
    try {
      expect(connected).toBe(1);
      const revoked = pair();
      const family = pair();
      await other.saveTokens(revoked);
      await other.saveTokens(family);
      await other.revokeAccessToken(revoked.accessToken.id);
      await other.revokeFamily(family.accessToken.familyId ?? '');
      await expect
        .poll(() => events, { timeout: 10_000 })
        .toEqual([
          { type: 'accessTokens', ids: [revoked.accessToken.id] },
          { type: 'family', familyId: family.accessToken.familyId },
        ]);
    } finally {
      await unsubscribe();
    }
  });

  it('a polling subscriber deletes feed events older than the retention (no TTL index on FerretDB)', async () => {
    const changes = store.db.collection<{ _id: string; at: Date; event: unknown }>(
      store.collectionNames.changes,
    );
    const hello = await store.db.admin().command({ hello: 1 });
    const serverNow = (hello.localTime as Date).getTime();
    await changes.insertOne({
      _id: 'old-event',
      at: new Date(serverNow - 3_600_000),
      event: { type: 'client', clientId: 'x' },
    });
    const fast = await createMongoStore({ db: store.db, changeFeedPollMs: 10 });
    const delivered: unknown[] = [];
    const unsubscribe = await fast.subscribeChanges({ changed: (event) => delivered.push(event) });
    try {
      await expect.poll(() => changes.countDocuments({ _id: 'old-event' }), { timeout: 10_000 }).toBe(0);
      expect(delivered).not.toContainEqual({ type: 'client', clientId: 'x' });
    } finally {
      await unsubscribe();
    }
  });

  it('changeFeed: false writes no events and tells a subscriber the feed is off', async () => {
    const off = await createMongoStore({ db: store.db, collectionPrefix: 'off_', changeFeed: false });
    const disconnected: unknown[] = [];
    await (
      await off.subscribeChanges({ changed: () => undefined, disconnected: (e) => disconnected.push(e) })
    )();
    expect(disconnected).toHaveLength(1);
    const revoked = pair();
    await off.saveTokens(revoked);
    expect(await off.revokeAccessToken(revoked.accessToken.id)).toBe(true);
    expect(await store.db.collection(off.collectionNames.changes).countDocuments()).toBe(0);
  });
});

const hasServer = await requireService('ferretdb');

describe('createMongoStore', () => {
  it('needs exactly one of db, client or url, and a mongodb:// url', async () => {
    await expect(createMongoStore({})).rejects.toBeInstanceOf(PassportOptionsError);
    await expect(createMongoStore({ url: 'postgres://x' })).rejects.toBeInstanceOf(PassportOptionsError);
    const client = new MongoClient(MONGODB_URL, TEST_CLIENT_OPTIONS);
    await expect(createMongoStore({ client, url: MONGODB_URL })).rejects.toBeInstanceOf(PassportOptionsError);
    await client.close();
  });

  it('rejects a collection prefix that is not a plain name', async () => {
    const client = new MongoClient(MONGODB_URL, TEST_CLIENT_OPTIONS);
    await expect(createMongoStore({ client, collectionPrefix: 'a.$b' })).rejects.toBeInstanceOf(
      PassportOptionsError,
    );
    await client.close();
  });

  it.skipIf(!hasServer)(
    'takes the database from the url, prefixes the collections, and closes only a client it created',
    async () => {
      const dbName = randomDatabase('factory');
      const owned = await createMongoStore({
        url: `${MONGODB_URL.replace(/\/$/, '')}/${dbName}`,
        collectionPrefix: 'auth_',
        clientOptions: TEST_CLIENT_OPTIONS,
      });
      expect(owned.db.databaseName).toBe(dbName);
      expect(owned.collectionNames.tokens).toBe('auth_tokens');
      await owned.close();
      await expect(owned.findClient('x')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });

      const client = new MongoClient(MONGODB_URL, TEST_CLIENT_OPTIONS);
      const shared = await createMongoStore({ client, dbName });
      await shared.close();
      expect(await client.db(dbName).collection('x').countDocuments()).toBe(0);
      await client.db(dbName).dropDatabase();
      await client.close();
    },
  );
});
