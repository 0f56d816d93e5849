/// <reference types="node" />
/**
 * A real store outage at the HTTP level: the PostgreSQL store reaches the server through a TCP
 * proxy that this test closes (connections refused, open ones dropped) and opens again. While it
 * is closed the token endpoint and the bearer guard answer `503 temporarily_unavailable`; the
 * first request after it reopens succeeds, and nothing was written during the outage.
 */
import { createPassport, StoreUnavailableError } from '@passport/core';
import { createPostgresStore, type PostgresStore } from '@passport/store-postgres';
import { requireService, TcpProxy } from '@passport/test-bed';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard, createPassportHandler, type StoreOutageEvent } from '../src/index.js';
import { basic, form, origin, secret, testKeys } from './helpers.js';

/** `true` when `error` or its cause is the store's outage error. */
function isStoreUnavailable(error: unknown): boolean {
  return (
    error instanceof StoreUnavailableError ||
    (error instanceof Error && error.cause instanceof StoreUnavailableError)
  );
}

describe.skipIf(!(await requireService('postgres')))('a PostgreSQL outage', () => {
  const databaseUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');

  const schema = `passport_http_outage_${crypto.getRandomValues(new Uint32Array(2)).join('_')}`;
  const proxy = new TcpProxy(databaseUrl.hostname, Number(databaseUrl.port || 5432));
  let store: PostgresStore;
  let admin: pg.Pool;

  beforeAll(async () => {
    await proxy.open();
    admin = new pg.Pool({ connectionString: databaseUrl.href, max: 1 });
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: proxy.port,
      user: decodeURIComponent(databaseUrl.username) || 'postgres',
      password: decodeURIComponent(databaseUrl.password),
      database: databaseUrl.pathname.slice(1),
      max: 4,
    });
    store = createPostgresStore({ pool, schema, connectTimeoutMs: 800, queryTimeoutMs: 1500 });
    await store.migrate();
  });

  afterAll(async () => {
    await proxy.open().catch(() => {});
    await store?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
    await proxy.close();
  });

  describe('a real PostgreSQL outage behind the handler and the guard', () => {
    it('answers 503 temporarily_unavailable while the database is unreachable, and serves the next request after it returns', async () => {
      const errors: unknown[] = [];
      const passport = createPassport({
        issuer: origin,
        store,
        keys: await testKeys(),
        scopes: { read: 'Read' },
      });
      const handler = createPassportHandler({
        passport,
        secret,
        authenticateUser: () => null,
        onError: (error) => errors.push(error),
      });
      const guard = createGuard({ passport });
      const api = guard.requireClient(async (_request, auth) => Response.json({ client: auth.client.id }));
      const { client, plainSecret } = await passport.clients.create({
        name: 'Backend',
        grantTypes: ['client_credentials'],
      });
      const tokenRequest = () =>
        form(
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: basic(client.id, plainSecret as string) },
        );
      const issued = await handler(tokenRequest());
      expect(issued.status).toBe(200);
      const accessToken = ((await issued.json()) as { access_token: string }).access_token;
      const callApi = () =>
        api(new Request(`${origin}/api`, { headers: { authorization: `Bearer ${accessToken}` } }));
      const countTokens = async () =>
        Number(
          (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".oauth_access_tokens`))
            .rows[0]?.n,
        );
      expect(await countTokens()).toBe(1);

      await proxy.close();
      const down = await handler(tokenRequest());
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(down.headers.get('cache-control')).toBe('no-store');
      expect(down.headers.get('pragma')).toBe('no-cache');
      const text = await down.text();
      expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' });
      expect(text).not.toMatch(/ECONNREFUSED|\bat .*:\d+/);
      expect(errors.length).toBeGreaterThan(0);
      const guardDown = await callApi();
      expect(guardDown.status).toBe(503);
      expect(((await guardDown.json()) as { error: string }).error).toBe('temporarily_unavailable');

      await proxy.open();
      const up = await handler(tokenRequest());
      expect(up.status).toBe(200);
      expect(((await up.json()) as { token_type: string }).token_type).toBe('Bearer');
      expect(await countTokens()).toBe(2); // the one before, the one after; none from the outage
      const guardUp = await callApi();
      expect(guardUp.status).toBe(200);
      expect(await guardUp.json()).toEqual({ client: client.id });
    });

    it('reports an outage once when it starts and once when it ends, with the count of refused requests', async () => {
      const passport = createPassport({
        issuer: origin,
        store,
        keys: await testKeys(),
        scopes: { read: 'Read' },
      });
      const events: StoreOutageEvent[] = [];
      const hookErrors: unknown[] = [];
      const withHook = createPassportHandler({
        passport,
        secret,
        authenticateUser: () => null,
        onError: (error) => hookErrors.push(error),
        onStoreOutage: (event) => events.push(event),
      });
      const plainErrors: unknown[] = [];
      const onlyOnError = createPassportHandler({
        passport,
        secret,
        authenticateUser: () => null,
        onError: (error) => plainErrors.push(error),
      });
      const { client, plainSecret } = await passport.clients.create({
        name: 'Backend',
        grantTypes: ['client_credentials'],
      });
      const tokenRequest = () =>
        form(
          '/oauth/token',
          { grant_type: 'client_credentials' },
          { authorization: basic(client.id, plainSecret as string) },
        );
      const jwks = () => new Request(`${origin}/oauth/jwks`);
      expect((await withHook(tokenRequest())).status).toBe(200);

      await proxy.close();
      for (let i = 0; i < 12; i++) {
        expect((await withHook(tokenRequest())).status).toBe(503);
        expect((await onlyOnError(tokenRequest())).status).toBe(503);
        // requests that do not need the store are served, and probe it (still down)
        expect((await withHook(jwks())).status).toBe(200);
      }
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'started', startedAt: expect.any(Date) });
      expect(isStoreUnavailable((events[0] as { error: unknown }).error)).toBe(true);
      expect(hookErrors).toEqual([]);
      expect(plainErrors).toHaveLength(1);
      expect(isStoreUnavailable(plainErrors[0])).toBe(true);

      await proxy.open();
      // the next requests find the store answering (a probe runs at most once a second)
      await expect
        .poll(
          async () => {
            await withHook(jwks());
            return events.length;
          },
          { timeout: 10_000, interval: 250 },
        )
        .toBe(2);
      const ended = events[1] as Extract<StoreOutageEvent, { type: 'ended' }>;
      expect(ended).toMatchObject({ type: 'ended', refused: 12 });
      expect(ended.endedAt.getTime()).toBeGreaterThanOrEqual(ended.startedAt.getTime());
      expect((await withHook(tokenRequest())).status).toBe(200);
      expect(events).toHaveLength(2);
      expect(plainErrors).toHaveLength(1);
    });
  });
});
