/**
 * The demo's log during a real database outage: the demo on PostgreSQL through a TCP proxy that the
 * test closes and opens again. One line when the store goes away, one when it is back with the
 * number of refused requests: never a stack per request. The store's change feed says the same of
 * its own connection: one line when it is lost, one when it listens again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services, TcpProxy } from '@passport/test-bed';
import pg from 'pg';
import { expect, it } from 'vitest';
import { startDemo } from '../src/app.mjs';

it.skipIf(!(await requireService('postgres')))(
  'logs a database outage once when it starts and once when it ends, with the refused requests',
  async () => {
    const adminUrl = new URL(services.postgres.url);
    const admin = new pg.Client({ connectionString: adminUrl.href, connectionTimeoutMillis: 3_000 });
    await admin.connect();
    const name = `passport_demo_outage_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    const proxy = new TcpProxy(adminUrl.hostname, Number(adminUrl.port || 5432));
    await proxy.open();
    const url = new URL(adminUrl.href);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    url.pathname = `/${name}`;
    const dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-outage-'));
    const logs: string[] = [];
    const feed = () => logs.filter((line) => line.includes('change feed'));
    const outage = () => logs.filter((line) => !line.includes('change feed'));
    const demo = await startDemo({ dataDir, port: 0, databaseUrl: url.href, log: (line) => logs.push(line) });
    try {
      const backend = demo.clients.find((client) => client.secret !== null);
      const token = () =>
        fetch(`${demo.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${backend?.id}:${backend?.secret}`)}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
        });
      expect((await token()).status).toBe(200);

      await proxy.close();
      for (let i = 0; i < 15; i++) expect((await token()).status).toBe(503);
      expect(outage()).toHaveLength(1);
      expect(outage()[0]).toMatch(
        /^passport: the store is unavailable \(.+\); answering 503 until it is back$/,
      );
      await expect.poll(() => feed().length, { timeout: 5_000 }).toBe(1);
      expect(feed()[0]).toMatch(
        /^passport: the PostgreSQL change feed cannot listen on "passport:public\.oauth_changes" \(.+\); reconnecting, and until then revocations made by other instances reach this one within revocationCacheSeconds$/,
      );

      await proxy.open();
      await expect
        .poll(
          async () => {
            await fetch(`${demo.url}/oauth/jwks`);
            return outage().length;
          },
          { timeout: 15_000, interval: 300 },
        )
        .toBe(2);
      expect(outage()[1]).toMatch(
        /^passport: the store is back after \d+\.\d s; 15 request\(s\) were refused with 503$/,
      );
      expect((await token()).status).toBe(200);
      // the feed reconnects by itself (backoff up to 5 s), with one line
      await expect.poll(() => feed().length, { timeout: 15_000 }).toBe(2);
      expect(feed()[1]).toMatch(
        /^passport: the PostgreSQL change feed listens again on .+ after \d+\.\d s; the read-through cache starts over$/,
      );
      expect(logs.join('\n')).not.toMatch(/\n\s+at /);
    } finally {
      await demo.close();
      await proxy.close();
      await rm(dataDir, { recursive: true, force: true });
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  },
);
