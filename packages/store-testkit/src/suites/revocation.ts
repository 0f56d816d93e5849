import { expect } from 'vitest';
import {
  makeAuthCode,
  makeDeviceCode,
  makeTokenPair,
  newClientId,
  randomHex,
  uniqueId,
} from '../fixtures.js';
import { at, issuedFor, type SuiteContext } from '../internal/helpers.js';

/** TokenStore revocation: one access token, one refresh token, a family, a client. */
export function registerRevocationSuite({ suite, store }: SuiteContext): void {
  suite.describe('revocation', (revocation) => {
    revocation.describe('revokeAccessToken', (one) => {
      one.it('revokes the access token and every refresh token issued with it, nothing else', async () => {
        const familyId = randomHex();
        const pair = makeTokenPair({ accessToken: { familyId, createdAt: at(0) } });
        // A second refresh token issued with the same access token.
        const sibling = makeTokenPair({
          accessToken: { familyId },
          refreshToken: { accessTokenId: pair.accessToken.id },
        }).refreshToken;
        const sameFamily = makeTokenPair({ accessToken: { familyId, userId: pair.accessToken.userId } });
        const other = makeTokenPair({ accessToken: { userId: pair.accessToken.userId } });
        await store().saveTokens(pair);
        await store().saveTokens({
          accessToken: { ...pair.accessToken, id: crypto.randomUUID() },
          refreshToken: sibling,
        });
        await store().saveTokens(sameFamily);
        await store().saveTokens(other);

        expect(await store().revokeAccessToken(pair.accessToken.id)).toBe(true);

        expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
        expect((await store().findRefreshToken(pair.refreshToken.id))?.revoked).toBe(true);
        expect((await store().findRefreshToken(sibling.id))?.revoked).toBe(true);
        expect((await store().findAccessToken(sameFamily.accessToken.id))?.revoked).toBe(false);
        expect((await store().findRefreshToken(sameFamily.refreshToken.id))?.revoked).toBe(false);
        expect((await store().findAccessToken(other.accessToken.id))?.revoked).toBe(false);
        expect((await store().findRefreshToken(other.refreshToken.id))?.revoked).toBe(false);
      });

      one.it('returns false for an unknown id', async () => {
        expect(await store().revokeAccessToken(crypto.randomUUID())).toBe(false);
      });

      one.it('returns true for an access token that is already revoked', async () => {
        const pair = makeTokenPair({ accessToken: { revoked: true } });
        await store().saveTokens(pair);
        expect(await store().revokeAccessToken(pair.accessToken.id)).toBe(true);
        expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
      });
    });

    revocation.describe('revokeRefreshToken', (refresh) => {
      refresh.it('revokes the refresh token only, not its access token', async () => {
        const pair = makeTokenPair();
        await store().saveTokens(pair);
        expect(await store().revokeRefreshToken(pair.refreshToken.id)).toBe(true);
        expect((await store().findRefreshToken(pair.refreshToken.id))?.revoked).toBe(true);
        expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(false);
        const next = issuedFor(pair.refreshToken, at(0));
        expect(await store().rotateRefreshToken(pair.refreshToken.id, at(0), next)).toBeNull();
        expect(await store().findAccessToken(next.accessToken.id)).toBeNull();
      });

      refresh.it('returns false for an unknown id', async () => {
        expect(await store().revokeRefreshToken(randomHex())).toBe(false);
      });
    });

    revocation.describe('revokeFamily', (family) => {
      family.it(
        'revokes every access and refresh token of the family and counts the changed rows',
        async () => {
          const familyId = randomHex();
          const first = makeTokenPair({
            accessToken: { familyId, createdAt: at(0) },
            refreshToken: { consumedAt: at(5) },
          });
          const second = makeTokenPair({ accessToken: { familyId, createdAt: at(5) } });
          const otherFamily = makeTokenPair({ accessToken: { userId: first.accessToken.userId } });
          for (const pair of [first, second, otherFamily]) await store().saveTokens(pair);

          expect(await store().revokeFamily(familyId)).toBe(4);

          for (const pair of [first, second]) {
            expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
            expect((await store().findRefreshToken(pair.refreshToken.id))?.revoked).toBe(true);
          }
          expect((await store().findAccessToken(otherFamily.accessToken.id))?.revoked).toBe(false);
          expect((await store().findRefreshToken(otherFamily.refreshToken.id))?.revoked).toBe(false);
          expect(
            await store().rotateRefreshToken(
              second.refreshToken.id,
              at(10),
              issuedFor(second.refreshToken, at(10)),
            ),
          ).toBeNull();
        },
      );

      family.it('counts only rows that changed: a second revocation returns 0', async () => {
        const familyId = randomHex();
        const pair = makeTokenPair({ accessToken: { familyId } });
        const alreadyRevoked = makeTokenPair({
          accessToken: { familyId, revoked: true },
          refreshToken: { revoked: true },
        });
        await store().saveTokens(pair);
        await store().saveTokens(alreadyRevoked);
        expect(await store().revokeFamily(familyId)).toBe(2);
        expect(await store().revokeFamily(familyId)).toBe(0);
      });

      family.it('returns 0 for an unknown family', async () => {
        expect(await store().revokeFamily(randomHex())).toBe(0);
      });
    });

    revocation.describe('revokeClientTokens', (client) => {
      client.it(
        "revokes the client's access tokens, refresh tokens, authorization codes and device codes",
        async () => {
          const clientId = newClientId();
          const otherClientId = newClientId();
          const userId = uniqueId('user');
          const pair = makeTokenPair({ accessToken: { clientId, userId, createdAt: at(0) } });
          const code = makeAuthCode({ clientId, userId, createdAt: at(0) });
          const pending = makeDeviceCode({ clientId, createdAt: at(0) });
          const approved = makeDeviceCode({ clientId, status: 'approved', userId, createdAt: at(0) });
          const otherPair = makeTokenPair({
            accessToken: { clientId: otherClientId, userId, createdAt: at(0) },
          });
          const otherCode = makeAuthCode({ clientId: otherClientId, userId, createdAt: at(0) });
          const otherDevice = makeDeviceCode({
            clientId: otherClientId,
            status: 'approved',
            userId,
            createdAt: at(0),
          });
          await store().saveTokens(pair);
          await store().saveTokens(otherPair);
          await store().saveAuthCode(code);
          await store().saveAuthCode(otherCode);
          for (const device of [pending, approved, otherDevice]) await store().saveDeviceCode(device);

          expect(await store().revokeClientTokens(clientId)).toBe(5);

          expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
          expect((await store().findRefreshToken(pair.refreshToken.id))?.revoked).toBe(true);
          expect((await store().findAuthCode(code.id))?.revoked).toBe(true);
          const issued = (familyId: string, owner: string) =>
            issuedFor({ userId, clientId: owner, familyId }, at(1));
          expect(await store().redeemAuthCode(code.id, at(1), issued(code.id, clientId))).toBeNull();
          expect(
            await store().rotateRefreshToken(
              pair.refreshToken.id,
              at(1),
              issuedFor(pair.refreshToken, at(1)),
            ),
          ).toBeNull();
          expect(
            await store().decideDeviceCode(pending.id, { status: 'approved', userId, now: at(1) }),
          ).toBeNull();
          expect(
            await store().redeemDeviceCode(approved.id, at(1), issued(approved.id, clientId)),
          ).toBeNull();
          expect(await store().listUserTokens(userId, { now: at(1), clientId })).toEqual([]);

          expect((await store().findAccessToken(otherPair.accessToken.id))?.revoked).toBe(false);
          expect((await store().findRefreshToken(otherPair.refreshToken.id))?.revoked).toBe(false);
          expect(
            await store().redeemAuthCode(otherCode.id, at(1), issued(otherCode.id, otherClientId)),
          ).not.toBeNull();
          expect(
            await store().redeemDeviceCode(otherDevice.id, at(1), issued(otherDevice.id, otherClientId)),
          ).not.toBeNull();
        },
      );

      client.it('counts only rows that changed: a second revocation returns 0', async () => {
        const clientId = newClientId();
        await store().saveTokens(makeTokenPair({ accessToken: { clientId } }));
        await store().saveAuthCode(makeAuthCode({ clientId }));
        await store().saveDeviceCode(makeDeviceCode({ clientId }));
        expect(await store().revokeClientTokens(clientId)).toBe(4);
        expect(await store().revokeClientTokens(clientId)).toBe(0);
      });

      client.it('returns 0 for a client without tokens', async () => {
        expect(await store().revokeClientTokens(newClientId())).toBe(0);
      });
    });
  });

  suite.describe('listUserTokens', (list) => {
    list.it('returns only live tokens (not revoked, expiresAt > now) of the user, newest first', async () => {
      const userId = uniqueId('user');
      const clientId = newClientId();
      const oldest = makeTokenPair({ accessToken: { userId, clientId, createdAt: at(-30) } });
      const newest = makeTokenPair({ accessToken: { userId, clientId, createdAt: at(-10) } });
      const middle = makeTokenPair({ accessToken: { userId, clientId, createdAt: at(-20) } });
      const revoked = makeTokenPair({ accessToken: { userId, clientId, createdAt: at(-5), revoked: true } });
      const expired = makeTokenPair({
        accessToken: { userId, clientId, createdAt: at(-7200), expiresAt: at(-1) },
      });
      const expiresNow = makeTokenPair({
        accessToken: { userId, clientId, createdAt: at(-3600), expiresAt: at(0) },
      });
      const otherUser = makeTokenPair({ accessToken: { clientId, createdAt: at(-1) } });
      for (const pair of [oldest, newest, middle, revoked, expired, expiresNow, otherUser]) {
        await store().saveTokens(pair);
      }
      const listed = await store().listUserTokens(userId, { now: at(0) });
      expect(listed).toEqual([newest.accessToken, middle.accessToken, oldest.accessToken]);
    });

    list.it('filters by client when clientId is given', async () => {
      const userId = uniqueId('user');
      const clientA = newClientId();
      const clientB = newClientId();
      const a1 = makeTokenPair({ accessToken: { userId, clientId: clientA, createdAt: at(-3) } });
      const b1 = makeTokenPair({ accessToken: { userId, clientId: clientB, createdAt: at(-2) } });
      const a2 = makeTokenPair({ accessToken: { userId, clientId: clientA, createdAt: at(-1) } });
      for (const pair of [a1, b1, a2]) await store().saveTokens(pair);
      expect(await store().listUserTokens(userId, { now: at(0), clientId: clientA })).toEqual([
        a2.accessToken,
        a1.accessToken,
      ]);
      expect(await store().listUserTokens(userId, { now: at(0), clientId: clientB })).toEqual([
        b1.accessToken,
      ]);
      expect(await store().listUserTokens(userId, { now: at(0), clientId: newClientId() })).toEqual([]);
      expect(await store().listUserTokens(userId, { now: at(0) })).toHaveLength(3);
    });

    list.it('moves with the injected now: a token drops out once it expires', async () => {
      const userId = uniqueId('user');
      const pair = makeTokenPair({ accessToken: { userId, createdAt: at(0), expiresAt: at(3600) } });
      await store().saveTokens(pair);
      expect(await store().listUserTokens(userId, { now: at(3599) })).toHaveLength(1);
      expect(await store().listUserTokens(userId, { now: at(3600) })).toEqual([]);
    });

    list.it('returns an empty array for an unknown user', async () => {
      expect(await store().listUserTokens(uniqueId('user'), { now: at(0) })).toEqual([]);
    });

    list.it('returns copies: mutating the list changes nothing stored', async () => {
      const userId = uniqueId('user');
      const pair = makeTokenPair({ accessToken: { userId, createdAt: at(0) } });
      await store().saveTokens(pair);
      const [listed] = await store().listUserTokens(userId, { now: at(1) });
      listed?.scopes.push('admin');
      listed?.expiresAt.setTime(0);
      expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
    });
  });
}
