import { makeAuthCode, makeClient, makeDeviceCode, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { type CommandStartedEvent, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMongoStore, type MongoStore } from '../src/index.js';
import { MONGODB_URL, randomDatabase, TEST_CLIENT_OPTIONS } from './helpers.js';

// FerretDB 1.x serves only a filter on `_id` from an index and scans the whole collection for any
// other (its secondary indexes only enforce uniqueness). So every read and write on a hot path (the
// bearer guard, client authentication, issuing, redeeming, rotating, device polling, rate limits,
// single-use markers) must filter on `_id` alone, or it costs a scan that grows with the data. The
// driver's command monitoring shows every filter the store sends.

/** The filters a command carries (none for an insert). */
function filtersOf(event: CommandStartedEvent): unknown[] {
  const command = event.command as Record<string, unknown>;
  switch (event.commandName) {
    case 'find':
      return [command.filter];
    case 'findAndModify':
      return [command.query];
    case 'update':
      return (command.updates as { q: unknown }[]).map((update) => update.q);
    case 'delete':
      return (command.deletes as { q: unknown }[]).map((deletion) => deletion.q);
    case 'insert':
      return [];
    default:
      return [{ unexpected: event.commandName }];
  }
}

function pair(overrides: Parameters<typeof makeTokenPair>[0] = {}) {
  const made = makeTokenPair(overrides);
  return { accessToken: made.accessToken, refreshToken: { ...made.refreshToken, replacedBy: null } };
}

describe.skipIf(!(await requireService('ferretdb')))('hot paths read and write by _id alone', () => {
  let client: MongoClient;
  let store: MongoStore;
  const events: CommandStartedEvent[] = [];

  beforeAll(async () => {
    client = new MongoClient(MONGODB_URL, { ...TEST_CLIENT_OPTIONS, monitorCommands: true });
    store = await createMongoStore({ client, dbName: randomDatabase('hot'), ensureIndexes: true });
    client.on('commandStarted', (event) => events.push(event));
  });
  afterAll(async () => {
    await store.db.dropDatabase();
    await client.close();
  });

  it('issuing, the guard, redeeming a code (and its replay), rotating, device flow, rate limits and nonces', async () => {
    const registered = { ...makeClient(), resourceServer: false };
    await store.createClient(registered);
    const now = new Date();
    const later = new Date(now.getTime() + 1000);
    events.length = 0;

    // client_credentials: the client, then one pair
    expect(await store.findClient(registered.id)).toMatchObject({ id: registered.id });
    const issued = { accessToken: pair().accessToken, refreshToken: null };
    await store.saveTokens(issued);
    expect(await store.findAccessToken(issued.accessToken.id)).toEqual(issued.accessToken);

    // authorization code: read, redeem, read again, replay
    const code = makeAuthCode({ createdAt: now });
    await store.saveAuthCode(code);
    expect(await store.findAuthCode(code.id)).toEqual(code);
    const redeemed = pair({ accessToken: { familyId: code.id, clientId: code.clientId } });
    expect(await store.redeemAuthCode(code.id, later, redeemed)).toMatchObject({ consumedAt: later });
    expect(await store.findAuthCode(code.id)).toMatchObject({ consumedAt: later });
    expect(
      await store.redeemAuthCode(code.id, later, pair({ accessToken: { familyId: code.id } })),
    ).toBeNull();
    expect(await store.findAccessToken(redeemed.accessToken.id)).toEqual(redeemed.accessToken);

    // refresh: read, rotate, read the rotated and the new one, a second rotation loses
    expect(await store.findRefreshToken(redeemed.refreshToken.id)).toEqual(redeemed.refreshToken);
    const next = pair({ accessToken: { familyId: code.id, clientId: code.clientId } });
    expect(await store.rotateRefreshToken(redeemed.refreshToken.id, later, next)).toMatchObject({
      consumedAt: later,
      replacedBy: next.refreshToken.id,
    });
    expect(await store.findRefreshToken(redeemed.refreshToken.id)).toMatchObject({
      consumedAt: later,
      replacedBy: next.refreshToken.id,
    });
    expect((await store.findAccessToken(redeemed.accessToken.id))?.revoked).toBe(true);
    expect(await store.findRefreshToken(next.refreshToken.id)).toEqual(next.refreshToken);
    expect(await store.rotateRefreshToken(redeemed.refreshToken.id, later, pair())).toBeNull();

    // device flow: save, the user enters the code, approves, the device polls and redeems
    const device = makeDeviceCode({ createdAt: now });
    await store.saveDeviceCode(device);
    expect(await store.findDeviceCodeByUserCode(device.userCode, now)).toMatchObject({ id: device.id });
    expect(
      await store.decideDeviceCode(device.id, { status: 'approved', userId: 'user-1', now }),
    ).toMatchObject({ status: 'approved' });
    expect(await store.touchDeviceCode(device.id, later)).toMatchObject({ status: 'approved' });
    const fromDevice = pair({ accessToken: { familyId: device.id, clientId: device.clientId } });
    expect(await store.redeemDeviceCode(device.id, later, fromDevice)).toMatchObject({ consumedAt: later });
    expect(await store.findDeviceCode(device.id)).toMatchObject({ consumedAt: later });

    // rate limits and single-use markers
    const key = `passport:test:${crypto.randomUUID()}`;
    expect((await store.hitRateLimit(key, 60_000, now)).count).toBe(1);
    expect((await store.hitRateLimit(key, 60_000, now)).count).toBe(2);
    expect((await store.hitRateLimit(key, 60_000, now)).count).toBe(3);
    const nonce = crypto.randomUUID();
    expect(await store.useNonce(nonce, later)).toBe(true);
    expect(await store.useNonce(nonce, later)).toBe(false);

    // RFC 7009 revocation of one access token
    expect(await store.revokeAccessToken(next.accessToken.id)).toBe(true);

    const filters = events.flatMap((event) =>
      filtersOf(event).map((filter) => ({ command: event.commandName, filter })),
    );
    expect(filters.length).toBeGreaterThan(40);
    for (const { command, filter } of filters) {
      expect({ command, filter }).toEqual({ command, filter: { _id: expect.any(String) } });
    }
  });
});
