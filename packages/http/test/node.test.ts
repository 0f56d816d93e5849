/// <reference types="node" />
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authenticateNode, toNodeListener } from '../src/adapter/node/index.js';
import { createGuard } from '../src/guards.js';
import { registerDispatcher } from '../src/internal/dispatch.js';
import { type Incoming, incomingFromFetch } from '../src/internal/incoming.js';
import { basic, setup } from './helpers.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

async function listen(
  handler: (request: Request) => Promise<Response>,
  maxBodyBytes?: number,
): Promise<string> {
  const created = createServer(toNodeListener(handler, maxBodyBytes === undefined ? {} : { maxBodyBytes }));
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

/**
 * Serves a Passport-style dispatcher (what `createPassportHandler` registers) through
 * `toNodeListener`, so the test sees the adapter's own request view.
 */
async function listenIncoming(dispatch: (incoming: Incoming) => Promise<Response>): Promise<string> {
  const handler = async (request: Request) => dispatch(incomingFromFetch(request));
  registerDispatcher(handler, dispatch);
  return listen(handler);
}

/** A raw request with a chunked body written in `chunks` pieces (no Content-Length). */
function chunked(
  url: string,
  chunks: number,
  size: number,
): Promise<{ status: number; body: string; written: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let headers: IncomingHttpHeaders = {};
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
      },
      (res) => {
        headers = res.headers;
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, written, headers }));
      },
    );
    req.on('error', (error) =>
      written > 0 ? resolve({ status: 0, body: '', written, headers }) : reject(error),
    );
    const write = (i: number): void => {
      if (i >= chunks || req.destroyed) {
        req.end();
        return;
      }
      written += size;
      req.write('a'.repeat(size), () => setImmediate(() => write(i + 1)));
    };
    write(0);
  });
}

describe('@passport/http/node', () => {
  it('serves the handler: form body in, JSON and headers out', async () => {
    const s = await setup();
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'M',
      grantTypes: ['client_credentials'],
    });
    const base = await listen(s.handler);
    const response = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(client.id, plainSecret as string),
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(((await response.json()) as { token_type: string }).token_type).toBe('Bearer');
  });

  it('writes several Set-Cookie headers separately', async () => {
    const base = await listen(async () => {
      const headers = new Headers();
      headers.append('set-cookie', 'a=1; Path=/');
      headers.append('set-cookie', 'b=2; Path=/');
      return new Response('ok', { headers });
    });
    const response = await fetch(base);
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('answers 413 at once for a Content-Length over the limit', async () => {
    let called = false;
    const base = await listen(async () => {
      called = true;
      return new Response('ok');
    }, 1024);
    const response = await fetch(base, { method: 'POST', body: 'a'.repeat(2048) });
    expect(response.status).toBe(413);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    expect(called).toBe(false);
  });

  it('answers 413 when a chunked body grows past the limit while streaming', async () => {
    const s = await setup();
    const base = await listen(s.handler, 4096);
    const result = await chunked(`${base}/oauth/token`, 64, 1024);
    expect(result.status).toBe(413);
    expect(result.written).toBeLessThan(64 * 1024);
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.headers.pragma).toBe('no-cache');
    expect(JSON.parse(result.body).error).toBe('invalid_request');
  });

  it('answers 413 for a chunked body past the default 64 KiB limit through the real handler', async () => {
    const s = await setup();
    const base = await listen(s.handler);
    const result = await chunked(`${base}/oauth/token`, 100, 1024);
    expect(result.status).toBe(413);
    expect(result.written).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(result.body).error).toBe('invalid_request');
  });

  it('passes a chunked body under the limit through to the handler', async () => {
    const base = await listen(async (request) => new Response(String((await request.text()).length)), 8192);
    const result = await chunked(base, 4, 1024);
    expect(result.status).toBe(200);
    expect(result.body).toBe('4096');
  });

  it('answers 400 for a Host header that makes no URL', async () => {
    const base = await listen(async () => new Response('ok'));
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/`, { headers: { host: 'bad host' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('answers 500 without details when the handler throws', async () => {
    const errors: unknown[] = [];
    server = createServer(
      toNodeListener(
        async () => {
          throw new Error('secret detail');
        },
        { onError: (e) => errors.push(e) },
      ),
    );
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(response.status).toBe(500);
    expect(response.headers.get('pragma')).toBe('no-cache');
    const text = await response.text();
    expect(JSON.parse(text).error).toBe('server_error');
    expect(text).not.toContain('secret detail');
    expect(text).not.toMatch(/\bat .*:\d+/);
    expect(errors).toHaveLength(1);
  });
});

/** One raw request; resolves with the status, headers and body text. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string; headers: IncomingHttpHeaders; rawHeaders: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: res.headers,
            rawHeaders: res.rawHeaders,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('@passport/http/node: the request the handler gets', () => {
  it('is a Request with the method, URL and headers of the node request', async () => {
    let seen: Request | null = null;
    const base = await listen(async (request) => {
      seen = request;
      const headers = request.headers;
      return Response.json({
        isRequest: request instanceof Request,
        tag: Object.prototype.toString.call(request),
        method: request.method,
        url: request.url,
        accept: request.headers.get('accept'),
        custom: request.headers.get('x-custom'),
        sameHeaders: headers === request.headers,
      });
    });
    const port = new URL(base).port;
    const result = await raw(`${base}/a/b/../c?x=1%20y`, {
      method: 'PUT',
      headers: { accept: 'text/plain', 'x-custom': 'v1' },
      body: 'payload',
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({
      isRequest: true,
      tag: '[object Request]',
      method: 'PUT',
      url: `http://127.0.0.1:${port}/a/c?x=1%20y`,
      accept: 'text/plain',
      custom: 'v1',
      sameHeaders: true,
    });
    expect(seen).toBeInstanceOf(Request);
  });

  it("answers Passport's header and path lookups as Headers.get and URL would", async () => {
    const names = ['x-multi', 'x-spaced', 'content-type', 'authorization', 'x-absent'];
    let fast: unknown[] = [];
    let slow: unknown[] = [];
    const base = await listenIncoming(async (incoming) => {
      fast = [incoming.pathname, ...names.map((name) => incoming.header(name))];
      const { request } = incoming;
      slow = [new URL(request.url).pathname, ...names.map((name) => request.headers.get(name))];
      return new Response('ok');
    });
    const result = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/a%20b/c?d=1`, { method: 'POST' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      for (const [name, value] of [
        ['X-Multi', 'one'],
        ['x-MULTI', ' two '],
        ['X-Spaced', 'value\t'],
        ['Content-Type', 'application/x-www-form-urlencoded'],
        ['Authorization', 'Basic abc'],
      ] as const) {
        const previous = req.getHeader(name);
        req.setHeader(name, previous === undefined ? value : [String(previous), value]);
      }
      req.end('a=1');
    });
    expect(result).toBe(200);
    expect(fast).toEqual(slow);
    expect(fast).toEqual([
      '/a%20b/c',
      'one, two',
      'value',
      'application/x-www-form-urlencoded',
      'Basic abc',
      null,
    ]);
  });

  it('reads text() once, then the body is used', async () => {
    const base = await listen(async (request) => {
      const before = request.bodyUsed;
      const text = await request.text();
      const second = await request.text().then(
        () => 'read again',
        (error: unknown) => (error instanceof TypeError ? 'TypeError' : 'other'),
      );
      return Response.json({ before, text, after: request.bodyUsed, second });
    });
    const result = await raw(base, { method: 'POST', body: 'héllo wörld' });
    expect(JSON.parse(result.body)).toEqual({
      before: false,
      text: 'héllo wörld',
      after: true,
      second: 'TypeError',
    });
  });

  it('serves json() and arrayBuffer() from the buffered body', async () => {
    const base = await listen(async (request) => {
      if (request.url.endsWith('/json')) return Response.json({ parsed: await request.json() });
      const buffer = await request.arrayBuffer();
      return Response.json({
        isArrayBuffer: buffer instanceof ArrayBuffer,
        bytes: [...new Uint8Array(buffer)],
      });
    });
    const asJson = await raw(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":[1,2]}',
    });
    expect(JSON.parse(asJson.body)).toEqual({ parsed: { a: [1, 2] } });
    const asBuffer = await raw(`${base}/buffer`, { method: 'POST', body: Buffer.from([0, 1, 254, 255]) });
    expect(JSON.parse(asBuffer.body)).toEqual({ isArrayBuffer: true, bytes: [0, 1, 254, 255] });
  });

  it('rejects json() of a malformed body with a SyntaxError, as Request does', async () => {
    const base = await listen(async (request) =>
      request.json().then(
        () => new Response('parsed'),
        (error: unknown) => new Response(error instanceof SyntaxError ? 'SyntaxError' : 'other'),
      ),
    );
    expect((await raw(base, { method: 'POST', body: '{nope' })).body).toBe('SyntaxError');
  });

  it('gives GET no body: body null, text() empty every time, never used', async () => {
    const base = await listen(async (request) =>
      Response.json({
        body: request.body,
        first: await request.text(),
        second: await request.text(),
        used: request.bodyUsed,
      }),
    );
    expect(JSON.parse((await raw(base, {})).body)).toEqual({
      body: null,
      first: '',
      second: '',
      used: false,
    });
  });

  it('supports formData() for urlencoded and multipart bodies', async () => {
    const base = await listen(async (request) => {
      const form = await request.formData();
      return Response.json({ a: form.getAll('a'), b: form.get('b'), used: request.bodyUsed });
    });
    const urlencoded = await raw(base, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&a=2&b=x%20y',
    });
    expect(JSON.parse(urlencoded.body)).toEqual({ a: ['1', '2'], b: 'x y', used: true });
    const boundary = 'XyZ123';
    const multipart = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="a"',
      '',
      'one',
      `--${boundary}`,
      'Content-Disposition: form-data; name="b"',
      '',
      'two',
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const result = await raw(base, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart,
    });
    expect(JSON.parse(result.body)).toEqual({ a: ['one'], b: 'two', used: true });
  });

  it('supports clone(), the body stream and new Request(request)', async () => {
    const base = await listen(async (request) => {
      const copy = request.clone();
      const copied = new Request(request.clone(), { headers: { 'x-extra': '1' } });
      const reader = (request.body as ReadableStream<Uint8Array>).getReader();
      const parts: Uint8Array[] = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      return Response.json({
        cloneIsRequest: copy instanceof Request,
        cloneUrl: copy.url === request.url,
        cloneMethod: copy.method,
        cloneText: await copy.text(),
        streamed: Buffer.concat(parts).toString(),
        used: request.bodyUsed,
        copiedText: await copied.text(),
        copiedHeader: copied.headers.get('x-extra'),
        copiedUrl: copied.url === request.url,
      });
    });
    const result = await raw(`${base}/x`, { method: 'PATCH', body: 'abc' });
    expect(JSON.parse(result.body)).toEqual({
      cloneIsRequest: true,
      cloneUrl: true,
      cloneMethod: 'PATCH',
      cloneText: 'abc',
      streamed: 'abc',
      used: true,
      copiedText: 'abc',
      copiedHeader: '1',
      copiedUrl: true,
    });
  });

  it('keeps a body read through text() used once the real Request is built', async () => {
    const base = await listen(async (request) => {
      await request.text();
      return Response.json({
        used: request.bodyUsed,
        cache: request.cache,
        clone: (() => {
          try {
            request.clone();
            return 'cloned';
          } catch (error) {
            return error instanceof TypeError ? 'TypeError' : 'other';
          }
        })(),
      });
    });
    expect(JSON.parse((await raw(base, { method: 'POST', body: 'x' })).body)).toEqual({
      used: true,
      cache: 'default',
      clone: 'TypeError',
    });
  });

  it('gives a signal that aborts when the client goes away', async () => {
    let aborted: Promise<boolean> = Promise.resolve(false);
    let started: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      started = resolve;
    });
    const base = await listen(async (request) => {
      const signal = request.signal;
      aborted = new Promise<boolean>((resolve) => {
        signal.addEventListener('abort', () => resolve(true));
        setTimeout(() => resolve(false), 2000);
      });
      const initially = signal.aborted;
      started();
      await aborted;
      return new Response(String(initially));
    });
    const req = httpRequest(base, { method: 'POST' });
    req.on('error', () => {});
    req.end('body');
    await ready;
    req.destroy();
    expect(await aborted).toBe(true);
  });

  it('enforces a smaller limit of readBodyText on the buffered body, and UTF-8', async () => {
    const { readBodyText, PayloadTooLargeError } = await import('../src/internal/body.js');
    const base = await listenIncoming(async (incoming) =>
      readBodyText(incoming, 8).then(
        (text) => new Response(`ok:${text}`),
        (error: unknown) =>
          new Response(
            error instanceof PayloadTooLargeError
              ? 'too large'
              : String((error as { toJSON(): { error: string } }).toJSON().error),
          ),
      ),
    );
    expect((await raw(base, { method: 'POST', body: 'a=1' })).body).toBe('ok:a=1');
    expect((await raw(base, { method: 'POST', body: 'a'.repeat(9) })).body).toBe('too large');
    expect((await raw(base, { method: 'POST', body: Buffer.from([0x61, 0xff]) })).body).toBe(
      'invalid_request',
    );
    expect((await raw(base, {})).body).toBe('ok:');
  });

  it('answers 400 for TRACE and for a Host with credentials, without calling the handler', async () => {
    let called = false;
    const base = await listen(async () => {
      called = true;
      return new Response('ok');
    });
    expect((await raw(base, { method: 'TRACE' })).status).toBe(400);
    expect((await raw(base, { headers: { host: 'user:pw@example.com' } })).status).toBe(400);
    expect(called).toBe(false);
  });
});

describe('@passport/http/node: writing the response', () => {
  it("serves Passport's handler directly exactly as through a host wrapper (status, headers, body)", async () => {
    const s = await setup();
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'M',
      grantTypes: ['client_credentials'],
    });
    const direct = await listen(s.handler);
    const wrapperServer = createServer(toNodeListener((request: Request) => s.handler(request)));
    await new Promise<void>((resolve) => wrapperServer.listen(0, '127.0.0.1', resolve));
    const wrapped = `http://127.0.0.1:${(wrapperServer.address() as AddressInfo).port}`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const cases: { path: string; method?: string; headers?: Record<string, string>; body?: string }[] = [
      {
        path: '/oauth/token',
        method: 'POST',
        headers: { ...form, authorization: basic(client.id, 'wrong') },
        body: 'grant_type=client_credentials',
      },
      { path: '/oauth/token', method: 'POST', headers: form, body: 'grant_type=password&grant_type=x' },
      { path: '/oauth/token', method: 'PUT' },
      { path: '/oauth/nope' },
      { path: '/.well-known/oauth-authorization-server' },
      { path: '/oauth/jwks' },
      { path: '/oauth/authorize?client_id=x&response_type=code', headers: { accept: 'application/json' } },
      {
        path: '/oauth/revoke',
        method: 'POST',
        headers: { ...form, authorization: basic(client.id, plainSecret as string) },
        body: 'token=unknown',
      },
      { path: '/oauth/clients', headers: { 'x-test-user': 'u1' } },
    ];
    const stable = (headers: IncomingHttpHeaders) => {
      const { date: _date, connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
      return rest;
    };
    try {
      for (const c of cases) {
        const options = {
          method: c.method ?? 'GET',
          headers: c.headers ?? {},
          ...(c.body ? { body: c.body } : {}),
        };
        const a = await raw(`${direct}${c.path}`, options);
        const b = await raw(`${wrapped}${c.path}`, options);
        expect(a.status, c.path).toBe(b.status);
        expect(stable(a.headers), c.path).toEqual(stable(b.headers));
        expect(a.body, c.path).toBe(b.body);
      }
      // Spot checks that the direct path wrote what the endpoints promise.
      const failed = await raw(`${direct}/oauth/token`, {
        method: 'POST',
        headers: { ...form, authorization: basic(client.id, 'wrong') },
        body: 'grant_type=client_credentials',
      });
      expect(failed.status).toBe(401);
      expect(failed.headers['www-authenticate']).toBe('Basic realm="oauth", charset="UTF-8"');
      expect(failed.headers['cache-control']).toBe('no-store');
      expect(failed.headers['content-length']).toBe(String(Buffer.byteLength(failed.body)));
      expect(JSON.parse(failed.body)).toMatchObject({ error: 'invalid_client' });
      const notAllowed = await raw(`${direct}/oauth/token`, { method: 'PUT' });
      expect([notAllowed.status, notAllowed.headers.allow]).toEqual([405, 'POST']);
      const issued = await raw(`${direct}/oauth/token`, {
        method: 'POST',
        headers: { ...form, authorization: basic(client.id, plainSecret as string) },
        body: 'grant_type=client_credentials',
      });
      expect(issued.status).toBe(200);
      expect(issued.headers.pragma).toBe('no-cache');
      expect(JSON.parse(issued.body)).toMatchObject({ token_type: 'Bearer', expires_in: expect.any(Number) });
    } finally {
      await new Promise<void>((resolve) => wrapperServer.close(() => resolve()));
    }
  });

  it('streams a host Response body written in several chunks', async () => {
    const base = await listen(async () => {
      const encoder = new TextEncoder();
      let i = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          if (i === 3) {
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(`part${i++};`));
        },
      });
      return new Response(body, { status: 201, headers: { 'content-type': 'text/plain' } });
    });
    const result = await raw(base, {});
    expect(result.status).toBe(201);
    expect(result.headers['content-type']).toBe('text/plain');
    expect(result.body).toBe('part0;part1;part2;');
  });

  it('writes a complete host body in one go with its length, and streams one still arriving', async () => {
    let release = (): void => undefined;
    const later = new Promise<void>((resolve) => {
      release = resolve;
    });
    const base = await listen(async (request) => {
      if (new URL(request.url).pathname === '/json') return Response.json({ ok: 'é' }, { status: 201 });
      const encoder = new TextEncoder();
      let sent = 0;
      return new Response(
        new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (sent === 1) await later; // the second event only comes after the client saw the first
            if (sent === 2) {
              controller.close();
              return;
            }
            controller.enqueue(encoder.encode(`event${sent++}\n`));
          },
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    });
    const complete = await raw(`${base}/json`, {});
    expect(complete.status).toBe(201);
    expect(complete.headers['content-length']).toBe(String(Buffer.byteLength('{"ok":"é"}')));
    expect(complete.headers['transfer-encoding']).toBeUndefined();
    expect(complete.body).toBe('{"ok":"é"}');

    const seen = await new Promise<{ first: string; all: string; chunked: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(`${base}/events`, (res) => {
          let all = '';
          let first = '';
          res.on('data', (d: Buffer) => {
            all += d.toString();
            if (first === '') {
              first = all;
              release(); // only now let the stream go on
            }
          });
          res.on('end', () => resolve({ first, all, chunked: res.headers['transfer-encoding'] }));
        });
        req.on('error', reject);
        req.end();
      },
    );
    expect(seen.first).toBe('event0\n');
    expect(seen.all).toBe('event0\nevent1\n');
    expect(seen.chunked).toBe('chunked');
  });

  it("writes Passport's own responses with their length, status and headers", async () => {
    const { json, redirect, noContent, html, toResponse } = await import('../src/internal/responses.js');
    const cookies = new Headers();
    cookies.append('set-cookie', 'a=1; Path=/');
    cookies.append('set-cookie', 'b=2; Path=/');
    const base = await listen(async (request) => {
      const path = new URL(request.url).pathname;
      if (path === '/json') return toResponse(json({ ok: 'é' }, 201, cookies));
      if (path === '/redirect') return toResponse(redirect('https://example.com/next'));
      if (path === '/html') return toResponse(html('<p>hi</p>'));
      return toResponse(noContent());
    });
    const j = await raw(`${base}/json`, {});
    expect(j.status).toBe(201);
    expect(j.body).toBe('{"ok":"é"}');
    expect(j.headers['content-length']).toBe(String(Buffer.byteLength('{"ok":"é"}')));
    expect(j.headers['cache-control']).toBe('no-store');
    expect(j.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const r = await raw(`${base}/redirect`, {});
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('https://example.com/next');
    expect(r.body).toBe('');
    const h = await raw(`${base}/html`, {});
    expect(h.headers['x-frame-options']).toBe('DENY');
    expect(h.body).toBe('<p>hi</p>');
    const n = await raw(`${base}/none`, {});
    expect(n.status).toBe(204);
    expect(n.headers['content-length']).toBeUndefined();
    expect(n.headers['transfer-encoding']).toBeUndefined();
  });

  it('writes headers a host changed on one of our responses after it was made', async () => {
    const { json, toResponse } = await import('../src/internal/responses.js');
    const base = await listen(async () => {
      const response = toResponse(json({ ok: true }));
      response.headers.set('x-later', 'yes');
      return response;
    });
    const result = await raw(base, {});
    expect(result.headers['x-later']).toBe('yes');
    expect(JSON.parse(result.body)).toEqual({ ok: true });
  });
});

describe('@passport/http/node: authenticateNode', () => {
  it('answers like the require* wrappers, and hands the authentication to a host writing through res', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'M',
      grantTypes: ['client_credentials'],
    });
    const token = async (scope: string) =>
      (
        await s.passport.handleTokenRequest({
          params: new URLSearchParams({ grant_type: 'client_credentials', scope }),
          authorization: basic(client.id, plainSecret as string),
        })
      ).access_token;
    const created = createServer(async (req, res) => {
      const auth = await authenticateNode(guard, req, res, { scopes: ['orders:read'], accept: 'client' });
      if (auth === null) return;
      let body = '';
      for await (const chunk of req) body += String(chunk); // the body is left for the host
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ client: auth.client.id, scopes: auth.scopes, via: auth.via, body }));
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(created.address() as AddressInfo).port}`;

    const ok = await raw(`${base}/api/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token('orders:read')}` },
      body: 'hello',
    });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({
      client: client.id,
      scopes: ['orders:read'],
      via: 'bearer',
      body: 'hello',
    });

    const missing = await raw(`${base}/api/orders`, {});
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    expect(missing.headers['www-authenticate']).not.toContain('error=');

    const invalid = await raw(`${base}/api/orders`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(invalid.status).toBe(401);
    expect(invalid.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(JSON.parse(invalid.body)).toMatchObject({ error: 'invalid_token' });

    const narrow = await raw(`${base}/api/orders`, {
      headers: { authorization: `Bearer ${await token('orders:write')}` },
    });
    expect(narrow.status).toBe(403);
    expect(narrow.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(narrow.headers['www-authenticate']).toContain('scope="orders:read"');

    // the same decisions as the Fetch wrapper
    const wrapped = guard.requireClient(() => new Response('ok'), ['orders:read']);
    for (const authorization of [undefined, 'Bearer not.a.token', `Bearer ${await token('orders:write')}`]) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
      const viaFetch = await wrapped(new Request('http://localhost/api/orders', { headers }));
      const viaNode = await raw(`${base}/api/orders`, { headers });
      expect(viaNode.status).toBe(viaFetch.status);
      expect(viaNode.headers['www-authenticate']).toBe(viaFetch.headers.get('www-authenticate'));
      expect(viaNode.body).toBe(await viaFetch.text());
    }
  });

  it("accepts users' tokens by default and refuses a client-credentials token, as requireToken does", async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'M',
      grantTypes: ['client_credentials'],
    });
    const machine = (
      await s.passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: 'client_credentials' }),
        authorization: basic(client.id, plainSecret as string),
      })
    ).access_token;
    const alice = (await s.passport.createPersonalAccessToken({ id: 'alice', name: 'Alice' }, 'cli', []))
      .accessToken;
    const created = createServer(async (req, res) => {
      const mixed = req.url === '/any';
      const auth = mixed
        ? await authenticateNode(guard, req, res, { accept: 'any' })
        : await authenticateNode(guard, req, res);
      if (auth === null) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user: auth.user?.id ?? null, client: auth.client?.id ?? null }));
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
    const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

    const user = await raw(`${base}/me`, as(alice));
    expect(user.status).toBe(200);
    expect(JSON.parse(user.body)).toMatchObject({ user: 'alice' });
    const refused = await raw(`${base}/me`, as(machine));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="A user token is required: client-credentials tokens are not accepted"',
    );
    const viaFetch = await guard.requireToken(() => new Response('ok'))(
      new Request('http://localhost/me', as(machine)),
    );
    expect(refused.body).toBe(await viaFetch.text());
    const mixed = await raw(`${base}/any`, as(machine));
    expect(mixed.status).toBe(200);
    expect(JSON.parse(mixed.body)).toEqual({ user: null, client: client.id });
  });

  it('answers 503 while the store is down, and authenticates again once it is back', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'M',
      grantTypes: ['client_credentials'],
    });
    const { access_token } = await s.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials' }),
      authorization: basic(client.id, plainSecret as string),
    });
    s.clock.now += 10_000; // past the revocation cache: the guard must ask the store
    const created = createServer(async (req, res) => {
      const auth = await authenticateNode(guard, req, res, { accept: 'client' });
      if (auth === null) return;
      res.end('ok');
    });
    server = created;
    await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
    const headers = { authorization: `Bearer ${access_token}` };
    s.store.simulateOutage();
    const down = await raw(base, { headers });
    expect(down.status).toBe(503);
    expect(down.headers['retry-after']).toBe('5');
    expect(JSON.parse(down.body)).toMatchObject({ error: 'temporarily_unavailable' });
    s.store.endOutage();
    expect((await raw(base, { headers })).status).toBe(200);
  });
});
