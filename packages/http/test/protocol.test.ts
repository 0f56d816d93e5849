import type { GrantType } from '@passport/core';
import { describe, expect, it } from 'vitest';
import { basic, cookiesFrom, form, hidden, jwtPayload, origin, type Setup, setup, users } from './helpers.js';

async function confidential(s: Setup, grantTypes: GrantType[]) {
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'TV app',
    grantTypes,
    redirectUris: ['https://a.example/cb'],
    firstParty: true,
  });
  return { client, auth: basic(client.id, plainSecret as string) };
}

async function codeTokens(s: Setup) {
  const c = await confidential(s, ['authorization_code', 'refresh_token']);
  const approved = await s.handler(
    new Request(
      `${origin}/oauth/authorize?response_type=code&client_id=${c.client.id}&redirect_uri=https%3A%2F%2Fa.example%2Fcb&scope=orders:read`,
      { headers: { 'x-test-user': 'alice' } },
    ),
  );
  const code = new URL(approved.headers.get('location') as string).searchParams.get('code') as string;
  const response = await s.handler(
    form(
      '/oauth/token',
      { grant_type: 'authorization_code', code, redirect_uri: 'https://a.example/cb' },
      { authorization: c.auth },
    ),
  );
  const tokens = (await response.json()) as { access_token: string; refresh_token: string };
  return { ...c, ...tokens };
}

describe('refresh tokens over HTTP', () => {
  it('rotates, and reuse of a rotated refresh token (after the retry window) revokes the family', async () => {
    const s = await setup();
    const t = await codeTokens(s);
    const first = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token },
        { authorization: t.auth },
      ),
    );
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const rotated = (await first.json()) as { access_token: string; refresh_token: string };
    expect(rotated.refresh_token).not.toBe(t.refresh_token);
    s.clock.now += 30_000; // refreshTokenRetrySeconds: a presentation this late is reuse, not a retry
    const reuse = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: t.refresh_token },
        { authorization: t.auth },
      ),
    );
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
    const latest = await s.store.findAccessToken(jwtPayload(rotated.access_token).jti as string);
    expect(latest?.revoked).toBe(true);
  });
});

describe('POST /oauth/revoke (RFC 7009)', () => {
  it('revokes an access token and answers 200 with an empty body', async () => {
    const s = await setup();
    const t = await codeTokens(s);
    const response = await s.handler(
      form('/oauth/revoke', { token: t.access_token }, { authorization: t.auth }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect((await s.store.findAccessToken(jwtPayload(t.access_token).jti as string))?.revoked).toBe(true);
  });

  it('answers 200 for an unknown token and 401 for a bad client', async () => {
    const s = await setup();
    const t = await codeTokens(s);
    expect(
      (await s.handler(form('/oauth/revoke', { token: 'unknown' }, { authorization: t.auth }))).status,
    ).toBe(200);
    const bad = await s.handler(
      form('/oauth/revoke', { token: t.access_token }, { authorization: basic(t.client.id, 'x') }),
    );
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect((await s.store.findAccessToken(jwtPayload(t.access_token).jti as string))?.revoked).toBe(false);
  });
});

describe('POST /oauth/introspect (RFC 7662)', () => {
  it('describes an active token, then inactive after revocation', async () => {
    const s = await setup();
    const t = await codeTokens(s);
    const active = await s.handler(
      form('/oauth/introspect', { token: t.access_token }, { authorization: t.auth }),
    );
    expect(active.status).toBe(200);
    const body = (await active.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ active: true, client_id: t.client.id, sub: 'alice', scope: 'orders:read' });
    await s.passport.revokeAccessToken(jwtPayload(t.access_token).jti as string);
    const inactive = await s.handler(
      form('/oauth/introspect', { token: t.access_token }, { authorization: t.auth }),
    );
    expect(await inactive.json()).toEqual({ active: false });
  });

  it('requires client authentication', async () => {
    const s = await setup();
    const t = await codeTokens(s);
    const response = await s.handler(form('/oauth/introspect', { token: t.access_token }));
    expect(response.status).toBe(401);
  });
});

describe('GET /.well-known/oauth-authorization-server (RFC 8414)', () => {
  it('lists the enabled grants and endpoints', async () => {
    const s = await setup();
    const response = await s.handler(new Request(`${origin}/.well-known/oauth-authorization-server`));
    expect(response.status).toBe(200);
    const metadata = (await response.json()) as Record<string, unknown>;
    expect(metadata.issuer).toBe(origin);
    expect(metadata.token_endpoint).toBe(`${origin}/oauth/token`);
    expect(metadata.authorization_endpoint).toBe(`${origin}/oauth/authorize`);
    expect(metadata.jwks_uri).toBe(`${origin}/oauth/jwks`);
    expect(metadata.revocation_endpoint).toBe(`${origin}/oauth/revoke`);
    expect(metadata.introspection_endpoint).toBe(`${origin}/oauth/introspect`);
    expect(metadata.device_authorization_endpoint).toBe(`${origin}/oauth/device/code`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.grant_types_supported).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code',
    ]);
    expect(metadata.scopes_supported).toEqual(['orders:read', 'orders:write']);
  });

  it('omits disabled grants and their endpoints', async () => {
    const s = await setup({
      grants: { authorizationCode: false, deviceCode: false, implicit: false, password: true },
      pkce: { allowPlain: true },
      userProviders: {
        users: {
          findById: async (id) => users[id] ?? null,
          findForPassport: async (username) => users[username] ?? null,
          validateForPassportPasswordGrant: async () => false,
        },
      },
    });
    const metadata = (await (
      await s.handler(new Request(`${origin}/.well-known/oauth-authorization-server`))
    ).json()) as Record<string, unknown>;
    expect(metadata.authorization_endpoint).toBeUndefined();
    expect(metadata.device_authorization_endpoint).toBeUndefined();
    expect(metadata.grant_types_supported).toEqual(['refresh_token', 'client_credentials', 'password']);
  });

  it('is also served below the issuer path suffix', async () => {
    const s = await setup({ issuer: `${origin}/tenant` });
    const response = await s.handler(new Request(`${origin}/.well-known/oauth-authorization-server/tenant`));
    expect(((await response.json()) as { issuer: string }).issuer).toBe(`${origin}/tenant`);
  });
});

describe('GET /oauth/jwks', () => {
  it('publishes the public keys that verify access tokens', async () => {
    const s = await setup();
    const response = await s.handler(new Request(`${origin}/oauth/jwks`));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]?.kid).toBe(s.passport.keys.active.kid);
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('device authorization (RFC 8628)', () => {
  it('issues a device code, lets the user approve it on the device pages, then tokens are issued', async () => {
    const s = await setup();
    const c = await confidential(s, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
    const started = await s.handler(
      form('/oauth/device/code', { scope: 'orders:read' }, { authorization: c.auth }),
    );
    expect(started.status).toBe(200);
    expect(started.headers.get('cache-control')).toBe('no-store');
    const device = (await started.json()) as {
      device_code: string;
      user_code: string;
      verification_uri: string;
    };
    expect(device.verification_uri).toBe(`${origin}/oauth/device`);

    const poll = () =>
      s.handler(
        form(
          '/oauth/token',
          { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code },
          { authorization: c.auth },
        ),
      );
    const pending = await poll();
    expect(((await pending.json()) as { error: string }).error).toBe('authorization_pending');

    const guest = await s.handler(new Request(`${origin}/oauth/device`));
    expect(guest.status).toBe(302);
    expect(new URL(guest.headers.get('location') as string).pathname).toBe('/login');

    const entry = await s.handler(
      new Request(`${origin}/oauth/device`, { headers: { 'x-test-user': 'alice' } }),
    );
    expect(entry.status).toBe(200);
    expect(entry.headers.get('x-frame-options')).toBe('DENY');
    expect(await entry.text()).toContain('name="user_code"');

    const wrong = await s.handler(
      new Request(`${origin}/oauth/device?user_code=BBBB-BBBB`, { headers: { 'x-test-user': 'alice' } }),
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('not valid');

    const page = await s.handler(
      new Request(`${origin}/oauth/device?user_code=${device.user_code.toLowerCase()}`, {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('TV app');
    expect(html).toContain('Read your orders');
    const approve = await s.handler(
      form(
        '/oauth/device',
        {
          device_token: hidden(html, 'device_token'),
          csrf_token: hidden(html, 'csrf_token'),
          action: 'approve',
        },
        { 'x-test-user': 'alice', cookie: cookiesFrom(page) },
      ),
    );
    expect(approve.status).toBe(200);
    expect(await approve.text()).toContain('Device connected');

    s.clock.now += 6_000;
    const issued = await poll();
    expect(issued.status).toBe(200);
    const tokens = (await issued.json()) as { access_token: string };
    expect(jwtPayload(tokens.access_token).sub).toBe('alice');
  });

  it('escapes the client name and the typed code on the device pages, which cannot be framed', async () => {
    const s = await setup();
    const { client, plainSecret } = await s.passport.clients.create({
      name: '<img src=x onerror=alert(1)> TV',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
    const device = (await (
      await s.handler(
        form('/oauth/device/code', {}, { authorization: basic(client.id, plainSecret as string) }),
      )
    ).json()) as { user_code: string };
    const page = await s.handler(
      new Request(`${origin}/oauth/device?user_code=${device.user_code}`, {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; TV');
    expect(html).not.toContain('<img');
    const typed = await s.handler(
      new Request(`${origin}/oauth/device?user_code=${encodeURIComponent('"><script>x</script>')}`, {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(typed.status).toBe(400);
    expect(await typed.text()).not.toContain('<script>x');
  });

  it('denies a device request, and the device sees access_denied', async () => {
    const s = await setup();
    const c = await confidential(s, ['urn:ietf:params:oauth:grant-type:device_code']);
    const device = (await (
      await s.handler(form('/oauth/device/code', {}, { authorization: c.auth }))
    ).json()) as {
      device_code: string;
      user_code: string;
    };
    const page = await s.handler(
      new Request(`${origin}/oauth/device?user_code=${device.user_code}`, {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    const html = await page.text();
    const submit = () =>
      s.handler(
        form(
          '/oauth/device',
          {
            device_token: hidden(html, 'device_token'),
            csrf_token: hidden(html, 'csrf_token'),
            action: 'deny',
          },
          { 'x-test-user': 'alice', cookie: cookiesFrom(page) },
        ),
      );
    expect(await (await submit()).text()).toContain('denied');
    expect((await submit()).status).toBe(400);
    const poll = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: device.device_code },
        { authorization: c.auth },
      ),
    );
    expect(((await poll.json()) as { error: string }).error).toBe('access_denied');
  });
});

describe('POST /oauth/token/refresh (first-party cookie)', () => {
  it('renews the cookie for a signed-in user with a same-origin request', async () => {
    const s = await setup();
    const response = await s.handler(
      new Request(`${origin}/oauth/token/refresh`, {
        method: 'POST',
        headers: { 'x-test-user': 'alice', origin },
      }),
    );
    expect(response.status).toBe(204);
    const cookies = response.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith('passport_token='))).toMatch(/HttpOnly.*SameSite=Lax/);
    expect(cookies.find((c) => c.startsWith('XSRF-TOKEN='))).not.toContain('HttpOnly');
  });

  it('answers 401 for a guest and 403 for a cross-site request', async () => {
    const s = await setup();
    const guest = await s.handler(
      new Request(`${origin}/oauth/token/refresh`, { method: 'POST', headers: { origin } }),
    );
    expect(guest.status).toBe(401);
    const cross = await s.handler(
      new Request(`${origin}/oauth/token/refresh`, {
        method: 'POST',
        headers: { 'x-test-user': 'alice', origin: 'https://evil.example' },
      }),
    );
    expect(cross.status).toBe(403);
    expect(cross.headers.getSetCookie()).toEqual([]);
  });
});
