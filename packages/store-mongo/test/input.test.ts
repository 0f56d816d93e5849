import { StoreInvalidInputError } from '@passport/core';
import { makeAuthCode, makeClient, makeDeviceCode, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { MongoStore } from '../src/index.js';
import { createTestStore, destroyStore, resetStore } from './helpers.js';

// NoSQL injection: caller input only ever sits in the VALUE position of a field the store names,
// so a string can never become an operator; a non-string where a string is expected (an object
// from a JSON body that skipped validation) matches nothing on reads and is refused on writes.

const OPERATOR_IDS: unknown[] = [
  { $ne: null },
  { $gt: '' },
  { $regex: '.*' },
  { $where: 'true' },
  { $exists: true },
  ['a', 'b'],
  42,
  null,
  undefined,
  true,
];

const NASTY_STRINGS = [
  '$ne',
  '{"$ne":null}',
  'a.b',
  '$where',
  'id\u0000suffix',
  'x'.repeat(10_000),
  '.',
  '$',
  '\u{1F600}',
];

/** Calls `method` with an id that is not a string, bypassing the types as a JavaScript caller could. */
const loose = <T>(value: unknown): T => value as T;

function pair(overrides: Parameters<typeof makeTokenPair>[0] = {}) {
  const made = makeTokenPair(overrides);
  return { accessToken: made.accessToken, refreshToken: { ...made.refreshToken, replacedBy: null } };
}

describe.skipIf(!(await requireService('ferretdb')))('bad input reaches no query operator', () => {
  let store: MongoStore;
  let stored: ReturnType<typeof pair>;
  let code: ReturnType<typeof makeAuthCode>;
  let client: ReturnType<typeof makeClient> & { resourceServer: boolean };

  beforeAll(async () => {
    store = await createTestStore();
  });
  afterAll(async () => {
    await destroyStore(store);
  });
  beforeEach(async () => {
    await resetStore(store);
    // Something for an operator to match, if one got through.
    stored = pair({ accessToken: { userId: 'alice' } });
    code = makeAuthCode();
    client = { ...makeClient({ ownerId: 'alice' }), resourceServer: false };
    await store.saveTokens(stored);
    await store.saveAuthCode(code);
    await store.createClient(client);
    await store.saveDeviceCode(makeDeviceCode());
  });

  it('an object, array, number or null as an id matches nothing on every read and revoke', async () => {
    const now = new Date();
    for (const id of OPERATOR_IDS) {
      const bad = loose<string>(id);
      expect(await store.findAccessToken(bad)).toBeNull();
      expect(await store.findRefreshToken(bad)).toBeNull();
      expect(await store.findClient(bad)).toBeNull();
      expect(await store.findAuthCode(bad)).toBeNull();
      expect(await store.findDeviceCode(bad)).toBeNull();
      expect(await store.findDeviceCodeByUserCode(bad, now)).toBeNull();
      expect(await store.listClientsByOwner(bad)).toEqual([]);
      expect(await store.listUserTokens(bad, { now })).toEqual([]);
      // (an undefined clientId is the documented "every client")
      if (id !== undefined) expect(await store.listUserTokens('alice', { now, clientId: bad })).toEqual([]);
      expect(await store.revokeAccessToken(bad)).toBe(false);
      expect(await store.revokeRefreshToken(bad)).toBe(false);
      expect(await store.revokeFamily(bad)).toBe(0);
      expect(await store.revokeClientTokens(bad)).toBe(0);
      expect(await store.deleteClient(bad)).toBe(false);
      expect(await store.updateClient(bad, { name: 'x', updatedAt: now })).toBeNull();
      expect(await store.rotateRefreshToken(bad, now, pair())).toBeNull();
      expect(await store.redeemAuthCode(bad, now, pair())).toBeNull();
      expect(await store.decideDeviceCode(bad, { status: 'approved', userId: 'u', now })).toBeNull();
      expect(await store.touchDeviceCode(bad, now)).toBeNull();
      expect(await store.redeemDeviceCode(bad, now, pair())).toBeNull();
    }
    // Nothing changed: the stored rows are as they were.
    expect(await store.findAccessToken(stored.accessToken.id)).toEqual(stored.accessToken);
    expect(await store.findRefreshToken(stored.refreshToken.id)).toEqual(stored.refreshToken);
    expect(await store.findAuthCode(code.id)).toEqual(code);
    expect(await store.findClient(client.id)).toEqual(client);
  });

  it('strings with $, ., NUL, 10,000 characters are plain values: not found, and stored as they are', async () => {
    const now = new Date();
    for (const id of NASTY_STRINGS) {
      expect(await store.findAccessToken(id)).toBeNull();
      expect(await store.findRefreshToken(id)).toBeNull();
      expect(await store.findClient(id)).toBeNull();
      expect(await store.revokeFamily(id)).toBe(0);
      expect(await store.revokeClientTokens(id)).toBe(0);
      expect(await store.listUserTokens(id, { now })).toEqual([]);
      const tokens = pair({ accessToken: { id, userId: id, familyId: id, name: id, scopes: [id] } });
      await store.saveTokens(tokens);
      expect(await store.findAccessToken(id)).toEqual(tokens.accessToken);
      expect(await store.listUserTokens(id, { now: new Date(0) })).toEqual([tokens.accessToken]);
      const named = {
        ...makeClient({ id, name: id, ownerId: id, redirectUris: [`https://app.example/${id}`] }),
        resourceServer: false,
      };
      await store.createClient(named);
      expect(await store.findClient(id)).toEqual(named);
    }
    expect(await store.findAccessToken(stored.accessToken.id)).toEqual(stored.accessToken);
  });

  it('a string BSON cannot encode (a lone surrogate) matches nothing and is refused on write', async () => {
    const lone = `id-\uD800-x`;
    expect(await store.findAccessToken(lone)).toBeNull();
    expect(await store.findClient(lone)).toBeNull();
    await expect(store.saveTokens(pair({ accessToken: { id: lone } }))).rejects.toBeInstanceOf(
      StoreInvalidInputError,
    );
    await expect(
      store.createClient({ ...makeClient({ name: lone }), resourceServer: false }),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_INVALID_INPUT',
    });
  });

  it('a write whose fields are objects instead of strings is refused with StoreInvalidInputError and writes nothing', async () => {
    const injected = pair();
    const bad = {
      ...injected,
      accessToken: { ...injected.accessToken, userId: loose<string>({ $ne: null }) },
    };
    await expect(store.saveTokens(bad)).rejects.toBeInstanceOf(StoreInvalidInputError);
    expect(await store.findAccessToken(injected.accessToken.id)).toBeNull();

    const badClient = { ...client, id: crypto.randomUUID(), name: loose<string>({ $gt: '' }) };
    await expect(store.createClient(badClient)).rejects.toBeInstanceOf(StoreInvalidInputError);
    expect(await store.findClient(badClient.id)).toBeNull();

    await expect(
      store.updateClient(client.id, {
        redirectUris: loose<string[]>([{ $ne: null }]),
        updatedAt: new Date(),
      }),
    ).rejects.toBeInstanceOf(StoreInvalidInputError);
    expect(await store.findClient(client.id)).toEqual(client);

    await expect(
      store.saveAuthCode({ ...makeAuthCode(), scopes: loose<string[]>('read') }),
    ).rejects.toBeInstanceOf(StoreInvalidInputError);
    await expect(store.useNonce(loose<string>({ $ne: 1 }), new Date())).rejects.toBeInstanceOf(
      StoreInvalidInputError,
    );
    await expect(store.hitRateLimit(loose<string>({ $ne: 1 }), 1000, new Date())).rejects.toBeInstanceOf(
      StoreInvalidInputError,
    );
    // A record carrying extra keys, operators among them, stores only the record's fields.
    const extra = pair();
    await store.saveTokens({
      ...extra,
      accessToken: {
        ...extra.accessToken,
        ...loose<object>({ $where: 'sleep(1000)', __proto__: { admin: true } }),
      },
    });
    expect(await store.findAccessToken(extra.accessToken.id)).toEqual(extra.accessToken);
    const raw = await store.db
      .collection(store.collectionNames.tokens)
      .findOne({ _id: loose(extra.accessToken.id) });
    expect(Object.keys(raw ?? {})).not.toContain('$where');
  });
});
