import { StoreUnavailableError } from '@passport/core';
import { makeAuthCode, makeDeviceCode, makeTokenPair, uniqueId } from '@passport/store-testkit';
import { requireService, services, TcpProxy } from '@passport/test-bed';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore, redisClusterStoreOptions } from '../src/index.js';
import * as scripts from '../src/internal/scripts.js';
import { deleteStoreKeys } from '../src/testing.js';
import { integrityProblems, randomPrefix } from './helpers.js';

// A connection cut at the worst moment: as a write's script is sent (a TCP proxy drops the
// connection when the script's SHA passes). The call fails with StoreUnavailableError, nothing is
// half-written, the credential is still usable, and the same store works again once ioredis has
// reconnected. On a standalone server a write and its index entries are one script; on a cluster
// they are two steps (entries and pointers in their own slots, then the script in the family's
// slot) and the cut falls between them. The cluster runs behind one proxy per node (ioredis
// `natMap`).
const standalone = new URL(services.redis.url);
const targets = [
  {
    name: 'standalone',
    service: 'redis' as const,
    nodes: [{ host: standalone.hostname, port: Number(standalone.port || 6379) }],
    connect: (proxies: TcpProxy[]): Promise<RedisStore> =>
      createRedisStore({
        url: `redis://127.0.0.1:${proxies[0]?.port}`,
        prefix: randomPrefix('cut'),
        timeoutMs: 1000,
      }),
  },
  {
    name: 'cluster',
    service: 'redis-cluster' as const,
    nodes: services.redisCluster.nodes,
    connect: (proxies: TcpProxy[]): Promise<RedisStore> => {
      const natMap = Object.fromEntries(
        services.redisCluster.nodes.map((node, i) => [
          `${node.host}:${node.port}`,
          { host: '127.0.0.1', port: proxies[i]?.port ?? 0 },
        ]),
      );
      const cluster = new Cluster(
        proxies.map((proxy) => ({ host: '127.0.0.1', port: proxy.port })),
        { ...redisClusterStoreOptions(1000), natMap },
      );
      cluster.on('error', () => undefined);
      return createRedisStore({ client: cluster, prefix: randomPrefix('cut'), timeoutMs: 1000 });
    },
  },
];

for (const target of targets) {
  describe.skipIf(!(await requireService(target.service)))(
    `a connection cut in the middle of a write (${target.name})`,
    () => {
      const now = new Date();
      let proxies: TcpProxy[];
      let store: RedisStore;

      beforeAll(async () => {
        proxies = target.nodes.map((node) => new TcpProxy(node.host, node.port));
        for (const proxy of proxies) await proxy.open();
        store = await target.connect(proxies);
      });

      afterAll(async () => {
        await deleteStoreKeys(store);
        await store.close();
        store.client.disconnect();
        for (const proxy of proxies) await proxy.close();
      });

      /**
       * Runs `write` with the connection cut when one of its scripts goes through (the one-step
       * script on a standalone server, the family-slot script on a cluster); expects
       * StoreUnavailableError, then waits until the store answers again.
       */
      async function cutDuring(sent: scripts.Script[], write: () => Promise<unknown>): Promise<void> {
        const shas = sent.map((script) => script.sha);
        for (const proxy of proxies) proxy.cutWhen((chunk) => shas.some((sha) => chunk.includes(sha)));
        const error = await write().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreUnavailableError);
        // Back when every node answers: on a cluster a read that reaches one node says nothing of
        // the others, whose connections may still be reconnecting (their reads would fail with
        // "Too many Cluster redirections" meanwhile).
        const client = store.client;
        for (let attempt = 0; ; attempt++) {
          try {
            await store.findAuthCode('probe');
            if (!(client instanceof Cluster) || (await everyMasterAnswers())) break;
            if (attempt > 100) throw new StoreUnavailableError('a cluster node did not answer');
            await new Promise((resolve) => setTimeout(resolve, 50));
          } catch (reason) {
            expect(reason).toBeInstanceOf(StoreUnavailableError);
            if (attempt > 100) throw reason;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        for (const proxy of proxies) proxy.cutWhen(null);
      }

      /**
       * `true` when reads in every slot range answer: 24 reads of random ids, which land on each of
       * the three masters (the odds that one is missed are below one in ten thousand).
       */
      async function everyMasterAnswers(): Promise<boolean> {
        const reads = Array.from({ length: 24 }, () => store.findAccessToken(uniqueId('probe')));
        return Promise.all(reads).then(
          () => true,
          () => false,
        );
      }

      /** The pair core would sign for `familyId`. */
      const pairFor = (familyId: string, userId: string, clientId: string) =>
        makeTokenPair({ accessToken: { familyId, userId, clientId, createdAt: now } });

      it('redeemAuthCode: the code stays redeemable and none of its tokens is stored', async () => {
        const code = makeAuthCode({ createdAt: now });
        await store.saveAuthCode(code);
        const lost = pairFor(code.id, code.userId, code.clientId);
        await cutDuring([scripts.redeem, scripts.redeemWithEntries], () =>
          store.redeemAuthCode(code.id, now, lost),
        );
        expect((await store.findAuthCode(code.id))?.consumedAt).toBeNull();
        expect(await store.findAccessToken(lost.accessToken.id)).toBeNull();
        expect(await store.findRefreshToken(lost.refreshToken.id)).toBeNull();
        const retry = pairFor(code.id, code.userId, code.clientId);
        expect(await store.redeemAuthCode(code.id, now, retry)).toMatchObject({
          id: code.id,
          consumedAt: now,
        });
        expect(await store.findAccessToken(retry.accessToken.id)).toEqual(retry.accessToken);
        expect(await integrityProblems(store)).toEqual([]);
      });

      it('redeemDeviceCode: the device code stays redeemable and none of its tokens is stored', async () => {
        const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: now });
        await store.saveDeviceCode(code);
        const lost = pairFor(code.id, code.userId ?? '', code.clientId);
        await cutDuring([scripts.redeem, scripts.redeemWithEntries], () =>
          store.redeemDeviceCode(code.id, now, lost),
        );
        expect((await store.findDeviceCode(code.id))?.consumedAt).toBeNull();
        expect(await store.findAccessToken(lost.accessToken.id)).toBeNull();
        const retry = pairFor(code.id, code.userId ?? '', code.clientId);
        expect(await store.redeemDeviceCode(code.id, now, retry)).toMatchObject({ consumedAt: now });
        expect(await integrityProblems(store)).toEqual([]);
      });

      it('rotateRefreshToken: the refresh token stays unconsumed, its access token live, the next pair absent', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: now } });
        await store.saveTokens(pair);
        const family = pair.refreshToken.familyId;
        const lost = pairFor(family, pair.accessToken.userId ?? '', pair.accessToken.clientId);
        await cutDuring([scripts.rotate, scripts.rotateWithEntries], () =>
          store.rotateRefreshToken(pair.refreshToken.id, now, lost),
        );
        expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
        expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
        expect(await store.findAccessToken(lost.accessToken.id)).toBeNull();
        expect(await store.findRefreshToken(lost.refreshToken.id)).toBeNull();
        const retry = pairFor(family, pair.accessToken.userId ?? '', pair.accessToken.clientId);
        expect(await store.rotateRefreshToken(pair.refreshToken.id, now, retry)).toMatchObject({
          consumedAt: now,
          replacedBy: retry.refreshToken.id,
        });
        expect(await integrityProblems(store)).toEqual([]);
      });

      it('saveTokens: neither token is stored', async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: now } });
        await cutDuring([scripts.saveTokens, scripts.saveTokensWithEntries], () => store.saveTokens(pair));
        expect(await store.findAccessToken(pair.accessToken.id)).toBeNull();
        expect(await store.findRefreshToken(pair.refreshToken.id)).toBeNull();
        expect(await store.listUserTokens(pair.accessToken.userId ?? '', { now })).toEqual([]);
        expect(await integrityProblems(store)).toEqual([]);
      });
    },
  );
}
