import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type AccessTokenRecord,
  type ClientRecord,
  createPassport,
  hashSecret,
  importPrivateKeyPem,
  KeySet,
  type PassportStore,
  type RefreshTokenRecord,
} from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { authenticateNode, toNodeListener } from '@passport/http/node';
import type { LoadPlan, ServerConfig } from '../protocol.js';
import { UNIQUE_PLACEHOLDER } from '../protocol.js';
import { type BenchTarget, basicAuthorization, CLIENT_CREDENTIALS_BODY } from './common.js';

const REDIRECT_URI = 'https://client.bench.test/callback';
const USER_ID = 'bench-user';
/** Rows written at once while seeding single-use credentials. */
const SEED_CONCURRENCY = 32;

interface OpenedStore {
  store: PassportStore;
  helperCpuMicros?: () => Promise<number>;
  /** Deletes what the run wrote (the Redis store's keys) before the store closes. */
  cleanUp?: () => Promise<void>;
}

async function openStore(config: ServerConfig): Promise<OpenedStore> {
  switch (config.store) {
    case 'postgres': {
      const [{ default: pg }, { createPostgresStore }] = await Promise.all([
        import('pg'),
        import('@passport/store-postgres'),
      ]);
      const applicationName = config.schema;
      const pool = new pg.Pool({
        connectionString: config.databaseUrl,
        max: 10,
        idleTimeoutMillis: 0,
        application_name: applicationName,
      });
      const store = createPostgresStore({ pool, schema: config.schema });
      await store.migrate();
      const helperCpuMicros = async () => {
        const { rows } = await pool.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
          [applicationName],
        );
        return backendCpuMicros(rows.map((r) => r.pid));
      };
      return { store, helperCpuMicros };
    }
    case 'pglite': {
      const { createPGliteStore } = await import('@passport/store-postgres');
      return { store: await createPGliteStore() };
    }
    case 'redis': {
      const [{ createRedisStore }, { deleteStoreKeys }] = await Promise.all([
        import('@passport/store-redis'),
        import('@passport/store-redis/testing'),
      ]);
      const store = await createRedisStore({ url: config.redisUrl, prefix: `${config.schema}:` });
      // The server's CPU, like the PostgreSQL backends': a local redis-server is one process.
      const info = await store.client.info('server');
      const pid = Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
      return {
        store,
        helperCpuMicros: () => backendCpuMicros(pid > 0 ? [pid] : []),
        cleanUp: async () => {
          await deleteStoreKeys(store);
        },
      };
    }
    case 'mongo': {
      const { createMongoStore } = await import('@passport/store-mongo');
      const store = await createMongoStore({
        url: config.mongodbUrl,
        dbName: config.schema,
        ensureIndexes: true,
      });
      // The server's CPU, reported beside the Node process's: the MongoDB wire-protocol server
      // listening on the URL's port (a local FerretDB or mongod, found by its command line).
      const pids = await serverPids(config.mongodbUrl);
      return { store, helperCpuMicros: () => backendCpuMicros(pids) };
    }
    default: {
      const { createMemoryStore } = await import('@passport/store-memory');
      return { store: createMemoryStore() };
    }
  }
}

/**
 * Local processes serving the MongoDB URL's port: a `ferretdb` or `mongod` whose command line names
 * that port (FerretDB's --listen-addr, mongod's --port; 27017 also matches a mongod without one).
 */
async function serverPids(url: string): Promise<number[]> {
  const port = /^mongodb:\/\/(?:[^@/]*@)?[^:/,]+:(\d+)/.exec(url)?.[1] ?? '27017';
  const pids: number[] = [];
  const { readdir } = await import('node:fs/promises');
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    const program = args[0] ?? '';
    if (!/(^|\/)(ferretdb|mongod)$/.test(program)) continue;
    const listens = args.some((arg) => arg.endsWith(`:${port}`) || arg === port);
    if (listens || (port === '27017' && program.endsWith('mongod'))) pids.push(Number(entry));
  }
  return pids;
}

let clockTicks: number | null = null;

/** utime + stime of the PostgreSQL backends, the Redis server or a local Mongo server, from /proc (0 for one that is gone or elsewhere). */
async function backendCpuMicros(pids: readonly number[]): Promise<number> {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of /proc/<pid>/stat; the slice starts at field 3.
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Not on this machine (remote database) or already exited.
    }
  }
  return (ticks * 1_000_000) / clockTicks;
}

/** Runs `task(i)` for i in [0, count) with at most {@link SEED_CONCURRENCY} in flight. */
async function seed(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, worker));
}

/**
 * Passport through its real stack: `createPassport` + `createPassportHandler` (and `createGuard`
 * for the protected route) served by `@passport/http/node`'s `toNodeListener`, on the store the
 * scenario names. The client is written straight to the store so it has the id and secret every
 * contender shares; codes and refresh tokens are seeded through the store contract (the id is the
 * SHA-256 hex of the value, as core looks them up) so each request of the run presents a fresh one.
 */
export async function createPassportTarget(config: ServerConfig): Promise<BenchTarget> {
  const pem = config.alg === 'ES256' ? config.keys.ecPrivatePem : config.keys.rsaPrivatePem;
  const keys = KeySet.from([await importPrivateKeyPem(pem, config.alg)]);
  const { store, helperCpuMicros, cleanUp } = await openStore(config);
  const passport = createPassport({
    issuer: config.issuer,
    store,
    keys,
    scopes: { read: 'Read the bench API' },
  });

  const now = new Date();
  const client: ClientRecord = {
    id: config.client.id,
    ownerId: null,
    name: 'bench',
    secretHash: hashSecret(config.client.secret),
    provider: null,
    redirectUris: [REDIRECT_URI],
    grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
    scopes: null,
    confidential: true,
    firstParty: true,
    resourceServer: false,
    revoked: false,
    createdAt: now,
    updatedAt: now,
  };
  await store.createClient(client);

  const handler = createPassportHandler({
    passport,
    authenticateUser: () => null,
    secret: randomBytes(32).toString('base64url'),
  });
  const guard = createGuard({ passport });
  // The protected route as a Node host writes it: the guard decides, the host answers through res.
  const nodeRoute: BenchTarget['listener'] = (request, response) => {
    void authenticateNode(guard, request, response, { accept: 'client' }).then((auth) => {
      if (auth === null) return;
      const body = JSON.stringify({ client: auth.client.id, scopes: auth.scopes });
      response.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      response.end(body);
    });
  };
  // The same route as a Fetch handler (what Bun, Deno and Workers mount), served by toNodeListener.
  const fetchRoute = toNodeListener(
    guard.requireClient(
      (_request, auth) =>
        new Response(JSON.stringify({ client: auth.client.id, scopes: auth.scopes }), {
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
        }),
    ),
  );
  // Routed by path at the node level, as a host mounts Passport beside its own routes: Passport's
  // handler is served by toNodeListener directly, which writes its replies without a Response.
  const passportListener = toNodeListener(handler);
  const listener: BenchTarget['listener'] = (request, response) => {
    const url = request.url ?? '/';
    if (url.startsWith('/api/fetch/')) fetchRoute(request, response);
    else if (url.startsWith('/api/')) nodeRoute(request, response);
    else passportListener(request, response);
  };

  const authorization = basicAuthorization(config.client);
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization };
  const plan = await buildPlan(
    config,
    store,
    passport.handleTokenRequest.bind(passport),
    form,
    authorization,
  );
  return {
    listener,
    plan,
    close: async () => {
      await cleanUp?.();
      await store.close?.();
    },
    ...(helperCpuMicros === undefined ? {} : { helperCpuMicros }),
  };
}

type TokenRequest = (input: { params: URLSearchParams; authorization: string | null }) => Promise<{
  access_token: string;
}>;

async function buildPlan(
  config: ServerConfig,
  store: PassportStore,
  tokenRequest: TokenRequest,
  form: Record<string, string>,
  authorization: string,
): Promise<LoadPlan> {
  const prefix = `${randomBytes(24).toString('base64url')}.`;
  const count = config.singleUseCount;
  const issuedAt = new Date();
  const expiresAt = new Date(issuedAt.getTime() + 3_600_000);
  switch (config.flow) {
    case 'client-credentials':
      return { method: 'POST', path: '/oauth/token', headers: form, body: CLIENT_CREDENTIALS_BODY };
    case 'authorization-code': {
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      await seed(count, (i) =>
        store.saveAuthCode({
          id: hashSecret(`${prefix}${i}`),
          clientId: config.client.id,
          userId: USER_ID,
          scopes: ['read'],
          redirectUri: REDIRECT_URI,
          codeChallenge: challenge,
          codeChallengeMethod: 'S256',
          revoked: false,
          consumedAt: null,
          createdAt: issuedAt,
          expiresAt,
        }),
      );
      return {
        method: 'POST',
        path: '/oauth/token',
        headers: form,
        body: `grant_type=authorization_code&code=${UNIQUE_PLACEHOLDER}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${verifier}`,
        unique: { prefix, count },
      };
    }
    case 'refresh-token': {
      await seed(count, async (i) => {
        const familyId = crypto.randomUUID();
        const accessToken: AccessTokenRecord = {
          id: crypto.randomUUID(),
          userId: USER_ID,
          clientId: config.client.id,
          name: null,
          scopes: ['read'],
          familyId,
          revoked: false,
          createdAt: issuedAt,
          expiresAt,
        };
        const refreshToken: RefreshTokenRecord = {
          id: hashSecret(`${prefix}${i}`),
          accessTokenId: accessToken.id,
          userId: USER_ID,
          clientId: config.client.id,
          scopes: ['read'],
          familyId,
          revoked: false,
          consumedAt: null,
          replacedBy: null,
          createdAt: issuedAt,
          expiresAt: new Date(issuedAt.getTime() + 30 * 86_400_000),
        };
        await store.saveTokens({ accessToken, refreshToken });
      });
      return {
        method: 'POST',
        path: '/oauth/token',
        headers: form,
        body: `grant_type=refresh_token&refresh_token=${UNIQUE_PLACEHOLDER}`,
        unique: { prefix, count },
      };
    }
    case 'introspection': {
      const token = await issueOne(tokenRequest, authorization);
      return {
        method: 'POST',
        path: '/oauth/introspect',
        headers: form,
        body: `token=${token}&token_type_hint=access_token`,
      };
    }
    case 'worst-case':
      throw new Error('the worst-case scenario has its own server (servers/worst-case.ts)');
    case 'bearer-guard':
    case 'bearer-guard-fetch': {
      const token = await issueOne(tokenRequest, authorization);
      const path = config.flow === 'bearer-guard' ? '/api/resource' : '/api/fetch/resource';
      return { method: 'GET', path, headers: { authorization: `Bearer ${token}` } };
    }
  }
}

/** One client_credentials access token, through core, for the read-only scenarios. */
async function issueOne(tokenRequest: TokenRequest, authorization: string): Promise<string> {
  const response = await tokenRequest({
    params: new URLSearchParams(CLIENT_CREDENTIALS_BODY),
    authorization,
  });
  return response.access_token;
}
