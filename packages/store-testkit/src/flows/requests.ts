import { AuthorizationError, hashSecret, StoreUnavailableError } from '@passport/core';
import { expect } from 'vitest';
import { outageSwitchOf } from '../internal/helpers.js';
import {
  authorizeCode,
  basicAuthorization,
  createFlowClient,
  createFlowPassport,
  expectOAuthError,
  FLOW_CHALLENGE,
  FLOW_VERIFIER,
  type FlowPassport,
  isLive,
  redeemCode,
  refreshWith,
  uniqueUser,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

/** Asserts that `promise` rejects with an {@link AuthorizationError} whose `error` is `code`. */
async function authorizationError(promise: Promise<unknown>, code: string): Promise<AuthorizationError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error, `expected AuthorizationError ${code}, but the call succeeded`).toBeInstanceOf(
    AuthorizationError,
  );
  expect(error).toMatchObject({ error: code });
  return error as AuthorizationError;
}

/** The query parameters of a redirect URL. */
const redirectParams = (url: string | null): Record<string, string> =>
  Object.fromEntries(new URL(url ?? 'invalid:').searchParams);

const REGISTERED = 'https://client.flows.example/callback';

function authorize(f: FlowPassport, values: Record<string, string>) {
  return f.passport.validateAuthorizationRequest(new URLSearchParams(values));
}

/**
 * Request validation end to end over the store under test: authorization request errors and where
 * they go (RFC 6749 4.1.2.1, RFC 8252 7.3), PKCE rules (RFC 7636), client authentication
 * (RFC 6749 2.3.1), scope finalization, atomic token writes and client
 * deletion.
 */
export function registerRequestValidationFlow({ name, describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('request validation', (suite) => {
      suite.it(
        'response_type and scope errors go back with state; client and redirect_uri errors never redirect',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await createFlowClient(f);
          const base = { client_id: client.id, state: 'st', code_challenge: FLOW_CHALLENGE };

          const missing = await authorizationError(authorize(f, base), 'invalid_request');
          expect(missing.status).toBe(400);
          expect(redirectParams(missing.toRedirectUrl())).toMatchObject({
            error: 'invalid_request',
            state: 'st',
          });
          const unknown = await authorizationError(
            authorize(f, { ...base, response_type: 'id_token' }),
            'unsupported_response_type',
          );
          expect(redirectParams(unknown.toRedirectUrl())).toMatchObject({
            error: 'unsupported_response_type',
            state: 'st',
          });
          const scope = await authorizationError(
            authorize(f, { ...base, response_type: 'code', scope: 'read nope' }),
            'invalid_scope',
          );
          expect(scope.redirectUri).toBe(REGISTERED);
          expect(redirectParams(scope.toRedirectUrl())).toMatchObject({
            error: 'invalid_scope',
            state: 'st',
          });
          await authorizationError(
            authorize(f, { ...base, response_type: 'code', scope: '*' }),
            'invalid_scope',
          );

          const unknownClient = await authorizationError(
            authorize(f, { ...base, client_id: 'no-such-client', response_type: 'code' }),
            'invalid_client',
          );
          expect(unknownClient.status).toBe(401);
          expect(unknownClient.toRedirectUrl()).toBeNull();
          const unregistered = await authorizationError(
            authorize(f, { ...base, response_type: 'code', redirect_uri: `${REGISTERED}/other` }),
            'invalid_request',
          );
          expect(unregistered.toRedirectUrl()).toBeNull();
          // Omitted: allowed because exactly one URI is registered.
          expect((await authorize(f, { ...base, response_type: 'code' })).redirectUri).toBe(REGISTERED);
        },
      );

      suite.it(
        'redirect_uri may be omitted only with one registered; loopback IPs match any port, localhost does not',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await f.passport.clients.create({
            name: 'Native app',
            redirectUris: ['http://127.0.0.1/cb', 'http://[::1]/cb', 'http://localhost/cb'],
            grantTypes: ['authorization_code'],
            confidential: false,
          });
          const base = { client_id: client.id, response_type: 'code', code_challenge: FLOW_CHALLENGE };
          const omitted = await authorizationError(authorize(f, base), 'invalid_request');
          expect(omitted.toRedirectUrl()).toBeNull();
          for (const uri of ['http://127.0.0.1:49152/cb', 'http://[::1]:8080/cb', 'http://localhost/cb']) {
            expect((await authorize(f, { ...base, redirect_uri: uri })).redirectUri).toBe(uri);
          }
          for (const uri of [
            'http://localhost:8080/cb',
            'http://127.0.0.1:49152/cb/x',
            'https://127.0.0.1/cb',
          ]) {
            const error = await authorizationError(
              authorize(f, { ...base, redirect_uri: uri }),
              'invalid_request',
            );
            expect(error.toRedirectUrl(), uri).toBeNull();
          }
        },
      );

      suite.it(
        'PKCE: public clients must send a well-formed S256 challenge; a verifier without challenge is a downgrade',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await createFlowClient(f);
          const base = { client_id: client.id, response_type: 'code', state: 'st' };
          for (const extra of [
            {},
            { code_challenge: 'short' },
            { code_challenge: `${FLOW_CHALLENGE.slice(0, 42)}!` },
            { code_challenge: FLOW_CHALLENGE, code_challenge_method: 'plain' },
          ]) {
            const error = await authorizationError(authorize(f, { ...base, ...extra }), 'invalid_request');
            expect(redirectParams(error.toRedirectUrl()).state).toBe('st');
          }

          const { client: confidential, secret } = await createFlowClient(f, { confidential: true });
          const user = uniqueUser();
          const request = await authorize(f, { client_id: confidential.id, response_type: 'code' });
          const url = await f.passport.approveAuthorizationRequest(request, user);
          const code = redirectParams(url).code ?? '';
          const error = await expectOAuthError(
            f.passport.handleTokenRequest({
              params: new URLSearchParams({
                grant_type: 'authorization_code',
                code,
                code_verifier: FLOW_VERIFIER,
              }),
              authorization: basicAuthorization(confidential.id, secret ?? ''),
            }),
            'invalid_grant',
          );
          expect(error.status).toBe(400);
          // A request that fails a binding check redeems nothing: the code stays as it was.
          expect((await f.store.findAuthCode(hashSecret(code)))?.consumedAt).toBeNull();
          expect(await f.passport.listUserTokens(user.id)).toEqual([]);
        },
      );

      suite.it(
        'client authentication: form-urlencoded Basic, one method per request, 401 invalid_client, unauthorized_client',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await createFlowClient(f, {
            confidential: true,
            grantTypes: ['client_credentials'],
          });
          const secret = 'a b+c%d:e/é';
          await f.store.updateClient(client.id, {
            secretHash: hashSecret(secret),
            updatedAt: new Date(f.now()),
          });
          const request = (params: Record<string, string>, authorization: string | null) =>
            f.passport.handleTokenRequest({
              params: new URLSearchParams({ grant_type: 'client_credentials', ...params }),
              authorization,
            });

          const header = basicAuthorization(client.id, secret);
          const viaBasic = await request({}, header.replace('Basic', 'bAsIc'));
          expect((await f.passport.verifyAccessToken(viaBasic.access_token)).record.clientId).toBe(client.id);
          const viaBody = await request({ client_id: client.id, client_secret: secret }, null);
          expect(viaBody.access_token).toEqual(expect.any(String));

          const both = await expectOAuthError(request({ client_secret: secret }, header), 'invalid_request');
          expect(both.status).toBe(400);
          const wrongHeader = await expectOAuthError(
            request({}, basicAuthorization(client.id, 'wrong')),
            'invalid_client',
          );
          expect(wrongHeader).toMatchObject({ status: 401, usedAuthorizationHeader: true });
          const noSecret = await expectOAuthError(request({ client_id: client.id }, null), 'invalid_client');
          expect(noSecret).toMatchObject({ status: 401, usedAuthorizationHeader: false });

          const { client: codeClient, secret: codeSecret } = await createFlowClient(f, {
            confidential: true,
          });
          const refused = await expectOAuthError(
            request({}, basicAuthorization(codeClient.id, codeSecret ?? '')),
            'unauthorized_client',
          );
          expect(refused.status).toBe(400);
        },
      );

      suite.it(
        'scopes: defaults when none are requested, repeated spaces tolerated, only defined and allowed ones',
        async () => {
          const f = await createFlowPassport(getStore(), { defaultScopes: ['read'] });
          const { client, plainSecret } = await f.passport.clients.create({
            name: 'Scoped service',
            grantTypes: ['client_credentials'],
            confidential: true,
            scopes: ['read', 'write'],
          });
          const { client: readOnly, plainSecret: readOnlySecret } = await f.passport.clients.create({
            name: 'Read-only service',
            grantTypes: ['client_credentials'],
            confidential: true,
            scopes: ['read'],
          });
          const token = (id: string, secret: string | null, scope?: string) =>
            f.passport.handleTokenRequest({
              params: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }),
              authorization: basicAuthorization(id, secret ?? ''),
            });
          expect((await token(client.id, plainSecret)).scope).toBe('read');
          const spaced = await token(client.id, plainSecret, '  write    read ');
          expect((await f.passport.verifyAccessToken(spaced.access_token)).record.scopes).toEqual([
            'write',
            'read',
          ]);
          expect(
            (await expectOAuthError(token(client.id, plainSecret, 'read nope'), 'invalid_scope')).status,
          ).toBe(400);
          await expectOAuthError(token(readOnly.id, readOnlySecret, 'write'), 'invalid_scope');
        },
      );

      const outageTitle =
        'a failed redemption is StoreUnavailableError: neither token stored, the code still redeemable';
      suite.it(outageTitle, async (context) => {
        const outage = outageSwitchOf(getStore());
        if (outage === null) {
          const reason = 'the store has no simulateOutage({ methods }) / endOutage() testing switch';
          console.info(
            `[store-testkit] ${name}: skipping "flows > request validation > ${outageTitle}": ${reason}`,
          );
          context.skip(reason);
          return;
        }
        const f = await createFlowPassport(getStore());
        const { client } = await createFlowClient(f);
        const user = uniqueUser();
        const code = await authorizeCode(f, client, user);
        outage.simulateOutage({ methods: ['redeemAuthCode'] });
        let error: unknown = null;
        try {
          await redeemCode(f, client, code);
        } catch (e) {
          error = e;
        } finally {
          outage.endOutage();
        }
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
        expect(await f.passport.listUserTokens(user.id)).toEqual([]);
        expect((await f.store.findAuthCode(hashSecret(code)))?.consumedAt).toBeNull();
        // The client's retry redeems the code: the failure left nothing half-written.
        const tokens = await redeemCode(f, client, code);
        expect(await isLive(f, tokens.access_token)).toBe(true);
      });

      suite.it(
        'deleting a client marks it revoked and revokes every token it holds; purge removes it after the retention',
        async () => {
          const f = await createFlowPassport(getStore());
          const { client } = await createFlowClient(f);
          const user = uniqueUser();
          const tokens = await redeemCode(f, client, await authorizeCode(f, client, user));
          const pending = await authorizeCode(f, client, user);
          expect(await f.passport.clients.delete(client.id)).toBe(true);
          expect(await isLive(f, tokens.access_token)).toBe(false);
          expect(await f.passport.listUserTokens(user.id)).toEqual([]);
          expect(
            (await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? '')))?.revoked ?? true,
          ).toBe(true);
          expect(await f.store.findClient(client.id)).toMatchObject({ id: client.id, revoked: true });
          expect(await f.passport.clients.delete(client.id)).toBe(false);
          await expectOAuthError(refreshWith(f, client, tokens.refresh_token ?? ''), 'invalid_client');
          await expectOAuthError(redeemCode(f, client, pending), 'invalid_client');

          // Kept for the audit trail within the retention, gone with its rows after it.
          f.advance(3600);
          await f.passport.purge({ clientRetentionHours: 2 });
          expect(await f.store.findClient(client.id)).not.toBeNull();
          f.advance(3601);
          const purged = await f.passport.purge({ clientRetentionHours: 2 });
          expect(purged.clients).toBe(1);
          expect(await f.store.findClient(client.id)).toBeNull();
          expect(await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? ''))).toBeNull();
          expect(await f.store.findAuthCode(hashSecret(pending))).toBeNull();
        },
      );
    });
  });
}
