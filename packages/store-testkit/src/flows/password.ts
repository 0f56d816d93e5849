import { hashSecret } from '@passport/core';
import { expect } from 'vitest';
import {
  createFlowPassport,
  expectOAuthError,
  flowAdmins,
  flowUsers,
  jtiOf,
  tokenRequest,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;

/** The password grant end to end. */
export function registerPasswordFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('password grant', (suite) => {
      async function started(enabled = true) {
        const f = await createFlowPassport(getStore(), enabled ? { grants: { password: true } } : {});
        const { client, plainSecret } = await f.passport.clients.create({
          name: 'First-party app',
          grantTypes: ['password', 'refresh_token'],
        });
        const credentials = { id: client.id, secret: plainSecret };
        const login = (fields: Record<string, string>) =>
          tokenRequest(f.passport, credentials, { grant_type: 'password', ...fields });
        return { f, client, login };
      }

      suite.it('is unsupported_grant_type while disabled and stores nothing', async () => {
        const { f, login } = await started(false);
        await expectOAuthError(
          login({ username: alice.username, password: alice.password }),
          'unsupported_grant_type',
          400,
        );
        expect(await f.passport.listUserTokens(alice.id)).toEqual([]);
      });

      suite.it('valid credentials give an access token and a stored refresh token', async () => {
        const { f, client, login } = await started();
        const tokens = await login({ username: alice.username, password: alice.password, scope: 'read' });
        expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read' });
        const access = await f.store.findAccessToken(jtiOf(tokens.access_token));
        expect(access).toMatchObject({
          userId: alice.id,
          clientId: client.id,
          scopes: ['read'],
          revoked: false,
        });
        const refresh = await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? ''));
        expect(refresh).toMatchObject({
          accessTokenId: access?.id,
          userId: alice.id,
          revoked: false,
          consumedAt: null,
        });
        expect((await f.passport.listUserTokens(alice.id)).map((t) => t.id)).toEqual([access?.id]);
      });

      suite.it('wrong credentials are invalid_grant and store nothing', async () => {
        const { f, login } = await started();
        await expectOAuthError(login({ username: alice.username, password: 'wrong' }), 'invalid_grant', 400);
        await expectOAuthError(
          login({ username: 'nobody@example.com', password: 'x' }),
          'invalid_grant',
          400,
        );
        expect(await f.passport.listUserTokens(alice.id)).toEqual([]);
      });

      suite.it('missing username or password is invalid_request', async () => {
        const { login } = await started();
        await expectOAuthError(login({ password: alice.password }), 'invalid_request', 400);
        await expectOAuthError(login({ username: alice.username }), 'invalid_request', 400);
      });

      suite.it("the client's provider chooses where users are looked up", async () => {
        const { f } = await started();
        const { client, plainSecret } = await f.passport.clients.create({
          name: 'Admin console',
          grantTypes: ['password'],
          provider: 'admins',
        });
        const admin = { id: client.id, secret: plainSecret };
        const { root } = flowAdmins;
        const tokens = await tokenRequest(f.passport, admin, {
          grant_type: 'password',
          username: root.username,
          password: root.password,
        });
        expect(tokens.refresh_token).toBeUndefined(); // the client may not refresh
        expect((await f.store.findAccessToken(jtiOf(tokens.access_token)))?.userId).toBe(root.id);
        await expectOAuthError(
          tokenRequest(f.passport, admin, {
            grant_type: 'password',
            username: alice.username,
            password: alice.password,
          }),
          'invalid_grant',
          400,
        );
      });
    });
  });
}
