import { describe, expect, it } from 'vitest';
import { basic, form, jwtPayload, origin, setup } from './helpers.js';

async function clientCredentialsClient(s: Awaited<ReturnType<typeof setup>>) {
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'Backend',
    grantTypes: ['client_credentials'],
  });
  return { client, secret: plainSecret as string };
}

describe('POST /oauth/token', () => {
  it('issues a client-credentials token with no-store headers and stores it', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const response = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'orders:read' },
        { authorization: basic(client.id, secret) },
      ),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.token_type).toBe('Bearer');
    expect(body.refresh_token).toBeUndefined();
    const claims = jwtPayload(body.access_token as string);
    const record = await s.store.findAccessToken(claims.jti as string);
    expect(record?.clientId).toBe(client.id);
    expect(record?.userId).toBeNull();
    expect(record?.scopes).toEqual(['orders:read']);
  });

  it('answers invalid_client 401 with WWW-Authenticate when the Authorization header was used', async () => {
    const s = await setup();
    const { client } = await clientCredentialsClient(s);
    const response = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(client.id, 'wrong') },
      ),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    for (const authorization of ['Basic !!!', `Basic ${btoa('no-colon')}`, 'Bearer abc']) {
      const other = await s.handler(
        form('/oauth/token', { grant_type: 'client_credentials' }, { authorization }),
      );
      expect(other.status, authorization).toBe(401);
      expect(other.headers.get('www-authenticate'), authorization).toMatch(/^Basic realm=/);
      expect(((await other.json()) as { error: string }).error).toBe('invalid_client');
    }
  });

  it('answers invalid_client without WWW-Authenticate when the secret came in the body', async () => {
    const s = await setup();
    const { client } = await clientCredentialsClient(s);
    const response = await s.handler(
      form('/oauth/token', {
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: 'wrong',
      }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBeNull();
  });

  it('rejects a repeated parameter with invalid_request (RFC 6749 3.1)', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const response = await s.handler(
      form('/oauth/token', 'grant_type=client_credentials&scope=orders:read&scope=orders:write', {
        authorization: basic(client.id, secret),
      }),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_request');
    expect(body.error_description).toContain('scope');
  });

  it('rejects a JSON body with invalid_request', async () => {
    const s = await setup();
    const response = await s.handler(
      new Request(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials' }),
      }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers unsupported_grant_type for an unknown grant', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const response = await s.handler(
      form('/oauth/token', { grant_type: 'magic' }, { authorization: basic(client.id, secret) }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('unsupported_grant_type');
  });

  it('answers 413 when Content-Length exceeds the limit', async () => {
    const s = await setup();
    const response = await s.handler(
      new Request(`${origin}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(64 * 1024 + 1),
        },
        body: 'grant_type=client_credentials',
      }),
    );
    expect(response.status).toBe(413);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers 413 when a streamed body without Content-Length grows past the limit', async () => {
    const s = await setup();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 200 * 1024) return controller.close();
        sent += 16 * 1024;
        controller.enqueue(new TextEncoder().encode('a'.repeat(16 * 1024)));
      },
    });
    const response = await s.handler(
      new Request(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect(response.status).toBe(413);
    expect(sent).toBeLessThan(200 * 1024);
  });

  it('respects a custom maxBodyBytes', async () => {
    const s = await setup({}, { maxBodyBytes: 10 });
    const response = await s.handler(form('/oauth/token', { grant_type: 'client_credentials' }));
    expect(response.status).toBe(413);
  });

  it('answers 503 temporarily_unavailable while the store is down, and succeeds after it returns', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const request = () =>
      form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, secret) });
    s.store.simulateOutage();
    const down = await s.handler(request());
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.headers.get('cache-control')).toBe('no-store');
    expect(((await down.json()) as { error: string }).error).toBe('temporarily_unavailable');
    s.store.endOutage();
    const up = await s.handler(request());
    expect(up.status).toBe(200);
  });

  it('answers 500 server_error without internals and reports the error to onError', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const boom = new Error('database password is hunter2');
    s.store.findClient = async () => {
      throw boom;
    };
    const response = await s.handler(
      form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, secret) }),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(JSON.parse(text).error).toBe('server_error');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('at ');
    expect(s.errors).toContain(boom);
  });
});

describe('routing', () => {
  it('answers 404 JSON for an unknown path', async () => {
    const s = await setup();
    for (const path of ['/oauth/nope', '/elsewhere', '/oauth/clients/a/b']) {
      const response = await s.handler(new Request(`${origin}${path}`));
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    }
  });

  it('answers 405 JSON with Allow for a wrong method', async () => {
    const s = await setup();
    const response = await s.handler(new Request(`${origin}/oauth/token`));
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(((await response.json()) as { error: string }).error).toBe('method_not_allowed');
    const authorize = await s.handler(new Request(`${origin}/oauth/authorize`, { method: 'PUT' }));
    expect(authorize.headers.get('allow')).toBe('GET, POST, DELETE');
  });

  it('maps a store outage on any endpoint to 503, and a throwing host hook to 500 via onError', async () => {
    const s = await setup();
    s.store.simulateOutage();
    const api = await s.handler(
      new Request(`${origin}/oauth/clients`, { headers: { 'x-test-user': 'alice' } }),
    );
    expect(api.status).toBe(503);
    expect(((await api.json()) as { error: string }).error).toBe('temporarily_unavailable');
    s.store.endOutage();
    expect(
      (await s.handler(new Request(`${origin}/oauth/clients`, { headers: { 'x-test-user': 'alice' } })))
        .status,
    ).toBe(200);

    const failure = new Error('session backend exploded');
    const broken = await setup({}, { authenticateUser: () => Promise.reject(failure) });
    const response = await broken.handler(new Request(`${origin}/oauth/tokens`));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain('exploded');
    expect(broken.errors).toEqual([failure]);
  });

  it('never puts a stack trace or an internal message in a response, on any endpoint', async () => {
    const s = await setup();
    const { client, secret } = await clientCredentialsClient(s);
    const failure = new Error('internal detail xyzzy');
    for (const method of ['findClient', 'findAccessToken', 'listUserTokens', 'saveDeviceCode'] as const) {
      (s.store as unknown as Record<string, () => Promise<never>>)[method] = async () => {
        throw failure;
      };
    }
    const user = { 'x-test-user': 'alice' };
    const requests = [
      form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, secret) }),
      form('/oauth/token', 'grant_type=%ZZ&grant_type=x'),
      new Request(`${origin}/oauth/token`, { method: 'POST', body: new Uint8Array([0xff, 0xfe]) }),
      form('/oauth/introspect', { token: 'x' }, { authorization: basic(client.id, secret) }),
      form('/oauth/revoke', { token: 'x' }, { authorization: basic(client.id, secret) }),
      form('/oauth/device/code', {}, { authorization: basic(client.id, secret) }),
      new Request(`${origin}/oauth/authorize?response_type=code&client_id=${client.id}`, { headers: user }),
      new Request(`${origin}/oauth/tokens`, { headers: user }),
      new Request(`${origin}/oauth/clients/%E0%A4%A`, { method: 'DELETE', headers: user }),
      new Request(`${origin}/oauth/personal-access-tokens`, {
        method: 'POST',
        headers: { ...user, 'content-type': 'application/json', origin },
        body: '{"name":',
      }),
    ];
    for (const request of requests) {
      const response = await s.handler(request);
      const text = await response.text();
      expect(response.status, request.url).toBeGreaterThanOrEqual(400);
      expect(text, request.url).not.toMatch(/\bat .*[.:]\d+|\.ts:\d|\.js:\d|xyzzy/);
    }
    expect(s.errors).toContain(failure);
  });

  it('does not report ordinary OAuth errors to onError', async () => {
    const s = await setup();
    const response = await s.handler(form('/oauth/token', { grant_type: 'client_credentials' }));
    expect(response.status).toBe(401);
    expect(s.errors).toEqual([]);
  });

  it('serves a custom base path', async () => {
    const s = await setup({}, { basePath: '/auth/' });
    const moved = await s.handler(new Request(`${origin}/auth/jwks`));
    expect(moved.status).toBe(200);
    expect((await s.handler(new Request(`${origin}/oauth/jwks`))).status).toBe(404);
  });

  it('refuses a short secret at construction', async () => {
    const s = await setup();
    const { createPassportHandler } = await import('../src/index.js');
    expect(() =>
      createPassportHandler({ passport: s.passport, secret: 'short', authenticateUser: () => null }),
    ).toThrow(/at least 32/);
    expect(() =>
      createPassportHandler({
        passport: s.passport,
        secret: 'x'.repeat(32),
        authenticateUser: () => null,
        maxBodyBytes: -1,
      }),
    ).toThrow(/maxBodyBytes/);
    expect(() =>
      createPassportHandler({
        passport: s.passport,
        secret: 'x'.repeat(32),
        authenticateUser: () => null,
        basePath: 'oauth',
      }),
    ).toThrow(/basePath/);
  });
});
