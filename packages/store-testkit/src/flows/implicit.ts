import { expect } from 'vitest';
import { createFlowPassport, expectOAuthError, FLOW_ISSUER, flowUsers, jtiOf } from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;
const redirectUri = 'https://spa.flows.example/callback';

/** The implicit grant end to end. */
export function registerImplicitFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('implicit grant', (suite) => {
      async function started(enabled: boolean) {
        const f = await createFlowPassport(getStore(), enabled ? { grants: { implicit: true } } : {});
        const { client } = await f.passport.clients.create({
          name: 'Legacy SPA',
          confidential: false,
          grantTypes: ['implicit', 'refresh_token'],
          redirectUris: [redirectUri],
        });
        const params = new URLSearchParams({
          response_type: 'token',
          client_id: client.id,
          scope: 'read',
          state: 'xyz',
        });
        return { f, client, params };
      }

      suite.it('is unsupported_response_type while disabled', async () => {
        const { f, params } = await started(false);
        await expectOAuthError(
          f.passport.validateAuthorizationRequest(params),
          'unsupported_response_type',
          400,
        );
      });

      suite.it('returns the access token in the fragment and never a refresh token', async () => {
        const { f, client, params } = await started(true);
        const refreshes: string[] = [];
        f.passport.events.on('refreshTokenCreated', ({ refreshToken }) => {
          refreshes.push(refreshToken.id);
        });
        const request = await f.passport.validateAuthorizationRequest(params);
        const location = new URL(await f.passport.approveAuthorizationRequest(request, alice));
        expect(location.search).toBe('');
        const fragment = new URLSearchParams(location.hash.slice(1));
        expect(fragment.get('token_type')).toBe('Bearer');
        expect(fragment.get('state')).toBe('xyz');
        expect(fragment.get('iss')).toBe(FLOW_ISSUER);
        expect(fragment.has('refresh_token')).toBe(false);
        const accessToken = fragment.get('access_token') ?? '';
        const stored = await f.store.findAccessToken(jtiOf(accessToken));
        expect(stored).toMatchObject({
          userId: alice.id,
          clientId: client.id,
          scopes: ['read'],
          familyId: null,
        });
        expect(refreshes).toEqual([]);
      });
    });
  });
}
