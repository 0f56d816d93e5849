import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hashSecret, StoreUnavailableError } from '@passport/core';
import { makeAuthCode, makeClient, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoStore } from '../src/index.js';
import { createTestStore, destroyStore, randomDatabase } from './helpers.js';

const run = promisify(execFile);

// The server really goes away: a PRIVATE FerretDB (the test bed's script, on a port and in a
// directory of this run) is stopped in the middle of a run and started again. The shared server
// of the other suites is never touched.

const SERVICES = join(import.meta.dirname, '..', '..', '..', 'scripts', 'services.sh');
const SERVER_SELECTION_MS = 1500;

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A pair as core issues it (the refresh token's `replacedBy` included). */
function pair(overrides: Parameters<typeof makeTokenPair>[0] = {}) {
  const made = makeTokenPair(overrides);
  return { accessToken: made.accessToken, refreshToken: { ...made.refreshToken, replacedBy: null } };
}

/** The next pair of a rotation of `tokens` (same family, client and user). */
function nextOf(tokens: ReturnType<typeof pair>) {
  return pair({
    accessToken: {
      familyId: tokens.accessToken.familyId,
      clientId: tokens.accessToken.clientId,
      userId: tokens.accessToken.userId,
    },
  });
}

describe.skipIf(!(await requireService('ferretdb')))(
  'faults: the server stops in the middle of a run',
  () => {
    let dir: string;
    let port: number;
    let store: MongoStore;

    async function server(action: 'start' | 'stop'): Promise<void> {
      await run('bash', [SERVICES, action, 'ferretdb'], {
        env: { ...process.env, PASSPORT_SERVICES_DIR: dir, PASSPORT_FERRETDB_PORT: String(port) },
        timeout: 60_000,
      });
    }

    /** Awaits `operation`, which must fail with StoreUnavailableError within a bounded time. */
    async function expectUnavailable(operation: Promise<unknown>): Promise<void> {
      const started = performance.now();
      const error = await operation.then(
        () => null,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
      // Bounded by serverSelectionTimeoutMS (plus scheduling on a busy two-core machine).
      expect(performance.now() - started).toBeLessThan(SERVER_SELECTION_MS + 4000);
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'passport-mongo-fault-'));
      port = await freePort();
      await server('start');
      store = await createTestStore({
        url: `mongodb://127.0.0.1:${port}`,
        dbName: randomDatabase('fault'),
        clientOptions: {
          serverSelectionTimeoutMS: SERVER_SELECTION_MS,
          connectTimeoutMS: 1000,
          socketTimeoutMS: 3000,
          heartbeatFrequencyMS: 500,
        },
      });
    }, 120_000);

    afterAll(async () => {
      await server('start').catch(() => undefined);
      await destroyStore(store).catch(() => undefined);
      await server('stop').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }, 120_000);

    it('every method fails with StoreUnavailableError while the server is down, nothing is written, and the same store works when it is back', async () => {
      const before = pair();
      const code = makeAuthCode();
      await store.saveTokens(before);
      await store.saveAuthCode(code);

      await server('stop');
      const during = pair();
      const rotated = nextOf(before);
      const redeemed = pair({ accessToken: { familyId: code.id } });
      const now = new Date();
      await expectUnavailable(store.findAccessToken(before.accessToken.id));
      await expectUnavailable(store.findRefreshToken(before.refreshToken.id));
      await expectUnavailable(store.saveTokens(during));
      await expectUnavailable(store.rotateRefreshToken(before.refreshToken.id, now, rotated));
      await expectUnavailable(store.redeemAuthCode(code.id, now, redeemed));
      await expectUnavailable(store.revokeFamily(code.id));
      await expectUnavailable(store.createClient({ ...makeClient(), resourceServer: false }));
      await expectUnavailable(store.hitRateLimit('login:alice', 60_000, now));
      await expectUnavailable(store.useNonce(crypto.randomUUID(), new Date(now.getTime() + 60_000)));
      await expectUnavailable(
        store.purge({ revoked: true, expiredBefore: now, revokedClientsBefore: null, now }),
      );

      await server('start');
      // The driver reconnects by itself: the same store instance, no restart.
      expect(await store.findAccessToken(before.accessToken.id)).toEqual(before.accessToken);
      expect(await store.findAccessToken(during.accessToken.id)).toBeNull();
      expect(await store.findRefreshToken(during.refreshToken.id)).toBeNull();
      expect(await store.findAccessToken(rotated.accessToken.id)).toBeNull();
      expect(await store.findAccessToken(redeemed.accessToken.id)).toBeNull();
      expect(await store.findRefreshToken(before.refreshToken.id)).toEqual(before.refreshToken);
      expect(await store.findAuthCode(code.id)).toEqual(code);
      // What failed can be done now: the refresh token was not burned, the code not consumed.
      expect(await store.rotateRefreshToken(before.refreshToken.id, now, rotated)).toMatchObject({
        consumedAt: now,
      });
      expect(await store.redeemAuthCode(code.id, now, redeemed)).toMatchObject({ consumedAt: now });
      expect(await store.findAccessToken(rotated.accessToken.id)).toEqual(rotated.accessToken);
    }, 120_000);

    it('stopped during a burst of writes: each write either happened whole or not at all, and retries succeed after', async () => {
      const now = new Date();
      type Attempt = {
        tokens: ReturnType<typeof pair>;
        next: ReturnType<typeof pair>;
        save: unknown;
        rotate?: unknown;
        code: ReturnType<typeof makeAuthCode>;
        issued: ReturnType<typeof pair>;
        redeem?: unknown;
      };
      const attempts: Attempt[] = [];
      const settle = (promise: Promise<unknown>) =>
        promise.then(
          () => 'ok',
          (error: unknown) => error,
        );
      // Six lanes of save-then-rotate and save-then-redeem, each running until the stopped server
      // fails it, then a few more.
      const lane = async () => {
        let after = -1;
        while (after < 3) {
          const tokens = pair();
          const code = makeAuthCode();
          const attempt: Attempt = {
            tokens,
            next: nextOf(tokens),
            save: await settle(store.saveTokens(tokens)),
            code,
            issued: pair({ accessToken: { familyId: code.id } }),
          };
          if (attempt.save === 'ok') {
            attempt.rotate = await settle(
              store.rotateRefreshToken(tokens.refreshToken.id, now, attempt.next),
            );
          }
          if ((await settle(store.saveAuthCode(code))) === 'ok') {
            attempt.redeem = await settle(store.redeemAuthCode(code.id, now, attempt.issued));
          }
          attempts.push(attempt);
          const failed = [attempt.save, attempt.rotate, attempt.redeem].some(
            (outcome) => outcome !== undefined && outcome !== 'ok',
          );
          if (after >= 0 || failed) after += 1;
        }
      };
      const lanes = Array.from({ length: 6 }, lane);
      while (attempts.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
      await server('stop');
      await Promise.all(lanes);
      await server('start');

      const outcomes = attempts.flatMap((attempt) =>
        [attempt.save, attempt.rotate, attempt.redeem].filter((outcome) => outcome !== undefined),
      );
      expect(outcomes.filter((outcome) => outcome === 'ok').length).toBeGreaterThan(0);
      const failures = outcomes.filter((outcome) => outcome !== 'ok');
      expect(failures.length).toBeGreaterThan(0);
      for (const failure of failures) expect(failure).toBeInstanceOf(StoreUnavailableError);

      for (const { code, issued, redeem } of attempts) {
        const stored = await store.findAuthCode(code.id);
        if (stored === null) continue;
        const access = await store.findAccessToken(issued.accessToken.id);
        const refresh = await store.findRefreshToken(issued.refreshToken.id);
        // The redemption is the insert of its tokens: consumed exactly when they exist, whole.
        expect(stored.consumedAt !== null).toBe(access !== null);
        expect(access === null).toBe(refresh === null);
        if (redeem === 'ok') expect(stored.consumedAt).toEqual(now);
        // Not written: the same code is still redeemable.
        else if (access === null) expect(await store.redeemAuthCode(code.id, now, issued)).not.toBeNull();
      }
      for (const { tokens, next, save, rotate } of attempts) {
        const access = await store.findAccessToken(tokens.accessToken.id);
        const refresh = await store.findRefreshToken(tokens.refreshToken.id);
        // One document: both tokens or neither, whatever the outcome.
        expect(access === null).toBe(refresh === null);
        if (save === 'ok') expect(access).not.toBeNull();
        if (refresh === null) continue;
        const issued = await store.findRefreshToken(next.refreshToken.id);
        const issuedAccess = await store.findAccessToken(next.accessToken.id);
        // The rotation is the insert of the next pair: consumed exactly when the pair exists, whole.
        expect(refresh.consumedAt !== null).toBe(issued !== null);
        expect(issuedAccess === null).toBe(issued === null);
        if (rotate === 'ok') {
          expect(refresh).toMatchObject({
            consumedAt: now,
            replacedBy: next.refreshToken.id,
            revoked: false,
          });
          expect(access?.revoked).toBe(true);
        } else if (issued === null) {
          // Not written: the same refresh token rotates now, with the same successor.
          expect(await store.rotateRefreshToken(tokens.refreshToken.id, now, next)).toMatchObject({
            consumedAt: now,
          });
        }
      }
    }, 180_000);

    it('hashes reach the server as they are: a code hashed by core is found after the restart', async () => {
      const secret = crypto.randomUUID();
      const code = makeAuthCode({ id: hashSecret(secret) });
      await store.saveAuthCode(code);
      expect(await store.findAuthCode(hashSecret(secret))).toEqual(code);
    });
  },
);
