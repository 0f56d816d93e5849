/**
 * The demo's own pages, as an attacker would try them: the return path after login (open redirect),
 * the login session (server-side, ended by signing out), CSRF on `/login` and `/logout`, client
 * secrets only for a signed-in user, and `Secure` cookies when the public origin is https.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, safeReturnTo, startDemo } from '../src/app.mjs';
import { cookiesOf, header, hidden } from './http-flow.js';

const origin = 'http://127.0.0.1:8000';

describe('safeReturnTo', () => {
  it('keeps a local path and its query', () => {
    expect(safeReturnTo('/', origin)).toBe('/');
    expect(safeReturnTo('/client', origin)).toBe('/client');
    expect(safeReturnTo('/oauth/authorize?client_id=x&state=a%2Fb', origin)).toBe(
      '/oauth/authorize?client_id=x&state=a%2Fb',
    );
    expect(safeReturnTo('/a/./b/../c?d', origin)).toBe('/a/c?d');
  });

  it('refuses every known open-redirect form', () => {
    const bypasses = [
      '//evil.example/x',
      '///evil.example/x',
      '/\\evil.example/x',
      '/\\/evil.example/x',
      '/.//evil.example/x',
      '/./\\evil.example',
      '/x/../..//evil.example',
      '/%2F%2Fevil.example/x',
      '/%2f%2fevil.example',
      '/%2F/evil.example',
      '/%5Cevil.example',
      '/%5c%5cevil.example',
      '/\t/evil.example',
      '/\n/evil.example',
      '/\r\n/evil.example',
      '\t//evil.example',
      ' /x',
      '/x y',
      'https://evil.example/x',
      `${origin}/client`,
      'http:evil.example',
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'evil.example',
      '%2F%2Fevil.example',
      '/%E0%A4%A',
      `/${'a'.repeat(5000)}`,
      '',
    ];
    for (const value of bypasses) expect(safeReturnTo(value, origin), JSON.stringify(value)).toBe('/');
    expect(safeReturnTo(null, origin)).toBe('/');
    expect(safeReturnTo(undefined, origin)).toBe('/');
  });
});

describe('the demo server', () => {
  let dataDir: string;
  let demo: DemoServer;
  const logs: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-security-'));
    demo = await startDemo({ dataDir, port: 0, log: (line) => logs.push(line) });
  });
  afterAll(async () => {
    await demo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, cookie = '') =>
    fetch(`${demo.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${demo.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(body),
    });

  /** Opens the login page and signs in; returns the browser's cookies and the answer. */
  async function signIn(returnTo = '/client') {
    const page = await get(`/login?return_to=${encodeURIComponent(returnTo)}`);
    const jar = cookiesOf(page).jar;
    const csrf = hidden(await page.text(), 'csrf_token');
    const answer = await post(
      '/login',
      { email: 'demo@example.com', password: 'password', return_to: returnTo, csrf_token: csrf },
      { cookie: header(jar) },
    );
    for (const [name, value] of cookiesOf(answer).jar) jar.set(name, value);
    return { jar, answer, csrf };
  }

  it('sends a guest from Passport to the login page with a local return path', async () => {
    const app = demo.clients.find((client) => client.kind.includes('PKCE'));
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: app?.id ?? '',
      redirect_uri: `http://localhost:${new URL(demo.url).port}/client/callback`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    const answer = await get(`/oauth/authorize?${query}`);
    expect(answer.status).toBe(302);
    const location = answer.headers.get('location') ?? '';
    expect(location.startsWith('/login?return_to=%2Foauth%2Fauthorize%3F')).toBe(true);
  });

  it('returns to the local path after login, and to / for an open-redirect attempt', async () => {
    const good = await signIn('/client');
    expect(good.answer.status).toBe(303);
    expect(good.answer.headers.get('location')).toBe('/client');
    for (const attempt of [
      '/.//evil.example/x',
      '//evil.example',
      '/%2F%2Fevil.example',
      'https://evil.example',
    ]) {
      const { answer } = await signIn(attempt);
      expect(answer.status, attempt).toBe(303);
      expect(answer.headers.get('location'), attempt).toBe('/');
    }
  });

  it('refuses a login post without the token of the login page, or from another site', async () => {
    const page = await get('/login');
    const jar = cookiesOf(page).jar;
    const csrf = hidden(await page.text(), 'csrf_token');
    const credentials = { email: 'demo@example.com', password: 'password' };
    const refused = [
      await post('/login', credentials),
      await post('/login', { ...credentials, csrf_token: csrf }),
      await post('/login', credentials, { cookie: header(jar) }),
      await post('/login', { ...credentials, csrf_token: `${csrf}x` }, { cookie: header(jar) }),
      await post(
        '/login',
        { ...credentials, csrf_token: csrf },
        { cookie: header(jar), origin: 'https://evil.example' },
      ),
    ];
    for (const answer of refused) {
      expect(answer.status).toBe(403);
      expect(cookiesOf(answer).jar.has('demo_session')).toBe(false);
    }
    const accepted = await post(
      '/login',
      { ...credentials, csrf_token: csrf },
      { cookie: header(jar), origin: demo.url },
    );
    expect(accepted.status).toBe(303);
    expect(cookiesOf(accepted).jar.get('demo_session')).toMatch(/^[\w-]{43}$/);
  });

  it('shows the backend client secret only to a signed-in user', async () => {
    const secret = demo.clients.find((client) => client.secret !== null)?.secret ?? '';
    expect(secret).not.toBe('');
    const guest = await (await get('/')).text();
    expect(guest).not.toContain(secret);
    expect(guest).toContain('sign in</a> to see it');
    const { jar } = await signIn();
    const member = await (await get('/', header(jar))).text();
    expect(member).toContain(secret);
  });

  it('ends the session on the server at logout: the old cookie no longer signs anyone in', async () => {
    const { jar } = await signIn();
    const cookie = header(jar);
    const home = await (await get('/', cookie)).text();
    expect(home).toContain('Signed in as');
    const token = hidden(home, 'csrf_token');

    // without the session's token, or from another site: refused, still signed in
    expect((await post('/logout', {}, { cookie })).status).toBe(403);
    expect(
      (await post('/logout', { csrf_token: token }, { cookie, origin: 'https://evil.example' })).status,
    ).toBe(403);
    expect(await (await get('/', cookie)).text()).toContain('Signed in as');

    const out = await post('/logout', { csrf_token: token }, { cookie });
    expect(out.status).toBe(303);
    expect(
      out.headers.getSetCookie().some((c) => c.startsWith('demo_session=;') && c.includes('Max-Age=0')),
    ).toBe(true);
    // replaying the cookie the browser had before signing out
    const after = await (await get('/', cookie)).text();
    expect(after).not.toContain('Signed in as');
    expect((await get('/oauth/clients', cookie)).status).toBe(401);
  });

  it('sets no Secure attribute when served over plain http', async () => {
    const { raw } = cookiesOf(await get('/login'));
    expect(raw.find((c) => c.startsWith('demo_login='))).not.toContain('Secure');
  });
});

describe('the demo behind a TLS-terminating proxy (public origin https)', () => {
  let dataDir: string;
  let demo: DemoServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-https-'));
    demo = await startDemo({ dataDir, port: 0, issuer: 'https://demo.example', log: () => {} });
  });
  afterAll(async () => {
    await demo?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('marks the login and session cookies Secure and uses the public origin as issuer', async () => {
    expect(demo.url).toBe('https://demo.example');
    const page = await fetch(`${demo.listening}/login`);
    const login = cookiesOf(page);
    expect(login.raw.find((c) => c.startsWith('demo_login='))).toMatch(/; Secure/);
    const csrf = hidden(await page.text(), 'csrf_token');
    const answer = await fetch(`${demo.listening}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: header(login.jar),
        origin: 'https://demo.example',
      },
      body: new URLSearchParams({ email: 'demo@example.com', password: 'password', csrf_token: csrf }),
    });
    expect(answer.status).toBe(303);
    expect(cookiesOf(answer).raw.find((c) => c.startsWith('demo_session='))).toMatch(/; Secure/);
    const metadata = (await (
      await fetch(`${demo.listening}/.well-known/oauth-authorization-server`)
    ).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    expect(metadata).toMatchObject({
      issuer: 'https://demo.example',
      token_endpoint: 'https://demo.example/oauth/token',
    });
  });
});
