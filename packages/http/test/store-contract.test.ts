import { hashSecret, type PassportStore } from '@passport/core';
import { createPGliteStore } from '@passport/store-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, form, origin, setup, type TestUser, users } from './helpers.js';

const alice = { ...users.alice, password: 'correct horse' } as TestUser & { password: string };

/** A passport with the password grant for `alice`, and a confidential client allowed to use it. */
async function passwordSetup(overrides: Parameters<typeof setup>[0] = {}) {
  const s = await setup({
    grants: { password: true },
    userProviders: {
      users: {
        findById: async (id) => (id === alice.id ? alice : null),
        findForPassport: async (username) => (username === alice.name ? alice : null),
        validateForPassportPasswordGrant: async (_user, password) => password === alice.password,
      },
    },
    ...overrides,
  });
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'App',
    grantTypes: ['password', 'refresh_token'],
  });
  const auth = basic(client.id, plainSecret ?? '');
  const token = (fields: Record<string, string>) =>
    s.handler(form('/oauth/token', fields, { authorization: auth }));
  return { ...s, client, token };
}

describe('refresh retry after a lost response (HTTP)', () => {
  it('a retry of the same refresh token after a discarded response answers 200; the family lives', async () => {
    const s = await passwordSetup();
    const login = await s.token({ grant_type: 'password', username: alice.name, password: alice.password });
    const first = (await login.json()) as { refresh_token: string; access_token: string };

    s.clock.now += 60_000;
    // The rotation commits, but the client never reads the response (a crash, a cut connection).
    const lost = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(lost.status).toBe(200);
    await lost.body?.cancel();

    s.clock.now += 5_000;
    const retry = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('cache-control')).toBe('no-store');
    const retried = (await retry.json()) as { refresh_token: string; access_token: string };
    expect((await s.passport.verifyAccessToken(retried.access_token)).userId).toBe(alice.id);
    expect(await s.passport.listUserTokens(alice.id)).toHaveLength(1);

    // Later, the family goes on; presenting the first token after the window is reuse.
    s.clock.now += 3_600_000;
    const next = await s.token({ grant_type: 'refresh_token', refresh_token: retried.refresh_token });
    expect(next.status).toBe(200);
    const reuse = await s.token({ grant_type: 'refresh_token', refresh_token: first.refresh_token });
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    expect(await s.passport.listUserTokens(alice.id)).toEqual([]);
  });
});

describe('rate limits (HTTP): 429 too_many_requests with Retry-After', () => {
  it('the token endpoint answers 429 with Retry-After once a user is over the password failure limit', async () => {
    const s = await passwordSetup({ rateLimits: { passwordFailures: { limit: 2, windowSeconds: 120 } } });
    for (const password of ['wrong 1', 'wrong 2']) {
      const response = await s.token({ grant_type: 'password', username: alice.name, password });
      expect(response.status).toBe(400);
    }
    const refused = await s.token({ grant_type: 'password', username: alice.name, password: 'wrong 3' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('120');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toMatchObject({ error: 'too_many_requests' });
    const right = await s.token({ grant_type: 'password', username: alice.name, password: alice.password });
    expect(right.status).toBe(429);
    s.clock.now += 120_000;
    expect(
      (await s.token({ grant_type: 'password', username: alice.name, password: alice.password })).status,
    ).toBe(200);
  });

  it('the device authorization endpoint answers 429 once a client is over its limit', async () => {
    const s = await setup({ rateLimits: { deviceAuthorization: { limit: 1, windowSeconds: 60 } } });
    const { client } = await s.passport.clients.create({
      name: 'TV',
      confidential: false,
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
    expect((await s.handler(form('/oauth/device/code', { client_id: client.id }))).status).toBe(200);
    const refused = await s.handler(form('/oauth/device/code', { client_id: client.id }));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
  });

  it('the device verification page answers 429 with Retry-After after too many wrong codes', async () => {
    const s = await setup({ rateLimits: { deviceVerification: { limit: 2, windowSeconds: 300 } } });
    const page = (code: string) =>
      s.handler(
        new Request(`${origin}/oauth/device?user_code=${code}`, { headers: { 'x-test-user': 'alice' } }),
      );
    expect((await page('BCDF-GHJK')).status).toBe(400);
    expect((await page('BCDF-GHJL')).status).toBe(400);
    const refused = await page('BCDF-GHJM');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('300');
    expect(refused.headers.get('content-type')).toMatch(/text\/html/);
    expect(await refused.text()).toContain('Too many wrong codes');
  });
});

describe('introspection policy (HTTP)', () => {
  it('a confidential client that is neither the token\'s client nor a resource server gets {"active":false}', async () => {
    const s = await setup();
    const issue = async (resourceServer: boolean) => {
      const { client, plainSecret } = await s.passport.clients.create({
        name: 'Machine',
        grantTypes: ['client_credentials'],
        resourceServer,
      });
      return { auth: basic(client.id, plainSecret ?? '') };
    };
    const owner = await issue(false);
    const bystander = await issue(false);
    const api = await issue(true);
    const tokenResponse = await s.handler(
      form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: owner.auth }),
    );
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    const introspect = async (auth: string) =>
      (await s.handler(form('/oauth/introspect', { token: access_token }, { authorization: auth }))).json();
    expect(await introspect(owner.auth)).toMatchObject({ active: true });
    expect(await introspect(api.auth)).toMatchObject({ active: true });
    expect(await introspect(bystander.auth)).toEqual({ active: false });
  });
});

describe('a value the store cannot hold (StoreInvalidInputError) is 400 invalid_request, never 500', () => {
  let store: PassportStore;
  // Creating a PGlite cluster (initdb) is slow on a busy machine: once, outside the test's timeout.
  beforeAll(async () => {
    store = await createPGliteStore();
  }, 180_000);
  afterAll(async () => {
    await store?.close?.();
  });

  it('a NUL byte that slips past validation (in a user id from the host session) answers 400', async () => {
    const nulUser = { id: 'al\u0000ice', name: 'Alice' };
    const s = await setup({ store }, { authenticateUser: () => nulUser });
    // The JSON API writes the client with the signed-in user as owner: PostgreSQL refuses the NUL
    // (SQLSTATE 22021), the store throws StoreInvalidInputError, the handler answers 400.
    const response = await s.handler(
      new Request(`${origin}/oauth/clients`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin },
        body: JSON.stringify({ name: 'App', redirect: 'https://a.example/cb' }),
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    expect(s.errors).toEqual([]);
    expect(await store.listClients()).toEqual([]);
    // Reads with such an id match nothing: the listing answers an empty list, not an error.
    const listed = await s.handler(new Request(`${origin}/oauth/clients`));
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual([]);
    expect(await store.findRefreshToken(hashSecret('x'))).toBeNull();
  });
});
