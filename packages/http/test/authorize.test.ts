import { describe, expect, it } from 'vitest';
import { cookiesFrom, form, hidden, origin, pkce, type Setup, secret, setup } from './helpers.js';

const redirectUri = 'https://app.example/callback';

async function webClient(s: Setup, overrides: { name?: string; firstParty?: boolean } = {}) {
  const { client, plainSecret } = await s.passport.clients.create({
    name: overrides.name ?? 'Shop',
    redirectUris: [redirectUri],
    firstParty: overrides.firstParty ?? false,
  });
  return { client, secret: plainSecret as string };
}

function authorizeUrl(params: Record<string, string>): string {
  return `${origin}/oauth/authorize?${new URLSearchParams(params).toString()}`;
}

async function openPage(s: Setup, params: Record<string, string>, user = 'alice') {
  const response = await s.handler(new Request(authorizeUrl(params), { headers: { 'x-test-user': user } }));
  const html = await response.text();
  return { response, html, cookie: cookiesFrom(response) };
}

function decide(
  body: Record<string, string>,
  cookie: string,
  options: { user?: string; method?: string } = {},
): Request {
  const request = form('/oauth/authorize', body, { 'x-test-user': options.user ?? 'alice', cookie });
  return options.method ? new Request(request, { method: options.method }) : request;
}

describe('GET /oauth/authorize', () => {
  it('sends a guest to the login page with a return URL', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const url = authorizeUrl({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      state: 'xyz',
    });
    const response = await s.handler(new Request(url));
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('return_to')).toBe(url);
  });

  it('shows an escaped, framing-protected approval page with the client name and scope descriptions', async () => {
    const s = await setup();
    const { client } = await webClient(s, { name: '<script>alert(1)</script> Shop' });
    const { challenge } = await pkce();
    const { response, html } = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      scope: 'orders:read orders:write',
      state: 's1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Shop');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('Read your orders');
    expect(html).toContain('Create &amp; change &lt;your&gt; orders');
    expect(html).toMatch(/<button[^>]*value="approve"/);
    expect(html).toMatch(/<button[^>]*value="deny"/);
    expect(html).toContain('lang="en"');
    expect(response.headers.getSetCookie().join()).toMatch(/passport_csrf=.*HttpOnly.*SameSite=Lax/);
  });

  it('shows an error page, never a redirect, for an unknown client or unregistered redirect_uri', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const unknown = await s.handler(
      new Request(authorizeUrl({ response_type: 'code', client_id: 'nope', redirect_uri: redirectUri }), {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.headers.get('location')).toBeNull();
    expect(unknown.headers.get('x-frame-options')).toBe('DENY');
    const evil = await s.handler(
      new Request(
        authorizeUrl({
          response_type: 'code',
          client_id: client.id,
          redirect_uri: 'https://evil.example/cb',
        }),
        {
          headers: { 'x-test-user': 'alice' },
        },
      ),
    );
    expect(evil.status).toBeGreaterThanOrEqual(400);
    expect(evil.headers.get('location')).toBeNull();
  });

  it('shows an error page for a repeated parameter', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const response = await s.handler(
      new Request(
        `${origin}/oauth/authorize?response_type=code&client_id=${client.id}&client_id=${client.id}`,
        {
          headers: { 'x-test-user': 'alice' },
        },
      ),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('client_id');
  });

  it('redirects scope errors back to the client with state and iss', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const response = await s.handler(
      new Request(
        authorizeUrl({
          response_type: 'code',
          client_id: client.id,
          redirect_uri: redirectUri,
          scope: 'nope',
          state: 'st',
        }),
        { headers: { 'x-test-user': 'alice' } },
      ),
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('error')).toBe('invalid_scope');
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('iss')).toBe(origin);
  });

  it('auto-approves a first-party client without showing the page', async () => {
    const s = await setup();
    const { client } = await webClient(s, { firstParty: true });
    const { response } = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      state: 'a',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.searchParams.get('code')).toBeTruthy();
    expect(location.searchParams.get('state')).toBe('a');
  });

  it('prompt=consent shows the page even for a first-party client', async () => {
    const s = await setup();
    const { client } = await webClient(s, { firstParty: true });
    const { response, html } = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      prompt: 'consent',
    });
    expect(response.status).toBe(200);
    expect(html).toContain('auth_token');
  });

  it('prompt=none answers login_required for a guest and consent_required when consent is needed', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const params = {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      prompt: 'none',
      state: 'p',
    };
    const guest = await s.handler(new Request(authorizeUrl(params)));
    expect(guest.status).toBe(302);
    const guestLocation = new URL(guest.headers.get('location') as string);
    expect(guestLocation.searchParams.get('error')).toBe('login_required');
    expect(guestLocation.searchParams.get('state')).toBe('p');
    const signedIn = await s.handler(
      new Request(authorizeUrl(params), { headers: { 'x-test-user': 'alice' } }),
    );
    expect(new URL(signedIn.headers.get('location') as string).searchParams.get('error')).toBe(
      'consent_required',
    );
  });

  it('prompt=login sends a signed-in user to re-authenticate, returning without prompt=login', async () => {
    const s = await setup();
    const { client } = await webClient(s);
    const { response } = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      prompt: 'login',
    });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.pathname).toBe('/login');
    expect(location.searchParams.get('prompt')).toBe('login');
    const back = new URL(location.searchParams.get('return_to') as string);
    expect(back.searchParams.get('prompt')).toBeNull();
    expect(back.searchParams.get('client_id')).toBe(client.id);
  });

  it('prompt=login is satisfied by a fresh login when authenticatedAt is provided', async () => {
    const s = await setup({}, { authenticatedAt: () => Date.UTC(2026, 0, 1, 12) - 5_000 });
    const { client } = await webClient(s);
    const { response } = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      prompt: 'login',
    });
    expect(response.status).toBe(200);
  });

  it('skips the approval page when the skipsAuthorization hook says so, asking it with the client, user and scopes', async () => {
    const asked: { client: string; user: string; scopes: readonly string[] }[] = [];
    const s = await setup({
      skipsAuthorization: async ({ client, user, scopes }) => {
        asked.push({ client: client.id, user: user.id, scopes });
        return client.name === 'Partner' && user.id === 'alice';
      },
    });
    const { client: partner, secret } = await webClient(s, { name: 'Partner' });
    const { client: other } = await webClient(s, { name: 'Other' });
    const { verifier, challenge } = await pkce();
    const params = (client: string) => ({
      response_type: 'code',
      client_id: client,
      redirect_uri: redirectUri,
      scope: 'orders:read',
      state: 'st-9',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });

    const skipped = await s.handler(
      new Request(authorizeUrl(params(partner.id)), { headers: { 'x-test-user': 'alice' } }),
    );
    expect(skipped.status).toBe(302);
    const location = new URL(skipped.headers.get('location') as string);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('st-9');
    expect(location.searchParams.get('iss')).toBe(origin);
    expect(asked).toEqual([{ client: partner.id, user: 'alice', scopes: ['orders:read'] }]);
    const tokens = await s.handler(
      form(
        '/oauth/token',
        {
          grant_type: 'authorization_code',
          code: location.searchParams.get('code') as string,
          redirect_uri: redirectUri,
          code_verifier: verifier,
        },
        { authorization: `Basic ${btoa(`${partner.id}:${secret}`)}` },
      ),
    );
    expect(tokens.status).toBe(200);

    // false: the approval page, as for any third-party client
    for (const [client, user] of [
      [other.id, 'alice'],
      [partner.id, 'bob'],
    ] as const) {
      const { response, html } = await openPage(s, params(client), user);
      expect(response.status).toBe(200);
      expect(html).toContain('Authorization request');
    }
    // prompt=consent still asks; prompt=none succeeds silently
    const consent = await openPage(s, { ...params(partner.id), prompt: 'consent' });
    expect(consent.response.status).toBe(200);
    expect(consent.html).toContain('Authorization request');
    const silent = await s.handler(
      new Request(authorizeUrl({ ...params(partner.id), prompt: 'none' }), {
        headers: { 'x-test-user': 'alice' },
      }),
    );
    expect(new URL(silent.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
  });

  it('asks a synchronous skipsAuthorization hook too, and never for a guest', async () => {
    let calls = 0;
    const s = await setup({
      skipsAuthorization: () => {
        calls++;
        return true;
      },
    });
    const { client } = await webClient(s);
    const params = {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      code_challenge: (await pkce()).challenge,
      code_challenge_method: 'S256',
    };
    const guest = await s.handler(new Request(authorizeUrl(params)));
    expect(new URL(guest.headers.get('location') as string).pathname).toBe('/login');
    expect(calls).toBe(0);
    const approved = await s.handler(
      new Request(authorizeUrl(params), { headers: { 'x-test-user': 'bob' } }),
    );
    expect(approved.status).toBe(302);
    expect(new URL(approved.headers.get('location') as string).searchParams.get('code')).toBeTruthy();
    expect(calls).toBe(1);
  });
});

describe('POST and DELETE /oauth/authorize', () => {
  async function pending(s: Setup) {
    const { client, secret } = await webClient(s);
    const { verifier, challenge } = await pkce();
    const page = await openPage(s, {
      response_type: 'code',
      client_id: client.id,
      redirect_uri: redirectUri,
      scope: 'orders:read',
      state: 'st-1',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    return {
      client,
      secret,
      verifier,
      cookie: page.cookie,
      authToken: hidden(page.html, 'auth_token'),
      csrf: hidden(page.html, 'csrf_token'),
    };
  }

  it('approves: redirects with code, state and iss, and the code redeems with PKCE', async () => {
    const s = await setup();
    const p = await pending(s);
    const response = await s.handler(
      decide({ auth_token: p.authToken, csrf_token: p.csrf, action: 'approve' }, p.cookie),
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('iss')).toBe(origin);
    const code = location.searchParams.get('code') as string;
    const token = await s.handler(
      form('/oauth/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        code_verifier: p.verifier,
        client_id: p.client.id,
        client_secret: p.secret,
      }),
    );
    expect(token.status).toBe(200);
    const body = (await token.json()) as { refresh_token?: string; scope?: string };
    expect(body.refresh_token).toBeTruthy();
    const tokens = await s.passport.listUserTokens('alice');
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.scopes).toEqual(['orders:read']);
  });

  it('lets another instance (same secret and store, no shared session) finish the request, but not one with another secret', async () => {
    const s = await setup();
    const p = await pending(s);
    const { createPassportHandler } = await import('../src/index.js');
    const instance = (handlerSecret: string) =>
      createPassportHandler({
        passport: s.passport,
        secret: handlerSecret,
        authenticateUser: (request) =>
          request.headers.get('x-test-user') === 'alice' ? { id: 'alice', name: 'Alice' } : null,
      });
    const body = { auth_token: p.authToken, csrf_token: p.csrf, action: 'approve' };
    const foreign = await instance('another-secret-of-at-least-32-characters!')(decide(body, p.cookie));
    expect(foreign.status).toBe(400);
    expect(await s.passport.listUserTokens('alice')).toEqual([]);
    const other = await instance(secret)(decide(body, p.cookie));
    expect(other.status).toBe(302);
    const location = new URL(other.headers.get('location') as string);
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('code')).toBeTruthy();
  });

  it('accepts an auth_token only once', async () => {
    const s = await setup();
    const p = await pending(s);
    const body = { auth_token: p.authToken, csrf_token: p.csrf };
    expect((await s.handler(decide(body, p.cookie))).status).toBe(302);
    const again = await s.handler(decide(body, p.cookie));
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('denies through DELETE with error=access_denied and state', async () => {
    const s = await setup();
    const p = await pending(s);
    const response = await s.handler(
      decide({ auth_token: p.authToken, csrf_token: p.csrf }, p.cookie, { method: 'DELETE' }),
    );
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') as string);
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('st-1');
    expect(location.searchParams.get('code')).toBeNull();
    expect(await s.passport.listUserTokens('alice')).toHaveLength(0);
  });

  it('accepts a JSON DELETE with the CSRF value in the X-CSRF-TOKEN header', async () => {
    const s = await setup();
    const p = await pending(s);
    const response = await s.handler(
      new Request(`${origin}/oauth/authorize`, {
        method: 'DELETE',
        headers: {
          'content-type': 'application/json',
          'x-test-user': 'alice',
          cookie: p.cookie,
          'x-csrf-token': p.csrf,
        },
        body: JSON.stringify({ auth_token: p.authToken }),
      }),
    );
    expect(response.status).toBe(302);
    expect(new URL(response.headers.get('location') as string).searchParams.get('error')).toBe(
      'access_denied',
    );
  });

  it('denies through the POST form fallback (action=deny and _method=DELETE)', async () => {
    const s = await setup();
    for (const extra of [{ action: 'deny' }, { _method: 'DELETE' }]) {
      const p = await pending(s);
      const response = await s.handler(
        decide({ auth_token: p.authToken, csrf_token: p.csrf, ...extra }, p.cookie),
      );
      expect(new URL(response.headers.get('location') as string).searchParams.get('error')).toBe(
        'access_denied',
      );
    }
  });

  it('refuses a CSRF mismatch, a missing cookie and a tampered token', async () => {
    const s = await setup();
    const p = await pending(s);
    const wrong = await s.handler(decide({ auth_token: p.authToken, csrf_token: 'nope' }, p.cookie));
    expect(wrong.status).toBe(403);
    const noCookie = await s.handler(decide({ auth_token: p.authToken, csrf_token: p.csrf }, ''));
    expect(noCookie.status).toBe(403);
    const tampered = await s.handler(decide({ auth_token: `x${p.authToken}`, csrf_token: p.csrf }, p.cookie));
    expect(tampered.status).toBe(400);
    // the real token still works: failed attempts did not consume it
    expect((await s.handler(decide({ auth_token: p.authToken, csrf_token: p.csrf }, p.cookie))).status).toBe(
      302,
    );
  });

  it('refuses a cross-site form post (foreign Origin) but accepts a same-origin one', async () => {
    const s = await setup();
    const p = await pending(s);
    const body = { auth_token: p.authToken, csrf_token: p.csrf };
    const cross = await s.handler(
      form('/oauth/authorize', body, {
        'x-test-user': 'alice',
        cookie: p.cookie,
        origin: 'https://evil.example',
      }),
    );
    expect(cross.status).toBe(403);
    const same = await s.handler(
      form('/oauth/authorize', body, { 'x-test-user': 'alice', cookie: p.cookie, origin }),
    );
    expect(same.status).toBe(302);
  });

  it('refuses a token shown to another user, and a guest', async () => {
    const s = await setup();
    const p = await pending(s);
    const bob = await s.handler(
      decide({ auth_token: p.authToken, csrf_token: p.csrf }, p.cookie, { user: 'bob' }),
    );
    expect(bob.status).toBe(403);
    const guest = await s.handler(
      form('/oauth/authorize', { auth_token: p.authToken, csrf_token: p.csrf }, { cookie: p.cookie }),
    );
    expect(guest.status).toBe(401);
  });

  it('approves an implicit request (when enabled) with the token in the fragment', async () => {
    const s = await setup({ grants: { implicit: true } });
    const { client } = await s.passport.clients.create({
      name: 'Legacy SPA',
      redirectUris: [redirectUri],
      grantTypes: ['implicit'],
      confidential: false,
    });
    const page = await openPage(s, {
      response_type: 'token',
      client_id: client.id,
      redirect_uri: redirectUri,
      state: 'i',
    });
    expect(page.response.status).toBe(200);
    const response = await s.handler(
      decide(
        { auth_token: hidden(page.html, 'auth_token'), csrf_token: hidden(page.html, 'csrf_token') },
        page.cookie,
      ),
    );
    const location = new URL(response.headers.get('location') as string);
    expect(location.search).toBe('');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('access_token')).toBeTruthy();
    expect(fragment.get('refresh_token')).toBeNull();
    expect(fragment.get('state')).toBe('i');
    expect(await s.passport.listUserTokens('alice')).toHaveLength(1);
  });

  it('refuses an expired auth_token', async () => {
    const s = await setup();
    const p = await pending(s);
    s.clock.now += 601_000;
    const response = await s.handler(decide({ auth_token: p.authToken, csrf_token: p.csrf }, p.cookie));
    expect(response.status).toBe(400);
  });
});
