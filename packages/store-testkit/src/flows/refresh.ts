import { expect } from 'vitest';
import {
  authorizeCode,
  codeFlowFixture,
  createFlowClient,
  isLive,
  redeemCode,
  refreshRow,
  refreshWith,
  rejectsWith,
  uniqueUser,
} from './code-flow-fixture.js';
import type { FlowSuiteContext } from './index.js';

async function started(getStore: FlowSuiteContext['getStore'], graceSeconds = 0) {
  const f = await codeFlowFixture(getStore(), { refreshTokenGraceSeconds: graceSeconds });
  const { client } = await createFlowClient(f);
  const user = uniqueUser();
  const tokens = await redeemCode(f, client, await authorizeCode(f, client, user, 'read write'));
  return { f, client, user, tokens };
}

/** Refresh rotation, narrowing, reuse detection and races end to end (PARITY T2, RFC 9700 4.14). */
export function registerRefreshFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('refresh token rotation', (suite) => {
      suite.it('rotates: new pair in the same family, old refresh and access tokens revoked', async () => {
        const { f, client, tokens } = await started(getStore);
        f.advance(60);
        const next = await refreshWith(f, client, tokens.refresh_token ?? '');
        expect(next.refresh_token).not.toBe(tokens.refresh_token);
        expect(await isLive(f, tokens.access_token)).toBe(false);
        expect(await isLive(f, next.access_token)).toBe(true);
        const old = await refreshRow(f, tokens);
        expect(old?.consumedAt).toEqual(new Date(f.now()));
        expect((await refreshRow(f, next))?.familyId).toBe(old?.familyId);
      });

      suite.it('scope may narrow but never widen', async () => {
        const { f, client, tokens } = await started(getStore);
        const narrowed = await refreshWith(f, client, tokens.refresh_token ?? '', 'read');
        expect(narrowed.scope).toBe('read');
        f.advance(1);
        // the narrowed token cannot get write back; the request is refused before any rotation
        await rejectsWith(
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
        f.advance(10);
        const next = await refreshWith(f, client, tokens.refresh_token ?? '');
        f.advance(10);
        await rejectsWith(refreshWith(f, client, tokens.refresh_token ?? ''), 'invalid_grant');
        expect(reuse).toHaveLength(1);
        expect(await isLive(f, next.access_token)).toBe(false);
        expect((await refreshRow(f, next))?.revoked).toBe(true);
        await rejectsWith(refreshWith(f, client, next.refresh_token ?? ''), 'invalid_grant');
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
