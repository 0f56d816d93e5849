import { hashSecret } from '@passport/core';
import { expect } from 'vitest';
import {
  basicAuthorization,
  createFlowPassport,
  expectOAuthError,
  type FlowUser,
  flowUsers,
  jtiOf,
  tokenRequest,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice, bob } = flowUsers;

async function started(getStore: FlowSuiteContext['getStore']) {
  const f = await createFlowPassport(getStore(), { grants: { password: true } });
  const makeClient = async (name: string) => {
    const { client, plainSecret } = await f.passport.clients.create({
      name,
      grantTypes: ['password', 'refresh_token', 'client_credentials'],
    });
    const credentials = { id: client.id, secret: plainSecret };
    return {
      client,
      credentials,
      login: (user: FlowUser = alice) =>
        tokenRequest(f.passport, credentials, {
          grant_type: 'password',
          username: user.username,
          password: user.password,
          scope: 'read',
        }),
      refresh: (refreshToken: string) =>
        tokenRequest(f.passport, credentials, { grant_type: 'refresh_token', refresh_token: refreshToken }),
      revoke: (fields: Record<string, string>) =>
        f.passport.revoke({
          params: new URLSearchParams(fields),
          authorization: basicAuthorization(client.id, plainSecret ?? ''),
        }),
    };
  };
  const access = (token: string) => f.store.findAccessToken(jtiOf(token));
  const refresh = (token: string | undefined) => f.store.findRefreshToken(hashSecret(token ?? ''));
  return { f, makeClient, access, refresh };
}

/** RFC 7009 revocation, revoke-by-id and purge end to end. */
export function registerRevocationFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('token revocation (RFC 7009)', (suite) => {
      suite.it('revoking an access token revokes its refresh token', async () => {
        const { makeClient, access, refresh } = await started(getStore);
        const app = await makeClient('App');
        const tokens = await app.login();
        await app.revoke({ token: tokens.access_token, token_type_hint: 'access_token' });
        expect((await access(tokens.access_token))?.revoked).toBe(true);
        expect((await refresh(tokens.refresh_token))?.revoked).toBe(true);
        await expectOAuthError(app.refresh(tokens.refresh_token ?? ''), 'invalid_grant', 400);
      });

      suite.it('revoking a refresh token revokes its access token, with or without hint', async () => {
        const { makeClient, access, refresh } = await started(getStore);
        const app = await makeClient('App');
        for (const hint of ['refresh_token', null]) {
          const tokens = await app.login();
          const fields: Record<string, string> = { token: tokens.refresh_token ?? '' };
          if (hint !== null) fields.token_type_hint = hint;
          await app.revoke(fields);
          expect((await refresh(tokens.refresh_token))?.revoked).toBe(true);
          expect((await access(tokens.access_token))?.revoked).toBe(true);
        }
      });

      suite.it('an expired access token can still be revoked', async () => {
        const { f, makeClient, access } = await started(getStore);
        const app = await makeClient('App');
        const tokens = await app.login();
        f.advance(7200);
        await app.revoke({ token: tokens.access_token });
        expect((await access(tokens.access_token))?.revoked).toBe(true);
      });

      suite.it('unknown tokens succeed silently; another client’s token is left alone', async () => {
        const { makeClient, access, refresh } = await started(getStore);
        const owner = await makeClient('Owner');
        const intruder = await makeClient('Intruder');
        await expect(intruder.revoke({ token: 'no-such-token' })).resolves.toBeUndefined();
        await expect(intruder.revoke({ token: 'e30.e30.sig' })).resolves.toBeUndefined();
        const tokens = await owner.login();
        await expect(intruder.revoke({ token: tokens.access_token })).resolves.toBeUndefined();
        await expect(intruder.revoke({ token: tokens.refresh_token ?? '' })).resolves.toBeUndefined();
        expect((await access(tokens.access_token))?.revoked).toBe(false);
        expect((await refresh(tokens.refresh_token))?.revoked).toBe(false);
      });

      suite.it('requires client authentication', async () => {
        const { f, makeClient, access } = await started(getStore);
        const app = await makeClient('App');
        const tokens = await app.login();
        const error = await expectOAuthError(
          f.passport.revoke({
            params: new URLSearchParams({ token: tokens.access_token }),
            authorization: basicAuthorization(app.client.id, 'wrong'),
          }),
          'invalid_client',
          401,
        );
        expect(error.usedAuthorizationHeader).toBe(true);
        expect((await access(tokens.access_token))?.revoked).toBe(false);
      });
    });

    flows.describe('token management', (suite) => {
      suite.it("lists a user's live tokens and revokes one by id, refusing another user's", async () => {
        const { f, makeClient, access, refresh } = await started(getStore);
        const app = await makeClient('App');
        const mine = await app.login(alice);
        const theirs = await app.login(bob);
        const myId = jtiOf(mine.access_token);
        expect((await f.passport.listUserTokens(alice.id)).map((t) => t.id)).toEqual([myId]);
        expect(await f.passport.revokeUserToken(alice.id, jtiOf(theirs.access_token))).toBe(false);
        expect((await access(theirs.access_token))?.revoked).toBe(false);
        expect(await f.passport.revokeUserToken(alice.id, myId)).toBe(true);
        expect((await access(mine.access_token))?.revoked).toBe(true);
        expect((await refresh(mine.refresh_token))?.revoked).toBe(true);
        expect(await f.passport.listUserTokens(alice.id)).toEqual([]);
      });

      suite.it(
        'purge removes revoked and long-expired rows but keeps what a live refresh token needs',
        async () => {
          const { f, makeClient, access, refresh } = await started(getStore);
          const app = await makeClient('App');
          const revoked = await app.login();
          await f.passport.revokeAccessToken(jtiOf(revoked.access_token));
          const clientToken = await tokenRequest(f.passport, app.credentials, {
            grant_type: 'client_credentials',
          });
          const rotated = await app.login();
          const current = await app.refresh(rotated.refresh_token ?? '');

          f.advance(3 * 3600); // every access token has expired; `current`'s refresh token is live
          await f.passport.purge({ hours: 1 });

          expect(await access(revoked.access_token)).toBeNull();
          expect(await refresh(revoked.refresh_token)).toBeNull();
          expect(await access(clientToken.access_token)).toBeNull();
          expect(await access(current.access_token)).not.toBeNull();
          expect(await refresh(current.refresh_token)).not.toBeNull();
          expect(await refresh(rotated.refresh_token)).not.toBeNull(); // kept to detect reuse
          await expectOAuthError(app.refresh(rotated.refresh_token ?? ''), 'invalid_grant', 400);
          expect((await refresh(current.refresh_token))?.revoked).toBe(true);
        },
      );

      suite.it('purge keeps expired rows younger than the window (168 hours by default)', async () => {
        const { f, makeClient, access } = await started(getStore);
        const app = await makeClient('App');
        const token = await tokenRequest(f.passport, app.credentials, { grant_type: 'client_credentials' });
        f.advance(100 * 3600);
        await f.passport.purge();
        expect(await access(token.access_token)).not.toBeNull();
        f.advance(100 * 3600);
        await f.passport.purge();
        expect(await access(token.access_token)).toBeNull();
      });
    });
  });
}
