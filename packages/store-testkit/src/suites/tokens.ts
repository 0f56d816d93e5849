import type { IssuedTokens } from '@passport/core';
import { expect } from 'vitest';
import { makeAccessToken, makeRefreshToken, makeTokenPair, randomHex } from '../fixtures.js';
import { at, expectConflict, type SuiteContext } from '../internal/helpers.js';

/** TokenStore: saveTokens (atomic), find, rotateRefreshToken (atomic). */
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
      const consumed = makeTokenPair({ refreshToken: { consumedAt: at(-10), replacedBy: randomHex() } });
      const expired = makeTokenPair({ refreshToken: { createdAt: at(-100), expiresAt: at(-50) } });
      for (const pair of [revoked, consumed, expired]) await store().saveTokens(pair);
      expect(await store().findRefreshToken(revoked.refreshToken.id)).toEqual(revoked.refreshToken);
      expect(await store().findRefreshToken(consumed.refreshToken.id)).toEqual(consumed.refreshToken);
      expect(await store().findRefreshToken(expired.refreshToken.id)).toEqual(expired.refreshToken);
    });

    tokens.describe('rotateRefreshToken', (rotate) => {
      /** The pair a rotation of `pair` writes: same user, client, scopes and family. */
      const nextOf = (pair: IssuedTokens, seconds: number) =>
        makeTokenPair({
          accessToken: {
            userId: pair.accessToken.userId,
            clientId: pair.accessToken.clientId,
            scopes: [...pair.accessToken.scopes],
            familyId: pair.accessToken.familyId,
            createdAt: at(seconds),
          },
        });

      /** Asserts that `next` was not written and `pair` is exactly as saved. */
      const expectUntouched = async (pair: ReturnType<typeof makeTokenPair>, next: IssuedTokens) => {
        expect(await store().findAccessToken(next.accessToken.id)).toBeNull();
        expect(await store().findRefreshToken(next.refreshToken?.id ?? randomHex())).toBeNull();
        expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
        expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
      };

      rotate.it(
        'consumes the token, revokes only its access token, stores the next pair, returns the consumed record',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          const sibling = makeTokenPair({
            accessToken: { familyId: pair.accessToken.familyId, createdAt: at(0) },
          });
          await store().saveTokens(pair);
          await store().saveTokens(sibling);
          const next = nextOf(pair, 10);

          const consumed = await store().rotateRefreshToken(pair.refreshToken.id, at(10), next);
          const expected = {
            ...pair.refreshToken,
            consumedAt: at(10),
            replacedBy: next.refreshToken.id,
            revoked: false,
          };
          expect(consumed).toEqual(expected);
          // Consumed, not revoked: `revoked` means revoked explicitly or with the family.
          expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(expected);
          expect(await store().findAccessToken(pair.accessToken.id)).toEqual({
            ...pair.accessToken,
            revoked: true,
          });
          expect(await store().findAccessToken(next.accessToken.id)).toEqual(next.accessToken);
          expect(await store().findRefreshToken(next.refreshToken.id)).toEqual(next.refreshToken);
          // Nothing else of the family changes.
          expect(await store().findAccessToken(sibling.accessToken.id)).toEqual(sibling.accessToken);
          expect(await store().findRefreshToken(sibling.refreshToken.id)).toEqual(sibling.refreshToken);
        },
      );

      rotate.it(
        'sets replacedBy to the id of the refresh token it wrote, and only on the rotated token',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveTokens(pair);
          const first = nextOf(pair, 10);
          await store().rotateRefreshToken(pair.refreshToken.id, at(10), first);
          const second = nextOf(first, 20);
          await store().rotateRefreshToken(first.refreshToken.id, at(20), second);
          expect((await store().findRefreshToken(pair.refreshToken.id))?.replacedBy).toBe(
            first.refreshToken.id,
          );
          expect((await store().findRefreshToken(first.refreshToken.id))?.replacedBy).toBe(
            second.refreshToken.id,
          );
          expect((await store().findRefreshToken(second.refreshToken.id))?.replacedBy).toBeNull();
        },
      );

      rotate.it('returns null the second time and writes nothing', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        expect(
          await store().rotateRefreshToken(pair.refreshToken.id, at(10), nextOf(pair, 10)),
        ).not.toBeNull();
        const again = nextOf(pair, 11);
        expect(await store().rotateRefreshToken(pair.refreshToken.id, at(11), again)).toBeNull();
        expect(await store().findAccessToken(again.accessToken.id)).toBeNull();
        expect(await store().findRefreshToken(again.refreshToken.id)).toBeNull();
        expect((await store().findRefreshToken(pair.refreshToken.id))?.consumedAt).toEqual(at(10));
      });

      rotate.it('returns null for an unknown id and writes nothing', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        const next = nextOf(pair, 1);
        expect(await store().rotateRefreshToken(randomHex(), at(1), next)).toBeNull();
        await expectUntouched(pair, next);
      });

      rotate.it('returns null for a consumed token and writes nothing', async () => {
        const pair = makeTokenPair({
          accessToken: { createdAt: at(0) },
          refreshToken: { consumedAt: at(5) },
        });
        await store().saveTokens(pair);
        const next = nextOf(pair, 10);
        expect(await store().rotateRefreshToken(pair.refreshToken.id, at(10), next)).toBeNull();
        await expectUntouched(pair, next);
      });

      rotate.it('returns null for a revoked token and writes nothing', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) }, refreshToken: { revoked: true } });
        await store().saveTokens(pair);
        const next = nextOf(pair, 10);
        expect(await store().rotateRefreshToken(pair.refreshToken.id, at(10), next)).toBeNull();
        await expectUntouched(pair, next);
      });

      rotate.it(
        'returns null once expiresAt <= now (the injected now decides) and writes nothing',
        async () => {
          const pair = makeTokenPair({ refreshToken: { createdAt: at(0), expiresAt: at(100) } });
          await store().saveTokens(pair);
          const next = nextOf(pair, 100);
          expect(await store().rotateRefreshToken(pair.refreshToken.id, at(100), next)).toBeNull();
          expect(await store().rotateRefreshToken(pair.refreshToken.id, at(500), next)).toBeNull();
          await expectUntouched(pair, next);
          expect(await store().rotateRefreshToken(pair.refreshToken.id, at(99), next)).toMatchObject({
            consumedAt: at(99),
          });
        },
      );

      rotate.it('returns null after revokeFamily and writes nothing', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        await store().revokeFamily(pair.refreshToken.familyId);
        const revoked = {
          accessToken: await store().findAccessToken(pair.accessToken.id),
          refreshToken: await store().findRefreshToken(pair.refreshToken.id),
        };
        const next = nextOf(pair, 10);
        expect(await store().rotateRefreshToken(pair.refreshToken.id, at(10), next)).toBeNull();
        expect(await store().findAccessToken(next.accessToken.id)).toBeNull();
        expect(await store().findRefreshToken(next.refreshToken.id)).toBeNull();
        expect(await store().findAccessToken(pair.accessToken.id)).toEqual(revoked.accessToken);
        expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(revoked.refreshToken);
      });

      rotate.it(
        'a later revokeFamily revokes the rotated pair and marks the consumed token revoked',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveTokens(pair);
          const next = nextOf(pair, 10);
          await store().rotateRefreshToken(pair.refreshToken.id, at(10), next);
          expect(await store().revokeFamily(pair.refreshToken.familyId)).toBe(3);
          expect((await store().findAccessToken(next.accessToken.id))?.revoked).toBe(true);
          expect((await store().findRefreshToken(next.refreshToken.id))?.revoked).toBe(true);
          expect(await store().findRefreshToken(pair.refreshToken.id)).toMatchObject({
            consumedAt: at(10),
            revoked: true,
          });
        },
      );

      rotate.it(
        'throws StoreConflictError for a taken access token id of next: old token unconsumed, nothing stored',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          const other = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveTokens(pair);
          await store().saveTokens(other);
          const next = makeTokenPair({
            accessToken: { ...nextOf(pair, 10).accessToken, id: other.accessToken.id },
          });
          await expectConflict(store().rotateRefreshToken(pair.refreshToken.id, at(10), next));
          expect(await store().findRefreshToken(next.refreshToken.id)).toBeNull();
          expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
          expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
          expect(await store().findAccessToken(other.accessToken.id)).toEqual(other.accessToken);
        },
      );

      rotate.it(
        'throws StoreConflictError for a taken refresh token id of next: old token unconsumed, nothing stored',
        async () => {
          const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
          const other = makeTokenPair({ accessToken: { createdAt: at(0) } });
          await store().saveTokens(pair);
          await store().saveTokens(other);
          const next = nextOf(pair, 10);
          next.refreshToken.id = other.refreshToken.id;
          await expectConflict(store().rotateRefreshToken(pair.refreshToken.id, at(10), next));
          expect(await store().findAccessToken(next.accessToken.id)).toBeNull();
          expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
          expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
          expect(await store().findRefreshToken(other.refreshToken.id)).toEqual(other.refreshToken);
          // Still usable afterwards.
          expect(
            await store().rotateRefreshToken(pair.refreshToken.id, at(11), nextOf(pair, 11)),
          ).toMatchObject({ consumedAt: at(11) });
        },
      );

      rotate.it('returns and stores copies: mutating them changes nothing stored', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        const next = nextOf(pair, 5);
        const snapshot = structuredClone(next);
        const consumed = await store().rotateRefreshToken(pair.refreshToken.id, at(5), next);
        consumed?.consumedAt?.setTime(0);
        consumed?.scopes.push('admin');
        next.accessToken.scopes.push('admin');
        next.refreshToken.revoked = true;
        expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual({
          ...pair.refreshToken,
          consumedAt: at(5),
          replacedBy: snapshot.refreshToken.id,
        });
        expect(await store().findAccessToken(snapshot.accessToken.id)).toEqual(snapshot.accessToken);
        expect(await store().findRefreshToken(snapshot.refreshToken.id)).toEqual(snapshot.refreshToken);
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
