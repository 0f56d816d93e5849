import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDemoProcess } from './demo-process.js';
import { header, signIn } from './http-flow.js';

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

describe.skipIf(!(await requireService('redis')))('REDIS_URL', () => {
  it('runs the demo on Redis; clients and keys persist across restarts', async () => {
    const { createRedisStore } = await import('@passport/store-redis');
    const { deleteStoreKeys } = await import('@passport/store-redis/testing');
    const prefix = `passport-demo-test-${process.pid}-${Date.now()}:`;
    const env = { REDIS_URL: services.redis.url, PASSPORT_DEMO_REDIS_PREFIX: prefix };
    const directory = join(dataDir, 'redis');
    try {
      const first = await startDemoProcess(directory, env);
      const firstOutput = first.output;
      const id = /Demo backend service +id (\S+) +secret (\S+)/.exec(firstOutput);
      const tokenRequest = (url: string) =>
        fetch(`${url}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${id?.[1]}:${id?.[2]}`)}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
        });
      const kids = async (url: string) =>
        ((await (await fetch(`${url}/oauth/jwks`)).json()) as { keys: { kid: string }[] }).keys.map(
          (key) => key.kid,
        );
      expect((await tokenRequest(first.url)).status).toBe(200);
      const firstKids = await kids(first.url);
      await first.stop();
      expect(firstOutput).toContain(
        `data: Redis ${new URL(services.redis.url).origin}, keys under ${prefix}`,
      );
      expect(firstOutput).toContain('(first start: keys generated)');
      expect(clientIds(firstOutput)).toHaveLength(3);

      // Second start: the same clients, secret and signing keys.
      const second = await startDemoProcess(directory, env);
      try {
        expect(second.output).toContain('(reused)');
        expect(clientIds(second.output)).toEqual(clientIds(firstOutput));
        expect(await kids(second.url)).toEqual(firstKids);
        expect((await tokenRequest(second.url)).status).toBe(200);
      } finally {
        await second.stop();
      }
      const store = await createRedisStore({ url: services.redis.url, prefix });
      expect((await store.listClients()).map((client) => client.name).sort()).toEqual([
        'Demo TV',
        'Demo backend service',
        'Demo client app',
      ]);
      await store.close();
    } finally {
      const store = await createRedisStore({ url: services.redis.url, prefix });
      await deleteStoreKeys(store);
      await store.close();
    }
  });
});

describe.skipIf(!(await requireService('ferretdb')))('MONGODB_URL', () => {
  it("runs the demo on MongoDB (the test bed's FerretDB); clients, keys and login sessions persist across restarts", async () => {
    const { MongoClient } = await import('mongodb');
    const name = `passport_demo_${process.pid}_${Date.now()}`;
    const url = `${services.mongo.url.replace(/\/+$/, '')}/${name}`;
    const env = { MONGODB_URL: url };
    const directory = join(dataDir, 'mongo');
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
    try {
      const first = await startDemoProcess(directory, env);
      const firstOutput = first.output;
      const id = /Demo backend service +id (\S+) +secret (\S+)/.exec(firstOutput);
      const tokenRequest = (base: string) =>
        fetch(`${base}/oauth/token`, {
          method: 'POST',
          headers: { authorization: `Basic ${btoa(`${id?.[1]}:${id?.[2]}`)}` },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
        });
      const kids = async (base: string) =>
        ((await (await fetch(`${base}/oauth/jwks`)).json()) as { keys: { kid: string }[] }).keys.map(
          (key) => key.kid,
        );
      let cookie: string;
      let firstKids: string[];
      try {
        expect((await tokenRequest(first.url)).status).toBe(200);
        firstKids = await kids(first.url);
        cookie = header(await signIn(first.url));
      } finally {
        await first.stop();
      }
      expect(firstOutput).toContain(`data: MongoDB ${url} (indexes ensured)`);
      expect(firstOutput).toContain('(first start: keys generated)');
      expect(clientIds(firstOutput)).toHaveLength(3);
      // The login session is a document in the store's database, under the store's prefix.
      expect(await client.db(name).collection('oauth_demo_sessions').countDocuments()).toBe(1);

      // Second start: the same clients, secret, signing keys, and the user is still signed in.
      const second = await startDemoProcess(directory, env);
      try {
        expect(second.output).toContain('(reused)');
        expect(clientIds(second.output)).toEqual(clientIds(firstOutput));
        expect(await kids(second.url)).toEqual(firstKids);
        expect((await tokenRequest(second.url)).status).toBe(200);
        const home = await (await fetch(`${second.url}/`, { headers: { cookie } })).text();
        expect(home).toContain('Signed in as <strong>demo@example.com</strong>');
      } finally {
        await second.stop();
      }
      const names = await client.db(name).collection('oauth_clients').distinct('name');
      expect(names.sort()).toEqual(['Demo TV', 'Demo backend service', 'Demo client app']);
    } finally {
      await client.db(name).dropDatabase();
      await client.close();
    }
  });
});
