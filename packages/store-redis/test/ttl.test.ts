import { createPassport, KeySet } from '@passport/core';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStore } from '../src/index.js';
import { scanStoreKeys } from '../src/testing.js';
import { createClusterStore, createStandaloneStore, destroyStore } from './helpers.js';

/** The only keys without a TTL: clients and their listings (documented in the README). */
const LONG_LIVED = [/^client:\{[^}]*\}$/, /^clients$/, /^owner:\{[^}]*\}:clients$/];

for (const target of [
  { name: 'standalone', service: 'redis' as const, create: () => createStandaloneStore() },
  { name: 'cluster', service: 'redis-cluster' as const, create: () => createClusterStore() },
]) {
  describe.skipIf(!(await requireService(target.service)))(
    `key expiry after a full run (${target.name})`,
    () => {
      let store: RedisStore;
      beforeAll(async () => {
        store = await target.create();
      });
      afterAll(() => destroyStore(store));

      it('leaves no key without a TTL except clients and their listings', async () => {
        const passport = createPassport({
          issuer: 'https://auth.example.test',
          store,
          keys: await KeySet.generate('ES256'),
          scopes: { read: 'Read' },
        });
        const redirectUri = 'https://app.example.test/callback';
        const { client, plainSecret } = await passport.clients.create({
          name: 'TTL app',
          ownerId: 'owner-1',
          redirectUris: [redirectUri],
          grantTypes: [
            'authorization_code',
            'refresh_token',
            'client_credentials',
            'urn:ietf:params:oauth:grant-type:device_code',
          ],
        });
        const auth = { client_id: client.id, client_secret: plainSecret ?? '' };

        // Authorization code, two refreshes, a replay of the first refresh token (reuse detection).
        const request = await passport.validateAuthorizationRequest(
          new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: redirectUri }),
        );
        const code = new URL(
          await passport.approveAuthorizationRequest(request, { id: 'user-1' }),
        ).searchParams.get('code');
        const first = await passport.handleTokenRequest({
          params: new URLSearchParams({
            grant_type: 'authorization_code',
            code: code ?? '',
            redirect_uri: redirectUri,
            ...auth,
          }),
          authorization: null,
        });
        let tokens = first;
        for (let i = 0; i < 2; i++) {
          tokens = await passport.handleTokenRequest({
            params: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: tokens.refresh_token ?? '',
              ...auth,
            }),
            authorization: null,
          });
        }
        // Client credentials, device flow, nonces, rate-limit windows, revocation.
        const service = await passport.handleTokenRequest({
          params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read', ...auth }),
          authorization: null,
        });
        const device = await passport.requestDeviceCode({
          params: new URLSearchParams(auth),
          authorization: null,
        });
        expect(await passport.decideDeviceRequest(device.user_code, { id: 'user-1' }, 'approve')).toBe(true);
        await passport.handleTokenRequest({
          params: new URLSearchParams({
            grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
            device_code: device.device_code,
            ...auth,
          }),
          authorization: null,
        });
        await store.useNonce('ttl-test-marker', new Date(Date.now() + 60_000));
        await store.hitRateLimit('ttl-test-window', 60_000, new Date());
        await passport.revoke({
          params: new URLSearchParams({ token: service.access_token, ...auth }),
          authorization: null,
        });
        await passport.createPersonalAccessToken({ id: 'user-1' }, 'CLI token', ['read']);

        const keys = await scanStoreKeys(store);
        expect(keys.length).toBeGreaterThan(20);
        const withoutTtl: string[] = [];
        for (const key of keys) {
          const ttl = await store.client.pttl(key);
          const rest = key.slice(store.prefix.length);
          if (ttl < 0 && !LONG_LIVED.some((pattern) => pattern.test(rest)))
            withoutTtl.push(`${rest} (${ttl})`);
        }
        expect(withoutTtl).toEqual([]);
        // The refresh token of the live family outlives its own expiry by the replay window.
        const refreshKeys = keys.filter((key) => key.slice(store.prefix.length).includes('}:rt:'));
        expect(refreshKeys.length).toBeGreaterThanOrEqual(3);
        for (const key of refreshKeys) expect(await store.client.pttl(key)).toBeGreaterThan(30 * 86_400_000);
      }, 60_000);
    },
  );
}
