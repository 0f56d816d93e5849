/**
 * The demo's log during a real database outage: the demo on PostgreSQL through a TCP proxy that the
 * test closes and opens again. One line when the store goes away, one when it is back with the
 * number of refused requests: never a stack per request.
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
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatch(/^passport: the store is unavailable \(.+\); answering 503 until it is back$/);

      await proxy.open();
      await expect
        .poll(
          async () => {
            await fetch(`${demo.url}/oauth/jwks`);
            return logs.length;
          },
          { timeout: 15_000, interval: 300 },
        )
        .toBe(2);
      expect(logs[1]).toMatch(
        /^passport: the store is back after \d+\.\d s; 15 request\(s\) were refused with 503$/,
      );
      expect((await token()).status).toBe(200);
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
