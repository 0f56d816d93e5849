/// <reference types="node" />
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { toNodeListener } from '../src/node.js';
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
