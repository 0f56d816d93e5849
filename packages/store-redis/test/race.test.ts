import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, type Passport } from '@passport/core';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisStore } from '../src/index.js';
import { createClusterStore, createStandaloneStore, destroyStore } from './helpers.js';

// 4 Node processes, each firing 25 concurrent redemptions of the same authorization code (and,
// separately, the same refresh token) against the real servers: exactly one success in total, and
// no token of a losing attempt is ever stored. The workers import the built packages (dist), as an
// application does; turbo builds them first.

const PROCESSES = 4;
const CONCURRENCY = 25;
const TOTAL = PROCESSES * CONCURRENCY;
const worker = join(import.meta.dirname, 'race', 'redeem-worker.mjs');
const builtStore = join(import.meta.dirname, '..', 'dist', 'index.js');

interface Attempt {
  outcome: string;
  accessTokenId?: string;
  refreshTokenId?: string;
}

const targets = [
  {
    name: 'standalone',
    service: 'redis' as const,
    redis: { url: services.redis.url },
    create: () => createStandaloneStore(),
  },
  {
    name: 'cluster',
    service: 'redis-cluster' as const,
    redis: { clusterNodes: services.redisCluster.nodes },
    create: () => createClusterStore(),
  },
];

for (const target of targets) {
  describe.skipIf(!(await requireService(target.service)))(
    `multi-process races on Redis (${target.name})`,
    () => {
      let store: RedisStore;
      let passport: Passport;
      let client: { id: string; secret: string; redirectUri: string };

      beforeAll(async () => {
        if (!existsSync(builtStore)) {
          throw new Error(
            'race.test.ts runs the built package: run `npx tsup` in packages/store-redis first',
          );
        }
        store = await target.create();
        passport = createPassport({
          issuer: 'https://auth.example.test',
          store,
          keys: await KeySet.generate('ES256'),
        });
        const redirectUri = 'https://app.example.test/callback';
        const created = await passport.clients.create({ name: 'Race app', redirectUris: [redirectUri] });
        client = { id: created.client.id, secret: created.plainSecret ?? '', redirectUri };
      }, 60_000);

      afterAll(async () => {
        await destroyStore(store);
      });

      /** Starts the workers, releases them together, and gathers their attempts. */
      async function race(
        mode: string,
        secret: string,
      ): Promise<{ counts: Record<string, number>; attempts: Attempt[] }> {
        const config = {
          redis: target.redis,
          prefix: store.prefix,
          mode,
          secret,
          client,
          concurrency: CONCURRENCY,
        };
        const children: ChildProcess[] = [];
        const results: Promise<{ counts: Record<string, number>; attempts: Attempt[] }>[] = [];
        const ready: Promise<void>[] = [];
        for (let i = 0; i < PROCESSES; i++) {
          const child = spawn(process.execPath, [worker, JSON.stringify(config)], {
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          children.push(child);
          let stderr = '';
          child.stderr?.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
          });
          const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
          let onReady: () => void = () => undefined;
          ready.push(new Promise<void>((resolve) => (onReady = resolve)));
          results.push(
            new Promise((resolve, reject) => {
              lines.on('line', (line) => {
                if (line === 'ready') onReady();
                else resolve(JSON.parse(line));
              });
              child.on('exit', (code) => {
                if (code !== 0) reject(new Error(`worker exited with ${code}: ${stderr}`));
              });
            }),
          );
        }
        await Promise.race([Promise.all(ready), Promise.all(results)]);
        for (const child of children) child.stdin?.write('go\n');
        const outcomes = await Promise.all(results);
        const counts: Record<string, number> = {};
        for (const outcome of outcomes) {
          for (const [key, count] of Object.entries(outcome.counts)) counts[key] = (counts[key] ?? 0) + count;
        }
        return { counts, attempts: outcomes.flatMap((outcome) => outcome.attempts) };
      }

      /** Issues a real authorization code through core (authorize + approve). */
      async function issueCode(): Promise<string> {
        const request = await passport.validateAuthorizationRequest(
          new URLSearchParams({
            response_type: 'code',
            client_id: client.id,
            redirect_uri: client.redirectUri,
            state: 's',
          }),
        );
        const redirect = new URL(await passport.approveAuthorizationRequest(request, { id: 'user-1' }));
        const code = redirect.searchParams.get('code');
        if (!code) throw new Error(`no code in ${redirect.href}`);
        return code;
      }

      /** Redeems a fresh code in this process and returns the refresh token. */
      async function issueRefreshToken(): Promise<string> {
        const response = await passport.handleTokenRequest({
          params: new URLSearchParams({
            grant_type: 'authorization_code',
            code: await issueCode(),
            redirect_uri: client.redirectUri,
            client_id: client.id,
            client_secret: client.secret,
          }),
          authorization: null,
        });
        if (!response.refresh_token) throw new Error('no refresh token issued');
        return response.refresh_token;
      }

      /** Exactly the winner's tokens are stored; every loser's access and refresh token is absent. */
      async function expectOnlyWinnerStored(attempts: Attempt[]): Promise<void> {
        const stored: string[] = [];
        for (const attempt of attempts) {
          const access = await store.findAccessToken(attempt.accessTokenId ?? '');
          const refresh = await store.findRefreshToken(attempt.refreshTokenId ?? '');
          if (access !== null || refresh !== null) stored.push(attempt.outcome);
          if (attempt.outcome === 'success') expect(access !== null && refresh !== null).toBe(true);
        }
        expect(stored).toEqual(['success']);
      }

      describe(`${PROCESSES} processes x ${CONCURRENCY} concurrent redemptions`, () => {
        it('store.redeemAuthCode: exactly one of 100 callers redeems the code, only its tokens are stored', async () => {
          const code = await issueCode();
          const { counts, attempts } = await race('store-code', code);
          expect(counts).toEqual({ success: 1, null: TOTAL - 1 });
          expect((await store.findAuthCode(hashSecret(code)))?.consumedAt).not.toBeNull();
          await expectOnlyWinnerStored(attempts);
        }, 60_000);

        it('store.rotateRefreshToken: exactly one of 100 callers rotates, only its pair is stored', async () => {
          const refreshToken = await issueRefreshToken();
          const { counts, attempts } = await race('store-refresh', refreshToken);
          expect(counts).toEqual({ success: 1, null: TOTAL - 1 });
          const consumed = await store.findRefreshToken(hashSecret(refreshToken));
          const winner = attempts.find((attempt) => attempt.outcome === 'success');
          expect(consumed?.replacedBy).toBe(winner?.refreshTokenId);
          await expectOnlyWinnerStored(attempts);
        }, 60_000);

        it('token endpoint, authorization_code grant: one token response, 99 invalid_grant', async () => {
          const code = await issueCode();
          expect((await race('core-code', code)).counts).toEqual({ success: 1, invalid_grant: TOTAL - 1 });
          // The losers are replays and revoke the family, which holds exactly the winner's pair.
          const family = `${store.prefix}fam:{${hashSecret(code)}}:`;
          expect(await store.client.zcard(`${family}ats`)).toBe(1);
          expect(await store.client.zcard(`${family}rts`)).toBe(1);
        }, 60_000);

        it('token endpoint, refresh_token grant (retries off): one token response, 99 invalid_grant', async () => {
          const refreshToken = await issueRefreshToken();
          expect((await race('core-refresh', refreshToken)).counts).toEqual({
            success: 1,
            invalid_grant: TOTAL - 1,
          });
        }, 60_000);

        it('a secret nobody issued: no process gets anything', async () => {
          expect((await race('store-code', crypto.randomUUID())).counts).toEqual({ null: TOTAL });
        }, 60_000);
      });
    },
  );
}
