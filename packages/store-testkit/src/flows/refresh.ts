import { type PassportStore, StoreUnavailableError } from '@passport/core';
import { expect } from 'vitest';
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

/** The testing switch of stores that can fail on purpose (as `@passport/store-memory` can). */
interface OutageSwitch {
  simulateOutage(options: { methods: readonly string[] }): void;
  endOutage(): void;
}

/** The store's outage switch, or `null` when it has none (the outage test is then skipped). */
function outageSwitchOf(store: PassportStore): OutageSwitch | null {
  const candidate = store as Partial<Record<keyof OutageSwitch, unknown>>;
  if (typeof candidate.simulateOutage !== 'function' || typeof candidate.endOutage !== 'function') {
    return null;
  }
  return store as PassportStore & OutageSwitch;
}

async function started(getStore: FlowSuiteContext['getStore'], graceSeconds = 0) {
  const f = await createFlowPassport(getStore(), { refreshTokenGraceSeconds: graceSeconds });
  const { client } = await createFlowClient(f);
  const user = uniqueUser();
  const tokens = await redeemCode(f, client, await authorizeCode(f, client, user, 'read write'));
  return { f, client, user, tokens };
}

/** Refresh rotation, narrowing, reuse detection and races end to end (RFC 9700 4.14). */
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

      suite.it('presenting a rotated token is invalid_grant and revokes the whole family', async () => {
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
        f.advance(10);
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
      });

      suite.it('50 concurrent refreshes with one token give exactly one success, family intact', async () => {
        const { f, client, tokens } = await started(getStore);
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
      });

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
        'within a grace window, a rotated token of a revoked family is invalid_grant and mints nothing',
        async () => {
          const { f, client, user, tokens } = await started(getStore, 30);
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

      suite.it(
        'a grace window lets the just-rotated token refresh again without killing the family',
        async () => {
          const { f, client, tokens } = await started(getStore, 30);
          const first = await refreshWith(f, client, tokens.refresh_token ?? '');
          f.advance(5);
          const second = await refreshWith(f, client, tokens.refresh_token ?? '');
          expect(await isLive(f, first.access_token)).toBe(true);
          expect(await isLive(f, second.access_token)).toBe(true);
        },
      );
    });
  });
}
