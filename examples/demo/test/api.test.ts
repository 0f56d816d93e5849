/**
 * The demo's API routes with real tokens: `/api/me` takes users' tokens only (a client-credentials
 * token is refused, as Laravel Passport's `auth:api` refuses it), `/api/client` takes
 * client-credentials tokens only (`CheckClientCredentials`), `/api/whoami` takes both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemo } from '../src/app.mjs';

const userTokenRequired =
  'Bearer realm="api", error="invalid_token", error_description="A user token is required: client-credentials tokens are not accepted"';
const clientTokenRequired =
  'Bearer realm="api", error="invalid_token", error_description="This resource accepts client-credentials tokens only"';

describe('the demo API', () => {
  let dataDir: string;
  let demo: DemoServer;
  let userToken: string;
  let clientToken: string;
  let backend: { id: string; name: string };

  /** The cookies a response sets, as a Cookie header merged over `previous`. */
  function cookies(response: Response, previous = ''): string {
    const jar = new Map<string, string>();
    const add = (pair: string) => {
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    };
    for (const pair of previous.split('; ')) add(pair);
    for (const cookie of response.headers.getSetCookie()) add(cookie.split(';')[0] as string);
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-api-'));
    demo = await startDemo({ dataDir, port: 0, log: () => {} });

    // a user token: sign in, then create a personal access token through the JSON API
    const login = await fetch(`${demo.url}/login`);
    const html = await login.text();
    const csrf = /name="csrf_token" value="([^"]*)"/.exec(html)?.[1] ?? '';
    const signedIn = await fetch(`${demo.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies(login) },
      body: new URLSearchParams({ email: 'demo@example.com', password: 'password', csrf_token: csrf }),
    });
    expect(signedIn.status).toBe(303);
    const created = await fetch(`${demo.url}/oauth/personal-access-tokens`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        origin: demo.url,
        cookie: cookies(signedIn, cookies(login)),
      },
      body: JSON.stringify({ name: 'api test', scopes: ['profile'] }),
    });
    expect(created.status).toBe(201);
    userToken = ((await created.json()) as { accessToken: string }).accessToken;

    // a client token: the backend service's client credentials
    const service = demo.clients.find((client) => client.kind === 'client credentials');
    if (!service?.secret) throw new Error('the demo has no backend service client with a secret');
    backend = { id: service.id, name: service.name };
    const issued = await fetch(`${demo.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${service.id}:${service.secret}`)}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(issued.status).toBe(200);
    clientToken = ((await issued.json()) as { access_token: string }).access_token;
  });
  afterAll(async () => {
    await demo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const call = (path: string, token?: string) =>
    fetch(`${demo.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it('GET /api/me answers a user token with the user, and refuses a client token with 401 invalid_token', async () => {
    const ok = await call('/api/me', userToken);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      message: "Hello Demo User: this route is protected by @passport/http's guard.",
      user: { id: 'user-1', email: 'demo@example.com', name: 'Demo User' },
      scopes: ['profile'],
    });
    expect(body.tokenExpiresAt).toEqual(expect.any(String));

    const refused = await call('/api/me', clientToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(userTokenRequired);
    expect(await refused.json()).toEqual({
      error: 'invalid_token',
      error_description: 'A user token is required: client-credentials tokens are not accepted',
    });
  });

  it('GET /api/client answers a client-credentials token with the client, and refuses a user token', async () => {
    const ok = await call('/api/client', clientToken);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      message: `Hello ${backend.name}: this route accepts client-credentials tokens only.`,
      client: backend,
      scopes: ['profile'],
    });
    const refused = await call('/api/client', userToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(clientTokenRequired);
  });

  it('GET /api/whoami answers both, telling a user from a client', async () => {
    const asUser = await call('/api/whoami', userToken);
    expect(asUser.status).toBe(200);
    expect(await asUser.json()).toMatchObject({
      kind: 'user',
      user: { id: 'user-1', name: 'Demo User' },
      scopes: ['profile'],
    });
    const asClient = await call('/api/whoami', clientToken);
    expect(asClient.status).toBe(200);
    expect(await asClient.json()).toEqual({
      kind: 'client',
      user: null,
      client: backend,
      scopes: ['profile'],
    });
  });

  it('every API route answers 401 with a Bearer challenge without a token, and invalid_token for a bad one', async () => {
    for (const path of ['/api/me', '/api/client', '/api/whoami']) {
      const missing = await call(path);
      expect(missing.status, path).toBe(401);
      expect(missing.headers.get('www-authenticate'), path).toBe('Bearer realm="api"');
      const bad = await call(path, 'not-a-token');
      expect(bad.status, path).toBe(401);
      expect(bad.headers.get('www-authenticate'), path).toContain('error="invalid_token"');
    }
  });
});
