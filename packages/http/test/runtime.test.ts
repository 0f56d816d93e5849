/// <reference types="node" />
/**
 * One end-to-end scenario (test/runtime/scenario.mjs) against the same small app on Node, Bun,
 * Deno and workerd. The Node run also drives the server with oauth4webapi, an independent strict
 * client. Bun, Deno and workerd run a bundle of their entry file (esbuild, from the sources). The
 * app's keys are PEM strings in its environment (process environment, Deno's, the Worker's
 * bindings): an active key, a next key scheduled far ahead and a previous key.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { importPrivateKeyPem } from '@passport/core';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/adapter/node/index.js';
// @ts-expect-error plain JS module without types
import { createApp } from './runtime/app.mjs';
// @ts-expect-error plain JS module without types
import { runScenario } from './runtime/scenario.mjs';

const expectedSteps = [
  'metadata',
  'jwks',
  'client_credentials',
  'key_rotation',
  'authorization_code_pkce',
  'refresh',
  'reuse_detection',
  'introspect',
  'revoke',
  'bad_input',
];

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const packageDir = here('..');
const outDir = here('../test-results/runtime');

type Kids = { active: string; next: string; previous: string };
type Scenario = (base: string, fetchImpl: typeof fetch | undefined, keys: Kids) => Promise<string[]>;
const runScenarioWith = runScenario as Scenario;

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
const scenario = (base: string, fetchImpl?: typeof fetch) => runScenarioWith(base, fetchImpl, kids);

async function bundle(entry: string, name: string, conditions: string[]): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = `${outDir}/${name}.mjs`;
  await build({
    entryPoints: [here(`./runtime/${entry}`)],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions,
    target: 'es2022',
    logLevel: 'silent',
    absWorkingDir: packageDir,
    alias: { '@passport/http': here('../src/index.ts') },
  });
  return outfile;
}

/** Spawns a server process and resolves with its base URL once it prints `LISTENING <port>`. */
function startProcess(command: string, args: string[]): Promise<{ base: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // detached: its own process group, so stopping it also stops what the node_modules/.bin shim started.
    const child = spawn(command, args, {
      cwd: packageDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', ...keyEnv },
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

function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child) return Promise.resolve();
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

describe('runtime: Node (node:http through @passport/http/node)', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer(toNodeListener(createApp(keyEnv) as (request: Request) => Promise<Response>));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes the end-to-end scenario', async () => {
    expect(await scenario(base)).toEqual(expectedSteps);
  });

  it('satisfies oauth4webapi: discovery, client credentials, code + PKCE, refresh, introspection, revocation, RFC 9068', async () => {
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
  });
});

describe('runtime: Bun (Bun.serve)', () => {
  let base: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    const entry = await bundle('server-bun.mjs', 'server-bun', ['bun', 'worker', 'browser']);
    ({ base, child } = await startProcess(here('../node_modules/.bin/bun'), ['run', entry]));
  });
  afterAll(() => stopProcess(child));

  it('passes the end-to-end scenario', async () => {
    expect(await scenario(base)).toEqual(expectedSteps);
  });
});

describe('runtime: Deno (Deno.serve)', () => {
  let base: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    const entry = await bundle('server-deno.mjs', 'server-deno', ['deno', 'worker', 'browser']);
    ({ base, child } = await startProcess(here('../node_modules/.bin/deno'), [
      'run',
      '--allow-net',
      '--allow-read',
      '--allow-env',
      '--no-prompt',
      entry,
    ]));
  });
  afterAll(() => stopProcess(child));

  it('passes the end-to-end scenario', async () => {
    expect(await scenario(base)).toEqual(expectedSteps);
  });
});

describe('runtime: workerd (miniflare)', () => {
  let mf: Miniflare;
  beforeAll(async () => {
    const scriptPath = await bundle('worker.mjs', 'worker', ['workerd', 'worker', 'browser']);
    mf = new Miniflare({ modules: true, scriptPath, compatibilityDate: '2025-09-01', bindings: keyEnv });
    await mf.ready;
  });
  afterAll(() => mf?.dispose());

  it('passes the end-to-end scenario', async () => {
    const dispatch = ((input: string, init?: RequestInit) =>
      mf.dispatchFetch(input, init as Parameters<Miniflare['dispatchFetch']>[1])) as unknown as typeof fetch;
    expect(await scenario('http://localhost', dispatch)).toEqual(expectedSteps);
  });
});
