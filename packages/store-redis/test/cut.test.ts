import { StoreUnavailableError } from '@passport/core';
import { makeAuthCode, makeDeviceCode, makeTokenPair, uniqueId } from '@passport/store-testkit';
import { requireService, services, TcpProxy } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';
import { redeem, rotate, saveTokens } from '../src/internal/scripts.js';
import { destroyStore, integrityProblems, randomPrefix } from './helpers.js';

// A connection cut at the worst moment: after the index entries and pointers of a write went out,
// just as its script is sent (a TCP proxy drops the connection when the script's SHA passes). The
// call fails with StoreUnavailableError, nothing is half-written, the credential is still usable,
// and the same store works again once ioredis has reconnected.
describe.skipIf(!(await requireService('redis')))('a connection cut in the middle of a write', () => {
  const target = new URL(services.redis.url);
  const now = new Date();
  let proxy: TcpProxy;
  let store: RedisStore;

  beforeAll(async () => {
    proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.open();
    store = await createRedisStore({
      url: `redis://127.0.0.1:${proxy.port}`,
      prefix: randomPrefix('cut'),
      timeoutMs: 1000,
    });
  });

  afterAll(async () => {
    await destroyStore(store);
    await proxy.close();
  });

  /** Runs `write` with the connection cut when `sha` goes through; expects StoreUnavailableError. */
  async function cutDuring(sha: string, write: () => Promise<unknown>): Promise<void> {
    proxy.cutWhen((chunk) => chunk.includes(sha));
    const error = await write().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    for (let attempt = 0; ; attempt++) {
      try {
        await store.findAuthCode('probe');
        break;
      } catch (reason) {
        expect(reason).toBeInstanceOf(StoreUnavailableError);
        if (attempt > 100) throw reason;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** The pair core would sign for `familyId`. */
  const pairFor = (familyId: string, userId: string, clientId: string) =>
    makeTokenPair({ accessToken: { familyId, userId, clientId, createdAt: now } });

  it('redeemAuthCode: the code stays redeemable and none of its tokens is stored', async () => {
    const code = makeAuthCode({ createdAt: now });
    await store.saveAuthCode(code);
    const lost = pairFor(code.id, code.userId, code.clientId);
    await cutDuring(redeem.sha, () => store.redeemAuthCode(code.id, now, lost));
    expect((await store.findAuthCode(code.id))?.consumedAt).toBeNull();
    expect(await store.findAccessToken(lost.accessToken.id)).toBeNull();
    expect(await store.findRefreshToken(lost.refreshToken.id)).toBeNull();
    const retry = pairFor(code.id, code.userId, code.clientId);
    expect(await store.redeemAuthCode(code.id, now, retry)).toMatchObject({ id: code.id, consumedAt: now });
    expect(await store.findAccessToken(retry.accessToken.id)).toEqual(retry.accessToken);
    expect(await integrityProblems(store)).toEqual([]);
  });

  it('redeemDeviceCode: the device code stays redeemable and none of its tokens is stored', async () => {
    const code = makeDeviceCode({ status: 'approved', userId: uniqueId('user'), createdAt: now });
    await store.saveDeviceCode(code);
    const lost = pairFor(code.id, code.userId ?? '', code.clientId);
    await cutDuring(redeem.sha, () => store.redeemDeviceCode(code.id, now, lost));
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
    await cutDuring(rotate.sha, () => store.rotateRefreshToken(pair.refreshToken.id, now, lost));
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
    await cutDuring(saveTokens.sha, () => store.saveTokens(pair));
    expect(await store.findAccessToken(pair.accessToken.id)).toBeNull();
    expect(await store.findRefreshToken(pair.refreshToken.id)).toBeNull();
    expect(await store.listUserTokens(pair.accessToken.userId ?? '', { now })).toEqual([]);
    expect(await integrityProblems(store)).toEqual([]);
  });
});
