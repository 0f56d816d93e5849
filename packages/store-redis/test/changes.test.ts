import { createPassport, KeySet, type StoreChangeEvent } from '@passport/core';
import { makeAuthCode, makeClient, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, isCluster, type RedisStore } from '../src/index.js';
import { createClusterStore, createStandaloneStore, destroyStore } from './helpers.js';

// The revocation feed between instances: two stores on the same prefix (two processes' worth of
// connections), one revokes, the other hears it on its subscriber connection.
for (const target of [
  { name: 'standalone', service: 'redis' as const, create: createStandaloneStore },
  { name: 'cluster', service: 'redis-cluster' as const, create: createClusterStore },
]) {
  describe.skipIf(!(await requireService(target.service)))(
    `revocation feed over pub/sub (${target.name})`,
    () => {
      let writer: RedisStore;
      let reader: RedisStore;
      const events: StoreChangeEvent[] = [];
      let unsubscribe: () => Promise<void>;

      beforeAll(async () => {
        writer = await target.create();
        const client = isCluster(writer.client) ? writer.client.duplicate() : writer.client.duplicate();
        reader = await createRedisStore({ client, prefix: writer.prefix });
        let live: () => void = () => undefined;
        const connected = new Promise<void>((resolve) => (live = resolve));
        unsubscribe = await reader.subscribeChanges({
          changed: (event) => events.push(event),
          connected: live,
        });
        await connected;
      });

      afterAll(async () => {
        await unsubscribe();
        await reader.close();
        reader.client.disconnect();
        await destroyStore(writer);
      });

      const heard = (event: StoreChangeEvent) =>
        expect.poll(() => events, { timeout: 2000 }).toContainEqual(event);

      it('revokeAccessToken publishes the access token id', async () => {
        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.revokeAccessToken(pair.accessToken.id);
        await heard({ type: 'accessTokens', ids: [pair.accessToken.id] });
        const alone = makeTokenPair({ accessToken: { familyId: null } }).accessToken;
        await writer.saveTokens({ accessToken: alone, refreshToken: null });
        await writer.revokeAccessToken(alone.id);
        await heard({ type: 'accessTokens', ids: [alone.id] });
      });

      it("a rotation publishes the old access token's id", async () => {
        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        const next = makeTokenPair({
          accessToken: { familyId: pair.accessToken.familyId, clientId: pair.accessToken.clientId },
        });
        expect(await writer.rotateRefreshToken(pair.refreshToken.id, new Date(), next)).not.toBeNull();
        await heard({ type: 'accessTokens', ids: [pair.accessToken.id] });
      });

      it('revokeFamily publishes the family', async () => {
        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.revokeFamily(pair.refreshToken.familyId);
        await heard({ type: 'family', familyId: pair.refreshToken.familyId });
      });

      it('updateClient, revokeClientTokens and deleteClient publish the client', async () => {
        for (const change of [
          async (id: string) => writer.updateClient(id, { name: 'Renamed', updatedAt: new Date() }),
          async (id: string) => writer.revokeClientTokens(id),
          async (id: string) => writer.deleteClient(id),
        ]) {
          const client = makeClient();
          await writer.createClient(client);
          await writer.saveAuthCode(makeAuthCode({ clientId: client.id }));
          await change(client.id);
          await heard({ type: 'client', clientId: client.id });
        }
      });

      it("a token revoked through one passport is refused by another's warm cache at once", async () => {
        const issuer = 'https://auth.example.test';
        const keys = await KeySet.generate('ES256');
        const cacheOptions = { issuer, keys, revocationCacheSeconds: 300 };
        const a = createPassport({ ...cacheOptions, store: writer });
        const b = createPassport({ ...cacheOptions, store: reader });
        const { client, plainSecret } = await a.clients.create({
          name: 'Feed app',
          grantTypes: ['client_credentials'],
        });
        const { access_token } = await a.handleTokenRequest({
          params: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: client.id,
            client_secret: plainSecret ?? '',
          }),
          authorization: null,
        });
        // b caches the live row, then a revokes it: b must refuse it without waiting for the cache.
        await b.verifyAccessToken(access_token);
        const verified = await a.verifyAccessToken(access_token);
        expect(await a.revokeAccessToken(verified.record.id)).toBe(true);
        await expect
          .poll(
            () =>
              b.verifyAccessToken(access_token).then(
                () => 'accepted',
                () => 'refused',
              ),
            { timeout: 1000 },
          )
          .toBe('refused');
      });
    },
  );
}
