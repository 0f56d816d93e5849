/**
 * The demo's settings (PASSPORT_ISSUER, PASSPORT_ACCESS_TOKEN_TTL, PASSPORT_REFRESH_TOKEN_TTL,
 * PASSPORT_SECRET): each checked at start with one line, and each seen in what the running demo
 * does: the issuer in metadata and in tokens, the lifetimes in token responses and stored rows,
 * and one secret and database shared by two instances, which then share their sessions.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportPrivateKeyPem, generateSigningKey, hashSecret } from '@passport/core';
import { createPGliteStore } from '@passport/store-postgres';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSettings, parseDuration, parseIssuer } from '../src/settings.mjs';
import { type RunningDemo, startDemoProcess } from './demo-process.js';
import {
  APP_REDIRECT_URI,
  approvalForm,
  approve,
  claimsOf,
  cookiesOf,
  header,
  hidden,
  pkce,
  postForm,
  signIn,
  token,
} from './http-flow.js';

const CLI = fileURLToPath(new URL('../node_modules/@passport/cli/dist/bin.js', import.meta.url));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'passport-demo-settings-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The id (and secret) the demo printed for one of its clients. */
function printedClient(demo: RunningDemo, name: string): { id: string; secret: string | null } {
  const line = demo.output.split('\n').find((text) => text.trimStart().startsWith(name)) ?? '';
  return {
    id: / id (\S+)/.exec(line)?.[1] ?? '',
    secret: / secret (\S+)/.exec(line)?.[1] ?? null,
  };
}

/** A GET with any Host header (fetch does not let a caller choose it). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs the `passport` bin of @passport/cli; resolves with its exit code and output. */
function passport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

describe('reading the settings', () => {
  it('takes lifetimes in seconds or with a unit', () => {
    expect(parseDuration('X', '900')).toBe(900);
    expect(parseDuration('X', '45s')).toBe(45);
    expect(parseDuration('X', '15m')).toBe(900);
    expect(parseDuration('X', '1h')).toBe(3600);
    expect(parseDuration('X', '30d')).toBe(2_592_000);
  });

  it.each(['', 'abc', '0', '-5', '1.5', '10w', 'm', '1 h', '3651d', '99999999999999'])(
    'refuses the lifetime %j with one line naming the variable',
    (value) => {
      expect(() => parseDuration('PASSPORT_ACCESS_TOKEN_TTL', value)).toThrow(
        `PASSPORT_ACCESS_TOKEN_TTL must be a lifetime in seconds (900) or with a unit (15m, 1h, 30d), from 1 second to 10 years, not ${JSON.stringify(value)}`,
      );
    },
  );

  it('takes an origin as the issuer, and refuses anything else', () => {
    expect(parseIssuer('https://auth.example.com')).toBe('https://auth.example.com');
    expect(parseIssuer('https://auth.example.com/')).toBe('https://auth.example.com');
    expect(parseIssuer('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
    for (const bad of [
      'auth.example.com',
      'ftp://auth.example.com',
      'https://auth.example.com/oauth',
      'https://auth.example.com/?x=1',
      'https://auth.example.com/#top',
      'https://user:pw@auth.example.com',
    ]) {
      expect(() => parseIssuer(bad), bad).toThrow(
        /^PASSPORT_ISSUER must be the origin users reach the demo at/,
      );
    }
  });

  it('reads every variable, and refuses a short PASSPORT_SECRET without echoing it', () => {
    expect(
      demoSettings(
        {
          PORT: '0',
          PASSPORT_DEMO_DATA: 'data',
          PASSPORT_ISSUER: 'https://auth.example.com',
          PASSPORT_ACCESS_TOKEN_TTL: '5m',
          PASSPORT_REFRESH_TOKEN_TTL: '7d',
          PASSPORT_SECRET: 's'.repeat(32),
          PASSPORT_REVOCATION_CACHE_SECONDS: '300',
        },
        '/srv',
      ),
    ).toEqual({
      port: 0,
      host: '127.0.0.1',
      dataDir: '/srv/data',
      issuer: 'https://auth.example.com',
      accessTokenTtl: 300,
      refreshTokenTtl: 604_800,
      secret: 's'.repeat(32),
      revocationCacheSeconds: 300,
    });
    expect(demoSettings({ PASSPORT_REVOCATION_CACHE_SECONDS: '0' }, '/srv').revocationCacheSeconds).toBe(0);
    expect(() => demoSettings({ PASSPORT_SECRET: 'short-secret' }, '/srv')).toThrow(
      'PASSPORT_SECRET must be 32 to 1024 printable ASCII characters without blanks',
    );
    expect(() => demoSettings({ PASSPORT_SECRET: 'short-secret' }, '/srv')).not.toThrow(/short-secret/);
    expect(() => demoSettings({ PORT: 'http' }, '/srv')).toThrow('PORT must be a port number');
  });

  it('takes MONGODB_URL when neither DATABASE_URL nor REDIS_URL is set, and refuses a URL of another kind', () => {
    const url = 'mongodb://127.0.0.1:27017/passport';
    expect(demoSettings({ MONGODB_URL: url }, '/srv').mongodbUrl).toBe(url);
    expect(demoSettings({ MONGODB_URL: url, DATABASE_URL: 'postgres://db/x' }, '/srv')).toMatchObject({
      databaseUrl: 'postgres://db/x',
    });
    expect(demoSettings({ MONGODB_URL: url, DATABASE_URL: 'postgres://db/x' }, '/srv')).not.toHaveProperty(
      'mongodbUrl',
    );
    expect(demoSettings({ MONGODB_URL: url, REDIS_URL: 'redis://r:6379' }, '/srv')).not.toHaveProperty(
      'mongodbUrl',
    );
    expect(() => demoSettings({ MONGODB_URL: 'postgres://127.0.0.1/passport' }, '/srv')).toThrow(
      'MONGODB_URL must be a mongodb:// or mongodb+srv:// connection string',
    );
  });

  it.each([
    [{ PASSPORT_ACCESS_TOKEN_TTL: 'soon' }, 'PASSPORT_ACCESS_TOKEN_TTL must be a lifetime'],
    [{ PASSPORT_REFRESH_TOKEN_TTL: '0' }, 'PASSPORT_REFRESH_TOKEN_TTL must be a lifetime'],
    [{ PASSPORT_ISSUER: 'https://auth.example.com/oauth' }, 'PASSPORT_ISSUER must be the origin'],
    [{ PASSPORT_SECRET: 'too short' }, 'PASSPORT_SECRET must be 32 to 1024'],
    [
      { PASSPORT_REVOCATION_CACHE_SECONDS: '301' },
      'PASSPORT_REVOCATION_CACHE_SECONDS must be a whole number',
    ],
    [{ PASSPORT_REVOCATION_CACHE_SECONDS: '5s' }, 'PASSPORT_REVOCATION_CACHE_SECONDS must be a whole number'],
  ])('stops the demo at start with one line and exit code 1: %j', async (env, message) => {
    const dataDir = join(root, 'refused');
    await expect(startDemoProcess(dataDir, env)).rejects.toThrow(
      new RegExp(`^the demo exited with code 1:\\npassport demo: cannot start: ${message}[^\\n]*\\n$`),
    );
    // refused before touching anything
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('PASSPORT_ISSUER, PASSPORT_ACCESS_TOKEN_TTL and PASSPORT_REFRESH_TOKEN_TTL', () => {
  const issuer = 'https://auth.demo.test';
  let dataDir: string;
  let demo: RunningDemo;
  let refreshToken = '';

  beforeAll(async () => {
    dataDir = join(root, 'issuer');
    demo = await startDemoProcess(dataDir, {
      PASSPORT_ISSUER: issuer,
      PASSPORT_ACCESS_TOKEN_TTL: '2m',
      PASSPORT_REFRESH_TOKEN_TTL: '1h',
    });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('prints the issuer, where it listens, and the lifetimes', () => {
    expect(demo.url).toBe(issuer);
    expect(demo.listening).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.output).toContain(`Passport demo server: ${issuer} (listening on ${demo.listening})`);
    expect(demo.output).toContain('  tokens: access 120 s, refresh 3600 s');
  });

  it('builds metadata from the issuer, whatever Host the request names', async () => {
    const metadata = await getWithHost(
      `${demo.listening}/.well-known/oauth-authorization-server`,
      'evil.example',
    );
    expect(metadata.status).toBe(200);
    const body = JSON.parse(metadata.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      jwks_uri: `${issuer}/oauth/jwks`,
    });
    expect(metadata.body).not.toContain('evil.example');
    expect(metadata.body).not.toContain(demo.listening);
  });

  it('issues client credentials tokens with iss = the issuer and expires_in = PASSPORT_ACCESS_TOKEN_TTL', async () => {
    const backend = printedClient(demo, 'Demo backend service');
    const answer = await token(
      demo.listening,
      { grant_type: 'client_credentials', scope: 'profile' },
      `Basic ${btoa(`${backend.id}:${backend.secret}`)}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.expires_in).toBe(120);
    const claims = claimsOf(answer.body.access_token ?? '');
    expect(claims.iss).toBe(issuer);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(120);
  });

  it('issues authorization code tokens with the same lifetime, and a refresh token', async () => {
    const jar = await signIn(demo.listening);
    const { verifier, challenge } = pkce();
    const app = printedClient(demo, 'Demo client app');
    const form = await approvalForm(demo.listening, jar, app.id, challenge);
    expect(form.status).toBe(200);
    const { code } = await approve(demo.listening, form);
    expect(code).not.toBeNull();
    const answer = await token(demo.listening, {
      grant_type: 'authorization_code',
      client_id: app.id,
      redirect_uri: APP_REDIRECT_URI,
      code: code ?? '',
      code_verifier: verifier,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.expires_in).toBe(120);
    expect(claimsOf(answer.body.access_token ?? '').iss).toBe(issuer);
    refreshToken = answer.body.refresh_token ?? '';
    expect(refreshToken).not.toBe('');
  });

  it("refuses passport client on the running demo's PGlite directory in one line, and takes it once the demo stopped", async () => {
    const pglite = join(dataDir, 'pglite');
    const refused = await passport([
      'client',
      '--client',
      '--name',
      'Reporting job',
      '--database-url',
      pglite,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(
      new RegExp(
        `^passport: the PGlite database in ${pglite} is in use by process ${demo.pid}[^\\n]*stop that server and run this again, or make the change through the running server \\(its JSON API[^\\n]*\\n$`,
      ),
    );

    await demo.stop();
    const created = await passport([
      'client',
      '--client',
      '--name',
      'Reporting job',
      '--json',
      '--database-url',
      pglite,
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };

    // what is stored: the client the CLI made, and a refresh token living PASSPORT_REFRESH_TOKEN_TTL
    const store = await createPGliteStore({ dataDir: pglite, migrate: false });
    try {
      expect((await store.findClient(id))?.name).toBe('Reporting job');
      const row = await store.findRefreshToken(hashSecret(refreshToken));
      expect(row).not.toBeNull();
      expect(((row?.expiresAt.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0)) / 1000).toBe(3600);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(!(await requireService('postgres')))('PASSPORT_SECRET: two instances on one database', () => {
  const secret = 'two-instances-share-this-secret-0123456789';
  let databaseName: string;
  let databaseUrl: string;
  let first: RunningDemo;
  let second: RunningDemo;

  beforeAll(async () => {
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: services.postgres.url, connectionTimeoutMillis: 3_000 });
    await admin.connect();
    databaseName = `passport_demo_secret_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${databaseName}`);
    await admin.end();
    const url = new URL(services.postgres.url);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    const key = exportPrivateKeyPem(await generateSigningKey('ES256'));
    // one name (issuer), one signing key and one secret, as instances behind a load balancer have
    const env = {
      DATABASE_URL: databaseUrl,
      PASSPORT_ISSUER: 'http://auth.demo.test',
      PASSPORT_SECRET: secret,
      PASSPORT_PRIVATE_KEY: await key,
    };
    first = await startDemoProcess(join(root, 'first'), env);
    second = await startDemoProcess(join(root, 'second'), env);
  });
  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: services.postgres.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
  });

  it('keeps no secret file when PASSPORT_SECRET is set', () => {
    expect(existsSync(join(root, 'first', 'secret'))).toBe(false);
    expect(existsSync(join(root, 'second', 'secret'))).toBe(false);
  });

  it('shares the login session: signed in on one, signed in on the other; signed out on one, out on both', async () => {
    const jar = await signIn(first.listening);
    const cookie = header(jar);
    const home = await (await fetch(`${second.listening}/`, { headers: { cookie } })).text();
    expect(home).toContain('Signed in as <strong>demo@example.com</strong>');

    const out = await postForm(
      `${second.listening}/logout`,
      { csrf_token: hidden(home, 'csrf_token') },
      { cookie },
    );
    expect(out.status).toBe(303);
    expect(await (await fetch(`${first.listening}/`, { headers: { cookie } })).text()).not.toContain(
      'Signed in as',
    );
  });

  it("finishes on one instance an authorization started on the other, and each accepts the other's tokens", async () => {
    const jar = await signIn(first.listening);
    const app = printedClient(first, 'Demo client app');
    const { verifier, challenge } = pkce();
    const form = await approvalForm(first.listening, jar, app.id, challenge);
    expect(form.status).toBe(200);
    // the approval form (signed auth_token, CSRF cookie) rendered by the first, posted to the second
    const { status, code } = await approve(second.listening, form);
    expect(status).toBe(302);
    expect(code).not.toBeNull();
    const answer = await token(first.listening, {
      grant_type: 'authorization_code',
      client_id: app.id,
      redirect_uri: APP_REDIRECT_URI,
      code: code ?? '',
      code_verifier: verifier,
    });
    expect(answer.status).toBe(200);
    const me = await fetch(`${second.listening}/api/me`, {
      headers: { authorization: `Bearer ${answer.body.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe('demo@example.com');
  });

  it('refuses the forms of the others on an instance with another secret', async () => {
    const other = await startDemoProcess(join(root, 'other'), {
      DATABASE_URL: databaseUrl,
      PASSPORT_SECRET: 'another-secret-on-the-same-database-0123456789',
    });
    try {
      const jar = await signIn(first.listening);
      const { challenge } = pkce();
      const app = printedClient(first, 'Demo client app').id;
      // scopes not granted before, so the approval page is shown
      const form = await approvalForm(first.listening, jar, app, challenge, 'profile notes:write');
      expect(form.status).toBe(200);
      const { status, code } = await approve(other.listening, form);
      expect(code).toBeNull();
      expect(status).toBe(400);

      // the first instance's login form, posted to the other: its CSRF token does not verify
      const page = await fetch(`${first.listening}/login`);
      const login = await postForm(
        `${other.listening}/login`,
        {
          email: 'demo@example.com',
          password: 'password',
          csrf_token: hidden(await page.text(), 'csrf_token'),
        },
        { cookie: header(cookiesOf(page).jar) },
      );
      expect(login.status).toBe(403);
    } finally {
      await other.stop();
    }
  });
});
