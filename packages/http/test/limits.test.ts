/// <reference types="node" />
/**
 * Limits that keep the worst request of each endpoint close to its normal cost (the worst-case
 * bench scenario measures them): too many form or query parameters, a parameter that decodes past
 * the longest allowed, JSON nested too deep or with too many members, and too many header lines
 * are refused before anything expensive runs.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/adapter/node/index.js';
import { basic, form, origin, setup } from './helpers.js';

async function backend() {
  const s = await setup();
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'Backend',
    grantTypes: ['client_credentials'],
  });
  return { s, authorization: basic(client.id, plainSecret as string) };
}

async function errorOf(response: Response): Promise<{ status: number; error: string; description: string }> {
  const body = (await response.json()) as { error: string; error_description: string };
  return { status: response.status, error: body.error, description: body.error_description };
}

describe('form and query limits', () => {
  it('refuses a form of more than 64 parameters unparsed, and serves 64', async () => {
    const { s, authorization } = await backend();
    const extra = (n: number) => Array.from({ length: n }, (_, i) => `x${i}=1`).join('&');
    const over = await s.handler(
      form('/oauth/token', `grant_type=client_credentials&${extra(64)}`, { authorization }),
    );
    expect(await errorOf(over)).toEqual({
      status: 400,
      error: 'invalid_request',
      description: 'The request must not have more than 64 parameters',
    });
    const fits = await s.handler(
      form('/oauth/token', `grant_type=client_credentials&${extra(63)}`, { authorization }),
    );
    expect(fits.status).toBe(200);
  });

  it('refuses a parameter that decodes past 8,192 characters, counting escapes as one', async () => {
    const { s, authorization } = await backend();
    const blanks = await s.handler(
      form('/oauth/token', `grant_type=client_credentials&x=${'+'.repeat(20_000)}`, { authorization }),
    );
    expect(await errorOf(blanks)).toMatchObject({ status: 400, error: 'invalid_request' });
    // 8,000 escapes are 24,000 characters but decode to 8,000: within the limit
    const escaped = await s.handler(
      form('/oauth/token', `grant_type=client_credentials&x=${'%41'.repeat(8000)}`, { authorization }),
    );
    expect(escaped.status).toBe(200);
  });

  it('answers an authorization request of more than 64 query parameters 400, without redirecting', async () => {
    const s = await setup();
    const query = Array.from({ length: 70 }, (_, i) => `q${i}=1`).join('&');
    const response = await s.handler(
      new Request(`${origin}/oauth/authorize?response_type=code&${query}`, {
        headers: { accept: 'application/json' },
      }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });
});

describe('JSON limits of the JSON API', () => {
  const post = (s: Awaited<ReturnType<typeof setup>>, body: string) =>
    s.handler(
      new Request(`${origin}/oauth/clients`, {
        method: 'POST',
        headers: { 'x-test-user': 'alice', origin, 'content-type': 'application/json' },
        body,
      }),
    );

  it('refuses JSON nested deeper than 16 levels, and takes 16', async () => {
    const s = await setup();
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const deep = await post(s, `{"name":"App","redirect":"https://a.example/cb","x":${nest(16)}}`);
    expect(await errorOf(deep)).toEqual({
      status: 400,
      error: 'invalid_request',
      description: 'The request body is nested too deeply',
    });
    expect(await s.passport.clients.listByOwner('alice')).toEqual([]);
    const fits = await post(s, `{"name":"App","redirect":"https://a.example/cb","x":${nest(15)}}`);
    expect(fits.status).toBe(201);
    // brackets inside strings are text, not nesting
    const text = await post(s, JSON.stringify({ name: '['.repeat(100), redirect: 'https://a.example/cb' }));
    expect(text.status).toBe(201);
  });

  it('refuses JSON of more than 512 members', async () => {
    const s = await setup();
    const keys = Array.from({ length: 600 }, (_, i) => `"k${i}":1`).join(',');
    const response = await post(s, `{"name":"App","redirect":"https://a.example/cb",${keys}}`);
    expect(await errorOf(response)).toMatchObject({ status: 400, error: 'invalid_request' });
  });
});

describe('cookies', () => {
  it('finds the CSRF cookie among a thousand others, first occurrence winning', async () => {
    const s = await setup();
    const others = Array.from({ length: 1000 }, (_, i) => `c${i}=v${i}`).join('; ');
    const call = (cookie: string, header: string) =>
      s.handler(
        new Request(`${origin}/oauth/clients`, {
          method: 'POST',
          headers: {
            'x-test-user': 'alice',
            'content-type': 'application/json',
            'x-xsrf-token': header,
            cookie,
          },
          body: JSON.stringify({ name: 'App', redirect: 'https://a.example/cb' }),
        }),
      );
    expect((await call(`${others}; XSRF-TOKEN=abc%2Bdef`, 'abc+def')).status).toBe(201);
    expect((await call(`${others};XSRF-TOKEN = "quoted"`, 'quoted')).status).toBe(201);
    expect((await call(`XSRF-TOKEN=first; ${others}; XSRF-TOKEN=second`, 'second')).status).toBe(403);
    expect((await call(`NOT-XSRF-TOKEN=abc; ${others}`, 'abc')).status).toBe(403);
  });
});

describe('toNodeListener: header lines', () => {
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = null;
  });

  function send(port: number, lines: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const headers = Array.from({ length: lines - 2 }, (_, i) => `X-H${i}: v\r\n`).join('');
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(`GET /oauth/jwks HTTP/1.1\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`),
      );
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''));
    });
  }

  it('answers 431 past 100 header lines without calling the handler, and serves 100', async () => {
    let calls = 0;
    const s = await setup();
    server = createServer(
      toNodeListener((request) => {
        calls++;
        return s.handler(request);
      }),
    );
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    expect(await send(port, 101)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(calls).toBe(0);
    expect(await send(port, 100)).toBe('HTTP/1.1 200 OK');
    expect(calls).toBe(1);
  });

  it('keeps the connection after a 431 without a body, and closes it after one with a body', async () => {
    const s = await setup();
    server = createServer(toNodeListener(s.handler));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const many = Array.from({ length: 120 }, (_, i) => `X-H${i}: v\r\n`).join('');
    // Two requests on one connection: the 431 leaves it open, so the second is answered too.
    const pipelined = await exchange(
      port,
      `GET /oauth/jwks HTTP/1.1\r\nHost: localhost\r\n${many}\r\n` +
        'GET /oauth/jwks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(statusLines(pipelined)).toEqual([
      'HTTP/1.1 431 Request Header Fields Too Large',
      'HTTP/1.1 200 OK',
    ]);
    // With a body the server answers and closes: the request after it is never read.
    const withBody = await exchange(
      port,
      `POST /oauth/token HTTP/1.1\r\nHost: localhost\r\n${many}Content-Length: 5\r\n\r\nhello` +
        'GET /oauth/jwks HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );
    expect(statusLines(withBody)).toEqual(['HTTP/1.1 431 Request Header Fields Too Large']);
    expect(withBody).toMatch(/\r\nconnection: close\r\n/i);
  });

  /** Writes `raw` on a fresh connection and resolves with everything read until the server ends. */
  function exchange(port: number, raw: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(raw));
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('end', () => resolve(text));
    });
  }

  function statusLines(text: string): string[] {
    // A status line follows a CRLF or, after a body, directly the body's last byte.
    return [...text.matchAll(/HTTP\/1\.1 \d{3} [A-Za-z ]+/g)].map((match) => match[0]);
  }
});
