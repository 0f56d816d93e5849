import type { AuthCodeRecord, DeviceCodeRecord, IssuedTokens } from '@passport/core';
import { expect } from 'vitest';
import {
  makeAuthCode,
  makeDeviceCode,
  makeTokenPair,
  makeUserCode,
  randomHex,
  uniqueId,
} from '../fixtures.js';
import {
  at,
  expectConflict,
  expectUnavailable,
  issuedFor,
  outageSwitchOf,
  type SuiteContext,
  skipAtRunTime,
} from '../internal/helpers.js';

/** The tokens a device code issues: its user, client and, as family, its id. */
const deviceTokensFor = (code: DeviceCodeRecord, seconds: number) =>
  issuedFor({ userId: code.userId, clientId: code.clientId, familyId: code.id }, at(seconds));

/** AuthCodeStore, DeviceCodeStore and NonceStore. */
export function registerCodeSuites({ name, suite, store }: SuiteContext): void {
  suite.describe('authorization codes', (codes) => {
    codes.it('saveAuthCode stores a code that findAuthCode returns with Date fields', async () => {
      const code = makeAuthCode({
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        scopes: ['read', 'write'],
        createdAt: at(0),
      });
      await store().saveAuthCode(code);
      const found = await store().findAuthCode(code.id);
      expect(found).toEqual(code);
      expect(found?.expiresAt).toBeInstanceOf(Date);
    });

    codes.it('keeps a null redirect URI and a plain challenge as given', async () => {
      const code = makeAuthCode({
        redirectUri: null,
        codeChallenge: 'verifier',
        codeChallengeMethod: 'plain',
      });
      await store().saveAuthCode(code);
      expect(await store().findAuthCode(code.id)).toEqual(code);
    });

    codes.it('findAuthCode returns null for an unknown id', async () => {
      expect(await store().findAuthCode(randomHex())).toBeNull();
    });

    codes.it('saveAuthCode throws StoreConflictError for a duplicate id and keeps the original', async () => {
      const code = makeAuthCode();
      await store().saveAuthCode(code);
      await expectConflict(store().saveAuthCode({ ...code, userId: uniqueId('user') }));
      expect(await store().findAuthCode(code.id)).toEqual(code);
    });

    codes.describe('redeemAuthCode', (redeem) => {
      const tokensFor = (code: AuthCodeRecord, seconds: number) =>
        issuedFor({ userId: code.userId, clientId: code.clientId, familyId: code.id }, at(seconds));

      /** Asserts that `tokens` were not written and `code` is exactly as saved. */
      const expectNothingWritten = async (code: AuthCodeRecord, tokens: IssuedTokens) => {
        expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
        expect(await store().findRefreshToken(tokens.refreshToken?.id ?? randomHex())).toBeNull();
        expect(await store().findAuthCode(code.id)).toEqual(code);
      };

      redeem.it('marks the code consumed at now, writes the tokens, returns the consumed code', async () => {
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        const tokens = tokensFor(code, 30);
        expect(await store().redeemAuthCode(code.id, at(30), tokens)).toEqual({
          ...code,
          consumedAt: at(30),
        });
        expect(await store().findAuthCode(code.id)).toEqual({ ...code, consumedAt: at(30) });
        expect(await store().findAccessToken(tokens.accessToken.id)).toEqual(tokens.accessToken);
        expect(await store().findRefreshToken(tokens.refreshToken.id)).toEqual(tokens.refreshToken);
      });

      redeem.it('writes an access token alone when the refresh token is null', async () => {
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        const { accessToken } = tokensFor(code, 1);
        expect(
          await store().redeemAuthCode(code.id, at(1), { accessToken, refreshToken: null }),
        ).not.toBeNull();
        expect(await store().findAccessToken(accessToken.id)).toEqual(accessToken);
      });

      redeem.it('returns null the second time and writes nothing', async () => {
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        await store().redeemAuthCode(code.id, at(30), tokensFor(code, 30));
        const again = tokensFor(code, 31);
        expect(await store().redeemAuthCode(code.id, at(31), again)).toBeNull();
        await expectNothingWritten({ ...code, consumedAt: at(30) }, again);
      });

      redeem.it('returns null for an unknown or revoked code and writes nothing', async () => {
        const revoked = makeAuthCode({ revoked: true, createdAt: at(0) });
        await store().saveAuthCode(revoked);
        const tokens = tokensFor(revoked, 1);
        expect(await store().redeemAuthCode(randomHex(), at(1), tokens)).toBeNull();
        expect(await store().redeemAuthCode(revoked.id, at(1), tokens)).toBeNull();
        await expectNothingWritten(revoked, tokens);
      });

      redeem.it('returns null once expiresAt <= now (injected now) and writes nothing', async () => {
        const code = makeAuthCode({ createdAt: at(0), expiresAt: at(600) });
        await store().saveAuthCode(code);
        const tokens = tokensFor(code, 600);
        expect(await store().redeemAuthCode(code.id, at(600), tokens)).toBeNull();
        expect(await store().redeemAuthCode(code.id, at(601), tokens)).toBeNull();
        await expectNothingWritten(code, tokens);
        expect(await store().redeemAuthCode(code.id, at(599), tokens)).toMatchObject({ consumedAt: at(599) });
      });

      redeem.it(
        'throws StoreConflictError for a taken access token id: the code stays redeemable, nothing stored',
        async () => {
          const code = makeAuthCode({ createdAt: at(0) });
          const other = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveAuthCode(code);
          await store().saveTokens(other);
          const tokens = tokensFor(code, 5);
          const clash = { ...tokens, accessToken: { ...tokens.accessToken, id: other.accessToken.id } };
          await expectConflict(store().redeemAuthCode(code.id, at(5), clash));
          await expectNothingWritten(code, tokens);
          expect(await store().findAccessToken(other.accessToken.id)).toEqual(other.accessToken);
          expect(await store().redeemAuthCode(code.id, at(6), tokensFor(code, 6))).toMatchObject({
            consumedAt: at(6),
          });
        },
      );

      redeem.it(
        'throws StoreConflictError for a taken refresh token id: the code stays redeemable, nothing stored',
        async () => {
          const code = makeAuthCode({ createdAt: at(0) });
          const other = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveAuthCode(code);
          await store().saveTokens(other);
          const tokens = tokensFor(code, 5);
          tokens.refreshToken.id = other.refreshToken.id;
          await expectConflict(store().redeemAuthCode(code.id, at(5), tokens));
          expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
          expect(await store().findAuthCode(code.id)).toEqual(code);
          expect(await store().findRefreshToken(other.refreshToken.id)).toEqual(other.refreshToken);
        },
      );

      const outageTitle = 'a store failure during the step leaves the code redeemable and writes nothing';
      redeem.it(outageTitle, async (context) => {
        const outage = outageSwitchOf(store());
        if (outage === null) {
          skipAtRunTime(
            context,
            name,
            `authorization codes > redeemAuthCode > ${outageTitle}`,
            'the store has no simulateOutage({ methods }) / endOutage() testing switch (its own fault tests cover this)',
          );
          return;
        }
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        const tokens = tokensFor(code, 5);
        outage.simulateOutage({ methods: ['redeemAuthCode'] });
        try {
          await expectUnavailable(store().redeemAuthCode(code.id, at(5), tokens));
        } finally {
          outage.endOutage();
        }
        await expectNothingWritten(code, tokens);
        expect(await store().redeemAuthCode(code.id, at(6), tokens)).toMatchObject({ consumedAt: at(6) });
      });

      redeem.it(
        'the consumption and the tokens are visible together: revokeFamily(code.id) then revokes both tokens',
        async () => {
          const code = makeAuthCode({ createdAt: at(0) });
          await store().saveAuthCode(code);
          const tokens = tokensFor(code, 5);
          await store().redeemAuthCode(code.id, at(5), tokens);
          expect((await store().findAuthCode(code.id))?.consumedAt).toEqual(at(5));
          expect(await store().revokeFamily(code.id)).toBe(2);
          expect((await store().findAccessToken(tokens.accessToken.id))?.revoked).toBe(true);
          expect((await store().findRefreshToken(tokens.refreshToken.id))?.revoked).toBe(true);
        },
      );

      redeem.it('returns and stores copies: mutating them changes nothing stored', async () => {
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        const tokens = tokensFor(code, 5);
        const snapshot = structuredClone(tokens);
        const redeemed = await store().redeemAuthCode(code.id, at(5), tokens);
        redeemed?.consumedAt?.setTime(0);
        redeemed?.scopes.push('admin');
        tokens.accessToken.scopes.push('admin');
        tokens.refreshToken.revoked = true;
        expect(await store().findAuthCode(code.id)).toEqual({ ...code, consumedAt: at(5) });
        expect(await store().findAccessToken(snapshot.accessToken.id)).toEqual(snapshot.accessToken);
        expect(await store().findRefreshToken(snapshot.refreshToken.id)).toEqual(snapshot.refreshToken);
      });
    });

    codes.it('returns copies: mutating returned or written codes changes nothing stored', async () => {
      const code = makeAuthCode({ createdAt: at(0) });
      const snapshot = structuredClone(code);
      await store().saveAuthCode(code);
      code.scopes.push('admin');
      code.expiresAt.setTime(at(99_999).getTime());
      const found = await store().findAuthCode(code.id);
      found?.scopes.push('admin');
      found?.createdAt.setTime(0);
      expect(await store().findAuthCode(code.id)).toEqual(snapshot);
    });
  });

  suite.describe('device codes', (devices) => {
    devices.it('saveDeviceCode stores a code that findDeviceCode returns with Date fields', async () => {
      const code = makeDeviceCode({ createdAt: at(0), scopes: ['read', 'write'] });
      await store().saveDeviceCode(code);
      const found = await store().findDeviceCode(code.id);
      expect(found).toEqual(code);
      expect(found?.createdAt).toBeInstanceOf(Date);
    });

    devices.it('findDeviceCode returns null for an unknown id', async () => {
      expect(await store().findDeviceCode(randomHex())).toBeNull();
    });

    devices.it('saveDeviceCode throws StoreConflictError for a duplicate id', async () => {
      const code = makeDeviceCode();
      await store().saveDeviceCode(code);
      await expectConflict(store().saveDeviceCode({ ...code, userCode: makeDeviceCode().userCode }));
      expect(await store().findDeviceCode(code.id)).toEqual(code);
    });

    devices.it(
      'saveDeviceCode throws StoreConflictError for the user code of a live device code',
      async () => {
        const live = makeDeviceCode({ createdAt: at(0) });
        await store().saveDeviceCode(live);
        const clash = makeDeviceCode({ userCode: live.userCode, createdAt: at(10) });
        await expectConflict(store().saveDeviceCode(clash));
        expect(await store().findDeviceCode(clash.id)).toBeNull();
      },
    );

    devices.it('the user code of an expired or consumed device code can be used again', async () => {
      const expired = makeDeviceCode({ createdAt: at(-1200), expiresAt: at(-600) });
      await store().saveDeviceCode(expired);
      const reused = makeDeviceCode({ userCode: expired.userCode, createdAt: at(0) });
      await store().saveDeviceCode(reused);
      expect((await store().findDeviceCodeByUserCode(expired.userCode, at(1)))?.id).toBe(reused.id);

      const consumed = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
      await store().saveDeviceCode(consumed);
      await store().redeemDeviceCode(consumed.id, at(5), deviceTokensFor(consumed, 5));
      const again = makeDeviceCode({ userCode: consumed.userCode, createdAt: at(10) });
      await store().saveDeviceCode(again);
      expect((await store().findDeviceCodeByUserCode(consumed.userCode, at(11)))?.id).toBe(again.id);
    });

    devices.it('findDeviceCodeByUserCode finds unexpired, unconsumed codes and nothing else', async () => {
      const pending = makeDeviceCode({ createdAt: at(0), expiresAt: at(600) });
      const approved = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
      await store().saveDeviceCode(pending);
      await store().saveDeviceCode(approved);
      expect(await store().findDeviceCodeByUserCode(pending.userCode, at(599))).toEqual(pending);
      expect(await store().findDeviceCodeByUserCode(pending.userCode, at(600))).toBeNull();
      expect(await store().findDeviceCodeByUserCode(approved.userCode, at(1))).toEqual(approved);
      await store().redeemDeviceCode(approved.id, at(2), deviceTokensFor(approved, 2));
      expect(await store().findDeviceCodeByUserCode(approved.userCode, at(3))).toBeNull();
      expect(await store().findDeviceCodeByUserCode(makeUserCode(), at(0))).toBeNull();
    });

    devices.describe('decideDeviceCode', (decide) => {
      decide.it('approves a pending code for the user and returns the updated record', async () => {
        const code = makeDeviceCode({ createdAt: at(0) });
        const userId = uniqueId('user');
        await store().saveDeviceCode(code);
        const decided = await store().decideDeviceCode(code.id, { status: 'approved', userId, now: at(10) });
        expect(decided).toEqual({ ...code, status: 'approved', userId });
        expect(await store().findDeviceCode(code.id)).toEqual({ ...code, status: 'approved', userId });
      });

      decide.it('denies a pending code for the user', async () => {
        const code = makeDeviceCode({ createdAt: at(0) });
        const userId = uniqueId('user');
        await store().saveDeviceCode(code);
        expect(
          await store().decideDeviceCode(code.id, { status: 'denied', userId, now: at(10) }),
        ).toMatchObject({
          status: 'denied',
          userId,
        });
      });

      decide.it('decides only once: a second decision returns null and changes nothing', async () => {
        const code = makeDeviceCode({ createdAt: at(0) });
        const first = uniqueId('user');
        await store().saveDeviceCode(code);
        await store().decideDeviceCode(code.id, { status: 'approved', userId: first, now: at(1) });
        expect(
          await store().decideDeviceCode(code.id, { status: 'denied', userId: uniqueId('user'), now: at(2) }),
        ).toBeNull();
        expect(await store().findDeviceCode(code.id)).toMatchObject({ status: 'approved', userId: first });
      });

      decide.it('returns null for an unknown or expired code (injected now)', async () => {
        const code = makeDeviceCode({ createdAt: at(0), expiresAt: at(600) });
        await store().saveDeviceCode(code);
        const userId = uniqueId('user');
        expect(
          await store().decideDeviceCode(randomHex(), { status: 'approved', userId, now: at(1) }),
        ).toBeNull();
        expect(
          await store().decideDeviceCode(code.id, { status: 'approved', userId, now: at(600) }),
        ).toBeNull();
        expect(await store().findDeviceCode(code.id)).toMatchObject({ status: 'pending', userId: null });
      });
    });

    devices.describe('touchDeviceCode', (touch) => {
      touch.it('records the poll and returns the record as it was before', async () => {
        const code = makeDeviceCode({ createdAt: at(0), interval: 5 });
        await store().saveDeviceCode(code);
        expect(await store().touchDeviceCode(code.id, at(5))).toEqual(code);
        expect(await store().touchDeviceCode(code.id, at(10))).toEqual({ ...code, lastPolledAt: at(5) });
        expect(await store().findDeviceCode(code.id)).toEqual({ ...code, lastPolledAt: at(10) });
      });

      touch.it('raises the interval when one is given and keeps it otherwise', async () => {
        const code = makeDeviceCode({ createdAt: at(0), interval: 5 });
        await store().saveDeviceCode(code);
        await store().touchDeviceCode(code.id, at(1), 10);
        expect(await store().findDeviceCode(code.id)).toMatchObject({ interval: 10, lastPolledAt: at(1) });
        const before = await store().touchDeviceCode(code.id, at(20));
        expect(before).toMatchObject({ interval: 10, lastPolledAt: at(1) });
        expect(await store().findDeviceCode(code.id)).toMatchObject({ interval: 10, lastPolledAt: at(20) });
      });

      touch.it('returns null for an unknown code', async () => {
        expect(await store().touchDeviceCode(randomHex(), at(0))).toBeNull();
      });
    });

    devices.describe('redeemDeviceCode', (redeem) => {
      redeem.it('consumes an approved code once, writing the tokens with it', async () => {
        const userId = uniqueId('user');
        const code = makeDeviceCode({ status: 'approved', userId, createdAt: at(0) });
        await store().saveDeviceCode(code);
        const tokens = deviceTokensFor(code, 20);
        expect(await store().redeemDeviceCode(code.id, at(20), tokens)).toEqual({
          ...code,
          consumedAt: at(20),
        });
        expect(await store().findAccessToken(tokens.accessToken.id)).toEqual(tokens.accessToken);
        expect(await store().findRefreshToken(tokens.refreshToken.id)).toEqual(tokens.refreshToken);
        const again = deviceTokensFor(code, 21);
        expect(await store().redeemDeviceCode(code.id, at(21), again)).toBeNull();
        expect(await store().findAccessToken(again.accessToken.id)).toBeNull();
        expect(await store().findDeviceCode(code.id)).toEqual({ ...code, consumedAt: at(20) });
      });

      redeem.it(
        'returns null for a pending or denied code, leaves it unconsumed and writes nothing',
        async () => {
          const pending = makeDeviceCode({ createdAt: at(0) });
          const denied = makeDeviceCode({ status: 'denied', userId: uniqueId('user'), createdAt: at(0) });
          await store().saveDeviceCode(pending);
          await store().saveDeviceCode(denied);
          const tokens = deviceTokensFor(denied, 1);
          expect(await store().redeemDeviceCode(pending.id, at(1), tokens)).toBeNull();
          expect(await store().redeemDeviceCode(denied.id, at(1), tokens)).toBeNull();
          expect((await store().findDeviceCode(pending.id))?.consumedAt).toBeNull();
          expect((await store().findDeviceCode(denied.id))?.consumedAt).toBeNull();
          expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
        },
      );

      redeem.it('returns null for an unknown or expired code (injected now) and writes nothing', async () => {
        const code = makeDeviceCode({
          status: 'approved',
          userId: uniqueId('user'),
          createdAt: at(0),
          expiresAt: at(600),
        });
        await store().saveDeviceCode(code);
        const tokens = deviceTokensFor(code, 600);
        expect(await store().redeemDeviceCode(randomHex(), at(1), tokens)).toBeNull();
        expect(await store().redeemDeviceCode(code.id, at(600), tokens)).toBeNull();
        expect((await store().findDeviceCode(code.id))?.consumedAt).toBeNull();
        expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
      });

      redeem.it('returns null for a code revoked with its client (revokeClientTokens)', async () => {
        const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
        await store().saveDeviceCode(code);
        await store().revokeClientTokens(code.clientId);
        const tokens = deviceTokensFor(code, 1);
        expect(await store().redeemDeviceCode(code.id, at(1), tokens)).toBeNull();
        expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
      });

      redeem.it(
        'throws StoreConflictError for a taken token id: the code stays redeemable, nothing stored',
        async () => {
          const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
          const other = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveDeviceCode(code);
          await store().saveTokens(other);
          const tokens = deviceTokensFor(code, 5);
          const clash = { ...tokens, accessToken: { ...tokens.accessToken, id: other.accessToken.id } };
          await expectConflict(store().redeemDeviceCode(code.id, at(5), clash));
          expect(await store().findRefreshToken(tokens.refreshToken.id)).toBeNull();
          expect(await store().findDeviceCode(code.id)).toEqual(code);
          expect(await store().redeemDeviceCode(code.id, at(6), deviceTokensFor(code, 6))).toMatchObject({
            consumedAt: at(6),
          });
        },
      );

      const outageTitle = 'a store failure during the step leaves the code redeemable and writes nothing';
      redeem.it(outageTitle, async (context) => {
        const outage = outageSwitchOf(store());
        if (outage === null) {
          skipAtRunTime(
            context,
            name,
            `device codes > redeemDeviceCode > ${outageTitle}`,
            'the store has no simulateOutage({ methods }) / endOutage() testing switch (its own fault tests cover this)',
          );
          return;
        }
        const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
        await store().saveDeviceCode(code);
        const tokens = deviceTokensFor(code, 5);
        outage.simulateOutage({ methods: ['redeemDeviceCode'] });
        try {
          await expectUnavailable(store().redeemDeviceCode(code.id, at(5), tokens));
        } finally {
          outage.endOutage();
        }
        expect(await store().findDeviceCode(code.id)).toEqual(code);
        expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
        expect(await store().redeemDeviceCode(code.id, at(6), tokens)).toMatchObject({ consumedAt: at(6) });
      });

      redeem.it('follows the whole flow: pending, approved, redeemed', async () => {
        const code = makeDeviceCode({ createdAt: at(0) });
        const userId = uniqueId('user');
        await store().saveDeviceCode(code);
        expect(await store().redeemDeviceCode(code.id, at(5), deviceTokensFor(code, 5))).toBeNull();
        await store().decideDeviceCode(code.id, { status: 'approved', userId, now: at(10) });
        const tokens = deviceTokensFor({ ...code, userId }, 15);
        expect(await store().redeemDeviceCode(code.id, at(15), tokens)).toEqual({
          ...code,
          status: 'approved',
          userId,
          consumedAt: at(15),
        });
        expect(await store().revokeFamily(code.id)).toBe(2);
      });
    });

    devices.it(
      'returns copies: mutating returned or written device codes changes nothing stored',
      async () => {
        const code = makeDeviceCode({ createdAt: at(0) });
        const snapshot = structuredClone(code);
        await store().saveDeviceCode(code);
        code.scopes.push('admin');
        code.status = 'approved';
        const found = await store().findDeviceCode(code.id);
        found?.scopes.push('admin');
        found?.expiresAt.setTime(0);
        const byUserCode = await store().findDeviceCodeByUserCode(snapshot.userCode, at(1));
        if (byUserCode !== null) byUserCode.status = 'approved';
        const touched = await store().touchDeviceCode(code.id, at(2));
        touched?.createdAt.setTime(0);
        expect(await store().findDeviceCode(code.id)).toEqual({ ...snapshot, lastPolledAt: at(2) });
      },
    );
  });

  suite.describe('nonces', (nonces) => {
    const inOneHour = (): Date => new Date(Date.now() + 3_600_000);

    nonces.it('useNonce returns true the first time and false while the marker lives', async () => {
      const id = randomHex(16);
      expect(await store().useNonce(id, inOneHour())).toBe(true);
      expect(await store().useNonce(id, inOneHour())).toBe(false);
      expect(await store().useNonce(id, inOneHour())).toBe(false);
    });

    nonces.it('markers are independent', async () => {
      expect(await store().useNonce(randomHex(16), inOneHour())).toBe(true);
      expect(await store().useNonce(randomHex(16), inOneHour())).toBe(true);
    });

    nonces.it('purge drops expired markers and keeps live ones', async () => {
      const now = new Date();
      const expiring = randomHex(16);
      const lasting = randomHex(16);
      expect(await store().useNonce(expiring, new Date(now.getTime() + 60_000))).toBe(true);
      expect(await store().useNonce(lasting, new Date(now.getTime() + 7_200_000))).toBe(true);
      expect(await store().useNonce(expiring, inOneHour())).toBe(false);
      const purged = await store().purge({
        revoked: true,
        expiredBefore: null,
        revokedClientsBefore: null,
        now: new Date(now.getTime() + 120_000),
      });
      expect(purged.nonces).toBeGreaterThanOrEqual(1);
      expect(await store().useNonce(expiring, inOneHour())).toBe(true);
      expect(await store().useNonce(lasting, inOneHour())).toBe(false);
    });
  });
}
