import { hashSecret } from '@passport/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Authentication,
  type ClientAuthentication,
  createGuard,
  type Guard,
  type UserAuthentication,
  withFirstPartyCookie,
} from '../src/index.js';
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
    // and a route for users does not let it through as Alice, nor as nobody
    expect((await echo(guard)(bearer(token))).status).toBe(401);
  });
});

describe('createGuard: user, client and mixed routes', () => {
  const userTokenRequired =
    'Bearer realm="api", error="invalid_token", error_description="A user token is required: client-credentials tokens are not accepted"';

  it('refuses a client-credentials token on user routes (the default) with 401 invalid_token, whatever its scopes', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const machine = await clientCredentialsToken(s, 'machine-1');
    const ok = () => new Response('ok');
    for (const route of [
      guard.requireToken(ok),
      guard.requireScopes(['orders:read'], ok),
      guard.requireAnyScope(['orders:read'], ok),
      guard.requireToken(ok, { accept: 'user' }),
    ]) {
      const response = await route(bearer(machine));
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(userTokenRequired);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toEqual({
        error: 'invalid_token',
        error_description: 'A user token is required: client-credentials tokens are not accepted',
      });
    }
    const decision = await guard.decide(bearer(machine), { scopes: ['orders:read'] });
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.refusal.headers.get('www-authenticate')).toBe(userTokenRequired);
  });

  it('hands a user route a non-null user, and a client route a non-null client', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const alice = await personalToken(s, users.alice as TestUser);
    const machine = await clientCredentialsToken(s, 'machine-1');
    const me = guard.requireScopes(['orders:read'], (_request, auth) => {
      expectTypeOf(auth).toEqualTypeOf<UserAuthentication<TestUser>>();
      expectTypeOf(auth.user).toEqualTypeOf<TestUser>();
      return Response.json({ name: auth.user.name, via: auth.via });
    });
    const reports = guard.requireClient((_request, auth) => {
      expectTypeOf(auth).toEqualTypeOf<ClientAuthentication>();
      expectTypeOf(auth.user).toEqualTypeOf<null>();
      return Response.json({ client: auth.client.id });
    });
    const meResponse = await me(bearer(alice));
    expect(meResponse.status).toBe(200);
    expect(await meResponse.json()).toEqual({ name: 'Alice', via: 'bearer' });
    const reportsResponse = await reports(bearer(machine));
    expect(reportsResponse.status).toBe(200);
    expect(await reportsResponse.json()).toEqual({ client: 'machine-1' });
    // each refuses the other's caller
    expect((await me(bearer(machine))).headers.get('www-authenticate')).toBe(userTokenRequired);
    const refused = await reports(bearer(alice));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain(
      'error_description="This resource accepts client-credentials tokens only"',
    );
  });

  it("accept: 'client' on requireScopes is requireClient; accept: 'any' takes both with user null for a client", async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const alice = await personalToken(s, users.alice as TestUser);
    const machine = await clientCredentialsToken(s, 'machine-1');
    const mixed = guard.requireScopes(
      ['orders:read'],
      (_request, auth) => {
        expectTypeOf(auth).toEqualTypeOf<Authentication<TestUser>>();
        expectTypeOf(auth.user).toEqualTypeOf<TestUser | null>();
        return Response.json({ user: auth.user?.id ?? null, client: auth.client?.id ?? null });
      },
      { accept: 'any' },
    );
    const fromUser = await mixed(bearer(alice));
    expect(fromUser.status).toBe(200);
    expect(await fromUser.json()).toMatchObject({ user: 'alice' });
    const fromClient = await mixed(bearer(machine));
    expect(fromClient.status).toBe(200);
    expect(await fromClient.json()).toEqual({ user: null, client: 'machine-1' });
    // scopes still count on a mixed route
    const narrow = guard.requireScopes(['orders:write'], () => new Response('ok'), { accept: 'any' });
    expect((await narrow(bearer(machine))).status).toBe(403);
    expect((await narrow(bearer(alice))).status).toBe(403);

    const clientRoute = guard.requireScopes(['orders:read'], (_r, auth) => Response.json(auth.client.id), {
      accept: 'client',
    });
    expect((await clientRoute(bearer(machine))).status).toBe(200);
    expect((await clientRoute(bearer(alice))).status).toBe(401);

    const decided = await guard.decide(bearer(machine), { accept: 'any' });
    expect(decided.ok && decided.authentication.client?.id).toBe('machine-1');
    const anyToken = guard.requireToken((_r, auth) => Response.json(auth.user?.id ?? null), {
      accept: 'any',
    });
    expect(await (await anyToken(bearer(machine))).json()).toBeNull();
  });

  it('treats an unknown accept value as users only (fail closed)', async () => {
    const s = await setup();
    const guard = createGuard({ passport: s.passport });
    const machine = await clientCredentialsToken(s, 'machine-1');
    const alice = await personalToken(s, users.alice as TestUser);
    const typo = guard.requireToken(() => new Response('ok'), { accept: 'clients' as 'client' });
    const refused = await typo(bearer(machine));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(userTokenRequired);
    expect((await typo(bearer(alice))).status).toBe(200);
    const decision = await guard.decide(bearer(machine), { accept: 'everyone' as 'any' });
    expect(decision.ok).toBe(false);
    if (!decision.ok) expect(decision.refusal.headers.get('www-authenticate')).toBe(userTokenRequired);
  });

  it('the first-party cookie counts as a user: accepted on user and mixed routes, refused on client routes', async () => {
    const s = await setup();
    const page = withFirstPartyCookie(() => new Response('<html></html>'), {
      secret,
      authenticateUser: () => users.alice as TestUser,
      clock: () => s.clock.now,
    });
    const cookies = (await page(new Request(`${origin}/`))).headers.getSetCookie();
    const cookie = cookies.map((c) => c.split(';')[0]).join('; ');
    const xsrf = decodeURIComponent((cookie.split('XSRF-TOKEN=')[1] ?? '').split(';')[0] as string);
    const request = () => new Request(`${origin}/api`, { headers: { cookie, 'x-xsrf-token': xsrf } });
    const guard = createGuard({ passport: s.passport, cookie: { secret } });
    const ok = () => new Response('ok');
    expect((await guard.requireToken(ok)(request())).status).toBe(200);
    expect((await guard.requireToken(ok, { accept: 'any' })(request())).status).toBe(200);
    const client = await guard.requireClient(ok)(request());
    expect(client.status).toBe(401);
    expect(client.headers.get('www-authenticate')).toContain('client-credentials tokens only');
  });
});

describe('createGuard: audience', () => {
  async function twoApps(s: Setup) {
    const mint = async (name: string) => {
      const { client, plainSecret } = await s.passport.clients.create({
        name,
        grantTypes: ['client_credentials'],
      });
      const response = await s.handler(
        form(
          '/oauth/token',
          { grant_type: 'client_credentials', scope: 'orders:read' },
          { authorization: basic(client.id, plainSecret as string) },
        ),
      );
      return { client, token: ((await response.json()) as { access_token: string }).access_token };
    };
    return { orders: await mint('Orders app'), billing: await mint('Billing app') };
  }

  it('refuses with 401 invalid_token a token minted for another audience, and accepts its own', async () => {
    const s = await setup();
    const { orders, billing } = await twoApps(s);
    const guard = createGuard({ passport: s.passport, audience: orders.client.id });
    const route = guard.requireClient(() => new Response('ok'));
    expect((await route(bearer(orders.token))).status).toBe(200);
    const refused = await route(bearer(billing.token));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The token is invalid or revoked"',
    );
    expect(await refused.json()).toMatchObject({ error: 'invalid_token' });
    expect(await guard.authenticate(bearer(billing.token))).toBeNull();
    // without an audience, both pass
    const open = createGuard({ passport: s.passport }).requireClient(() => new Response('ok'));
    expect((await open(bearer(billing.token))).status).toBe(200);
  });

  it("accepts any audience of a list, for users' tokens too", async () => {
    const s = await setup();
    const { orders, billing } = await twoApps(s);
    const alice = await s.passport.createPersonalAccessToken(users.alice as TestUser, 'cli', ['orders:read']);
    const both = createGuard({ passport: s.passport, audience: [orders.client.id, billing.client.id] });
    const route = both.requireClient(() => new Response('ok'));
    expect((await route(bearer(orders.token))).status).toBe(200);
    expect((await route(bearer(billing.token))).status).toBe(200);
    const me = both.requireToken(() => new Response('ok'));
    const foreign = await me(bearer(alice.accessToken));
    expect(foreign.status).toBe(401);
    expect(foreign.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const personal = createGuard({ passport: s.passport, audience: alice.token.clientId });
    expect((await personal.requireToken(() => new Response('ok'))(bearer(alice.accessToken))).status).toBe(
      200,
    );
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
    // like a real client-credentials token: refused where a user is required, taken where both are
    const userRoute = await api.requireToken(() => new Response('ok'))(new Request(`${origin}/api`));
    expect(userRoute.status).toBe(401);
    expect(userRoute.headers.get('www-authenticate')).toContain('A user token is required');
    expect(
      (await api.requireToken(() => new Response('ok'), { accept: 'any' })(new Request(`${origin}/api`)))
        .status,
    ).toBe(200);
    expect(await guard.authenticate(new Request(`${origin}/api`))).toBeNull();
  });
});
