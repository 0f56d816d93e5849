import { expect } from 'vitest';
import { createFlowPassport, expectOAuthError, flowUsers, tokenRequest } from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;

/** Personal access tokens end to end. */
export function registerPersonalAccessFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('personal access tokens', (suite) => {
      suite.it('creates a named token with the personal lifetime and no refresh token', async () => {
        const f = await createFlowPassport(getStore());
        const { accessToken, token } = await f.passport.createPersonalAccessToken(alice, 'CLI', ['read']);
        expect(token).toMatchObject({ userId: alice.id, name: 'CLI', scopes: ['read'], revoked: false });
        expect(token.expiresAt.getTime()).toBe(f.now() + 31_536_000_000);
        expect(await f.store.findAccessToken(token.id)).toEqual(token);
        expect((await f.passport.verifyAccessToken(accessToken)).record.id).toBe(token.id);
        const clients = await f.store.listClients();
        expect(clients.map((c) => c.grantTypes)).toEqual([['personal_access']]);
        expect(clients[0]?.id).toBe(token.clientId);
      });

      suite.it('reuses one personal access client and lists the tokens', async () => {
        const f = await createFlowPassport(getStore());
        const first = await f.passport.createPersonalAccessToken(alice, 'one');
        f.advance(1);
        const second = await f.passport.createPersonalAccessToken(alice, 'two');
        expect(second.token.clientId).toBe(first.token.clientId);
        expect(await f.store.listClients()).toHaveLength(1);
        expect((await f.passport.listUserTokens(alice.id)).map((t) => t.name)).toEqual(['two', 'one']);
        expect(await f.passport.revokeUserToken(alice.id, first.token.id)).toBe(true);
        expect((await f.passport.listUserTokens(alice.id)).map((t) => t.name)).toEqual(['two']);
      });

      suite.it('grant_type=personal_access at the token endpoint is unsupported_grant_type', async () => {
        const f = await createFlowPassport(getStore());
        const { client, plainSecret } = await f.passport.clients.create({
          name: 'Personal',
          grantTypes: ['personal_access'],
        });
        await expectOAuthError(
          tokenRequest(f.passport, { id: client.id, secret: plainSecret }, { grant_type: 'personal_access' }),
          'unsupported_grant_type',
          400,
        );
        expect(await f.passport.listUserTokens(alice.id)).toEqual([]);
      });
    });
  });
}
