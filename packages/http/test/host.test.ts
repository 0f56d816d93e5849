/// <reference types="node" />
/**
 * The Host header decides nothing but `request.url`: it cannot rewrite the path, absolute URLs
 * come from the configured public URL (the issuer's origin by default), cookies are `Secure`
 * when that URL is https, and a same-origin check compares `Origin` with it (RFC 9110 section
 * 7.2, RFC 9112 section 3.2).
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/adapter/node/index.js';
import { pkce, type Setup, setup } from './helpers.js';

const issuer = 'https://as.example';

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function listen(handler: (request: Request) => Promise<Response>, trustProxy = false): Promise<number> {
  const created = createServer(toNodeListener(handler, { trustProxy }));
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return (created.address() as AddressInfo).port;
}

interface RawResponse {
  status: number;
  headers: Map<string, string[]>;
  body: string;
}

/** Sends `head` (request line and header lines, no final blank line) and `body` as they are, over TCP. */
function send(port: number, head: string, body = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`${head}\r\nConnection: close\r\n\r\n${body}`),
    );
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => {
      const [top = '', body = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}

async function withClient(s: Setup) {
  const { challenge } = await pkce();
  const { client } = await s.passport.clients.create({
    name: 'App',
    redirectUris: ['https://app.example/cb'],
    confidential: false,
  });
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: 'https://app.example/cb',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 's',
  });
  return `/oauth/authorize?${query}`;
}

describe('toNodeListener and the Host header', () => {
  it('refuses a Host that carries a path instead of serving the path it names', async () => {
    const s = await setup({ issuer });
    const port = await listen(s.handler);
    const rewritten = await send(port, `GET /nonexistent HTTP/1.1\r\nHost: 127.0.0.1:${port}/oauth/jwks?`);
    expect(rewritten.status).toBe(400);
    expect(JSON.parse(rewritten.body)).toEqual({
      error: 'invalid_request',
      error_description: 'The Host header is not a valid host[:port]',
    });
    expect(rewritten.body).not.toContain('"keys"');
    // the same path with a plain Host is the 404 it always was
    expect((await send(port, `GET /nonexistent HTTP/1.1\r\nHost: 127.0.0.1:${port}`)).status).toBe(404);
  });

  it('answers 400 for every malformed Host, a missing one in HTTP/1.1, and two of them', async () => {
    const s = await setup({ issuer });
    const port = await listen(s.handler);
    const hosts = [
      'as.example#x',
      'as.example?x',
      'user@as.example',
      'as.example:',
      'as.example:99999',
      'as.example:8o',
      '[::1',
      '[]',
      ':443',
      'as example',
      `${'a'.repeat(300)}.example`,
    ];
    for (const host of hosts) {
      expect((await send(port, `GET /oauth/jwks HTTP/1.1\r\nHost: ${host}`)).status, host).toBe(400);
    }
    expect((await send(port, 'GET /oauth/jwks HTTP/1.1\r\nX-Other: 1')).status).toBe(400);
    const two = await send(port, 'GET /oauth/jwks HTTP/1.1\r\nHost: as.example\r\nHost: evil.example');
    expect(two.status).toBe(400);
    expect(JSON.parse(two.body).error_description).toBe('The request has more than one Host header');
    for (const host of ['as.example', 'as.example:8443', '127.0.0.1:80', '[::1]:8080', 'my_host']) {
      expect((await send(port, `GET /oauth/jwks HTTP/1.1\r\nHost: ${host}`)).status, host).toBe(200);
    }
    // HTTP/1.0 may omit Host; an absolute-form target names its own authority (RFC 9112 3.2.2)
    expect((await send(port, 'GET /oauth/jwks HTTP/1.0')).status).toBe(200);
    expect((await send(port, 'GET http://as.example/oauth/jwks HTTP/1.1\r\nHost: x')).status).toBe(200);
    expect((await send(port, 'GET http://as.example/nope HTTP/1.1\r\nHost: x')).status).toBe(404);
  });

  it('sends guests to the login page on the configured origin, whatever the Host says', async () => {
    const s = await setup({ issuer });
    const path = await withClient(s);
    const port = await listen(s.handler);
    const answer = await send(port, `GET ${path} HTTP/1.1\r\nHost: evil.example`);
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')?.[0] ?? '');
    expect(location.origin).toBe(issuer);
    expect(location.pathname).toBe('/login');
    const returnTo = new URL(location.searchParams.get('return_to') ?? '');
    expect(returnTo.origin).toBe(issuer);
    expect(`${returnTo.pathname}${returnTo.search}`).toBe(path);
    expect(answer.headers.get('location')?.[0]).not.toContain('evil');
  });

  it('builds the metadata from the configured origin, whatever the Host says', async () => {
    const s = await setup({ issuer });
    const port = await listen(s.handler);
    const answer = await send(
      port,
      'GET /.well-known/oauth-authorization-server HTTP/1.1\r\nHost: evil.example',
    );
    expect(answer.status).toBe(200);
    const metadata = JSON.parse(answer.body) as Record<string, string>;
    expect(metadata.token_endpoint).toBe(`${issuer}/oauth/token`);
    expect(answer.body).not.toContain('evil');
  });

  it('keeps trustProxy to X-Forwarded-*: it sets request.url, checked like Host', async () => {
    const port = await listen(async (request) => new Response(request.url), true);
    const forwarded = await send(
      port,
      'GET /x?y HTTP/1.1\r\nHost: internal:8080\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: as.example, other',
    );
    expect(forwarded.body).toBe('https://as.example/x?y');
    expect(
      (await send(port, 'GET /x HTTP/1.1\r\nHost: internal\r\nX-Forwarded-Host: as.example/oauth/jwks?'))
        .status,
    ).toBe(400);
    expect(
      (await send(port, 'GET /x HTTP/1.1\r\nHost: internal\r\nX-Forwarded-Proto: javascript')).status,
    ).toBe(400);
  });

  it('ignores X-Forwarded-* without trustProxy', async () => {
    const port = await listen(async (request) => new Response(request.url));
    const answer = await send(
      port,
      'GET /x HTTP/1.1\r\nHost: as.example\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example',
    );
    expect(answer.body).toBe('http://as.example/x');
  });
});

describe('cookies and the configured public URL', () => {
  it('sets Secure on the approval cookie when the issuer is https, even over plain http behind a proxy', async () => {
    const s = await setup({ issuer });
    const path = await withClient(s);
    const port = await listen(s.handler);
    const answer = await send(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-User: alice`);
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get('set-cookie')?.find((c) => c.startsWith('passport_csrf='));
    expect(cookie).toMatch(/; Secure(;|$)/);
  });

  it('leaves Secure off when the issuer is plain http (a development server)', async () => {
    const s = await setup({ issuer: 'http://127.0.0.1:8000' });
    const path = await withClient(s);
    const answer = await s.handler(
      new Request(`https://127.0.0.1:8000${path}`, { headers: { 'x-test-user': 'alice' } }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.getSetCookie().join('\n')).not.toContain('Secure');
  });

  it('sets Secure on the XSRF-TOKEN cookie of the JSON API when the public URL is https', async () => {
    const s = await setup({ issuer });
    const answer = await s.handler(
      new Request('http://127.0.0.1/oauth/scopes', { headers: { 'x-test-user': 'alice' } }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.getSetCookie().find((c) => c.startsWith('XSRF-TOKEN='))).toMatch(/; Secure/);
  });
});

describe('same-origin checks use the configured origin', () => {
  it('refuses a state-changing call whose Origin only matches the Host (DNS rebinding)', async () => {
    const s = await setup({ issuer });
    const port = await listen(s.handler);
    const body = JSON.stringify({ name: 'App', redirect: 'https://app.example/cb' });
    const post = (host: string, origin: string) =>
      send(
        port,
        `POST /oauth/clients HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${origin}\r\nX-Test-User: alice\r\nContent-Type: application/json\r\nContent-Length: ${body.length}`,
        body,
      );
    const rebound = await post('evil.example', 'http://evil.example');
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toBe('csrf_mismatch');
    expect(await s.passport.clients.listByOwner('alice')).toEqual([]);
    const same = await post('evil.example', issuer);
    expect(same.status).toBe(201);
  });
});
