import { type IssuedTokens, StoreConflictError } from '@passport/core';
import { expect } from 'vitest';
import {
  makeAuthCode,
  makeClient,
  makeDeviceCode,
  makeTokenPair,
  newClientId,
  randomHex,
  uniqueId,
} from '../fixtures.js';
import { at, issuedFor, RACERS, race, type SuiteContext } from '../internal/helpers.js';

const winners = <T>(results: readonly (T | null)[]): T[] =>
  results.filter((result): result is T => result !== null);

/** Every atomic operation under 50 concurrent callers for one id: exactly one winner. */
export function registerRaceSuite({ suite, store }: SuiteContext): void {
  /** Which of `issued` were stored, by index, per kind. */
  const storedIndexes = async (issued: readonly IssuedTokens[]) => {
    const access: number[] = [];
    const refresh: number[] = [];
    for (const [index, tokens] of issued.entries()) {
      if ((await store().findAccessToken(tokens.accessToken.id)) !== null) access.push(index);
      if ((await store().findRefreshToken(tokens.refreshToken?.id ?? '')) !== null) refresh.push(index);
    }
    return { access, refresh };
  };

  suite.describe(`races (${RACERS} concurrent callers, one id)`, (races) => {
    races.it('redeemAuthCode: exactly one caller redeems, and only its tokens are stored', async () => {
      const code = makeAuthCode({ createdAt: at(0) });
      await store().saveAuthCode(code);
      const family = { userId: code.userId, clientId: code.clientId, familyId: code.id };
      const issued = Array.from({ length: RACERS }, () => issuedFor(family, at(1)));
      const results = await race((index) =>
        store().redeemAuthCode(code.id, at(1), issued[index] ?? issuedFor(family, at(1))),
      );
      expect(winners(results)).toHaveLength(1);
      const winner = results.findIndex((result) => result !== null);
      expect(await storedIndexes(issued)).toEqual({ access: [winner], refresh: [winner] });
      expect((await store().findAuthCode(code.id))?.consumedAt).toEqual(at(1));
    });

    races.it(
      'redeemAuthCode and a replay: whoever sees the code consumed finds its tokens to revoke',
      async () => {
        const code = makeAuthCode({ createdAt: at(0) });
        await store().saveAuthCode(code);
        const family = { userId: code.userId, clientId: code.clientId, familyId: code.id };
        const tokens = issuedFor(family, at(1));
        // Replays keep reading the code. One that reads it consumed must find both tokens already
        // written (the consume and the write are one step), then revokes the family, as core does.
        // Several replays may revoke at once: a store need not serialize concurrent revokeFamily
        // calls, so their counts are not asserted, only what they find and the final state.
        const found: { access: boolean; refresh: boolean }[] = [];
        const replay = async (): Promise<void> => {
          for (let attempt = 0; attempt < 1000 && found.length === 0; attempt++) {
            const seen = await store().findAuthCode(code.id);
            if (seen !== null && seen.consumedAt !== null) {
              const [access, refresh] = await Promise.all([
                store().findAccessToken(tokens.accessToken.id),
                store().findRefreshToken(tokens.refreshToken.id),
              ]);
              found.push({ access: access !== null, refresh: refresh !== null });
              await store().revokeFamily(code.id);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
        };
        const replays = Array.from({ length: 5 }, replay);
        expect(await store().redeemAuthCode(code.id, at(1), tokens)).not.toBeNull();
        await Promise.all(replays);
        expect(found.length).toBeGreaterThan(0);
        for (const seen of found) expect(seen).toEqual({ access: true, refresh: true });
        expect((await store().findAccessToken(tokens.accessToken.id))?.revoked).toBe(true);
        expect((await store().findRefreshToken(tokens.refreshToken.id))?.revoked).toBe(true);
      },
    );

    races.it('rotateRefreshToken: exactly one caller rotates, and only its next pair is stored', async () => {
      const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
      await store().saveTokens(pair);
      const nexts = Array.from({ length: RACERS }, () =>
        makeTokenPair({
          accessToken: {
            userId: pair.accessToken.userId,
            clientId: pair.accessToken.clientId,
            familyId: pair.accessToken.familyId,
            createdAt: at(1),
          },
        }),
      );
      const results = await race((index) =>
        store().rotateRefreshToken(pair.refreshToken.id, at(1), nexts[index] ?? makeTokenPair()),
      );
      expect(winners(results)).toHaveLength(1);
      const winner = results.findIndex((result) => result !== null);
      const storedAccess: number[] = [];
      const storedRefresh: number[] = [];
      for (const [index, next] of nexts.entries()) {
        if ((await store().findAccessToken(next.accessToken.id)) !== null) storedAccess.push(index);
        if ((await store().findRefreshToken(next.refreshToken.id)) !== null) storedRefresh.push(index);
      }
      expect(storedAccess).toEqual([winner]);
      expect(storedRefresh).toEqual([winner]);
      expect(await store().findRefreshToken(pair.refreshToken.id)).toMatchObject({
        consumedAt: at(1),
        replacedBy: nexts[winner]?.refreshToken.id,
        revoked: false,
      });
      expect((await store().findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
    });

    races.it('redeemDeviceCode: exactly one caller redeems, and only its tokens are stored', async () => {
      const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: at(0) });
      await store().saveDeviceCode(code);
      const family = { userId: code.userId, clientId: code.clientId, familyId: code.id };
      const issued = Array.from({ length: RACERS }, () => issuedFor(family, at(1)));
      const results = await race((index) =>
        store().redeemDeviceCode(code.id, at(1), issued[index] ?? issuedFor(family, at(1))),
      );
      expect(winners(results)).toHaveLength(1);
      const winner = results.findIndex((result) => result !== null);
      expect(await storedIndexes(issued)).toEqual({ access: [winner], refresh: [winner] });
      expect((await store().findDeviceCode(code.id))?.consumedAt).toEqual(at(1));
    });

    races.it('hitRateLimit: every concurrent hit is counted exactly once (counts 1 to 50)', async () => {
      const key = `race:${randomHex(8)}`;
      const results = await race(() => store().hitRateLimit(key, 60_000, at(0)));
      expect(results.map((hit) => hit.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: RACERS }, (_, index) => index + 1),
      );
      for (const hit of results) expect(hit.resetAt).toEqual(at(60));
      expect((await store().hitRateLimit(key, 60_000, at(1))).count).toBe(RACERS + 1);
    });

    races.it('useNonce: exactly one caller gets true', async () => {
      const id = randomHex(16);
      const results = await race(() => store().useNonce(id, new Date(Date.now() + 3_600_000)));
      expect(results.filter((result) => result)).toHaveLength(1);
    });

    races.it('decideDeviceCode: exactly one decision wins and is the one stored', async () => {
      const code = makeDeviceCode({ createdAt: at(0) });
      await store().saveDeviceCode(code);
      const users = Array.from({ length: RACERS }, () => uniqueId('user'));
      const results = await race((index) =>
        store().decideDeviceCode(code.id, {
          status: index % 2 === 0 ? 'approved' : 'denied',
          userId: users[index] ?? '',
          now: at(1),
        }),
      );
      const [winner, ...others] = winners(results);
      expect(others).toEqual([]);
      expect(winner).toBeDefined();
      expect(await store().findDeviceCode(code.id)).toMatchObject({
        status: winner?.status,
        userId: winner?.userId,
      });
    });

    races.it(
      'saveTokens with one access token id: one save wins, the others conflict and store nothing',
      async () => {
        const accessTokenId = crypto.randomUUID();
        const pairs = Array.from({ length: RACERS }, () =>
          makeTokenPair({ accessToken: { id: accessTokenId, createdAt: at(0) } }),
        );
        const settled = await Promise.allSettled(pairs.map((pair) => store().saveTokens(pair)));
        const fulfilled = settled.flatMap((outcome, index) =>
          outcome.status === 'fulfilled' ? [index] : [],
        );
        expect(fulfilled).toHaveLength(1);
        for (const outcome of settled) {
          if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreConflictError);
        }
        const stored = [];
        for (const pair of pairs) {
          if ((await store().findRefreshToken(pair.refreshToken.id)) !== null)
            stored.push(pair.refreshToken.id);
        }
        expect(stored).toEqual([pairs[fulfilled[0] ?? -1]?.refreshToken.id]);
      },
    );

    races.it('createClient with one id: one insert wins, the others conflict', async () => {
      const id = newClientId();
      const settled = await race((index) =>
        store()
          .createClient(makeClient({ id, name: `racer ${index}` }))
          .then(
            () => index,
            (error: unknown) => error,
          ),
      );
      const wins = settled.filter((outcome): outcome is number => typeof outcome === 'number');
      expect(wins).toHaveLength(1);
      expect(settled.filter((outcome) => outcome instanceof StoreConflictError)).toHaveLength(RACERS - 1);
      expect((await store().findClient(id))?.name).toBe(`racer ${wins[0]}`);
    });
  });
}
