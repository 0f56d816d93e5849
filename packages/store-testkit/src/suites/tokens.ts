import { expect } from 'vitest';
import { makeAccessToken, makeRefreshToken, makeTokenPair, randomHex } from '../fixtures.js';
import { at, expectConflict, type SuiteContext } from '../internal/helpers.js';

/** TokenStore: saveTokens (atomic), find, consumeRefreshToken. */
export function registerTokenSuite({ suite, store }: SuiteContext): void {
  suite.describe('tokens', (tokens) => {
    tokens.describe('saveTokens', (save) => {
      save.it('stores the access token and its refresh token, returned with Date fields', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0), name: null, scopes: ['a', 'b'] } });
        await store().saveTokens(pair);
        const access = await store().findAccessToken(pair.accessToken.id);
        const refresh = await store().findRefreshToken(pair.refreshToken.id);
        expect(access).toEqual(pair.accessToken);
        expect(refresh).toEqual(pair.refreshToken);
        expect(access?.expiresAt).toBeInstanceOf(Date);
        expect(refresh?.expiresAt).toBeInstanceOf(Date);
        expect(refresh?.consumedAt).toBeNull();
      });

      save.it('stores an access token alone when refreshToken is null', async () => {
        const accessToken = makeAccessToken({ userId: null, name: 'CI token', createdAt: at(0) });
        await store().saveTokens({ accessToken, refreshToken: null });
        expect(await store().findAccessToken(accessToken.id)).toEqual(accessToken);
      });

      save.it(
        'throws StoreConflictError for a duplicate access token id and stores nothing new',
        async () => {
          const first = makeTokenPair();
          await store().saveTokens(first);
          const second = makeTokenPair({ accessToken: { id: first.accessToken.id, name: 'second' } });
          await expectConflict(store().saveTokens(second));
          expect(await store().findAccessToken(first.accessToken.id)).toEqual(first.accessToken);
          expect(await store().findRefreshToken(second.refreshToken.id)).toBeNull();
        },
      );

      save.it(
        'is all or nothing: a duplicate refresh token id fails the save and the access token is not stored',
        async () => {
          const first = makeTokenPair();
          await store().saveTokens(first);
          const second = makeTokenPair({ refreshToken: { id: first.refreshToken.id } });
          await expectConflict(store().saveTokens(second));
          expect(await store().findAccessToken(second.accessToken.id)).toBeNull();
          expect(await store().findRefreshToken(first.refreshToken.id)).toEqual(first.refreshToken);
        },
      );

      save.it('returns copies: mutating returned or written tokens changes nothing stored', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        const snapshot = structuredClone(pair);
        await store().saveTokens(pair);
        pair.accessToken.scopes.push('admin');
        pair.accessToken.expiresAt.setTime(at(999_999).getTime());
        pair.refreshToken.scopes.push('admin');
        pair.refreshToken.revoked = true;

        const access = await store().findAccessToken(snapshot.accessToken.id);
        const refresh = await store().findRefreshToken(snapshot.refreshToken.id);
        access?.scopes.push('admin');
        access?.createdAt.setTime(0);
        refresh?.expiresAt.setTime(0);
        if (refresh !== null) refresh.familyId = 'other';

        expect(await store().findAccessToken(snapshot.accessToken.id)).toEqual(snapshot.accessToken);
        expect(await store().findRefreshToken(snapshot.refreshToken.id)).toEqual(snapshot.refreshToken);
      });
    });

    tokens.it('findAccessToken and findRefreshToken return null for unknown ids', async () => {
      expect(await store().findAccessToken(crypto.randomUUID())).toBeNull();
      expect(await store().findRefreshToken(randomHex())).toBeNull();
    });

    tokens.it('findRefreshToken returns revoked, consumed and expired refresh tokens too', async () => {
      const revoked = makeTokenPair({ refreshToken: { revoked: true } });
      const consumed = makeTokenPair({ refreshToken: { consumedAt: at(-10) } });
      const expired = makeTokenPair({ refreshToken: { createdAt: at(-100), expiresAt: at(-50) } });
      for (const pair of [revoked, consumed, expired]) await store().saveTokens(pair);
      expect(await store().findRefreshToken(revoked.refreshToken.id)).toEqual(revoked.refreshToken);
      expect(await store().findRefreshToken(consumed.refreshToken.id)).toEqual(consumed.refreshToken);
      expect(await store().findRefreshToken(expired.refreshToken.id)).toEqual(expired.refreshToken);
    });

    tokens.describe('consumeRefreshToken', (consume) => {
      consume.it(
        'marks the token consumed at now, returns it, and returns null the second time',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveTokens(pair);
          const consumed = await store().consumeRefreshToken(pair.refreshToken.id, at(10));
          expect(consumed).toEqual({ ...pair.refreshToken, consumedAt: at(10) });
          expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual({
            ...pair.refreshToken,
            consumedAt: at(10),
          });
          expect(await store().consumeRefreshToken(pair.refreshToken.id, at(11))).toBeNull();
          expect((await store().findRefreshToken(pair.refreshToken.id))?.consumedAt).toEqual(at(10));
        },
      );

      consume.it('returns null for an unknown id', async () => {
        expect(await store().consumeRefreshToken(randomHex(), at(0))).toBeNull();
      });

      consume.it('returns null for a revoked token and leaves it unconsumed', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) }, refreshToken: { revoked: true } });
        await store().saveTokens(pair);
        expect(await store().consumeRefreshToken(pair.refreshToken.id, at(1))).toBeNull();
        expect((await store().findRefreshToken(pair.refreshToken.id))?.consumedAt).toBeNull();
      });

      consume.it('returns null once expiresAt <= now (the injected now decides, not a clock)', async () => {
        const pair = makeTokenPair({ refreshToken: { createdAt: at(0), expiresAt: at(100) } });
        await store().saveTokens(pair);
        expect(await store().consumeRefreshToken(pair.refreshToken.id, at(100))).toBeNull();
        expect(await store().consumeRefreshToken(pair.refreshToken.id, at(500))).toBeNull();
        expect((await store().findRefreshToken(pair.refreshToken.id))?.consumedAt).toBeNull();
        expect(await store().consumeRefreshToken(pair.refreshToken.id, at(99))).toMatchObject({
          consumedAt: at(99),
        });
      });

      consume.it('returns a copy: mutating it changes nothing stored', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        const consumed = await store().consumeRefreshToken(pair.refreshToken.id, at(5));
        consumed?.consumedAt?.setTime(0);
        consumed?.scopes.push('admin');
        expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual({
          ...pair.refreshToken,
          consumedAt: at(5),
        });
      });
    });

    tokens.it('a refresh token saved alone with makeRefreshToken round-trips', async () => {
      const accessToken = makeAccessToken({ familyId: randomHex(), createdAt: at(0) });
      const refreshToken = makeRefreshToken({
        accessTokenId: accessToken.id,
        familyId: accessToken.familyId ?? '',
        userId: accessToken.userId,
        clientId: accessToken.clientId,
        createdAt: at(0),
      });
      await store().saveTokens({ accessToken, refreshToken });
      expect(await store().findRefreshToken(refreshToken.id)).toEqual(refreshToken);
    });
  });
}
