import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, type Passport } from '@passport/core';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { createServerStore, DATABASE_URL, destroyStore, randomSchema } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('multi-process races on the PostgreSQL server', () => {
  // 4 Node processes, each firing 25 concurrent redemptions of the same authorization code (and,
  // separately, the same refresh token) against the real server: exactly one success in total.
  // The workers import the built packages (dist), as an application does; turbo builds them first.

  const PROCESSES = 4;
  const CONCURRENCY = 25;
  const worker = join(import.meta.dirname, 'race', 'redeem-worker.mjs');
  const builtStore = join(import.meta.dirname, '..', 'dist', 'index.js');

  let store: PostgresStore;
  let passport: Passport;
  let client: { id: string; secret: string; redirectUri: string };

  beforeAll(async () => {
    if (!existsSync(builtStore)) {
      throw new Error('race.test.ts runs the built package: run `npx tsup` in packages/store-postgres first');
    }
    store = await createServerStore({ schema: randomSchema('race') });
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
  async function race(mode: string, secret: string): Promise<Record<string, number>> {
    const config = {
      databaseUrl: DATABASE_URL,
      schema: store.schema.schema,
      mode,
      secret,
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

  const TOTAL = PROCESSES * CONCURRENCY;

  /** How many access and refresh token rows a family has. */
  async function familyRows(familyId: string): Promise<{ access: number; refresh: number }> {
    const t = store.schema.tables;
    const { rows } = await store.driver.query<{ access: number; refresh: number }>(
      `SELECT (SELECT count(*) FROM ${t.accessTokens} WHERE family_id = $1)::int AS access,
              (SELECT count(*) FROM ${t.refreshTokens} WHERE family_id = $1)::int AS refresh`,
      [familyId],
    );
    return rows[0] ?? { access: -1, refresh: -1 };
  }

  describe(`multi-process races: ${PROCESSES} processes x ${CONCURRENCY} concurrent redemptions`, () => {
    it('store.redeemAuthCode: exactly one of 100 callers redeems, and only its tokens are stored', async () => {
      const code = await issueCode();
      expect(await race('store-code', code)).toEqual({ success: 1, null: TOTAL - 1 });
      expect((await store.findAuthCode(hashSecret(code)))?.consumedAt).not.toBeNull();
      expect(await familyRows(hashSecret(code))).toEqual({ access: 1, refresh: 1 });
    }, 60_000);

    it('store.rotateRefreshToken: exactly one of 100 callers rotates, and only its pair is stored', async () => {
      const refreshToken = await issueRefreshToken();
      const familyId = (await store.findRefreshToken(hashSecret(refreshToken)))?.familyId ?? '';
      expect(await race('store-refresh', refreshToken)).toEqual({ success: 1, null: TOTAL - 1 });
      expect(await familyRows(familyId)).toEqual({ access: 2, refresh: 2 });
    }, 60_000);

    it('token endpoint, authorization_code grant: one token response, 99 invalid_grant', async () => {
      const code = await issueCode();
      expect(await race('core-code', code)).toEqual({ success: 1, invalid_grant: TOTAL - 1 });
    }, 60_000);

    it('token endpoint, refresh_token grant with retries off: one token response, 99 invalid_grant', async () => {
      const refreshToken = await issueRefreshToken();
      expect(await race('core-refresh', refreshToken)).toEqual({ success: 1, invalid_grant: TOTAL - 1 });
    }, 60_000);

    it('token endpoint, refresh_token grant with the retry window: tokens or invalid_grant, one live pair, the family intact', async () => {
      const refreshToken = await issueRefreshToken();
      const familyId = (await store.findRefreshToken(hashSecret(refreshToken)))?.familyId ?? '';
      const outcomes = await race('core-refresh-retry', refreshToken);
      expect(Object.keys(outcomes).sort()).toEqual(
        outcomes.invalid_grant === undefined ? ['success'] : ['invalid_grant', 'success'],
      );
      expect(outcomes.success).toBeGreaterThanOrEqual(1);
      const { rows } = await store.driver.query<{ live: number; revoked: number }>(
        `SELECT count(*) FILTER (WHERE NOT revoked AND consumed_at IS NULL)::int AS live,
                count(*) FILTER (WHERE revoked)::int AS revoked
         FROM ${store.schema.tables.refreshTokens} WHERE family_id = $1`,
        [familyId],
      );
      expect(rows[0]).toEqual({ live: 1, revoked: 0 });
    }, 60_000);

    it('a secret nobody issued: no process gets anything', async () => {
      expect(await race('store-code', crypto.randomUUID())).toEqual({ null: TOTAL });
      expect(await familyRows(hashSecret('nobody'))).toEqual({ access: 0, refresh: 0 });
    }, 60_000);
  });
});
