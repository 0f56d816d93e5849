import { hashSecret } from '@passport/core';
import { expect } from 'vitest';
import {
  authorizeCode,
  createFlowClient,
  createFlowPassport,
  expectOAuthError,
  FLOW_CHALLENGE,
  isLive,
  jtiOf,
  redeemCode,
  uniqueUser,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

/** Authorization code with PKCE end to end: authorize, approve, exchange, reuse, purge, races. */
export function registerAuthorizationCodeFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('authorization code with PKCE', (suite) => {
      suite.it('authorize -> approve -> exchange gives working tokens bound to the user', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user, 'read write');
        const tokens = await redeemCode(f, client, code);
        expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
        const verified = await f.passport.verifyAccessToken(tokens.access_token);
        expect(verified).toMatchObject({ userId: user.id, clientId: client.id, scopes: ['read', 'write'] });
        expect(verified.record.familyId).toBe(hashSecret(code));
        expect((await f.store.findAuthCode(hashSecret(code)))?.consumedAt).toEqual(new Date(f.now()));
        const listed = await f.passport.listUserTokens(user.id);
        expect(listed.map((t) => t.id)).toEqual([verified.record.id]);
      });

      suite.it(
        'auto-approves scopes the user already granted to the client, asks again for wider ones',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await createFlowClient(f);
          const user = uniqueUser();
          const request = (scope: string) =>
            f.passport.validateAuthorizationRequest(
              new URLSearchParams({
                response_type: 'code',
                client_id: client.id,
                scope,
                code_challenge: FLOW_CHALLENGE,
              }),
            );
          expect(await f.passport.interactionRequired(await request('read'), user)).toBe('consent');
          await redeemCode(f, client, await authorizeCode(f, client, user, 'read'));
          expect(await f.passport.interactionRequired(await request('read'), user)).toBe('none');
          expect(await f.passport.interactionRequired(await request('read write'), user)).toBe('consent');
          expect(await f.passport.interactionRequired(await request('read'), uniqueUser())).toBe('consent');
          // Only this client's live tokens count: another client's grant does not carry over...
          const { client: other } = await createFlowClient(f);
          await redeemCode(f, other, await authorizeCode(f, other, user, 'read write'));
          expect(await f.passport.interactionRequired(await request('read write'), user)).toBe('consent');
          // ...and once the user revoked this client's tokens, consent is asked again.
          for (const token of await f.passport.listUserTokens(user.id, { clientId: client.id })) {
            expect(await f.passport.revokeUserToken(user.id, token.id)).toBe(true);
          }
          expect(await f.passport.interactionRequired(await request('read'), user)).toBe('consent');
          // An expired grant does not count either.
          await redeemCode(f, client, await authorizeCode(f, client, user, 'read'));
          expect(await f.passport.interactionRequired(await request('read'), user)).toBe('none');
          f.advance(3601);
          expect(await f.passport.interactionRequired(await request('read'), user)).toBe('consent');
        },
      );

      suite.it('rejects a wrong PKCE verifier with invalid_grant and issues nothing', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user);
        await expectOAuthError(
          f.passport.handleTokenRequest({
            params: new URLSearchParams({
              grant_type: 'authorization_code',
              client_id: client.id,
              code,
              redirect_uri: 'https://client.flows.example/callback',
              code_verifier: 'x'.repeat(43),
            }),
            authorization: null,
          }),
          'invalid_grant',
        );
        expect(await f.passport.listUserTokens(user.id)).toEqual([]);
      });

      suite.it('a reused code fails with invalid_grant and revokes the tokens it issued', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user);
        const tokens = await redeemCode(f, client, code);
        expect(await isLive(f, tokens.access_token)).toBe(true);
        const events: string[] = [];
        f.passport.events.on('accessTokenRevoked', ({ accessTokenId, reason }) => {
          events.push(`${reason} ${accessTokenId}`);
        });
        f.passport.events.on('authCodeReuseDetected', ({ authCode }) => {
          events.push(`reuse detected ${authCode.id}`);
        });
        f.advance(5);
        await expectOAuthError(redeemCode(f, client, code), 'invalid_grant');
        expect(events).toEqual([
          `code-reuse ${jtiOf(tokens.access_token)}`,
          `reuse detected ${hashSecret(code)}`,
        ]);
        expect(await isLive(f, tokens.access_token)).toBe(false);
        expect((await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? '')))?.revoked).toBe(true);
        expect(await f.passport.listUserTokens(user.id)).toEqual([]);
      });

      suite.it('a replay after a purge still revokes the tokens the code issued', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user);
        const tokens = await redeemCode(f, client, code);
        f.advance(60);
        // A purge of everything revoked, consumed or expired, keeping nothing expired: the consumed
        // code is still inside its lifetime, so it stays and detects the replay.
        await f.passport.purge({ hours: 0 });
        expect((await f.store.findAuthCode(hashSecret(code)))?.consumedAt).not.toBeNull();
        await expectOAuthError(redeemCode(f, client, code), 'invalid_grant');
        expect(await isLive(f, tokens.access_token)).toBe(false);
        expect((await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? '')))?.revoked).toBe(true);
        expect(await f.passport.listUserTokens(user.id)).toEqual([]);
        // Once the code has expired, purge removes it.
        f.advance(600);
        expect((await f.passport.purge({ hours: 0 })).authCodes).toBeGreaterThanOrEqual(1);
        expect(await f.store.findAuthCode(hashSecret(code))).toBeNull();
      });

      suite.it('50 concurrent redemptions of one code give exactly one success', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user);
        const results = await Promise.allSettled(
          Array.from({ length: 50 }, () => redeemCode(f, client, code)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
        }
        // the losers presented an already redeemed code: nothing issued from it stays live
        expect(await f.passport.listUserTokens(user.id)).toEqual([]);
      });

      suite.it('an expired code (10 minutes) is invalid_grant', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const code = await authorizeCode(f, client, uniqueUser());
        f.advance(601);
        await expectOAuthError(redeemCode(f, client, code), 'invalid_grant');
      });
    });
  });
}
