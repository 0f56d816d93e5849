import { hashSecret } from '@passport/core';
import { describe, expect, it } from 'vitest';
import { createGuard, type Guard, withFirstPartyCookie } from '../src/index.js';
import { actingAs, actingAsClient } from '../src/testing.js';
import { admins, basic, form, origin, type Setup, secret, setup, type TestUser, users } from './helpers.js';

function echo(guard: Guard<TestUser>) {
  return guard.requireToken(async (_request, auth) =>
    Response.json({
      user: auth.user?.id ?? null,
      client: auth.client?.id ?? null,
      scopes: auth.scopes,
      via: auth.via,
    }),
  );
}

function bearer(token: string, init: RequestInit = {}): Request {
  return new Request(`${origin}/api`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
}

async function personalToken(s: Setup, user: TestUser, scopes: string[] = ['orders:read']) {
  return (await s.passport.createPersonalAccessToken(user, 'test', scopes)).accessToken;
}

async function clientCredentialsToken(s: Setup, id: string, scope = 'orders:read') {
  const now = new Date(s.clock.now);
  await s.store.createClient({
    id,
    ownerId: null,
    name: 'Machine',
    secretHash: hashSecret('machine-secret'),
    provider: null,
    redirectUris: [],
    grantTypes: ['client_credentials'],
    scopes: null,
    confidential: true,
    firstParty: false,
    resourceServer: false,
    revoked: false,
    createdAt: now,
    updatedAt: now,
  });
  const response = await s.handler(
    form(
      '/oauth/token',
      { grant_type: 'client_credentials', scope },
      { authorization: basic(id, 'machine-secret') },
    ),
  );
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('createGuard: bearer tokens', () => {
  it('authenticates a valid token with its user, client and scopes', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const token = await personalToken(s, users.alice as TestUser);
    const auth = await guard.authenticate(bearer(token));
    expect(auth?.user).toEqual(users.alice);
    expect(auth?.client?.id).toBeTruthy();
    expect(auth?.token?.claims.sub).toBe('alice');
    expect(auth?.tokenCan('orders:read')).toBe(true);
    expect(auth?.tokenCan('orders:write')).toBe(false);
    const response = await echo(guard)(bearer(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ user: 'alice', scopes: ['orders:read'], via: 'bearer' });
  });

  it('answers 503 while the store is down and accepts the token again after it returns', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const token = await personalToken(s, users.alice as TestUser);
    s.store.simulateOutage();
    const down = await echo(guard)(bearer(token));
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('5');
    expect(down.headers.get('cache-control')).toBe('no-store');
    expect(down.headers.get('pragma')).toBe('no-cache');
    expect(await down.json()).toMatchObject({ error: 'temporarily_unavailable' });
    s.store.endOutage();
    expect((await echo(guard)(bearer(token))).status).toBe(200);
  });

  it('answers 401 with a plain Bearer challenge when no token is sent', async () => {
    const s = await setup();
    const response = await echo(createGuard({ passport: s.passport }))(new Request(`${origin}/api`));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('answers 401 invalid_token for a malformed, forged, revoked or expired token', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport, realm: 'shop' });
    const handler = echo(guard);
    const token = await personalToken(s, users.alice as TestUser);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    for (const request of [
      bearer('not-a-jwt'),
      bearer(forged),
      new Request(`${origin}/api`, { headers: { authorization: 'Bearer' } }),
    ]) {
      const response = await handler(request);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="shop", error="invalid_token"/);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_token');
    }
    const jti = JSON.parse(Buffer.from(payload as string, 'base64url').toString()).jti as string;
    await s.passport.revokeAccessToken(jti);
    expect((await handler(bearer(token))).status).toBe(401);

    const fresh = await s.passport.createPersonalAccessToken(users.bob as TestUser, 'short', []);
    expect((await handler(bearer(fresh.accessToken))).status).toBe(200);
    s.clock.now += 366 * 24 * 3600 * 1000;
    const expired = await handler(bearer(fresh.accessToken));
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('createGuard: scopes and client credentials', () => {
  it('requireScopes needs all of them; 403 insufficient_scope names the scopes', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const token = await personalToken(s, users.alice as TestUser, ['orders:read']);
    const ok = () => new Response('ok');
    const both = guard.requireScopes(['orders:read', 'orders:write'], ok);
    const response = await both(bearer(token));
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="The token lacks a required scope", scope="orders:read orders:write"',
    );
    expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
    expect((await guard.requireScopes(['orders:read'], ok)(bearer(token))).status).toBe(200);
    expect((await guard.requireAnyScope(['orders:write', 'orders:read'], ok)(bearer(token))).status).toBe(
      200,
    );
    expect((await guard.requireAnyScope(['orders:write'], ok)(bearer(token))).status).toBe(403);
  });

  it('a * token can do anything', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const token = await personalToken(s, users.alice as TestUser, ['*']);
    expect(
      (await guard.requireScopes(['orders:read', 'orders:write'], () => new Response('ok'))(bearer(token)))
        .status,
    ).toBe(200);
  });

  it('requireClient accepts client-credentials tokens only, with scopes', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const machine = await clientCredentialsToken(s, 'machine-1');
    const user = await personalToken(s, users.alice as TestUser);
    const ok = () => new Response('ok');
    expect((await guard.requireClient(ok)(bearer(machine))).status).toBe(200);
    expect((await guard.requireClient(ok, ['orders:read'])(bearer(machine))).status).toBe(200);
    expect((await guard.requireClient(ok, ['orders:write'])(bearer(machine))).status).toBe(403);
    const refused = await guard.requireClient(ok)(bearer(user));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('a client-credentials token never resolves to a user, even when its sub is a user id (Passport #1900)', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const token = await clientCredentialsToken(s, 'alice');
    const auth = await guard.authenticate(bearer(token));
    expect(auth?.token?.claims.sub).toBe('alice');
    expect(auth?.user).toBeNull();
    expect(auth?.client?.id).toBe('alice');
  });
});

describe('createGuard: user providers', () => {
  it('accepts a token only in the guard whose provider matches its client', async () => {
    const s = await setup(
      {},
      {
        authenticateUser: (request) => {
          const id = request.headers.get('x-test-user') ?? '';
          return users[id] ?? admins[id] ?? null;
        },
      },
    );
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'Admin console',
      redirectUris: ['https://admin.example/cb'],
      provider: 'admins',
      firstParty: true,
    });
    const approved = await s.handler(
      new Request(
        `${origin}/oauth/authorize?response_type=code&client_id=${client.id}&redirect_uri=https%3A%2F%2Fadmin.example%2Fcb`,
        { headers: { 'x-test-user': 'root' } },
      ),
    );
    const code = new URL(approved.headers.get('location') as string).searchParams.get('code') as string;
    const tokenResponse = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'authorization_code', code, redirect_uri: 'https://admin.example/cb' },
        { authorization: basic(client.id, plainSecret as string) },
      ),
    );
    const adminToken = ((await tokenResponse.json()) as { access_token: string }).access_token;
    const userToken = await personalToken(s, users.alice as TestUser);

    const usersGuard = createGuard({ passport: s.passport });
    const adminsGuard = createGuard({ passport: s.passport, provider: 'admins' });
    expect(await usersGuard.authenticate(bearer(adminToken))).toBeNull();
    expect((await echo(usersGuard)(bearer(adminToken))).status).toBe(401);
    expect((await adminsGuard.authenticate(bearer(adminToken)))?.user).toEqual(admins.root);
    expect(await adminsGuard.authenticate(bearer(userToken))).toBeNull();
    expect((await usersGuard.authenticate(bearer(userToken)))?.user).toEqual(users.alice);
  });
});

describe('first-party cookie', () => {
  async function cookieSetup() {
    const s = await setup();
    const authenticateUser = (request: Request) => users[request.headers.get('x-test-user') ?? ''] ?? null;
    const page = withFirstPartyCookie(() => new Response('<html></html>'), {
      secret,
      authenticateUser,
      clock: () => s.clock.now,
    });
    const guard = createGuard({ passport: s.passport, cookie: { secret } });
    return { s, page, guard };
  }

  function cookieParts(response: Response) {
    const cookies = response.headers.getSetCookie();
    const token = cookies.find((c) => c.startsWith('passport_token=')) as string;
    const xsrf = cookies.find((c) => c.startsWith('XSRF-TOKEN=')) as string;
    return {
      token,
      xsrfValue: decodeURIComponent((xsrf.split(';')[0] as string).slice('XSRF-TOKEN='.length)),
      cookieHeader: cookies.map((c) => c.split(';')[0]).join('; '),
    };
  }

  it('sets an httpOnly SameSite=Lax cookie on GET for a signed-in user (Secure on https)', async () => {
    const { page } = await cookieSetup();
    const response = await page(new Request(`${origin}/dashboard`, { headers: { 'x-test-user': 'alice' } }));
    const { token } = cookieParts(response);
    expect(token).toMatch(/HttpOnly/);
    expect(token).toMatch(/SameSite=Lax/);
    expect(token).not.toMatch(/Secure/);
    const secure = await page(
      new Request('https://app.example/dashboard', { headers: { 'x-test-user': 'alice' } }),
    );
    expect(cookieParts(secure).token).toMatch(/Secure/);
    expect((await page(new Request(`${origin}/dashboard`))).headers.getSetCookie()).toEqual([]);
    const post = await page(
      new Request(`${origin}/dashboard`, { method: 'POST', headers: { 'x-test-user': 'alice' } }),
    );
    expect(post.headers.getSetCookie()).toEqual([]);
  });

  it('uses a configurable cookie name', async () => {
    const s = await setup();
    const page = withFirstPartyCookie(() => new Response('ok'), {
      secret,
      name: 'app_jwt',
      authenticateUser: () => users.alice as TestUser,
    });
    const response = await page(new Request(`${origin}/`));
    expect(response.headers.getSetCookie().some((c) => c.startsWith('app_jwt='))).toBe(true);
    const guard = createGuard({ passport: s.passport, cookie: { secret, name: 'app_jwt' } });
    const cookie = response.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const xsrf = decodeURIComponent((cookie.split('XSRF-TOKEN=')[1] ?? '').split(';')[0] as string);
    const auth = await guard.authenticate(
      new Request(`${origin}/api`, { headers: { cookie, 'x-xsrf-token': xsrf } }),
    );
    expect(auth?.user?.id).toBe('alice');
  });

  it('the guard accepts the cookie only with a matching X-XSRF-TOKEN or X-CSRF-TOKEN header', async () => {
    const { page, guard } = await cookieSetup();
    const { xsrfValue, cookieHeader } = cookieParts(
      await page(new Request(`${origin}/dashboard`, { headers: { 'x-test-user': 'alice' } })),
    );
    const handler = echo(guard);
    const withHeader = await handler(
      new Request(`${origin}/api`, { headers: { cookie: cookieHeader, 'x-xsrf-token': xsrfValue } }),
    );
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toMatchObject({ user: 'alice', via: 'cookie', client: null });
    const csrfHeader = await handler(
      new Request(`${origin}/api`, { headers: { cookie: cookieHeader, 'x-csrf-token': xsrfValue } }),
    );
    expect(csrfHeader.status).toBe(200);
    expect((await handler(new Request(`${origin}/api`, { headers: { cookie: cookieHeader } }))).status).toBe(
      401,
    );
    expect(
      (
        await handler(
          new Request(`${origin}/api`, { headers: { cookie: cookieHeader, 'x-xsrf-token': 'wrong' } }),
        )
      ).status,
    ).toBe(401);
    const otherSecret = createGuard({
      passport: (await setup()).passport,
      cookie: { secret: `${secret}-other` },
    });
    expect(
      await otherSecret.authenticate(
        new Request(`${origin}/api`, { headers: { cookie: cookieHeader, 'x-xsrf-token': xsrfValue } }),
      ),
    ).toBeNull();
  });

  it('expires the cookie token, and POST /oauth/token/refresh renews it', async () => {
    const { s, page, guard } = await cookieSetup();
    const first = cookieParts(await page(new Request(`${origin}/`, { headers: { 'x-test-user': 'alice' } })));
    s.clock.now += 3601_000;
    const request = (c: { cookieHeader: string; xsrfValue: string }) =>
      new Request(`${origin}/api`, { headers: { cookie: c.cookieHeader, 'x-xsrf-token': c.xsrfValue } });
    expect(await guard.authenticate(request(first))).toBeNull();
    const renewed = await s.handler(
      new Request(`${origin}/oauth/token/refresh`, {
        method: 'POST',
        headers: { 'x-test-user': 'alice', 'x-xsrf-token': first.xsrfValue, cookie: first.cookieHeader },
      }),
    );
    expect(renewed.status).toBe(204);
    expect((await guard.authenticate(request(cookieParts(renewed))))?.user?.id).toBe('alice');
  });

  it('a bearer token wins over the cookie', async () => {
    const { s, page, guard } = await cookieSetup();
    const { xsrfValue, cookieHeader } = cookieParts(
      await page(new Request(`${origin}/`, { headers: { 'x-test-user': 'alice' } })),
    );
    const bobToken = await personalToken(s, users.bob as TestUser);
    const auth = await guard.authenticate(
      new Request(`${origin}/api`, {
        headers: { cookie: cookieHeader, 'x-xsrf-token': xsrfValue, authorization: `Bearer ${bobToken}` },
      }),
    );
    expect(auth?.user?.id).toBe('bob');
    expect(auth?.via).toBe('bearer');
    const forged = await echo(guard)(
      new Request(`${origin}/api`, {
        headers: { cookie: cookieHeader, 'x-xsrf-token': xsrfValue, authorization: 'Bearer not-a-token' },
      }),
    );
    expect(forged.status).toBe(401); // an invalid bearer token is not rescued by a valid cookie
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});

describe('@passport/http/testing', () => {
  it('actingAs gives a guard that authenticates every request as the user with the given scopes', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const api = actingAs(guard, users.alice as TestUser, ['orders:read']);
    const handler = api.requireScopes(['orders:read'], (_r, auth) =>
      Response.json({ user: auth.user?.id, via: auth.via, token: auth.token }),
    );
    const response = await handler(new Request(`${origin}/api`));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ user: 'alice', via: 'testing', token: null });
    expect(
      (await api.requireScopes(['orders:write'], () => new Response('x'))(new Request(`${origin}/api`)))
        .status,
    ).toBe(403);
    expect(
      (await api.requireClient(() => new Response('x'))(new Request(`${origin}/api`))).headers.get(
        'www-authenticate',
      ),
    ).toContain('error="invalid_token"');
    // the production guard is untouched: it still wants a token
    expect((await guard.requireScopes(['orders:read'], handler)(new Request(`${origin}/api`))).status).toBe(
      401,
    );
    expect(Object.isFrozen(guard)).toBe(true);
    expect('actingAs' in guard).toBe(false);
  });

  it('actingAsClient gives a guard that authenticates as a client-credentials caller', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const { client } = await s.passport.clients.create({
      name: 'Machine',
      grantTypes: ['client_credentials'],
    });
    const api = actingAsClient(guard, client, ['*']);
    const auth = await api.authenticate(new Request(`${origin}/api`));
    expect(auth?.user).toBeNull();
    expect(auth?.client?.id).toBe(client.id);
    expect(
      (await api.requireClient(() => new Response('ok'), ['orders:write'])(new Request(`${origin}/api`)))
        .status,
    ).toBe(200);
    expect(await guard.authenticate(new Request(`${origin}/api`))).toBeNull();
  });
});
