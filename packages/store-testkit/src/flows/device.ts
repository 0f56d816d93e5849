import { hashSecret } from '@passport/core';
import { expect } from 'vitest';
import {
  createFlowPassport,
  deviceCodeGrantType,
  expectOAuthError,
  flowUsers,
  jtiOf,
  tokenRequest,
} from './fixture.js';
import type { FlowSuiteContext } from './index.js';

const { alice } = flowUsers;

/** The device authorization grant end to end (RFC 8628). */
export function registerDeviceFlow({ describe, getStore }: FlowSuiteContext): void {
  describe('flows', (flows) => {
    flows.describe('device authorization', (suite) => {
      async function started() {
        const f = await createFlowPassport(getStore());
        const { client } = await f.passport.clients.create({
          name: 'Smart TV',
          confidential: false,
          grantTypes: [deviceCodeGrantType, 'refresh_token'],
        });
        const device = await f.passport.requestDeviceCode({
          params: new URLSearchParams({ client_id: client.id, scope: 'read' }),
          authorization: null,
        });
        const poll = () =>
          tokenRequest(
            f.passport,
            { id: client.id, secret: null },
            {
              grant_type: deviceCodeGrantType,
              device_code: device.device_code,
            },
          );
        return { f, client, device, poll, id: hashSecret(device.device_code) };
      }

      suite.it(
        'answers the request with codes, URIs, expiry and interval, and stores it pending',
        async () => {
          const { f, client, device, id } = await started();
          expect(device.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
          expect(device).toMatchObject({
            verification_uri: 'https://auth.flows.example/oauth/device',
            verification_uri_complete: `https://auth.flows.example/oauth/device?user_code=${device.user_code}`,
            expires_in: 600,
            interval: 5,
          });
          expect(await f.store.findDeviceCode(id)).toMatchObject({
            userCode: device.user_code.replace('-', ''),
            clientId: client.id,
            status: 'pending',
            scopes: ['read'],
            userId: null,
            consumedAt: null,
          });
        },
      );

      suite.it('pending, slow_down, approval by user code, then tokens exactly once', async () => {
        const { f, device, poll, id } = await started();
        await expectOAuthError(poll(), 'authorization_pending', 400);
        f.advance(1);
        await expectOAuthError(poll(), 'slow_down', 400);
        expect((await f.store.findDeviceCode(id))?.interval).toBe(10);
        f.advance(11);
        await expectOAuthError(poll(), 'authorization_pending', 400);

        const typed = device.user_code.toLowerCase().replace('-', ' ');
        expect((await f.passport.findDeviceRequest(typed))?.scopes.map((s) => s.id)).toEqual(['read']);
        expect(await f.passport.decideDeviceRequest(typed, alice, 'approve')).toBe(true);
        expect(await f.store.findDeviceCode(id)).toMatchObject({ status: 'approved', userId: alice.id });

        f.advance(11);
        const tokens = await poll();
        expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read' });
        const access = await f.store.findAccessToken(jtiOf(tokens.access_token));
        expect(access).toMatchObject({ userId: alice.id, familyId: id });
        expect((await f.store.findRefreshToken(hashSecret(tokens.refresh_token ?? '')))?.familyId).toBe(id);
        expect((await f.store.findDeviceCode(id))?.consumedAt).not.toBeNull();

        f.advance(11);
        await expectOAuthError(poll(), 'invalid_grant', 400);
        expect(await f.passport.listUserTokens(alice.id)).toHaveLength(1);
      });

      suite.it('20 concurrent polls of an approved code give exactly one success', async () => {
        const { f, device, poll } = await started();
        await f.passport.decideDeviceRequest(device.user_code, alice, 'approve');
        const results = await Promise.allSettled(Array.from({ length: 20 }, () => poll()));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await f.passport.listUserTokens(alice.id)).toHaveLength(1);
      });

      suite.it('a denied request answers access_denied and issues nothing', async () => {
        const { f, device, poll, id } = await started();
        expect(await f.passport.decideDeviceRequest(device.user_code, alice, 'deny')).toBe(true);
        expect(await f.passport.decideDeviceRequest(device.user_code, alice, 'approve')).toBe(false);
        expect((await f.store.findDeviceCode(id))?.status).toBe('denied');
        await expectOAuthError(poll(), 'access_denied', 400);
        expect(await f.passport.listUserTokens(alice.id)).toEqual([]);
      });

      suite.it('an expired request answers expired_token and can no longer be approved', async () => {
        const { f, device, poll } = await started();
        f.advance(601);
        expect(await f.passport.findDeviceRequest(device.user_code)).toBeNull();
        expect(await f.passport.decideDeviceRequest(device.user_code, alice, 'approve')).toBe(false);
        await expectOAuthError(poll(), 'expired_token', 400);
      });
    });
  });
}
