import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoProcess } from './demo-process.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function clientIds(output: string): string[] {
  return [...output.matchAll(/ id ([0-9a-f-]{36})/g)].map((match) => match[1] ?? '');
}

describe('starting the demo', () => {
  it('creates keys, schema and clients on first start, and reuses them on the second', async () => {
    const first = await startDemoProcess(dataDir);
    const firstOutput = first.output;
    const metadata = await fetch(`${first.url}/.well-known/oauth-authorization-server`);
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { issuer: string }).issuer).toBe(first.url);
    await first.stop();
    expect(firstOutput).toContain('(first start: keys generated)');
    expect(firstOutput).toContain('schema: applied migration(s) 1');
    expect(firstOutput).toContain('sign in as demo@example.com / password');
    expect(clientIds(firstOutput)).toHaveLength(3);
    expect((await stat(join(dataDir, 'keys/oauth-private.key'))).mode & 0o777).toBe(0o600);
    expect((await readdir(dataDir)).sort()).toEqual(['demo-secrets.json', 'keys', 'pglite', 'secret']);

    const second = await startDemoProcess(dataDir);
    const secondOutput = second.output;
    await second.stop();
    expect(secondOutput).toContain('(reused)');
    expect(secondOutput).toContain('schema: up to date');
    expect(clientIds(secondOutput)).toEqual(clientIds(firstOutput));
    const secret = (text: string) => /Demo backend service +id \S+ +secret (\S+)/.exec(text)?.[1];
    expect(secret(secondOutput)).toBe(secret(firstOutput));
  });

  it('refuses a port in use with one line', async () => {
    const first = await startDemoProcess(dataDir);
    const port = new URL(first.url).port;
    try {
      await expect(startDemoProcess(join(dataDir, 'other'), { PORT: port })).rejects.toThrow(
        /exited with code 1:\n[\s\S]*port \d+ is in use; start it with PORT=8001/,
      );
    } finally {
      await first.stop();
    }
  });
});

describe.skipIf(!(await requireService('postgres')))('DATABASE_URL', () => {
  it('switches the demo to a PostgreSQL server', async () => {
    const pg = (await import('pg')).default;
    const adminUrl = services.postgres.url;
    const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3_000 });
    await admin.connect();
    const name = `passport_demo_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    try {
      const demo = await startDemoProcess(join(dataDir, 'pg'), { DATABASE_URL: url.toString() });
      try {
        expect(demo.output).toContain(`data: PostgreSQL postgres://postgres@127.0.0.1:5432/${name}`);
        const id = /Demo backend service +id (\S+) +secret (\S+)/.exec(demo.output);
        const token = await fetch(`${demo.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${id?.[1]}:${id?.[2]}`)}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
        });
        expect(token.status).toBe(200);
      } finally {
        await demo.stop();
      }
      const db = new pg.Client({ connectionString: url.toString() });
      await db.connect();
      const { rows } = await db.query<{ name: string }>('SELECT name FROM oauth_clients ORDER BY name');
      await db.end();
      expect(rows.map((row) => row.name).sort()).toEqual([
        'Demo TV',
        'Demo backend service',
        'Demo client app',
      ]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe.skipIf(!(await requireService('ferretdb')))('MONGODB_URL', () => {
  it("switches the demo to a MongoDB server (the test bed's FerretDB), and a restart reuses its clients", async () => {
    const { MongoClient } = await import('mongodb');
    const name = `passport_demo_${process.pid}_${Date.now()}`;
    const url = `${services.mongo.url.replace(/\/+$/, '')}/${name}`;
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
    try {
      const demo = await startDemoProcess(join(dataDir, 'mongo'), { MONGODB_URL: url });
      let firstIds: string[];
      try {
        expect(demo.output).toContain(`data: MongoDB ${url} (indexes ensured)`);
        firstIds = clientIds(demo.output);
        expect(firstIds).toHaveLength(3);
        const id = /Demo backend service +id (\S+) +secret (\S+)/.exec(demo.output);
        const token = await fetch(`${demo.url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${id?.[1]}:${id?.[2]}`)}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
        });
        expect(token.status).toBe(200);
        const { access_token } = (await token.json()) as { access_token: string };
        const introspection = await fetch(`${demo.url}/oauth/introspect`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${id?.[1]}:${id?.[2]}`)}` },
          body: new URLSearchParams({ token: access_token }),
        });
        expect(((await introspection.json()) as { active: boolean }).active).toBe(true);
      } finally {
        await demo.stop();
      }
      const names = await client.db(name).collection('oauth_clients').distinct('name');
      expect(names.sort()).toEqual(['Demo TV', 'Demo backend service', 'Demo client app']);
      const again = await startDemoProcess(join(dataDir, 'mongo'), { MONGODB_URL: url });
      await again.stop();
      expect(clientIds(again.output)).toEqual(firstIds);
    } finally {
      await client.db(name).dropDatabase();
      await client.close();
    }
  });
});
