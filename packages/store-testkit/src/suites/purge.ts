import type { PassportStore, PurgeResult } from '@passport/core';
import { expect } from 'vitest';
import {
  makeAccessToken,
  makeAuthCode,
  makeClient,
  makeDeviceCode,
  makeTokenPair,
  newClientId,
  randomHex,
  uniqueId,
} from '../fixtures.js';
import { at, type SuiteContext } from '../internal/helpers.js';

const NOTHING: PurgeResult = {
  accessTokens: 0,
  refreshTokens: 0,
  authCodes: 0,
  deviceCodes: 0,
  nonces: 0,
  rateLimits: 0,
  clients: 0,
};

/** Which of the given ids are still stored, per kind. */
async function remaining(
  store: PassportStore,
  ids: { access?: string[]; refresh?: string[]; codes?: string[]; devices?: string[] },
): Promise<{ access: string[]; refresh: string[]; codes: string[]; devices: string[] }> {
  const keep = async (
    list: string[] | undefined,
    find: (id: string) => Promise<unknown>,
  ): Promise<string[]> => {
    const kept: string[] = [];
    for (const id of list ?? []) if ((await find(id)) !== null) kept.push(id);
    return kept;
  };
  return {
    access: await keep(ids.access, (id) => store.findAccessToken(id)),
    refresh: await keep(ids.refresh, (id) => store.findRefreshToken(id)),
    codes: await keep(ids.codes, (id) => store.findAuthCode(id)),
    devices: await keep(ids.devices, (id) => store.findDeviceCode(id)),
  };
}

/**
 * TokenStore.purge: revoked rows, expired rows with a cutoff, both; revoked clients; expired
 * markers and rate-limit windows; and the rules that protect what detection needs (a live refresh
 * token's access token and family, a code until its expiry).
 */
export function registerPurgeSuite({ suite, store }: SuiteContext): void {
  suite.describe('purge', (purge) => {
    const now = at(0);
    const cutoff = at(-3600);

    purge.it(
      'revoked: deletes revoked and consumed tokens, and spent codes once expired; keeps expired and live ones',
      async () => {
        const revokedAccess = makeAccessToken({ revoked: true, createdAt: at(-60) });
        const revokedPair = makeTokenPair({
          accessToken: { revoked: true, createdAt: at(-60) },
          refreshToken: { revoked: true },
        });
        // A family without a live refresh token: its consumed member may go.
        const consumedPair = makeTokenPair({
          accessToken: { createdAt: at(-60) },
          refreshToken: { consumedAt: at(-30) },
        });
        // Spent codes past their expiry go; spent codes still inside their lifetime stay.
        const revokedCode = makeAuthCode({ revoked: true, createdAt: at(-1200), expiresAt: at(-600) });
        const consumedCode = makeAuthCode({ consumedAt: at(-900), createdAt: at(-1200), expiresAt: at(0) });
        const consumedDevice = makeDeviceCode({
          status: 'approved',
          userId: uniqueId('user'),
          consumedAt: at(-900),
          createdAt: at(-1200),
          expiresAt: at(-600),
        });
        const spentLiveCode = makeAuthCode({ consumedAt: at(-30), createdAt: at(-60) });
        const spentLiveDevice = makeDeviceCode({
          status: 'approved',
          userId: uniqueId('user'),
          consumedAt: at(-30),
          createdAt: at(-60),
        });
        const expiredPair = makeTokenPair({
          accessToken: { createdAt: at(-100_000), expiresAt: at(-90_000) },
          refreshToken: { expiresAt: at(-80_000) },
        });
        const expiredCode = makeAuthCode({ createdAt: at(-100_000) });
        const expiredDevice = makeDeviceCode({ createdAt: at(-100_000) });
        const livePair = makeTokenPair({ accessToken: { createdAt: at(-60) } });
        const liveCode = makeAuthCode({ createdAt: at(-60) });
        const liveDevice = makeDeviceCode({ createdAt: at(-60) });

        await store().saveTokens({ accessToken: revokedAccess, refreshToken: null });
        for (const pair of [revokedPair, consumedPair, expiredPair, livePair]) await store().saveTokens(pair);
        for (const code of [revokedCode, consumedCode, spentLiveCode, expiredCode, liveCode])
          await store().saveAuthCode(code);
        for (const code of [consumedDevice, spentLiveDevice, expiredDevice, liveDevice])
          await store().saveDeviceCode(code);

        const result = await store().purge({
          revoked: true,
          expiredBefore: null,
          revokedClientsBefore: null,
          now,
        });

        expect(result).toEqual({
          ...NOTHING,
          accessTokens: 2,
          refreshTokens: 2,
          authCodes: 2,
          deviceCodes: 1,
        });
        expect(
          await remaining(store(), {
            access: [revokedAccess.id, revokedPair.accessToken.id, consumedPair.accessToken.id],
            refresh: [revokedPair.refreshToken.id, consumedPair.refreshToken.id],
            codes: [revokedCode.id, consumedCode.id, spentLiveCode.id],
            devices: [consumedDevice.id, spentLiveDevice.id],
          }),
        ).toEqual({
          access: [consumedPair.accessToken.id],
          refresh: [],
          codes: [spentLiveCode.id],
          devices: [spentLiveDevice.id],
        });
        expect(
          await remaining(store(), {
            access: [expiredPair.accessToken.id, livePair.accessToken.id],
            refresh: [expiredPair.refreshToken.id, livePair.refreshToken.id],
            codes: [expiredCode.id, liveCode.id],
            devices: [expiredDevice.id, liveDevice.id],
          }),
        ).toEqual({
          access: [expiredPair.accessToken.id, livePair.accessToken.id],
          refresh: [expiredPair.refreshToken.id, livePair.refreshToken.id],
          codes: [expiredCode.id, liveCode.id],
          devices: [expiredDevice.id, liveDevice.id],
        });
      },
    );

    purge.it(
      'keeps a consumed or revoked code until its expiry, whatever the options, and deletes it after',
      async () => {
        const consumed = makeAuthCode({ consumedAt: at(-10), createdAt: at(-60), expiresAt: at(540) });
        const revoked = makeAuthCode({ revoked: true, createdAt: at(-60), expiresAt: at(540) });
        const device = makeDeviceCode({
          status: 'approved',
          userId: uniqueId('user'),
          consumedAt: at(-10),
          createdAt: at(-60),
          expiresAt: at(540),
        });
        for (const code of [consumed, revoked]) await store().saveAuthCode(code);
        await store().saveDeviceCode(device);
        // A cutoff in the future must not reach a code before its own expiry either.
        const everything = { revoked: true, expiredBefore: at(3600), revokedClientsBefore: null };
        expect(await store().purge({ ...everything, now })).toEqual(NOTHING);
        expect(await store().purge({ ...everything, now: at(539) })).toEqual(NOTHING);
        expect(
          await remaining(store(), { codes: [consumed.id, revoked.id], devices: [device.id] }),
        ).toMatchObject({ codes: [consumed.id, revoked.id], devices: [device.id] });
        expect(await store().purge({ ...everything, now: at(540) })).toEqual({
          ...NOTHING,
          authCodes: 2,
          deviceCodes: 1,
        });
      },
    );

    purge.it(
      'deletes expired single-use markers and rate-limit windows on every purge, and counts them',
      async () => {
        const expiredMarker = `purge:${randomHex(8)}`;
        const liveMarker = `purge:${randomHex(8)}`;
        expect(await store().useNonce(expiredMarker, at(-1))).toBe(true);
        expect(await store().useNonce(liveMarker, at(60))).toBe(true);
        const expiredWindow = `purge:${randomHex(8)}`;
        const liveWindow = `purge:${randomHex(8)}`;
        await store().hitRateLimit(expiredWindow, 60_000, at(-120));
        await store().hitRateLimit(liveWindow, 60_000, at(-30));
        await store().hitRateLimit(liveWindow, 60_000, at(-20));

        const result = await store().purge({
          revoked: false,
          expiredBefore: null,
          revokedClientsBefore: null,
          now,
        });
        expect(result).toEqual({ ...NOTHING, nonces: 1, rateLimits: 1 });
        // The expired marker is gone (usable again), the live one stays.
        expect(await store().useNonce(expiredMarker, at(60))).toBe(true);
        expect(await store().useNonce(liveMarker, at(60))).toBe(false);
        // The live window kept its count; the purged one starts over.
        expect(await store().hitRateLimit(liveWindow, 60_000, now)).toEqual({ count: 3, resetAt: at(30) });
        expect(await store().hitRateLimit(expiredWindow, 60_000, now)).toEqual({ count: 1, resetAt: at(60) });
      },
    );

    purge.it(
      'revokedClientsBefore: deletes clients revoked before it with every row of theirs, keeps the rest',
      async () => {
        const old = makeClient({ revoked: true, createdAt: at(-100_000), updatedAt: at(-90_000) });
        const recent = makeClient({ revoked: true, createdAt: at(-100_000), updatedAt: at(-60) });
        const active = makeClient({ createdAt: at(-100_000), updatedAt: at(-90_000) });
        for (const client of [old, recent, active]) await store().createClient(client);
        const ofClient = (clientId: string) => ({
          pair: makeTokenPair({ accessToken: { clientId, revoked: true, createdAt: at(-90_000) } }),
          code: makeAuthCode({ clientId, revoked: true, createdAt: at(-60) }),
          device: makeDeviceCode({ clientId, createdAt: at(-60) }),
        });
        const rows = { old: ofClient(old.id), recent: ofClient(recent.id), active: ofClient(active.id) };
        for (const { pair, code, device } of Object.values(rows)) {
          await store().saveTokens(pair);
          await store().saveAuthCode(code);
          await store().saveDeviceCode(device);
        }

        const result = await store().purge({
          revoked: false,
          expiredBefore: null,
          revokedClientsBefore: at(-3600),
          now,
        });
        expect(result).toEqual({
          ...NOTHING,
          clients: 1,
          accessTokens: 1,
          refreshTokens: 1,
          authCodes: 1,
          deviceCodes: 1,
        });
        expect(await store().findClient(old.id)).toBeNull();
        expect(await store().findClient(recent.id)).toEqual(recent);
        expect(await store().findClient(active.id)).toEqual(active);
        const ids = (set: ReturnType<typeof ofClient>) => ({
          access: [set.pair.accessToken.id],
          refresh: [set.pair.refreshToken.id],
          codes: [set.code.id],
          devices: [set.device.id],
        });
        const none = { access: [], refresh: [], codes: [], devices: [] };
        expect(await remaining(store(), ids(rows.old))).toEqual(none);
        expect(await remaining(store(), ids(rows.recent))).toEqual(ids(rows.recent));
        expect(await remaining(store(), ids(rows.active))).toEqual(ids(rows.active));
        expect(
          (await store().purge({ revoked: false, expiredBefore: null, revokedClientsBefore: null, now }))
            .clients,
        ).toBe(0);
      },
    );

    purge.it('expiredBefore: deletes rows expired before the cutoff only, revoked or not', async () => {
      const oldAccess = makeAccessToken({ createdAt: at(-10_800), expiresAt: at(-7200) });
      const oldPair = makeTokenPair({
        accessToken: { createdAt: at(-10_800), expiresAt: at(-7200) },
        refreshToken: { expiresAt: at(-5000) },
      });
      const recentAccess = makeAccessToken({ createdAt: at(-3660), expiresAt: at(-60) });
      const atCutoff = makeAccessToken({ createdAt: at(-7200), expiresAt: cutoff });
      const revokedLive = makeAccessToken({ revoked: true, createdAt: at(-60) });
      const oldCode = makeAuthCode({ createdAt: at(-7800), expiresAt: at(-7200) });
      const recentCode = makeAuthCode({ createdAt: at(-660), expiresAt: at(-60) });
      const consumedCode = makeAuthCode({ consumedAt: at(-30), createdAt: at(-60) });
      const oldDevice = makeDeviceCode({ createdAt: at(-7800), expiresAt: at(-7200) });
      const recentDevice = makeDeviceCode({ createdAt: at(-660), expiresAt: at(-60) });

      for (const accessToken of [oldAccess, recentAccess, atCutoff, revokedLive]) {
        await store().saveTokens({ accessToken, refreshToken: null });
      }
      await store().saveTokens(oldPair);
      for (const code of [oldCode, recentCode, consumedCode]) await store().saveAuthCode(code);
      for (const code of [oldDevice, recentDevice]) await store().saveDeviceCode(code);

      const result = await store().purge({
        revoked: false,
        expiredBefore: cutoff,
        revokedClientsBefore: null,
        now,
      });

      expect(result).toEqual({ ...NOTHING, accessTokens: 2, refreshTokens: 1, authCodes: 1, deviceCodes: 1 });
      expect(
        await remaining(store(), {
          access: [oldAccess.id, oldPair.accessToken.id, recentAccess.id, atCutoff.id, revokedLive.id],
          refresh: [oldPair.refreshToken.id],
          codes: [oldCode.id, recentCode.id, consumedCode.id],
          devices: [oldDevice.id, recentDevice.id],
        }),
      ).toEqual({
        access: [recentAccess.id, atCutoff.id, revokedLive.id],
        refresh: [],
        codes: [recentCode.id, consumedCode.id],
        devices: [recentDevice.id],
      });
    });

    purge.it(
      'revoked and expiredBefore together delete both kinds; a second purge deletes nothing',
      async () => {
        const revoked = makeTokenPair({
          accessToken: { revoked: true, createdAt: at(-60) },
          refreshToken: { revoked: true },
        });
        const old = makeTokenPair({
          accessToken: { createdAt: at(-10_800), expiresAt: at(-7200) },
          refreshToken: { expiresAt: at(-7200) },
        });
        const recent = makeAccessToken({ createdAt: at(-3660), expiresAt: at(-60) });
        const live = makeTokenPair({ accessToken: { createdAt: at(-60) } });
        for (const pair of [revoked, old, live]) await store().saveTokens(pair);
        await store().saveTokens({ accessToken: recent, refreshToken: null });

        const options = { revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now };
        expect(await store().purge(options)).toEqual({ ...NOTHING, accessTokens: 2, refreshTokens: 2 });
        expect(await store().purge(options)).toEqual(NOTHING);
        expect(
          await remaining(store(), {
            access: [revoked.accessToken.id, old.accessToken.id, recent.id, live.accessToken.id],
            refresh: [revoked.refreshToken.id, old.refreshToken.id, live.refreshToken.id],
          }),
        ).toMatchObject({ access: [recent.id, live.accessToken.id], refresh: [live.refreshToken.id] });
      },
    );

    purge.it('deletes nothing when revoked is false and expiredBefore is null', async () => {
      const revoked = makeTokenPair({
        accessToken: { revoked: true, createdAt: at(-100_000), expiresAt: at(-90_000) },
      });
      await store().saveTokens(revoked);
      await store().saveAuthCode(makeAuthCode({ revoked: true, createdAt: at(-100_000) }));
      expect(
        await store().purge({ revoked: false, expiredBefore: null, revokedClientsBefore: null, now }),
      ).toEqual(NOTHING);
      expect(await store().findAccessToken(revoked.accessToken.id)).not.toBeNull();
    });

    purge.describe('never deletes what a live refresh token needs', (needs) => {
      needs.it('keeps the expired access token a live refresh token was issued with', async () => {
        const pair = makeTokenPair({
          accessToken: { createdAt: at(-10_800), expiresAt: at(-7200) },
          refreshToken: { expiresAt: at(86_400) },
        });
        await store().saveTokens(pair);

        expect(
          await store().purge({ revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now }),
        ).toEqual(NOTHING);
        expect(await store().findAccessToken(pair.accessToken.id)).not.toBeNull();

        // Once the refresh token is no longer live, its access token goes.
        await store().revokeRefreshToken(pair.refreshToken.id);
        expect(
          await store().purge({ revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now }),
        ).toEqual({
          ...NOTHING,
          accessTokens: 1,
          refreshTokens: 1,
        });
        expect(await store().findAccessToken(pair.accessToken.id)).toBeNull();
      });

      needs.it('keeps a revoked access token whose refresh token is still live', async () => {
        const pair = makeTokenPair({ accessToken: { revoked: true, createdAt: at(-60) } });
        await store().saveTokens(pair);
        expect(
          await store().purge({ revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now }),
        ).toEqual(NOTHING);
        expect(await store().findAccessToken(pair.accessToken.id)).not.toBeNull();
        expect(await store().findRefreshToken(pair.refreshToken.id)).not.toBeNull();
      });

      needs.it('keeps the consumed refresh tokens of a family that still holds a live one', async () => {
        const familyId = randomHex();
        const userId = uniqueId('user');
        const clientId = newClientId();
        const common = { familyId, userId, clientId };
        // Three rotations: gen0 and gen1 consumed (gen0 also expired long ago), gen2 live.
        const gen0 = makeTokenPair({
          accessToken: { ...common, createdAt: at(-20_000), expiresAt: at(-16_400) },
          refreshToken: { consumedAt: at(-19_000), expiresAt: at(-5000) },
        });
        const gen1 = makeTokenPair({
          accessToken: { ...common, createdAt: at(-10_800), expiresAt: at(-7200) },
          refreshToken: { consumedAt: at(-7000), expiresAt: at(80_000) },
        });
        const gen2 = makeTokenPair({ accessToken: { ...common, createdAt: at(-7000) } });
        for (const pair of [gen0, gen1, gen2]) await store().saveTokens(pair);

        // The old access tokens are not needed by the live refresh token: they go.
        expect(
          await store().purge({ revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now }),
        ).toEqual({
          ...NOTHING,
          accessTokens: 2,
        });
        expect(
          await remaining(store(), {
            access: [gen0.accessToken.id, gen1.accessToken.id, gen2.accessToken.id],
            refresh: [gen0.refreshToken.id, gen1.refreshToken.id, gen2.refreshToken.id],
          }),
        ).toMatchObject({
          access: [gen2.accessToken.id],
          refresh: [gen0.refreshToken.id, gen1.refreshToken.id, gen2.refreshToken.id],
        });
        // Reuse detection still works: the consumed token is found, the family can be revoked.
        expect(await store().findRefreshToken(gen1.refreshToken.id)).toMatchObject({ consumedAt: at(-7000) });

        await store().revokeFamily(familyId);
        expect(
          await store().purge({ revoked: true, expiredBefore: cutoff, revokedClientsBefore: null, now }),
        ).toEqual({
          ...NOTHING,
          accessTokens: 1,
          refreshTokens: 3,
        });
      });

      needs.it('a family whose refresh token expired no longer protects its consumed members', async () => {
        const familyId = randomHex();
        const consumed = makeTokenPair({
          accessToken: { familyId, createdAt: at(-100) },
          refreshToken: { consumedAt: at(-90), expiresAt: at(3600) },
        });
        const expiredSuccessor = makeTokenPair({
          accessToken: { familyId, createdAt: at(-90) },
          refreshToken: { expiresAt: at(-1) },
        });
        for (const pair of [consumed, expiredSuccessor]) await store().saveTokens(pair);
        expect(
          await store().purge({ revoked: true, expiredBefore: null, revokedClientsBefore: null, now }),
        ).toEqual({
          ...NOTHING,
          refreshTokens: 1,
        });
        expect(await store().findRefreshToken(consumed.refreshToken.id)).toBeNull();
        expect(await store().findRefreshToken(expiredSuccessor.refreshToken.id)).not.toBeNull();
      });
    });
  });
}
