/// <reference types="node" />
/**
 * Every identifier and text field of a request is checked at the HTTP boundary (NUL and other
 * control characters, length, type) before it reaches core or the store. Run against PostgreSQL,
 * which refuses NUL in text (SQLSTATE 22021): without these checks the same requests answer 500.
 */
import { createPassport, type Passport } from '@passport/core';
import { createPostgresStore, type PostgresStore } from '@passport/store-postgres';
import { requireService, services } from '@passport/test-bed';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPassportHandler } from '../src/index.js';
import { basic, form, origin, pkce, secret, type TestUser, testKeys, users } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('input checks at the HTTP boundary (PostgreSQL)', () => {
  const schema = `passport_http_input_${crypto.getRandomValues(new Uint32Array(2)).join('_')}`;
  let pool: pg.Pool;
  let store: PostgresStore;
  let passport: Passport<TestUser>;
  let handler: (request: Request) => Promise<Response>;
  const errors: unknown[] = [];

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: services.postgres.url, max: 4 });
    store = createPostgresStore({ pool, schema });
    await store.migrate();
    passport = createPassport<TestUser>({
      issuer: origin,
      store,
      keys: await testKeys(),
      scopes: { read: 'Read' },
      userProviders: { users: { findById: async (id) => users[id] ?? null } },
    });
    handler = createPassportHandler<TestUser>({
      passport,
      secret,
      authenticateUser: (request) => users[request.headers.get('x-test-user') ?? ''] ?? null,
      loginUrl: '/login',
      onError: (error) => errors.push(error),
    });
  });

  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await store?.close();
  });

  const api = (method: string, path: string, body?: unknown) =>
    handler(
      new Request(`${origin}${path}`, {
        method,
        headers: {
          'x-test-user': 'alice',
          origin,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );

  const count = async (table: string) =>
    Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0]?.n);

  it('answers 404 for a path id with NUL, a control character or over 255 characters', async () => {
    for (const path of [
      '/oauth/tokens/%00',
      '/oauth/tokens/a%0Ab',
      `/oauth/tokens/${'a'.repeat(256)}`,
      '/oauth/personal-access-tokens/%00',
      '/oauth/clients/%00',
      '/oauth/clients/%7F',
    ]) {
      const response = await api('DELETE', path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: string }).error).toBe('not_found');
    }
    expect(
      (await api('PUT', '/oauth/clients/%00', { name: 'x', redirect: 'https://a.example' })).status,
    ).toBe(404);
    expect(errors).toEqual([]);
  });

  it('answers 422 with a field message for a NUL or control character in a client name or redirect URI', async () => {
    const cases: { body: Record<string, unknown>; field: string; message: string }[] = [
      {
        body: { name: 'a\u0000b', redirect: 'https://a.example/cb' },
        field: 'name',
        message: 'The name field must not contain control characters.',
      },
      {
        body: { name: 'bell\u0007', redirect: 'https://a.example/cb' },
        field: 'name',
        message: 'The name field must not contain control characters.',
      },
      {
        body: { name: 'x'.repeat(256), redirect: 'https://a.example/cb' },
        field: 'name',
        message: 'The name field may not be longer than 255 characters.',
      },
      {
        body: { name: 'App', redirect: ['https://a.example/c\u0000b'] },
        field: 'redirect',
        message: 'The redirect field must not contain control characters.',
      },
      {
        body: { name: 'App', redirect: ['https://a.example/\tcb'] },
        field: 'redirect',
        message: 'The redirect field must not contain control characters.',
      },
      {
        body: { name: 'App', redirect: [`https://a.example/${'x'.repeat(2048)}`] },
        field: 'redirect',
        message: 'The redirect field may not be longer than 2048 characters.',
      },
      {
        body: { name: 'App', redirect: Array.from({ length: 101 }, (_, i) => `https://a.example/${i}`) },
        field: 'redirect',
        message: 'The redirect field may not have more than 100 URLs.',
      },
      {
        body: { name: 42, redirect: 'https://a.example/cb' },
        field: 'name',
        message: 'The name field is required.',
      },
    ];
    for (const { body, field, message } of cases) {
      const response = await api('POST', '/oauth/clients', body);
      expect(response.status, message).toBe(422);
      const json = (await response.json()) as { errors: Record<string, string[]> };
      expect(json.errors[field], message).toContain(message);
    }
    const { client } = await passport.clients.create({
      name: 'Mine',
      redirectUris: ['https://m.example/cb'],
      ownerId: 'alice',
    });
    const update = await api('PUT', `/oauth/clients/${client.id}`, {
      name: 'x\u0000',
      redirect: 'https://m.example/cb',
    });
    expect(update.status).toBe(422);
    expect((await passport.clients.find(client.id))?.name).toBe('Mine');
    expect(await count('oauth_clients')).toBe(1);
    expect(errors).toEqual([]);
  });

  it('answers 422 for a personal access token name with NUL, and for too many scopes', async () => {
    const nul = await api('POST', '/oauth/personal-access-tokens', { name: 'cli\u0000', scopes: ['read'] });
    expect(nul.status).toBe(422);
    expect(((await nul.json()) as { errors: Record<string, string[]> }).errors.name).toEqual([
      'The name field must not contain control characters.',
    ]);
    const many = await api('POST', '/oauth/personal-access-tokens', {
      name: 'cli',
      scopes: Array.from({ length: 101 }, () => 'read'),
    });
    expect(many.status).toBe(422);
    expect(await count('oauth_access_tokens')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('answers invalid_request for a form parameter with NUL, a control character or over 8 KiB', async () => {
    const { client, plainSecret } = await passport.clients.create({
      name: 'Backend',
      grantTypes: ['client_credentials'],
    });
    const auth = { authorization: basic(client.id, plainSecret as string) };
    const bodies = [
      'grant_type=client_credentials&client_id=a%00b',
      'grant_type=client_credentials&scope=read%00',
      'grant_type=client_credentials&scope=read%0D%0Aread',
      `grant_type=client_credentials&scope=${'r'.repeat(8193)}`,
      'grant_type=client_credentials&a%00=1',
    ];
    for (const body of bodies) {
      for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect', '/oauth/device/code']) {
        const response = await handler(form(path, body, auth));
        expect(response.status, `${path} ${body.slice(0, 60)}`).toBe(400);
        expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
      }
    }
    // the body client_id of a public client, the way the issue found it (no Authorization header)
    const publicId = await handler(
      form('/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x', client_id: '\u0000' }),
    );
    expect(publicId.status).toBe(400);
    expect(await count('oauth_access_tokens')).toBe(0);
    expect(errors).toEqual([]);
  });

  it('refuses a Basic client id with NUL as invalid_client, not a store error', async () => {
    const response = await handler(
      form(
        '/oauth/token',
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${btoa('a%00b:secret')}` },
      ),
    );
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    expect(errors).toEqual([]);
  });

  it('answers 400 without redirecting for an authorization request with NUL in a parameter', async () => {
    const { challenge } = await pkce();
    const { client } = await passport.clients.create({
      name: 'App',
      redirectUris: ['https://app.example/cb'],
      confidential: false,
    });
    const query = (extra: Record<string, string>) =>
      new URLSearchParams({
        response_type: 'code',
        client_id: client.id,
        redirect_uri: 'https://app.example/cb',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        ...extra,
      });
    for (const extra of [
      { state: 'a\u0000b' },
      { client_id: '\u0000' },
      { scope: 'read\u001b' },
      { state: 's'.repeat(8193) },
    ]) {
      const response = await handler(
        new Request(`${origin}/oauth/authorize?${query(extra)}`, {
          headers: { 'x-test-user': 'alice', accept: 'application/json' },
        }),
      );
      expect(response.status, JSON.stringify(extra).slice(0, 40)).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    }
    const page = await handler(
      new Request(`${origin}/oauth/authorize?${query({ state: 'a\u0000b' })}`, {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(errors).toEqual([]);
  });

  it('answers the device page 400 for a user code with NUL, without echoing it', async () => {
    const response = await handler(
      new Request(`${origin}/oauth/device?user_code=BCDF-%00GHJK`, { headers: { 'x-test-user': 'alice' } }),
    );
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toContain('That code is not valid');
    expect(text).not.toContain('BCDF-');
    expect(errors).toEqual([]);
  });
});
