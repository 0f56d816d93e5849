import { describe, expect, it } from 'vitest';
import { origin, type Setup, setup } from './helpers.js';

const sameOrigin = { origin };

function call(
  s: Setup,
  method: string,
  path: string,
  options: { user?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.user !== null) headers['x-test-user'] = options.user ?? 'alice';
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return s.handler(
    new Request(`${origin}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    }),
  );
}

describe('JSON API: /oauth/clients', () => {
  it('creates a client for the signed-in user, showing the secret once', async () => {
    const s = await setup();
    const response = await call(s, 'POST', '/oauth/clients', {
      body: { name: 'My app', redirect: 'https://a.example/cb,https://b.example/cb' },
      headers: sameOrigin,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.secret).toEqual(expect.any(String));
    expect(body.confidential).toBe(true);
    expect(body).not.toHaveProperty('secretHash');
    const stored = await s.store.findClient(body.id as string);
    expect(stored?.ownerId).toBe('alice');
    expect(stored?.redirectUris).toEqual(['https://a.example/cb', 'https://b.example/cb']);
    expect(stored?.secretHash).not.toBe(body.secret);

    const list = await call(s, 'GET', '/oauth/clients');
    expect(list.status).toBe(200);
    const clients = (await list.json()) as Record<string, unknown>[];
    expect(clients.map((c) => c.id)).toEqual([body.id]);
    expect(clients[0]).not.toHaveProperty('secret');
    expect((await (await call(s, 'GET', '/oauth/clients', { user: 'bob' })).json()) as unknown[]).toEqual([]);
  });

  it('creates a public client when confidential is false', async () => {
    const s = await setup();
    const response = await call(s, 'POST', '/oauth/clients', {
      body: { name: 'SPA', redirect: 'https://spa.example/cb', confidential: false },
      headers: sameOrigin,
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.secret).toBeNull();
    expect((await s.store.findClient(body.id as string))?.confidential).toBe(false);
  });

  it('answers 422 with per-field messages', async () => {
    const s = await setup();
    const response = await call(s, 'POST', '/oauth/clients', {
      body: { name: '', redirect: 'not a url' },
      headers: sameOrigin,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: Record<string, string[]> };
    expect(body.errors.name?.[0]).toMatch(/required/);
    expect(body.errors.redirect?.[0]).toMatch(/valid/);
    const missing = (await (
      await call(s, 'POST', '/oauth/clients', { body: {}, headers: sameOrigin })
    ).json()) as {
      errors: Record<string, string[]>;
    };
    expect(Object.keys(missing.errors).sort()).toEqual(['name', 'redirect']);
    expect(await s.store.listClients()).toHaveLength(0);
  });

  it('updates and deletes own clients; a foreign id is 404 and changes nothing', async () => {
    const s = await setup();
    const { client } = await s.passport.clients.create({
      name: 'Old',
      redirectUris: ['https://a.example/cb'],
      ownerId: 'alice',
    });
    const foreign = await call(s, 'PUT', `/oauth/clients/${client.id}`, {
      user: 'bob',
      body: { name: 'Hijacked', redirect: 'https://evil.example/cb' },
      headers: sameOrigin,
    });
    expect(foreign.status).toBe(404);
    expect((await s.store.findClient(client.id))?.name).toBe('Old');
    expect(
      (await call(s, 'DELETE', `/oauth/clients/${client.id}`, { user: 'bob', headers: sameOrigin })).status,
    ).toBe(404);
    expect((await call(s, 'DELETE', '/oauth/clients/unknown', { headers: sameOrigin })).status).toBe(404);

    const updated = await call(s, 'PUT', `/oauth/clients/${client.id}`, {
      body: { name: 'New', redirect: 'https://b.example/cb' },
      headers: sameOrigin,
    });
    expect(updated.status).toBe(200);
    expect((await s.store.findClient(client.id))?.redirectUris).toEqual(['https://b.example/cb']);
    const invalid = await call(s, 'PUT', `/oauth/clients/${client.id}`, {
      body: { name: 'x' },
      headers: sameOrigin,
    });
    expect(invalid.status).toBe(422);

    const deleted = await call(s, 'DELETE', `/oauth/clients/${client.id}`, { headers: sameOrigin });
    expect(deleted.status).toBe(204);
    // Revoked, as Laravel Passport does: the row stays for the audit trail until purge.
    expect(await s.store.findClient(client.id)).toMatchObject({ id: client.id, revoked: true });
    expect(await (await call(s, 'GET', '/oauth/clients')).json()).toEqual([]);
    expect((await call(s, 'DELETE', `/oauth/clients/${client.id}`, { headers: sameOrigin })).status).toBe(
      404,
    );
  });

  it('DELETE revokes every token of the client: its access tokens are refused at once', async () => {
    const s = await setup();
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'Backend',
      grantTypes: ['client_credentials'],
      ownerId: 'alice',
    });
    const token = await s.passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: plainSecret ?? '',
      }),
      authorization: null,
    });
    await s.passport.verifyAccessToken(token.access_token);
    expect((await call(s, 'DELETE', `/oauth/clients/${client.id}`, { headers: sameOrigin })).status).toBe(
      204,
    );
    await expect(s.passport.verifyAccessToken(token.access_token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  it('shows resource_server read-only: an owner cannot make a client a resource server (422)', async () => {
    const s = await setup();
    const created = await call(s, 'POST', '/oauth/clients', {
      body: { name: 'Sneaky', redirect: 'https://a.example/cb', resource_server: true },
      headers: sameOrigin,
    });
    expect(created.status).toBe(422);
    expect(((await created.json()) as { errors: Record<string, string[]> }).errors.resource_server).toEqual([
      'The resource_server field can only be set by an administrator.',
    ]);
    expect(await s.store.listClients()).toEqual([]);

    const ok = await call(s, 'POST', '/oauth/clients', {
      body: { name: 'App', redirect: 'https://a.example/cb' },
      headers: sameOrigin,
    });
    const body = (await ok.json()) as { id: string; resource_server: boolean };
    expect(body.resource_server).toBe(false);
    const update = await call(s, 'PUT', `/oauth/clients/${body.id}`, {
      body: { name: 'App', redirect: 'https://a.example/cb', resource_server: 'true' },
      headers: sameOrigin,
    });
    expect(update.status).toBe(422);
    expect((await s.store.findClient(body.id))?.resourceServer).toBe(false);
  });

  it('answers 401 without a signed-in user', async () => {
    const s = await setup();
    for (const [method, path] of [
      ['GET', '/oauth/clients'],
      ['GET', '/oauth/tokens'],
      ['GET', '/oauth/scopes'],
      ['GET', '/oauth/personal-access-tokens'],
      ['DELETE', '/oauth/tokens/x'],
    ] as const) {
      const response = await call(s, method, path, { user: null, headers: sameOrigin });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it('refuses state-changing calls without a CSRF header or same-origin Origin', async () => {
    const s = await setup();
    const body = { name: 'x', redirect: 'https://a.example/cb' };
    expect((await call(s, 'POST', '/oauth/clients', { body })).status).toBe(403);
    expect(
      (await call(s, 'POST', '/oauth/clients', { body, headers: { origin: 'https://evil.example' } })).status,
    ).toBe(403);
    expect(
      (
        await call(s, 'POST', '/oauth/clients', {
          body,
          headers: { 'x-xsrf-token': 'abc', cookie: 'XSRF-TOKEN=other' },
        })
      ).status,
    ).toBe(403);
    expect(await s.store.listClients()).toHaveLength(0);
    const viaHeader = await call(s, 'POST', '/oauth/clients', {
      body,
      headers: { 'x-xsrf-token': 'abc', cookie: 'XSRF-TOKEN=abc' },
    });
    expect(viaHeader.status).toBe(201);
  });

  it('sets a readable XSRF-TOKEN cookie on GET when the browser has none', async () => {
    const s = await setup();
    const response = await call(s, 'GET', '/oauth/clients');
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith('XSRF-TOKEN='));
    expect(cookie).toBeDefined();
    expect(cookie).not.toContain('HttpOnly');
    const again = await call(s, 'GET', '/oauth/clients', { headers: { cookie: 'XSRF-TOKEN=abc' } });
    expect(again.headers.getSetCookie()).toEqual([]);
  });
});

describe('JSON API: /oauth/tokens, /oauth/scopes, /oauth/personal-access-tokens', () => {
  async function issueUserToken(s: Setup, user: string) {
    const { client } = await s.passport.clients.create({
      name: 'Shop',
      redirectUris: ['https://a.example/cb'],
      firstParty: true,
    });
    const approved = await s.handler(
      new Request(
        `${origin}/oauth/authorize?response_type=code&client_id=${client.id}&redirect_uri=${encodeURIComponent('https://a.example/cb')}&scope=orders:read`,
        { headers: { 'x-test-user': user } },
      ),
    );
    const code = new URL(approved.headers.get('location') as string).searchParams.get('code') as string;
    const secretless = await s.passport.clients.regenerateSecret(client.id);
    const token = await s.handler(
      new Request(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://a.example/cb',
          client_id: client.id,
          client_secret: secretless?.plainSecret as string,
        }),
      }),
    );
    expect(token.status).toBe(200);
    return client;
  }

  it('lists the user tokens with their client and revokes one; a foreign id is 404', async () => {
    const s = await setup();
    const client = await issueUserToken(s, 'alice');
    const list = await call(s, 'GET', '/oauth/tokens');
    const tokens = (await list.json()) as { id: string; client: { name: string }; scopes: string[] }[];
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.client.name).toBe(client.name);
    expect(tokens[0]?.scopes).toEqual(['orders:read']);
    const id = tokens[0]?.id as string;
    expect(
      (await call(s, 'DELETE', `/oauth/tokens/${id}`, { user: 'bob', headers: sameOrigin })).status,
    ).toBe(404);
    expect((await s.store.findAccessToken(id))?.revoked).toBe(false);
    expect((await call(s, 'DELETE', `/oauth/tokens/${id}`, { headers: sameOrigin })).status).toBe(204);
    expect((await s.store.findAccessToken(id))?.revoked).toBe(true);
    expect((await (await call(s, 'GET', '/oauth/tokens')).json()) as unknown[]).toEqual([]);
  });

  it('lists the defined scopes', async () => {
    const s = await setup();
    const scopes = (await (await call(s, 'GET', '/oauth/scopes')).json()) as {
      id: string;
      description: string;
    }[];
    expect(scopes).toEqual([
      { id: 'orders:read', description: 'Read your orders' },
      { id: 'orders:write', description: 'Create & change <your> orders' },
    ]);
  });

  it('creates, lists and deletes personal access tokens', async () => {
    const s = await setup();
    const created = await call(s, 'POST', '/oauth/personal-access-tokens', {
      body: { name: 'CLI', scopes: ['orders:read'] },
      headers: sameOrigin,
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { accessToken: string; token: { id: string; name: string } };
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect(body.token.name).toBe('CLI');
    const verified = await s.passport.verifyAccessToken(body.accessToken);
    expect(verified.userId).toBe('alice');

    const list = (await (await call(s, 'GET', '/oauth/personal-access-tokens')).json()) as { id: string }[];
    expect(list.map((t) => t.id)).toEqual([body.token.id]);
    expect(
      (await (await call(s, 'GET', '/oauth/personal-access-tokens', { user: 'bob' })).json()) as unknown[],
    ).toEqual([]);
    expect((await (await call(s, 'GET', '/oauth/tokens')).json()) as unknown[]).toEqual([]);

    const foreign = await call(s, 'DELETE', `/oauth/personal-access-tokens/${body.token.id}`, {
      user: 'bob',
      headers: sameOrigin,
    });
    expect(foreign.status).toBe(404);
    const deleted = await call(s, 'DELETE', `/oauth/personal-access-tokens/${body.token.id}`, {
      headers: sameOrigin,
    });
    expect(deleted.status).toBe(204);
    expect((await s.store.findAccessToken(body.token.id))?.revoked).toBe(true);
  });

  it('answers 422 for a personal access token without a name or with an unknown scope', async () => {
    const s = await setup();
    const response = await call(s, 'POST', '/oauth/personal-access-tokens', {
      body: { scopes: ['nope'] },
      headers: sameOrigin,
    });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { errors: Record<string, string[]> };
    expect(body.errors.name).toBeDefined();
    expect(body.errors.scopes).toBeDefined();
    expect(await s.passport.listUserTokens('alice')).toEqual([]);
  });
});
