/**
 * The demo as several instances behind one origin, as real processes on the test bed's servers:
 * three instances on one PostgreSQL database (one data directory: keys, secret), requests spread by
 * the round-robin proxy `round-robin.mjs`; the same revocation test on Redis; and the fallback when
 * one instance's change feed cannot reconnect.
 *
 * The instances keep live token rows for 300 s (`PASSPORT_REVOCATION_CACHE_SECONDS=300`): a
 * revocation that reaches another instance within the few seconds the tests poll can only have
 * come through the store's change feed, not through the cache's time bound.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireService, services } from '@passport/test-bed';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDemo, startDemoProcess } from './demo-process.js';
import { APP_REDIRECT_URI, approvalForm, approve, pkce, postForm, signIn, token } from './http-flow.js';

const ROUND_ROBIN = fileURLToPath(new URL('../round-robin.mjs', import.meta.url));
const PASSPORT_BIN = join(
  dirname(createRequire(import.meta.url).resolve('@passport/cli/package.json')),
  'dist',
  'bin.js',
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'passport-demo-instances-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A free TCP port on 127.0.0.1 (the proxy's, known before the instances start: it is their issuer). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `round-robin.mjs` as its own process, in front of `upstreams`. */
async function startProxy(
  port: number,
  upstreams: string[],
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [ROUND_ROBIN, String(port), ...upstreams], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('round-robin proxy on')) resolve();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited with code ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs the `passport` command of @passport/cli. */
function passport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PASSPORT_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The id and secret a demo printed for one of its clients. */
function printedClient(demo: RunningDemo, name: string): { id: string; secret: string } {
  const line = demo.output.split('\n').find((text) => text.trimStart().startsWith(name)) ?? '';
  return { id: / id (\S+)/.exec(line)?.[1] ?? '', secret: / secret (\S+)/.exec(line)?.[1] ?? '' };
}

const basic = (client: { id: string; secret: string }) => `Basic ${btoa(`${client.id}:${client.secret}`)}`;

/** A client-credentials access token from the instance at `base`. */
async function clientToken(base: string, backend: { id: string; secret: string }): Promise<string> {
  const answer = await token(base, { grant_type: 'client_credentials', scope: 'profile' }, basic(backend));
  expect(answer.status).toBe(200);
  return answer.body.access_token ?? '';
}

/** The status `GET /api/client` answers on the instance at `base` for `accessToken`. */
async function apiStatus(base: string, accessToken: string, path = '/api/client'): Promise<number> {
  const answer = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
  await answer.arrayBuffer();
  return answer.status;
}

/** Revokes `accessToken` at the revocation endpoint (RFC 7009) of the instance at `base`. */
async function revoke(
  base: string,
  backend: { id: string; secret: string },
  accessToken: string,
): Promise<void> {
  const answer = await postForm(
    `${base}/oauth/revoke`,
    { token: accessToken },
    { authorization: basic(backend) },
  );
  expect(answer.status).toBe(200);
}

/** The key id in a JWT's header. */
function kidOf(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[0] ?? '', 'base64url').toString('utf8')) as { kid: string })
    .kid;
}

/** A fresh database on the test bed's PostgreSQL server, and its URL. */
async function createDatabase(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: services.postgres.url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(services.postgres.url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: services.postgres.url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** The pid of the backend an instance listens on (its PGAPPNAME, a `LISTEN` as its last statement). */
async function listeningBackend(admin: pg.Client, applicationName: string): Promise<number | undefined> {
  const { rows } = await admin.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
    [applicationName],
  );
  return rows[0]?.pid;
}

const FEED_DOWN = 'change feed cannot listen';
const FEED_BACK = 'change feed listens again';

describe.skipIf(!(await requireService('postgres')))(
  'three demo instances on one PostgreSQL, behind the round-robin proxy',
  () => {
    const databaseName = `passport_demo_instances_${process.pid}`;
    const instances: RunningDemo[] = [];
    let proxy: { url: string; stop: () => Promise<void> };
    let dataDir: string;
    let admin: pg.Client;
    let backend: { id: string; secret: string };
    let app: string;

    beforeAll(async () => {
      const databaseUrl = await createDatabase(databaseName);
      admin = new pg.Client({ connectionString: services.postgres.url });
      await admin.connect();
      dataDir = join(root, 'postgres');
      const port = await freePort();
      // one issuer (the proxy's origin), one database, one data directory (keys, secret)
      for (const n of [0, 1, 2]) {
        instances.push(
          await startDemoProcess(dataDir, {
            DATABASE_URL: databaseUrl,
            PASSPORT_ISSUER: `http://127.0.0.1:${port}`,
            PASSPORT_REVOCATION_CACHE_SECONDS: '300',
            PGAPPNAME: `passport-instance-${process.pid}-${n}`,
          }),
        );
      }
      proxy = await startProxy(
        port,
        instances.map((instance) => instance.listening),
      );
      backend = printedClient(instances[0] as RunningDemo, 'Demo backend service');
      app = printedClient(instances[0] as RunningDemo, 'Demo client app').id;
    });

    afterAll(async () => {
      await proxy?.stop();
      for (const instance of instances) await instance.stop();
      await admin?.end();
      await dropDatabase(databaseName);
    });

    const at = (n: number) => (instances[n] as RunningDemo).listening;

    it('the instances share their clients, and the proxy sends requests to each in turn', async () => {
      for (const instance of instances) {
        expect(printedClient(instance, 'Demo backend service')).toEqual(backend);
        expect(printedClient(instance, 'Demo client app').id).toBe(app);
      }
      const servedBy: string[] = [];
      for (let i = 0; i < 6; i++) {
        const answer = await fetch(`${proxy.url}/.well-known/oauth-authorization-server`);
        expect(answer.status).toBe(200);
        expect(((await answer.json()) as { issuer: string }).issuer).toBe(proxy.url);
        servedBy.push(answer.headers.get('x-served-by') ?? '');
      }
      const hosts = instances.map((instance) => new URL(instance.listening).host);
      expect(new Set(servedBy.slice(0, 3))).toEqual(new Set(hosts));
      expect(servedBy.slice(3)).toEqual(servedBy.slice(0, 3));
    });

    it('an authorization started on one instance is approved on another and redeemed on the third', async () => {
      // signed in through the proxy: the login page from one instance, the form posted to the next
      const jar = await signIn(proxy.url);
      const { verifier, challenge } = pkce();
      const form = await approvalForm(at(0), jar, app, challenge, 'profile');
      expect(form.status).toBe(200);
      const { status, code } = await approve(at(1), form);
      expect(status).toBe(302);
      expect(code).not.toBeNull();
      const answer = await token(at(2), {
        grant_type: 'authorization_code',
        client_id: app,
        redirect_uri: APP_REDIRECT_URI,
        code: code ?? '',
        code_verifier: verifier,
      });
      expect(answer.status).toBe(200);
      for (const n of [0, 1, 2])
        expect(await apiStatus(at(n), answer.body.access_token ?? '', '/api/me')).toBe(200);
      // the code is single-use across instances too
      const again = await token(at(0), {
        grant_type: 'authorization_code',
        client_id: app,
        redirect_uri: APP_REDIRECT_URI,
        code: code ?? '',
        code_verifier: verifier,
      });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('invalid_grant');
    });

    it('a refresh-token race across the three instances leaves exactly one live pair (one winner)', async () => {
      const jar = await signIn(at(0));
      const { verifier, challenge } = pkce();
      const form = await approvalForm(at(1), jar, app, challenge, 'profile notes:read');
      expect(form.status).toBe(200);
      const { code } = await approve(at(2), form);
      const issued = await token(at(0), {
        grant_type: 'authorization_code',
        client_id: app,
        redirect_uri: APP_REDIRECT_URI,
        code: code ?? '',
        code_verifier: verifier,
      });
      expect(issued.status).toBe(200);
      // the same refresh token, twice on each instance at once
      const answers = await Promise.all(
        [0, 1, 2, 0, 1, 2].map((n) =>
          token(at(n), {
            grant_type: 'refresh_token',
            client_id: app,
            refresh_token: issued.body.refresh_token ?? '',
          }),
        ),
      );
      const succeeded = answers.filter((answer) => answer.status === 200);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      for (const answer of answers) {
        if (answer.status !== 200) expect(answer.body.error).toBe('invalid_grant');
      }
      // every pair but one was rotated away: exactly one access token is accepted, by all three
      const accepted: string[] = [];
      for (const answer of succeeded) {
        const accessToken = answer.body.access_token ?? '';
        const statuses = await Promise.all([0, 1, 2].map((n) => apiStatus(at(n), accessToken, '/api/me')));
        expect(new Set(statuses).size).toBe(1);
        if (statuses[0] === 200) accepted.push(accessToken);
      }
      expect(accepted).toHaveLength(1);
      const winner = succeeded.find((answer) => answer.body.access_token === accepted[0]);
      // the family lives on: the winner's refresh token rotates once more
      const next = await token(at(1), {
        grant_type: 'refresh_token',
        client_id: app,
        refresh_token: winner?.body.refresh_token ?? '',
      });
      expect(next.status).toBe(200);
      expect(await apiStatus(at(2), next.body.access_token ?? '', '/api/me')).toBe(200);
      expect(await apiStatus(at(2), issued.body.access_token ?? '', '/api/me')).toBe(401);
    });

    it('a token revoked on one instance is refused by the other two at once, though their caches hold it for 300 s', async () => {
      const accessToken = await clientToken(at(0), backend);
      // each instance verifies it once: the live row is now cached on all three
      for (const n of [0, 1, 2]) expect(await apiStatus(at(n), accessToken)).toBe(200);
      for (const n of [1, 2]) expect(await apiStatus(at(n), accessToken)).toBe(200);
      await revoke(at(0), backend, accessToken);
      expect(await apiStatus(at(0), accessToken)).toBe(401);
      for (const n of [1, 2]) {
        await expect.poll(() => apiStatus(at(n), accessToken), { timeout: 10_000, interval: 25 }).toBe(401);
      }
    });

    it('rate limits are counted in the store: three instances do not triple the allowance', async () => {
      const wrong = { id: backend.id, secret: 'not-the-secret' };
      const statuses: number[] = [];
      const servedBy = new Set<string>();
      for (let i = 0; i < 45; i++) {
        const answer = await postForm(
          `${proxy.url}/oauth/token`,
          { grant_type: 'client_credentials' },
          { authorization: basic(wrong) },
        );
        statuses.push(answer.status);
        servedBy.add(answer.headers.get('x-served-by') ?? '');
        if (answer.status === 429) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
        await answer.arrayBuffer();
      }
      expect(servedBy.size).toBe(3);
      // the default limit: 30 failed client authentications per client and minute, all instances together
      expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
      expect(statuses.slice(30)).toEqual(Array(15).fill(429));
      // failures are what is limited: the right secret still gets a token on every instance
      for (const n of [0, 1, 2]) expect(await clientToken(at(n), backend)).not.toBe('');
    });

    it('a key rotation while tokens are issued and verified on all three: zero verification failures', async () => {
      const keysDir = join(dataDir, 'keys');
      const oldKid = kidOf(await clientToken(at(0), backend));
      let running = true;
      const failures: string[] = [];
      const verifiedKids = new Map<string, Set<number>>();
      const issuedBefore: string[] = [];
      const load = (async () => {
        for (let i = 0; running; i++) {
          const issuer = i % 3;
          const answer = await token(
            at(issuer),
            { grant_type: 'client_credentials', scope: 'profile' },
            basic(backend),
          );
          if (answer.status !== 200) {
            failures.push(`token on ${issuer}: ${answer.status}`);
            continue;
          }
          const accessToken = answer.body.access_token ?? '';
          if (issuedBefore.length < 5) issuedBefore.push(accessToken);
          const kid = kidOf(accessToken);
          for (const n of [0, 1, 2]) {
            const status = await apiStatus(at(n), accessToken);
            if (status !== 200) failures.push(`token of ${kid} from ${issuer} on ${n}: ${status}`);
            else verifiedKids.set(kid, (verifiedKids.get(kid) ?? new Set()).add(n));
          }
        }
      })();
      try {
        // published now on disk, signing in 8 s; each instance reloads on SIGHUP, one after the other
        const rotated = await passport(['keys', '--rotate', '--delay', '8', '--path', keysDir]);
        expect(rotated.code).toBe(0);
        const newKid = /kid (\S+)\)/.exec(rotated.stdout)?.[1] ?? '';
        expect(newKid).not.toBe('');
        for (const instance of instances) {
          instance.signal('SIGHUP');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        for (const instance of instances) {
          await expect
            .poll(() => instance.errors, { timeout: 5000 })
            .toContain(`keys reloaded from ${keysDir}: 2 published, ${oldKid} signs`);
        }
        // load goes on until every instance verified tokens of the new key
        await expect
          .poll(() => verifiedKids.get(newKid)?.size ?? 0, { timeout: 30_000, interval: 100 })
          .toBe(3);
        running = false;
        await load;
        expect(failures).toEqual([]);
        expect(verifiedKids.get(oldKid)?.size).toBe(3);
        // the retired key stays published: tokens it signed before still pass everywhere
        for (const accessToken of issuedBefore) {
          expect(kidOf(accessToken)).toBe(oldKid);
          for (const n of [0, 1, 2]) expect(await apiStatus(at(n), accessToken)).toBe(200);
        }
      } finally {
        running = false;
        await load;
      }
    });

    it("pg_terminate_backend on one instance's listening connection: it says so, reconnects, and the next revocation reaches it at once", async () => {
      const victim = instances[1] as RunningDemo;
      const pid = await listeningBackend(admin, `passport-instance-${process.pid}-1`);
      expect(pid).toBeDefined();
      expect(victim.errors).not.toContain(FEED_DOWN);
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect.poll(() => victim.errors, { timeout: 10_000 }).toContain(FEED_BACK);
      expect(victim.errors.split('\n').filter((line) => line.includes(FEED_DOWN))).toHaveLength(1);
      const again = await listeningBackend(admin, `passport-instance-${process.pid}-1`);
      expect(again).toBeDefined();
      expect(again).not.toBe(pid);
      // the other instances never noticed
      for (const n of [0, 2]) expect((instances[n] as RunningDemo).errors).not.toContain(FEED_DOWN);

      const accessToken = await clientToken(at(0), backend);
      expect(await apiStatus(at(1), accessToken)).toBe(200);
      await revoke(at(2), backend, accessToken);
      await expect.poll(() => apiStatus(at(1), accessToken), { timeout: 10_000, interval: 25 }).toBe(401);
    });
  },
);

describe.skipIf(!(await requireService('postgres')))(
  "an instance whose change feed cannot reconnect falls back to its cache's time bound",
  () => {
    const databaseName = `passport_demo_fallback_${process.pid}`;
    const bound = 3;
    let admin: pg.Client;
    let revoker: RunningDemo;
    let victim: RunningDemo;
    let backend: { id: string; secret: string };

    beforeAll(async () => {
      const databaseUrl = await createDatabase(databaseName);
      admin = new pg.Client({ connectionString: services.postgres.url });
      await admin.connect();
      const dataDir = join(root, 'fallback');
      const env = {
        DATABASE_URL: databaseUrl,
        PASSPORT_ISSUER: 'http://auth.demo.test',
        PASSPORT_REVOCATION_CACHE_SECONDS: String(bound),
      };
      revoker = await startDemoProcess(dataDir, { ...env, PGAPPNAME: `passport-fallback-${process.pid}-a` });
      victim = await startDemoProcess(dataDir, { ...env, PGAPPNAME: `passport-fallback-${process.pid}-v` });
      backend = printedClient(revoker, 'Demo backend service');
    });

    afterAll(async () => {
      await admin?.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await revoker?.stop();
      await victim?.stop();
      await admin?.end();
      await dropDatabase(databaseName);
    });

    it('refuses a token revoked elsewhere within revocationCacheSeconds while its feed is down, and listens again later', async () => {
      const accessToken = await clientToken(revoker.listening, backend);
      const warmedAt = Date.now();
      expect(await apiStatus(victim.listening, accessToken)).toBe(200);
      // No new connection to the database from now on; the open ones stay. The victim's feed
      // connection is cut and cannot come back.
      await admin.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS false`);
      try {
        const pid = await listeningBackend(admin, `passport-fallback-${process.pid}-v`);
        expect(pid).toBeDefined();
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await expect.poll(() => victim.errors, { timeout: 10_000 }).toContain(FEED_DOWN);

        await revoke(revoker.listening, backend, accessToken);
        await expect
          .poll(() => apiStatus(victim.listening, accessToken), { timeout: (bound + 5) * 1000, interval: 50 })
          .toBe(401);
        // refused by the time bound (the feed is still down), no later than the bound allows
        expect(victim.errors).not.toContain(FEED_BACK);
        expect(Date.now() - warmedAt).toBeLessThanOrEqual((bound + 2) * 1000);
        expect(victim.errors.split('\n').filter((line) => line.includes(FEED_DOWN))).toHaveLength(1);
      } finally {
        await admin.query(`ALTER DATABASE ${databaseName} ALLOW_CONNECTIONS true`);
      }
      await expect.poll(() => victim.errors, { timeout: 15_000 }).toContain(FEED_BACK);
      expect(await apiStatus(victim.listening, await clientToken(revoker.listening, backend))).toBe(200);
    });
  },
);

describe.skipIf(!(await requireService('redis')))('three demo instances on one Redis', () => {
  const prefix = `passport-demo-instances-${process.pid}-${Date.now()}:`;
  const instances: RunningDemo[] = [];
  let backend: { id: string; secret: string };

  beforeAll(async () => {
    const dataDir = join(root, 'redis');
    for (let n = 0; n < 3; n++) {
      instances.push(
        await startDemoProcess(dataDir, {
          REDIS_URL: services.redis.url,
          PASSPORT_DEMO_REDIS_PREFIX: prefix,
          PASSPORT_ISSUER: 'http://auth.demo.test',
          PASSPORT_REVOCATION_CACHE_SECONDS: '300',
        }),
      );
    }
    backend = printedClient(instances[0] as RunningDemo, 'Demo backend service');
  });

  afterAll(async () => {
    for (const instance of instances) await instance.stop();
    const { createRedisStore } = await import('@passport/store-redis');
    const { deleteStoreKeys } = await import('@passport/store-redis/testing');
    const store = await createRedisStore({ url: services.redis.url, prefix });
    await deleteStoreKeys(store);
    await store.close();
  });

  it('a token revoked on one instance is refused by the other two at once, though their caches hold it for 300 s', async () => {
    const at = (n: number) => (instances[n] as RunningDemo).listening;
    const accessToken = await clientToken(at(0), backend);
    for (const n of [0, 1, 2]) expect(await apiStatus(at(n), accessToken)).toBe(200);
    await revoke(at(0), backend, accessToken);
    expect(await apiStatus(at(0), accessToken)).toBe(401);
    for (const n of [1, 2]) {
      await expect.poll(() => apiStatus(at(n), accessToken), { timeout: 10_000, interval: 25 }).toBe(401);
    }
  });
});

describe.skipIf(!(await requireService('ferretdb')))(
  'three demo instances on one MongoDB wire server',
  () => {
    const database = `passport_demo_instances_${process.pid}_${Date.now()}`;
    const instances: RunningDemo[] = [];
    let backend: { id: string; secret: string };

    beforeAll(async () => {
      const dataDir = join(root, 'mongo');
      const url = new URL(services.mongo.url);
      url.pathname = `/${database}`;
      for (let n = 0; n < 3; n++) {
        instances.push(
          await startDemoProcess(dataDir, {
            MONGODB_URL: url.href,
            PASSPORT_ISSUER: 'http://auth.demo.test',
            PASSPORT_REVOCATION_CACHE_SECONDS: '300',
          }),
        );
      }
      backend = printedClient(instances[0] as RunningDemo, 'Demo backend service');
    });

    afterAll(async () => {
      for (const instance of instances) await instance.stop();
      const { MongoClient } = await import('mongodb');
      const client = new MongoClient(services.mongo.url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    });

    // FerretDB has no change streams: the store's feed polls its `changes` collection (every 100 ms
    // by default), so "at once" here means within a poll, far inside the 300 s cache lifetime.
    it('a token revoked on one instance is refused by the other two through the polled feed, though their caches hold it for 300 s', async () => {
      const at = (n: number) => (instances[n] as RunningDemo).listening;
      const accessToken = await clientToken(at(0), backend);
      for (const n of [0, 1, 2]) expect(await apiStatus(at(n), accessToken)).toBe(200);
      await revoke(at(0), backend, accessToken);
      expect(await apiStatus(at(0), accessToken)).toBe(401);
      for (const n of [1, 2]) {
        await expect.poll(() => apiStatus(at(n), accessToken), { timeout: 10_000, interval: 25 }).toBe(401);
      }
    });
  },
);
