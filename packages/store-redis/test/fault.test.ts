import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createPassport,
  KeySet,
  type Passport,
  type StoreChangeEvent,
  StoreUnavailableError,
} from '@passport/core';
import { makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';
import { integrityProblems, randomPrefix } from './helpers.js';

const run = promisify(execFile);
const servicesScript = join(import.meta.dirname, '..', '..', '..', 'scripts', 'services.sh');

// A PRIVATE redis-server on its own port, so killing and restarting it never disturbs the shared
// test bed. The store's connections are killed in the middle of running OAuth flows (CLIENT KILL)
// and the server is restarted: every failure must be a StoreUnavailableError (503), within the
// store's time bound, nothing half-written may remain, and the same store object must work again
// once the server is back.
describe.skipIf(!(await requireService('redis')))('faults of the Redis server (private redis-server)', () => {
  const PORT = 6390;
  const TIMEOUT_MS = 1000;
  const CONNECTION_NAME = 'passport-fault-test';
  let servicesDir: string;
  let admin: Redis;
  let store: RedisStore;
  let passport: Passport;
  let client: { id: string; secret: string; redirectUri: string };

  const services = (command: 'start' | 'stop') =>
    run('bash', [servicesScript, command, 'redis'], {
      env: { ...process.env, PASSPORT_SERVICES_DIR: servicesDir, PASSPORT_REDIS_PORT: String(PORT) },
    });

  beforeAll(async () => {
    servicesDir = await mkdtemp(join(tmpdir(), 'passport-redis-fault-'));
    await services('start');
    admin = new Redis({ port: PORT, host: '127.0.0.1', lazyConnect: true });
    admin.on('error', () => undefined); // it is down on purpose during the restart test
    await admin.connect();
    store = await createRedisStore({
      url: `redis://127.0.0.1:${PORT}`,
      prefix: randomPrefix('fault'),
      timeoutMs: TIMEOUT_MS,
      redisOptions: { connectionName: CONNECTION_NAME },
    });
    passport = createPassport({
      issuer: 'https://auth.example.test',
      store,
      keys: await KeySet.generate('ES256'),
    });
    const redirectUri = 'https://app.example.test/callback';
    const created = await passport.clients.create({ name: 'Fault app', redirectUris: [redirectUri] });
    client = { id: created.client.id, secret: created.plainSecret ?? '', redirectUri };
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    admin?.disconnect();
    await services('stop').catch(() => undefined);
    await rm(servicesDir, { recursive: true, force: true });
  });

  /** A complete flow: authorize, redeem the code, refresh twice, revoke. */
  async function flow(): Promise<void> {
    const request = await passport.validateAuthorizationRequest(
      new URLSearchParams({ response_type: 'code', client_id: client.id, redirect_uri: client.redirectUri }),
    );
    const code = new URL(
      await passport.approveAuthorizationRequest(request, { id: 'user-1' }),
    ).searchParams.get('code');
    const auth = { client_id: client.id, client_secret: client.secret };
    let tokens = await passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'authorization_code',
        code: code ?? '',
        redirect_uri: client.redirectUri,
        ...auth,
      }),
      authorization: null,
    });
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
    await passport.verifyAccessToken(tokens.access_token);
  }

  /** Kills every connection the store opened (by its name), as a network failure would. */
  async function killStoreConnections(): Promise<number> {
    const list = (await admin.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(`name=${CONNECTION_NAME}`))
      .map((line) => /(?:^| )id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.client('KILL', 'ID', id).catch(() => 0);
    return ids.length;
  }

  /** Waits until the store answers again (ioredis reconnects by itself). */
  async function untilAvailable(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await store.findClient(client.id);
        return;
      } catch (error) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error('the store did not recover within 10 s');
  }

  /** Every failure of the flows must be the store's unavailable error, nothing else. */
  function expectOnlyUnavailable(results: PromiseSettledResult<void>[]): number {
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    for (const reason of failures) expect(reason).toBeInstanceOf(StoreUnavailableError);
    return failures.length;
  }

  it('CLIENT KILL of the store connections mid-run: typed errors, nothing half-written, recovery', async () => {
    const settled = Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 5)).then(() => flow()),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await killStoreConnections()).toBeGreaterThan(0);
    const results = await settled;
    const failed = expectOnlyUnavailable(results);
    expect(failed).toBeGreaterThan(0);

    await untilAvailable();
    expect(await integrityProblems(store)).toEqual([]);
    await flow();
  }, 60_000);

  it('a killed connection fails the call in flight at once, and the next call works again', async () => {
    const pair = makeTokenPair();
    await store.saveTokens(pair);
    await killStoreConnections();
    await untilAvailable();
    expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
  });

  it('server restart: StoreUnavailableError within the time bound while down, the same store works once it is back', async () => {
    const events: StoreChangeEvent[] = [];
    let connected = 0;
    let disconnected = 0;
    const unsubscribe = await store.subscribeChanges({
      changed: (event) => events.push(event),
      connected: () => {
        connected += 1;
      },
      disconnected: () => {
        disconnected += 1;
      },
    });
    await expect.poll(() => connected, { timeout: 5000 }).toBe(1);

    await services('stop');
    for (const call of [
      () => store.findAccessToken(crypto.randomUUID()),
      () => store.saveTokens(makeTokenPair()),
      () => flow(),
    ]) {
      const started = performance.now();
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).code).toBe('ERR_STORE_UNAVAILABLE');
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS * 3);
    }
    await expect.poll(() => disconnected, { timeout: 5000 }).toBe(1);

    // The server comes back empty (no persistence) and without the scripts: EVALSHA answers
    // NOSCRIPT and the store loads them again.
    await services('start');
    await admin.connect().catch(() => undefined);
    const redirectUri = client.redirectUri;
    for (let attempt = 0; ; attempt++) {
      try {
        const created = await passport.clients.create({ name: 'Fault app', redirectUris: [redirectUri] });
        client = { id: created.client.id, secret: created.plainSecret ?? '', redirectUri };
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        if (attempt > 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await flow();
    expect(await integrityProblems(store)).toEqual([]);

    // The revocation feed is live again too.
    await expect.poll(() => connected, { timeout: 10_000 }).toBe(2);
    const familyId = crypto.randomUUID();
    await store.revokeFamily(familyId);
    await expect.poll(() => events).toContainEqual({ type: 'family', familyId });
    await unsubscribe();
  }, 60_000);
});
