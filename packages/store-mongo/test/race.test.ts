import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, type Passport } from '@passport/core';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoStore } from '../src/index.js';
import { createTestStore, destroyStore, MONGODB_URL, randomDatabase } from './helpers.js';

describe.skipIf(!(await requireService('ferretdb')))(
  'multi-process races on the MongoDB wire-protocol server',
  () => {
    // 4 Node processes, each firing 25 concurrent redemptions of the same authorization code (and,
    // separately, the same refresh token) against the real server: exactly one success in total.
    // The workers import the built packages (dist), as an application does; turbo builds them first.

    const PROCESSES = 4;
    const CONCURRENCY = 25;
    const TOTAL = PROCESSES * CONCURRENCY;
    const worker = join(import.meta.dirname, 'race', 'redeem-worker.mjs');
    const builtStore = join(import.meta.dirname, '..', 'dist', 'index.js');

    let store: MongoStore;
    let passport: Passport;
    let client: { id: string; secret: string; redirectUri: string };

    beforeAll(async () => {
      if (!existsSync(builtStore)) {
        throw new Error('race.test.ts runs the built package: run `npx tsup` in packages/store-mongo first');
      }
      store = await createTestStore({ dbName: randomDatabase('race') });
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

    /** Starts the workers, releases them together, and sums their outcomes. */
    async function race(mode: string, secret: string, familyId?: string): Promise<Record<string, number>> {
      const config = {
        url: MONGODB_URL,
        dbName: store.db.databaseName,
        mode,
        secret,
        familyId,
        client,
        concurrency: CONCURRENCY,
      };
      const children: ChildProcess[] = [];
      const results: Promise<Record<string, number>>[] = [];
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
              else resolve(JSON.parse(line) as Record<string, number>);
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
      const total: Record<string, number> = {};
      for (const outcome of outcomes) {
        for (const [key, count] of Object.entries(outcome)) total[key] = (total[key] ?? 0) + count;
      }
      return total;
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

    /** How many token documents name `parent` (a code's or refresh token's redemption). */
    async function pairsIssuedFrom(parent: string): Promise<number> {
      return store.db.collection(store.collectionNames.tokens).countDocuments({ parent });
    }

    describe(`multi-process races: ${PROCESSES} processes x ${CONCURRENCY} concurrent redemptions`, () => {
      it('store.redeemAuthCode: exactly one of 100 callers redeems the code, one pair is stored', async () => {
        const code = await issueCode();
        expect(await race('store-code', code)).toEqual({ success: 1, null: TOTAL - 1 });
        const id = hashSecret(code);
        expect((await store.findAuthCode(id))?.consumedAt).not.toBeNull();
        expect(await pairsIssuedFrom(`c:${id}`)).toBe(1);
        // Only the winner's pair exists: the family is exactly one access and one refresh token.
        expect(await store.revokeFamily(id)).toBe(2);
      }, 60_000);

      it('store.rotateRefreshToken: exactly one of 100 callers rotates the token, one pair is stored', async () => {
        const refreshToken = await issueRefreshToken();
        const id = hashSecret(refreshToken);
        const familyId = (await store.findRefreshToken(id))?.familyId;
        expect(await race('store-refresh', refreshToken, familyId)).toEqual({ success: 1, null: TOTAL - 1 });
        expect(await pairsIssuedFrom(`r:${id}`)).toBe(1);
        const consumed = await store.findRefreshToken(id);
        expect(consumed?.consumedAt).not.toBeNull();
        expect(await store.findRefreshToken(consumed?.replacedBy ?? '')).toMatchObject({ consumedAt: null });
      }, 60_000);

      it('token endpoint, authorization_code grant: one token response, 99 invalid_grant', async () => {
        const code = await issueCode();
        expect(await race('core-code', code)).toEqual({ success: 1, invalid_grant: TOTAL - 1 });
      }, 60_000);

      it('token endpoint, refresh_token grant: one token response, 99 invalid_grant', async () => {
        const refreshToken = await issueRefreshToken();
        expect(await race('core-refresh', refreshToken)).toEqual({ success: 1, invalid_grant: TOTAL - 1 });
      }, 60_000);

      it('a secret nobody issued: no process gets anything', async () => {
        expect(await race('store-code', crypto.randomUUID())).toEqual({ null: TOTAL });
      }, 60_000);
    });
  },
);
