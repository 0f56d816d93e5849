import { expect } from 'vitest';
import { basicAuthorization, createFlowClient, createFlowPassport, expectOAuthError } from './fixture.js';
import type { FlowSuiteContext } from './index.js';

/** client_credentials end to end. */
export function registerClientCredentialsFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('client credentials', (suite) => {
      suite.it('a confidential client gets a token for itself, without refresh token', async () => {
        const f = await createFlowPassport(getStore());
        const { client, secret } = await createFlowClient(f, {
          confidential: true,
          grantTypes: ['client_credentials'],
        });
        const tokens = await f.passport.handleTokenRequest({
          params: new URLSearchParams({ grant_type: 'client_credentials', scope: '*' }),
          authorization: basicAuthorization(client.id, secret ?? ''),
        });
        expect(tokens).toMatchObject({ token_type: 'Bearer', scope: '*' });
        expect(tokens.refresh_token).toBeUndefined();
        const verified = await f.passport.verifyAccessToken(tokens.access_token);
        expect(verified).toMatchObject({ userId: null, clientId: client.id });
        expect(verified.claims.sub).toBe(client.id);
        expect(verified.record.userId).toBeNull();
      });

      suite.it('a wrong secret is invalid_client flagged for WWW-Authenticate', async () => {
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f, {
          confidential: true,
          grantTypes: ['client_credentials'],
        });
        const error = await expectOAuthError(
          f.passport.handleTokenRequest({
            params: new URLSearchParams({ grant_type: 'client_credentials' }),
            authorization: basicAuthorization(client.id, 'wrong'),
          }),
          'invalid_client',
        );
        expect(error).toMatchObject({ status: 401, usedAuthorizationHeader: true });
      });
    });
  });
}
