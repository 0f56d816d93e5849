/// <reference types="node" />
/**
 * The runtime matrix: one end-to-end scenario (test/runtime/scenario.mjs, every endpoint and
 * guard) against the same small app (test/runtime/app.mjs) in each runtime, on each store. A cell
 * is one runtime on one store, in its own namespace (a PostgreSQL schema, a Redis key prefix),
 * migrated from Node before the cell starts and dropped after it. Cells run one after the other.
 *
 * - Node serves the app with `node:http` through `@passport/http/node`, in this process (the Node
 *   memory cell is also driven by oauth4webapi, an independent strict client).
 * - Bun, Deno and workerd run a bundle of the cell's entry (esbuild, from the sources): the
 *   runtime's server file, the app and the store module with its driver (`pg`, `ioredis`).
 * - workerd runs through miniflare with `nodejs_compat`; its drivers reach the servers through
 *   TCP sockets (`cloudflare:sockets` for `pg`, `node:net` for `ioredis`). A Worker may not use a
 *   socket another request opened, so on workerd the app opens and closes the store per request.
 *
 * Before the scenario, each cell asks the app's `/__store` to open the store and read once. A cell
 * listed in `cannotRun` must fail there: the test prints one line naming the driver, the runtime
 * and the error the runtime gave (captured now, not written here), and fails if the cell starts
 * working, so the table in the README is updated. Every other cell must pass the whole scenario.
 * The app's keys are PEM strings in its environment (process environment, Deno's, the Worker's
 * bindings): an active key, a next key scheduled far ahead and a previous key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem } from '@passport/core';
import { createMongoStore } from '@passport/store-mongo';
import { createPostgresStore } from '@passport/store-postgres';
import { requireService, type ServiceName, services } from '@passport/test-bed';
import { build, type Plugin } from 'esbuild';
import { Miniflare } from 'miniflare';
import { MongoClient } from 'mongodb';
import * as oauth from 'oauth4webapi';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/adapter/node/index.js';
// @ts-expect-error plain JS module without types
import { createApp } from './runtime/app.mjs';
// @ts-expect-error plain JS module without types
import { runScenario, scenarioSteps } from './runtime/scenario.mjs';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const packageDir = here('..');
const outDir = here('../test-results/runtime');

type Kids = { active: string; next: string; previous: string };
type Scenario = (base: string, fetchImpl: typeof fetch | undefined, keys: Kids) => Promise<string[]>;
type AppFetch = ((request: Request) => Promise<Response>) & { close(): Promise<void> };
type OpenStore = (env: Record<string, string>) => Promise<unknown>;
const runScenarioWith = runScenario as Scenario;
const expectedSteps = scenarioSteps as string[];
const createAppWith = createApp as (env: Record<string, string>, openStore: OpenStore) => AppFetch;

/** An ES256 private key as PKCS#8 PEM (Node's crypto: independent of the code under test). */
function newPrivateKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
}

const activePem = newPrivateKeyPem();
const nextPem = newPrivateKeyPem();
const previousPem = newPrivateKeyPem();
/** The app's environment: PEM strings as a secrets manager holds them (one line, a literal \n). */
const keyEnv: Record<string, string> = {
  PASSPORT_PRIVATE_KEY: activePem.trim().replace(/\n/g, '\\n'),
  PASSPORT_PREVIOUS_KEYS: createPublicKey(previousPem).export({ type: 'spki', format: 'pem' }).toString(),
  PASSPORT_NEXT_KEY: nextPem,
  PASSPORT_NEXT_KEY_ACTIVATES_AT: '2099-01-01T00:00:00Z',
  SCENARIO_PREVIOUS_PRIVATE_KEY: previousPem,
};
const kids: Kids = {
  active: (await importPrivateKeyPem(activePem)).kid,
  next: (await importPrivateKeyPem(nextPem)).kid,
  previous: (await importPrivateKeyPem(previousPem)).kid,
};
const runId = `${process.pid}_${Date.now().toString(36)}`;

// ---------------------------------------------------------------------------------------------
// Stores: one column each. Adding a store is one entry here and one module in test/runtime/stores.

interface StoreColumn {
  /** Column name, and the module `test/runtime/stores/<name>.mjs` (`openStore(env)`). */
  name: string;
  /** The npm driver the store runs on, named in the matrix's lines (`null`: none). */
  driver: string | null;
  /** The test bed's server it needs. */
  service: ServiceName | null;
  /** What the app gets as PASSPORT_STORE_URL. */
  url: string;
  /** The cell's own namespace (PASSPORT_STORE_NAMESPACE), from a name unique to the cell and run. */
  namespace(cell: string): string;
  /** Creates the cell's namespace (from Node, before the cell starts). */
  prepare(namespace: string): Promise<void>;
  /** Removes the cell's namespace and everything in it. */
  cleanup(namespace: string): Promise<void>;
}

const stores: StoreColumn[] = [
  {
    name: 'memory',
    driver: null,
    service: null,
    url: '',
    namespace: (cell) => cell,
    prepare: async () => {},
    cleanup: async () => {},
  },
  {
    name: 'postgres',
    driver: 'pg',
    service: 'postgres',
    url: services.postgres.url,
    namespace: (cell) => `passport_runtime_${cell}`, // a schema
    async prepare(schema) {
      const store = createPostgresStore({
        pool: new pg.Pool({ connectionString: this.url, max: 1 }),
        schema,
      });
      try {
        await store.migrate();
      } finally {
        await store.close();
      }
    },
    async cleanup(schema) {
      const client = new pg.Client({ connectionString: this.url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  },
  {
    name: 'redis',
    driver: 'ioredis',
    service: 'redis',
    url: services.redis.url,
    namespace: (cell) => `passport-runtime:${cell}:`, // a key prefix
    prepare: async () => {},
    async cleanup(prefix) {
      const { Redis } = await import('ioredis');
      const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await redis.connect();
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.unlink(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  },
  {
    name: 'mongo',
    driver: 'mongodb',
    service: 'ferretdb',
    url: services.mongo.url,
    namespace: (cell) => `passport_runtime_${cell}`, // a database
    async prepare(dbName) {
      const store = await createMongoStore({ url: this.url, dbName });
      try {
        await store.ensureIndexes();
      } finally {
        await store.close();
      }
    },
    async cleanup(dbName) {
      const client = new MongoClient(this.url, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.db(dbName).dropDatabase();
      } finally {
        await client.close();
      }
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Runtimes: one row each.

/** A running cell: where to reach the app, and how to stop it. */
interface RunningCell {
  base: string;
  fetch?: typeof fetch;
  stop(): Promise<void>;
}

interface Runtime {
  name: 'Node' | 'Bun' | 'Deno' | 'workerd';
  start(store: StoreColumn, env: Record<string, string>): Promise<RunningCell>;
}

/**
 * Cells whose driver cannot run in that runtime, with the reason the README's table gives. The
 * test checks that the cell still fails when the app opens the store, and prints the error.
 */
const cannotRun: Record<string, string> = {};

const nodeBuiltins = new Set(builtinModules.filter((name) => !name.startsWith('_')));

/**
 * Node's built-in modules for a bundle: `import` statements stay imports of `node:<name>`, and a
 * CommonJS `require('<name>')` (pg, ioredis) becomes the module's default export, which is what
 * Bun, Deno and workerd (`nodejs_compat`) give for Node's modules.
 */
const nodeBuiltinsPlugin: Plugin = {
  name: 'node-builtins',
  setup(bundle) {
    bundle.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!nodeBuiltins.has(name)) return undefined;
      return args.kind === 'require-call'
        ? { path: `node:${name}`, namespace: 'node-require' }
        : { path: `node:${name}`, external: true };
    });
    bundle.onLoad({ filter: /.*/, namespace: 'node-require' }, (args) => ({
      contents: `import builtin from '${args.path}';\nmodule.exports = builtin;`,
      loader: 'js',
    }));
  },
};

/**
 * Bundles a cell's entry (given as source) for a runtime: Bun and Deno as Node-like platforms
 * (their own export condition first), workerd as wrangler does (`workerd` and `worker`
 * conditions, `browser` fields).
 */
async function bundle(name: string, contents: string, runtime: 'bun' | 'deno' | 'workerd'): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}/${name}.mjs`;
  const platform =
    runtime === 'workerd'
      ? ({
          platform: 'browser',
          conditions: ['workerd', 'worker'],
          mainFields: ['browser', 'module', 'main'],
        } as const)
      : ({ platform: 'node', conditions: [runtime], mainFields: ['module', 'main'] } as const);
  await build({
    stdin: { contents, resolveDir: here('./runtime'), sourcefile: `${name}.entry.mjs`, loader: 'js' },
    outfile,
    bundle: true,
    format: 'esm',
    ...platform,
    conditions: [...platform.conditions],
    mainFields: [...platform.mainFields],
    target: 'es2022',
    logLevel: 'silent',
    absWorkingDir: packageDir,
    alias: { '@passport/http': here('../src/index.ts') },
    plugins: [nodeBuiltinsPlugin],
    // optional drivers the cells never load (pg's native bindings, PGlite)
    external: ['pg-native', '@electric-sql/pglite', 'cloudflare:*'],
  });
  return outfile;
}

/** Spawns a server process and resolves with its base URL once it prints `LISTENING <port>`. */
function startProcess(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ base: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // detached: its own process group, so stopping it also stops what the node_modules/.bin shim started.
    const child = spawn(command, args, {
      cwd: packageDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...env },
    });
    let output = '';
    const timer = setTimeout(() => {
      signalGroup(child, 'SIGKILL');
      reject(new Error(`${command} did not start in time:\n${output}`));
    }, 45_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ base: `http://127.0.0.1:${match[1]}`, child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${output}`));
    });
  });
}

/** Signals the child's whole process group (the shim and the runtime it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    signalGroup(child, 'SIGKILL');
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(timer);
      signalGroup(child, 'SIGKILL');
      resolve();
    });
    signalGroup(child, 'SIGTERM');
  });
}

const storeModule = (store: StoreColumn) => `./stores/${store.name}.mjs`;

const runtimes: Runtime[] = [
  {
    name: 'Node',
    async start(store, env) {
      const { openStore } = (await import(`./runtime/stores/${store.name}.mjs`)) as { openStore: OpenStore };
      const app = createAppWith(env, openStore);
      const server: Server = createServer(toNodeListener(app));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        async stop() {
          server.closeAllConnections();
          await new Promise<void>((resolve) => server.close(() => resolve()));
          await app.close();
        },
      };
    },
  },
  {
    name: 'Bun',
    async start(store, env) {
      const entry = await bundle(
        `bun-${store.name}`,
        `import { openStore } from '${storeModule(store)}';\nimport { start } from './server-bun.mjs';\nstart(openStore);\n`,
        'bun',
      );
      const { base, child } = await startProcess(here('../node_modules/.bin/bun'), ['run', entry], env);
      return { base, stop: () => stopProcess(child) };
    },
  },
  {
    name: 'Deno',
    async start(store, env) {
      const entry = await bundle(
        `deno-${store.name}`,
        `import { openStore } from '${storeModule(store)}';\nimport { start } from './server-deno.mjs';\nstart(openStore);\n`,
        'deno',
      );
      const { base, child } = await startProcess(
        here('../node_modules/.bin/deno'),
        ['run', '--allow-net', '--allow-read', '--allow-env', '--allow-sys', '--no-prompt', entry],
        env,
      );
      return { base, stop: () => stopProcess(child) };
    },
  },
  {
    name: 'workerd',
    async start(store, env) {
      const perRequest = store.driver !== null;
      const scriptPath = await bundle(
        `workerd-${store.name}`,
        `import { openStore } from '${storeModule(store)}';\nimport { createWorker } from './worker.mjs';\nexport default createWorker(openStore, { perRequest: ${perRequest} });\n`,
        'workerd',
      );
      const mf = new Miniflare({
        modules: true,
        scriptPath,
        compatibilityDate: '2026-07-01',
        compatibilityFlags: ['nodejs_compat'],
        bindings: env,
      });
      await mf.ready;
      const dispatch = ((input: string, init?: RequestInit) =>
        mf.dispatchFetch(
          input,
          init as Parameters<Miniflare['dispatchFetch']>[1],
        )) as unknown as typeof fetch;
      return { base: 'http://localhost', fetch: dispatch, stop: () => mf.dispose() };
    },
  },
];

// ---------------------------------------------------------------------------------------------
// The matrix.

type Outcome =
  | { status: 'passed' }
  | { status: 'cannot run'; error: string }
  | { status: 'failed'; error: string };
const outcomes = new Map<string, Outcome>();

afterAll(() => {
  const header = `runtime matrix (${runtimes.length} runtimes x ${stores.length} stores, sequential)`;
  const lines = runtimes.flatMap((runtime) =>
    stores.map((store) => {
      const outcome = outcomes.get(`${runtime.name}/${store.name}`);
      const driver = store.driver === null ? store.name : `${store.name} (${store.driver})`;
      const result =
        outcome === undefined
          ? 'not run'
          : outcome.status === 'passed'
            ? 'passed'
            : `${outcome.status}: ${outcome.error}`;
      return `  ${runtime.name.padEnd(8)} ${driver.padEnd(20)} ${result}`;
    }),
  );
  console.log(`[runtime matrix] ${header}\n${lines.join('\n')}`);
});

/** The first line of an error, without the runtime's stack. */
function firstLine(text: string): string {
  return text.split('\n')[0]?.trim() ?? text;
}

const available = new Map<ServiceName, boolean>();
for (const store of stores) {
  if (store.service !== null && !available.has(store.service)) {
    available.set(store.service, await requireService(store.service));
  }
}

describe.each(runtimes)('runtime: $name', (runtime) => {
  describe.each(stores)('store: $name', (store) => {
    const cell = `${runtime.name}/${store.name}`;
    const reason = cannotRun[cell];
    const up = store.service === null || available.get(store.service) === true;
    const namespace = store.namespace(`${runtime.name.toLowerCase()}_${runId}`);
    let running: RunningCell | null = null;
    let startError: unknown = null;

    beforeAll(async () => {
      if (!up) return;
      await store.prepare(namespace);
      try {
        running = await runtime.start(store, {
          ...keyEnv,
          PASSPORT_STORE_URL: store.url,
          PASSPORT_STORE_NAMESPACE: namespace,
        });
      } catch (error) {
        startError = error;
      }
    }, 90_000);

    afterAll(async () => {
      await running?.stop();
      if (up) await store.cleanup(namespace);
    });

    /** Asks the app to open the store and read once: `null`, or the runtime's error. */
    async function storeCheck(cellRunning: RunningCell): Promise<string | null> {
      const response = await (cellRunning.fetch ?? fetch)(`${cellRunning.base}/__store`);
      if (response.status === 200) return null;
      return `${response.status} ${firstLine(await response.text())}`;
    }

    if (reason !== undefined) {
      it.skipIf(!up)(`cannot run: ${reason}`, async () => {
        if (startError !== null) {
          const error = firstLine(String(startError));
          outcomes.set(cell, { status: 'cannot run', error });
          console.log(`[runtime matrix] ${store.driver} on ${runtime.name}: cannot run: ${error}`);
          return;
        }
        const error = await storeCheck(running as unknown as RunningCell);
        expect(
          error,
          `${cell} now opens its store: run the scenario there and update the README tables`,
        ).not.toBeNull();
        outcomes.set(cell, { status: 'cannot run', error: error as string });
        console.log(`[runtime matrix] ${store.driver} on ${runtime.name}: cannot run: ${error}`);
      });
      return;
    }

    it.skipIf(!up)(
      'passes the end-to-end scenario',
      async () => {
        try {
          if (startError !== null) throw startError;
          const cellRunning = running as unknown as RunningCell;
          const error = await storeCheck(cellRunning);
          if (error !== null) {
            throw new Error(
              `${store.driver ?? store.name} on ${runtime.name} cannot open the store: ${error}`,
            );
          }
          expect(await runScenarioWith(cellRunning.base, cellRunning.fetch, kids)).toEqual(expectedSteps);
          outcomes.set(cell, { status: 'passed' });
        } catch (error) {
          outcomes.set(cell, { status: 'failed', error: firstLine(String(error)) });
          throw error;
        }
      },
      60_000,
    );

    if (runtime.name === 'Node' && store.name === 'memory') {
      it.skipIf(!up)(
        'satisfies oauth4webapi: discovery, client credentials, code + PKCE, refresh, introspection, revocation, RFC 9068',
        async () => {
          await oauth4webapiWalkthrough((running as unknown as RunningCell).base);
        },
      );
    }
  });
});

/** Drives the app with oauth4webapi, an independent strict client. */
async function oauth4webapiWalkthrough(base: string): Promise<void> {
  const insecure = { [oauth.allowInsecureRequests]: true } as const;
  const issuer = new URL(base);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oauth2' }),
  );
  const clients = (await (await fetch(`${base}/setup`, { method: 'POST' })).json()) as {
    machine: { id: string; secret: string };
    spa: { id: string; redirectUri: string };
  };

  // client credentials
  const machine: oauth.Client = { client_id: clients.machine.id };
  const machineAuth = oauth.ClientSecretBasic(clients.machine.secret);
  const cc = await oauth.processClientCredentialsResponse(
    as,
    machine,
    await oauth.clientCredentialsGrantRequest(as, machine, machineAuth, { scope: 'orders:read' }, insecure),
  );
  expect(cc.token_type).toBe('bearer');

  // RFC 9068 access token, validated by oauth4webapi as a resource server would
  const claims = await oauth.validateJwtAccessToken(
    as,
    new Request(`${base}/api/orders`, { headers: { authorization: `Bearer ${cc.access_token}` } }),
    clients.machine.id,
    insecure,
  );
  expect(claims.client_id).toBe(clients.machine.id);

  // authorization code + PKCE, approving through the form
  const spa: oauth.Client = { client_id: clients.spa.id };
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint as string);
  authorizationUrl.search = new URLSearchParams({
    response_type: 'code',
    client_id: spa.client_id,
    redirect_uri: clients.spa.redirectUri,
    scope: 'orders:read',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const page = await fetch(authorizationUrl, { headers: { cookie: 'session=alice' }, redirect: 'manual' });
  const html = await page.text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  const approve = await fetch(`${base}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `session=alice; ${(page.headers.get('set-cookie') ?? '').split(';')[0]}`,
    },
    body: new URLSearchParams({ auth_token: field('auth_token'), csrf_token: field('csrf_token') }),
  });
  const callbackParams = oauth.validateAuthResponse(
    as,
    spa,
    new URL(approve.headers.get('location') as string),
    state,
  );
  const tokens = await oauth.processAuthorizationCodeResponse(
    as,
    spa,
    await oauth.authorizationCodeGrantRequest(
      as,
      spa,
      oauth.None(),
      callbackParams,
      clients.spa.redirectUri,
      verifier,
      insecure,
    ),
  );
  expect(tokens.refresh_token).toBeTruthy();
  expect(tokens.scope).toBe('orders:read');

  // refresh
  const refreshed = await oauth.processRefreshTokenResponse(
    as,
    spa,
    await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), tokens.refresh_token as string, insecure),
  );
  expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);

  // introspection and revocation
  const introspected = await oauth.processIntrospectionResponse(
    as,
    machine,
    await oauth.introspectionRequest(as, machine, machineAuth, refreshed.access_token, insecure),
  );
  expect(introspected.active).toBe(true);
  expect(introspected.sub).toBe('alice');
  await oauth.processRevocationResponse(
    await oauth.revocationRequest(as, machine, machineAuth, cc.access_token, insecure),
  );
  const afterRevoke = await oauth.processIntrospectionResponse(
    as,
    machine,
    await oauth.introspectionRequest(as, machine, machineAuth, cc.access_token, insecure),
  );
  expect(afterRevoke.active).toBe(false);

  // errors come back as RFC 6749 errors oauth4webapi understands
  await expect(
    oauth.processRefreshTokenResponse(
      as,
      spa,
      await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), 'not-a-refresh-token', insecure),
    ),
  ).rejects.toMatchObject({ error: 'invalid_grant' });
}
