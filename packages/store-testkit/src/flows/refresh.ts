import { StoreUnavailableError, type TokenResponse } from '@passport/core';
import { expect } from 'vitest';
import { outageSwitchOf } from '../internal/helpers.js';
import {
  authorizeCode,
  createFlowClient,
  createFlowPassport,
  expectOAuthError,
  isLive,
  jtiOf,
  redeemCode,
  refreshRow,
  refreshWith,
  uniqueUser,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

/** The default retry window (`refreshTokenRetrySeconds`), unless a test sets another. */
async function started(getStore: FlowSuiteContext['getStore'], retrySeconds?: number) {
  const f = await createFlowPassport(
    getStore(),
    retrySeconds === undefined ? {} : { refreshTokenRetrySeconds: retrySeconds },
  );
  const { client } = await createFlowClient(f);
  const user = uniqueUser();
  const tokens = await redeemCode(f, client, await authorizeCode(f, client, user, 'read write'));
  return { f, client, user, tokens };
}

/** Refresh rotation, narrowing, reuse detection, retries and races end to end (RFC 9700 4.14). */
export function registerRefreshFlow({ name, describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('refresh token rotation', (suite) => {
      suite.it(
        'rotates: new pair in the same family, old refresh token consumed, old access token revoked',
        async () => {
          const { f, client, tokens } = await started(getStore);
          f.advance(60);
          const next = await refreshWith(f, client, tokens.refresh_token ?? '');
          expect(next.refresh_token).not.toBe(tokens.refresh_token);
          expect(await isLive(f, tokens.access_token)).toBe(false);
          expect(await isLive(f, next.access_token)).toBe(true);
          const old = await refreshRow(f, tokens);
          expect(old?.consumedAt).toEqual(new Date(f.now()));
          // Rotation consumes; `revoked` is kept for explicit and family revocation.
          expect(old?.revoked).toBe(false);
          expect((await refreshRow(f, next))?.familyId).toBe(old?.familyId);
        },
      );

      suite.it('scope may narrow but never widen', async () => {
        const { f, client, tokens } = await started(getStore);
        const narrowed = await refreshWith(f, client, tokens.refresh_token ?? '', 'read');
        expect(narrowed.scope).toBe('read');
        f.advance(1);
        // the narrowed token cannot get write back; the request is refused before any rotation
        await expectOAuthError(
          refreshWith(f, client, narrowed.refresh_token ?? '', 'read write'),
          'invalid_scope',
        );
      });

      suite.it(
        'presenting a rotated token after the retry window is invalid_grant and revokes the whole family',
        async () => {
          const { f, client, user, tokens } = await started(getStore);
          const reuse: number[] = [];
          f.passport.events.on('refreshTokenReuseDetected', ({ revokedCount }) => {
            reuse.push(revokedCount);
          });
          const revoked: string[] = [];
          f.passport.events.on('accessTokenRevoked', ({ accessTokenId, reason }) => {
            revoked.push(`${reason} ${accessTokenId}`);
          });
          f.advance(10);
          const next = await refreshWith(f, client, tokens.refresh_token ?? '');
          f.advance(f.passport.options.refreshTokenRetrySeconds);
          await expectOAuthError(refreshWith(f, client, tokens.refresh_token ?? ''), 'invalid_grant');
          expect(reuse).toHaveLength(1);
          // Events: the rotation revoked the first access token, the reuse the family's live one.
          expect(revoked).toEqual([
            `rotated ${jtiOf(tokens.access_token)}`,
            `reuse ${jtiOf(next.access_token)}`,
          ]);
          expect(await isLive(f, next.access_token)).toBe(false);
          expect((await refreshRow(f, next))?.revoked).toBe(true);
          await expectOAuthError(refreshWith(f, client, next.refresh_token ?? ''), 'invalid_grant');
          expect(await f.passport.listUserTokens(user.id)).toEqual([]);
        },
      );

      suite.it(
        'with retries off, 50 concurrent refreshes with one token give exactly one success, family intact',
        async () => {
          const { f, client, tokens } = await started(getStore, 0);
          const results = await Promise.allSettled(
            Array.from({ length: 50 }, () => refreshWith(f, client, tokens.refresh_token ?? '')),
          );
          const wins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          expect(wins).toHaveLength(1);
          for (const r of results) {
            if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
          }
          const [winner] = wins;
          expect(await isLive(f, winner?.access_token ?? '')).toBe(true);
          expect((await refreshRow(f, winner))?.revoked).toBe(false);
        },
      );

      const outageTitle =
        'a store outage during rotation is StoreUnavailableError; after recovery the same token works';
      suite.it(outageTitle, async (context) => {
        const store = getStore();
        const outage = outageSwitchOf(store);
        if (outage === null) {
          const reason = 'the store has no simulateOutage({ methods }) / endOutage() testing switch';
          console.info(
            `[store-testkit] ${name}: skipping "flows > refresh token rotation > ${outageTitle}": ${reason}`,
          );
          context.skip(reason);
          return;
        }
        const { f, client, user, tokens } = await started(getStore);
        const detected: unknown[] = [];
        f.passport.events.on('refreshTokenReuseDetected', (event) => {
          detected.push(event);
        });
        f.advance(10);
        outage.simulateOutage({ methods: ['rotateRefreshToken'] });
        let error: unknown = null;
        try {
          await refreshWith(f, client, tokens.refresh_token ?? '');
        } catch (e) {
          error = e;
        } finally {
          outage.endOutage();
        }
        // What the HTTP layer answers with 503 temporarily_unavailable.
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
        expect(await refreshRow(f, tokens)).toMatchObject({ consumedAt: null, revoked: false });
        expect(await isLive(f, tokens.access_token)).toBe(true);

        // The client retries with the same refresh token: a normal rotation, not a reuse.
        f.advance(1);
        const next = await refreshWith(f, client, tokens.refresh_token ?? '');
        expect(detected).toEqual([]);
        expect(await isLive(f, next.access_token)).toBe(true);
        expect(await isLive(f, tokens.access_token)).toBe(false);
        const live = await f.passport.listUserTokens(user.id);
        expect(live.map((token) => token.id)).toEqual([jtiOf(next.access_token)]);
        expect(await refreshWith(f, client, next.refresh_token ?? '')).toMatchObject({
          token_type: 'Bearer',
        });
      });

      suite.it(
        'a retry after a lost response succeeds: the lost pair dies, the family lives (no reuse detected)',
        async () => {
          const { f, client, user, tokens } = await started(getStore);
          const detected: unknown[] = [];
          f.passport.events.on('refreshTokenReuseDetected', (event) => {
            detected.push(event);
          });
          f.advance(60);
          // The rotation commits, but the response never reaches the client (a crash, a cut).
          const lost = await refreshWith(f, client, tokens.refresh_token ?? '');
          f.advance(5);
          const retried = await refreshWith(f, client, tokens.refresh_token ?? '');
          expect(detected).toEqual([]);
          expect(await isLive(f, retried.access_token)).toBe(true);
          expect(await isLive(f, lost.access_token)).toBe(false);
          expect(await refreshRow(f, lost)).toMatchObject({ consumedAt: new Date(f.now()), revoked: false });
          const live = await f.passport.listUserTokens(user.id);
          expect(live.map((token) => token.id)).toEqual([jtiOf(retried.access_token)]);
          // The family goes on as usual.
          f.advance(3600);
          const next = await refreshWith(f, client, retried.refresh_token ?? '');
          expect(await isLive(f, next.access_token)).toBe(true);
        },
      );

      suite.it('a retry repeated after its own response was lost follows the chain', async () => {
        const { f, client, user, tokens } = await started(getStore);
        await refreshWith(f, client, tokens.refresh_token ?? ''); // lost
        f.advance(3);
        await refreshWith(f, client, tokens.refresh_token ?? ''); // the retry, lost again
        f.advance(3);
        const third = await refreshWith(f, client, tokens.refresh_token ?? '');
        const live = await f.passport.listUserTokens(user.id);
        expect(live.map((token) => token.id)).toEqual([jtiOf(third.access_token)]);
        expect((await refreshRow(f, third))?.revoked).toBe(false);
      });

      suite.it(
        'a rotated token presented after its successor was used is reuse, even within the window',
        async () => {
          const { f, client, user, tokens } = await started(getStore);
          const next = await refreshWith(f, client, tokens.refresh_token ?? '');
          f.advance(2);
          const newest = await refreshWith(f, client, next.refresh_token ?? '');
          f.advance(2);
          await expectOAuthError(refreshWith(f, client, tokens.refresh_token ?? ''), 'invalid_grant');
          expect(await isLive(f, newest.access_token)).toBe(false);
          expect((await refreshRow(f, newest))?.revoked).toBe(true);
          expect(await f.passport.listUserTokens(user.id)).toEqual([]);
        },
      );

      suite.it('concurrent retries after a lost response leave one live pair and no reuse', async () => {
        const { f, client, user, tokens } = await started(getStore);
        const detected: unknown[] = [];
        f.passport.events.on('refreshTokenReuseDetected', (event) => {
          detected.push(event);
        });
        await refreshWith(f, client, tokens.refresh_token ?? ''); // lost
        f.advance(2);
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, () => refreshWith(f, client, tokens.refresh_token ?? '')),
        );
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
        }
        expect(detected).toEqual([]);
        const wins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const liveWins: TokenResponse[] = [];
        for (const win of wins) {
          const row = await refreshRow(f, win);
          if (row !== null && row.consumedAt === null && !row.revoked) liveWins.push(win);
        }
        expect(liveWins).toHaveLength(1);
        const live = await f.passport.listUserTokens(user.id);
        expect(live.map((token) => token.id)).toEqual([jtiOf(liveWins[0]?.access_token ?? '')]);
      });

      suite.it(
        'within the retry window, a rotated token of a revoked family is invalid_grant and mints nothing',
        async () => {
          const { f, client, user, tokens } = await started(getStore);
          const first = await refreshWith(f, client, tokens.refresh_token ?? '');
          f.advance(5);
          // The family is revoked (a revocation request for the newest refresh token).
          await f.passport.revoke({
            params: new URLSearchParams({ token: first.refresh_token ?? '', client_id: client.id }),
            authorization: null,
          });
          expect(await isLive(f, first.access_token)).toBe(false);
          f.advance(1);
          await expectOAuthError(refreshWith(f, client, tokens.refresh_token ?? ''), 'invalid_grant');
          expect(await f.passport.listUserTokens(user.id)).toEqual([]);
          expect((await refreshRow(f, tokens))?.revoked).toBe(true);
        },
      );
    });
  });
}
