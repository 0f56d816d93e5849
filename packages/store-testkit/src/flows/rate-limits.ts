import type { OAuthError, PassportOptions } from '@passport/core';
import { expect } from 'vitest';
import {
  createFlowPassport,
  deviceCodeGrantType,
  expectOAuthError,
  type FlowPassport,
  type FlowUser,
  flowUsers,
  tokenRequest,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;

/** Two passports over one store with the same clock: two instances of one server. */
async function twoInstances(
  store: FlowSuiteContext['getStore'],
  options: Partial<PassportOptions<FlowUser>>,
): Promise<{ first: FlowPassport; second: FlowPassport; advance: (seconds: number) => void }> {
  const first = await createFlowPassport(store(), options);
  const second = await createFlowPassport(store(), options);
  return {
    first,
    second,
    advance: (seconds) => {
      first.advance(seconds);
      second.advance(seconds);
    },
  };
}

async function tooMany(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await expectOAuthError(promise, 'too_many_requests', 429);
  expect(error.retryAfter).toBeGreaterThan(0);
  return error;
}

/**
 * The rate limiter end to end: limits counted in the store, so they hold across instances (two
 * passports on the store under test), answered `too_many_requests` (429) with `retryAfter`.
 */
export function registerRateLimitFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('rate limits', (suite) => {
      suite.it(
        'password failures count per user across instances; over the limit even the right password waits',
        async () => {
          const { first, second, advance } = await twoInstances(getStore, {
            grants: { password: true },
            rateLimits: { passwordFailures: { limit: 3, windowSeconds: 60 } },
          });
          const { client, plainSecret } = await first.passport.clients.create({
            name: 'App',
            grantTypes: ['password'],
          });
          const credentials = { id: client.id, secret: plainSecret };
          const login = (f: FlowPassport, password: string, username: string = alice.username) =>
            tokenRequest(f.passport, credentials, { grant_type: 'password', username, password });

          await expectOAuthError(login(first, 'wrong 1'), 'invalid_grant', 400);
          await expectOAuthError(login(second, 'wrong 2'), 'invalid_grant', 400);
          await expectOAuthError(login(first, 'wrong 3'), 'invalid_grant', 400);
          // The fourth failure, on the other instance: over the limit counted in the store.
          const refused = await tooMany(login(second, 'wrong 4'));
          expect(refused.retryAfter).toBe(60);
          await tooMany(login(second, alice.password));
          await tooMany(login(first, 'wrong 5'));
          // Another user is not affected.
          expect(await login(first, flowUsers.bob.password, flowUsers.bob.username)).toMatchObject({
            token_type: 'Bearer',
          });
          advance(60);
          expect(await login(second, alice.password)).toMatchObject({ token_type: 'Bearer' });
        },
      );

      suite.it('device authorization requests count per client across instances', async () => {
        const { first, second, advance } = await twoInstances(getStore, {
          rateLimits: { deviceAuthorization: { limit: 2, windowSeconds: 60 } },
        });
        const tv = async () =>
          (
            await first.passport.clients.create({
              name: 'TV',
              confidential: false,
              grantTypes: [deviceCodeGrantType],
            })
          ).client;
        const [one, other] = [await tv(), await tv()];
        const request = (f: FlowPassport, clientId: string) =>
          f.passport.requestDeviceCode({
            params: new URLSearchParams({ client_id: clientId }),
            authorization: null,
          });
        await request(first, one.id);
        await request(second, one.id);
        await tooMany(request(first, one.id));
        expect((await request(second, other.id)).user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
        advance(60);
        expect((await request(first, one.id)).user_code).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
      });

      suite.it(
        'failed client authentications count per client; over the limit failures get 429, the right secret still works',
        async () => {
          const { first, second } = await twoInstances(getStore, {
            rateLimits: { clientAuthenticationFailures: { limit: 2, windowSeconds: 60 } },
          });
          const { client, plainSecret } = await first.passport.clients.create({
            name: 'Backend',
            grantTypes: ['client_credentials'],
          });
          const token = (f: FlowPassport, secret: string) =>
            tokenRequest(f.passport, { id: client.id, secret }, { grant_type: 'client_credentials' });
          await expectOAuthError(token(first, 'wrong'), 'invalid_client', 401);
          await expectOAuthError(token(second, 'wrong'), 'invalid_client', 401);
          await tooMany(token(first, 'wrong'));
          expect(await token(second, plainSecret ?? '')).toMatchObject({ token_type: 'Bearer' });
          await tooMany(token(second, 'wrong'));
        },
      );

      suite.it(
        'wrong user codes count per signed-in user across instances; over the limit the right code waits',
        async () => {
          const { first, second, advance } = await twoInstances(getStore, {
            rateLimits: { deviceVerification: { limit: 2, windowSeconds: 600 } },
          });
          const { client } = await first.passport.clients.create({
            name: 'TV',
            confidential: false,
            grantTypes: [deviceCodeGrantType],
          });
          const device = await first.passport.requestDeviceCode({
            params: new URLSearchParams({ client_id: client.id }),
            authorization: null,
          });
          const guesser = { ...alice };
          expect(await first.passport.findDeviceRequest('BCDF-GHJK', guesser)).toBeNull();
          expect(await second.passport.decideDeviceRequest('BCDF-GHJL', guesser, 'approve')).toBe(false);
          await tooMany(first.passport.findDeviceRequest('BCDF-GHJM', guesser));
          await tooMany(first.passport.findDeviceRequest(device.user_code, guesser));
          // Another user looks the code up at once; without a user nothing is counted.
          expect(await second.passport.findDeviceRequest(device.user_code, flowUsers.bob)).not.toBeNull();
          // Once the window has ended, the guesser's next lookup is answered again.
          advance(600);
          const fresh = await first.passport.requestDeviceCode({
            params: new URLSearchParams({ client_id: client.id }),
            authorization: null,
          });
          expect(await second.passport.findDeviceRequest(fresh.user_code, guesser)).not.toBeNull();
        },
      );

      suite.it('rateLimits: false switches every limit off', async () => {
        const f = await createFlowPassport(getStore(), { grants: { password: true }, rateLimits: false });
        const { client, plainSecret } = await f.passport.clients.create({
          name: 'App',
          grantTypes: ['password'],
        });
        for (let attempt = 0; attempt < 12; attempt++) {
          await expectOAuthError(
            tokenRequest(
              f.passport,
              { id: client.id, secret: plainSecret },
              { grant_type: 'password', username: alice.username, password: `wrong ${attempt}` },
            ),
            'invalid_grant',
            400,
          );
        }
      });
    });
  });
}
