import { expect } from 'vitest';
import {
  createFlowPassport,
  expectOAuthError,
  FLOW_ISSUER,
  flowUsers,
  jtiOf,
  tokenRequest,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;

async function started(getStore: FlowSuiteContext['getStore']) {
  const f = await createFlowPassport(getStore(), { grants: { password: true } });
  const { client: app, plainSecret: appSecret } = await f.passport.clients.create({
    name: 'App',
    grantTypes: ['password', 'refresh_token'],
  });
  const { client: api, plainSecret: apiSecret } = await f.passport.clients.create({
    name: 'Resource server',
    grantTypes: ['client_credentials'],
    resourceServer: true,
  });
  const { client: other, plainSecret: otherSecret } = await f.passport.clients.create({
    name: 'Another confidential client',
    grantTypes: ['client_credentials'],
  });
  const appCredentials = { id: app.id, secret: appSecret };
  const login = () =>
    tokenRequest(f.passport, appCredentials, {
      grant_type: 'password',
      username: alice.username,
      password: alice.password,
      scope: 'read write',
    });
  const introspect = (clientId: string, secret: string | null, token: string) =>
    f.passport.introspect({
      params: new URLSearchParams({ token, client_id: clientId, client_secret: secret ?? '' }),
      authorization: null,
    });
  return {
    f,
    app,
    login,
    refresh: (refreshToken: string) =>
      tokenRequest(f.passport, appCredentials, { grant_type: 'refresh_token', refresh_token: refreshToken }),
    byApi: (token: string) => introspect(api.id, apiSecret, token),
    byApp: (token: string) => introspect(app.id, appSecret, token),
    byOther: (token: string) => introspect(other.id, otherSecret, token),
    other,
  };
}

/** RFC 7662 introspection end to end, with its policy: who may see which token. */
export function registerIntrospectionFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('token introspection (RFC 7662)', (suite) => {
      suite.it('a live access token is active with its metadata', async () => {
        const { f, app, login, byApi } = await started(getStore);
        const tokens = await login();
        const iat = Math.floor(f.now() / 1000);
        expect(await byApi(tokens.access_token)).toEqual({
          active: true,
          scope: 'read write',
          client_id: app.id,
          sub: alice.id,
          token_type: 'Bearer',
          exp: iat + 3600,
          iat,
          nbf: iat,
          aud: app.id,
          iss: FLOW_ISSUER,
          jti: jtiOf(tokens.access_token),
          username: alice.username,
        });
      });

      suite.it('a live refresh token is active for its own client only', async () => {
        const { login, byApi, byApp } = await started(getStore);
        const tokens = await login();
        expect(await byApp(tokens.refresh_token ?? '')).toMatchObject({
          active: true,
          token_type: 'refresh_token',
          scope: 'read write',
          sub: alice.id,
        });
        expect(await byApi(tokens.refresh_token ?? '')).toEqual({ active: false });
      });

      suite.it('unknown, malformed, expired, revoked and rotated tokens are inactive', async () => {
        const { f, login, refresh, byApi, byApp } = await started(getStore);
        expect(await byApi('no-such-token')).toEqual({ active: false });
        expect(await byApi('e30.e30.sig')).toEqual({ active: false });

        const revoked = await login();
        await f.passport.revokeAccessToken(jtiOf(revoked.access_token));
        expect(await byApi(revoked.access_token)).toEqual({ active: false });
        expect(await byApp(revoked.refresh_token ?? '')).toEqual({ active: false });

        const rotated = await login();
        const next = await refresh(rotated.refresh_token ?? '');
        expect(await byApp(rotated.refresh_token ?? '')).toEqual({ active: false });
        expect(await byApi(rotated.access_token)).toEqual({ active: false });
        expect(await byApi(next.access_token)).toMatchObject({ active: true });

        f.advance(3601);
        expect(await byApi(next.access_token)).toEqual({ active: false });
      });

      suite.it(
        "only the token's own client and resource servers see it active; any other client gets active false",
        async () => {
          const { f, login, byApi, byApp, byOther, other } = await started(getStore);
          const tokens = await login();
          expect(await byApp(tokens.access_token)).toMatchObject({ active: true, sub: alice.id });
          expect(await byApi(tokens.access_token)).toMatchObject({ active: true, sub: alice.id });
          expect(await byOther(tokens.access_token)).toEqual({ active: false });
          expect(await byOther(tokens.refresh_token ?? '')).toEqual({ active: false });
          await f.passport.clients.update(other.id, { resourceServer: true });
          expect(await byOther(tokens.access_token)).toMatchObject({ active: true, sub: alice.id });
          expect((await f.store.findClient(other.id))?.resourceServer).toBe(true);
        },
      );

      suite.it('requires a confidential client', async () => {
        const { f, login } = await started(getStore);
        const tokens = await login();
        const { client: spa } = await f.passport.clients.create({
          name: 'SPA',
          confidential: false,
          redirectUris: ['https://spa.flows.example/cb'],
        });
        await expectOAuthError(
          f.passport.introspect({
            params: new URLSearchParams({ token: tokens.access_token, client_id: spa.id }),
            authorization: null,
          }),
          'invalid_client',
          401,
        );
      });
    });
  });
}
