/**
 * Every page Passport serves can be replaced through the one `render` hook: each receives its typed
 * model, the host's HTML is what is served (with the page's status), and the page security headers
 * and the form's CSRF cookie stay. The forms a host renders from the models work end to end.
 */
import { describe, expect, it } from 'vitest';
import type { PageModel, PageRenderer } from '../src/index.js';
import {
  basic,
  cookiesFrom,
  form,
  hidden,
  jwtPayload,
  origin,
  type Setup,
  setup,
  type TestUser,
} from './helpers.js';

const redirectUri = 'https://app.example/callback';
const deviceGrant = 'urn:ietf:params:oauth:grant-type:device_code';

/** A renderer that records every model and renders the pages named in `own` as `<custom page>`. */
function recording(own: readonly PageModel['page'][]) {
  const seen: PageModel<TestUser>[] = [];
  const render: PageRenderer<TestUser> = (model) => {
    seen.push(model);
    return own.includes(model.page) ? `<custom ${model.page}>` : undefined;
  };
  return { seen, render };
}

function expectPageHeaders(response: Response): void {
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('same-origin');
}

const asAlice = (url: string) => new Request(url, { headers: { 'x-test-user': 'alice' } });

async function webClient(s: Setup) {
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'Shop',
    redirectUris: [redirectUri],
  });
  return { client, secret: plainSecret as string };
}

async function deviceRequest(s: Setup) {
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'TV app',
    grantTypes: [deviceGrant],
  });
  const auth = basic(client.id, plainSecret as string);
  const started = await s.handler(
    form('/oauth/device/code', { scope: 'orders:read' }, { authorization: auth }),
  );
  const device = (await started.json()) as { device_code: string; user_code: string };
  const poll = () =>
    s.handler(
      form(
        '/oauth/token',
        { grant_type: deviceGrant, device_code: device.device_code },
        { authorization: auth },
      ),
    );
  return { client, device, poll };
}

describe('render: the authorization approval page', () => {
  it('receives its model, serves the host HTML with the security headers and CSRF cookie, and the form works', async () => {
    const { seen, render } = recording(['authorization']);
    const s = await setup({}, { render });
    const { client, secret } = await webClient(s);
    const page = await s.handler(
      asAlice(
        `${origin}/oauth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: client.id,
          redirect_uri: redirectUri,
          scope: 'orders:read',
          state: 'st',
        })}`,
      ),
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<custom authorization>');
    expectPageHeaders(page);
    expect(page.headers.getSetCookie().some((c) => c.startsWith('passport_csrf='))).toBe(true);

    expect(seen).toHaveLength(1);
    const model = seen[0];
    if (model?.page !== 'authorization') throw new Error(`expected the approval model, got ${model?.page}`);
    expect(model.status).toBe(200);
    expect(model.client).toEqual({ id: client.id, name: 'Shop' });
    expect(model.scopes).toEqual([{ id: 'orders:read', description: 'Read your orders' }]);
    expect(model.user).toEqual({ id: 'alice', name: 'Alice' });
    expect(model.action).toBe('/oauth/authorize');
    expect(model.authorizationRequest.state).toBe('st');
    expect(model.request.url).toContain('/oauth/authorize?');

    // a host form built from the model approves the request
    const approved = await s.handler(
      form(
        '/oauth/authorize',
        { auth_token: model.authToken, csrf_token: model.csrfToken },
        { 'x-test-user': 'alice', cookie: cookiesFrom(page) },
      ),
    );
    expect(approved.status).toBe(302);
    const code = new URL(approved.headers.get('location') as string).searchParams.get('code') as string;
    const tokens = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'authorization_code', code, redirect_uri: redirectUri },
        { authorization: basic(client.id, secret) },
      ),
    );
    expect(tokens.status).toBe(200);
  });

  it('serves a host Response with its status, adds the security headers it lacks and keeps its own and the CSRF cookie', async () => {
    const s = await setup(
      {},
      {
        render: (model) =>
          model.page === 'authorization'
            ? new Response('<branded>', {
                status: 203,
                headers: {
                  'content-type': 'text/html; charset=utf-8',
                  'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
                  'set-cookie': 'theme=dark; Path=/',
                },
              })
            : undefined,
      },
    );
    const { client } = await webClient(s);
    const page = await s.handler(
      asAlice(
        `${origin}/oauth/authorize?response_type=code&client_id=${client.id}&redirect_uri=${redirectUri}`,
      ),
    );
    expect(page.status).toBe(203);
    expect(await page.text()).toBe('<branded>');
    expect(page.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const cookies = page.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('theme=dark'))).toBe(true);
    expect(cookies.some((c) => c.startsWith('passport_csrf='))).toBe(true);
  });

  it('keeps the built-in page when the hook gives nothing for it', async () => {
    const { seen, render } = recording(['error']);
    const s = await setup({}, { render });
    const { client } = await webClient(s);
    const page = await s.handler(
      asAlice(
        `${origin}/oauth/authorize?response_type=code&client_id=${client.id}&redirect_uri=${redirectUri}`,
      ),
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1 id="title">Authorization request</h1>');
    expectPageHeaders(page);
    expect(seen.map((model) => model.page)).toEqual(['authorization']);
  });
});

describe('render: the error page', () => {
  it('receives the status, error code, title and message of an authorization request that cannot be redirected', async () => {
    const { seen, render } = recording(['error']);
    const s = await setup({}, { render });
    const unknown = await s.handler(
      asAlice(`${origin}/oauth/authorize?response_type=code&client_id=nobody&redirect_uri=${redirectUri}`),
    );
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toBe('<custom error>');
    expectPageHeaders(unknown);
    expect(seen[0]).toMatchObject({
      page: 'error',
      status: 401,
      error: 'invalid_client',
      title: 'Authorization failed',
    });

    const repeated = await s.handler(asAlice(`${origin}/oauth/authorize?client_id=a&client_id=b`));
    expect(repeated.status).toBe(400);
    expect(await repeated.text()).toBe('<custom error>');
    expect(seen[1]).toMatchObject({ page: 'error', status: 400, error: 'invalid_request' });
    expect((seen[1] as { message: string }).message).toContain('client_id');
  });

  it('renders the refusals of the device form (cross-site, CSRF, expired) with their status', async () => {
    const { seen, render } = recording(['error']);
    const s = await setup({}, { render });
    const crossSite = await s.handler(
      form(
        '/oauth/device',
        { device_token: 'x' },
        { 'x-test-user': 'alice', origin: 'https://evil.example' },
      ),
    );
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toBe('<custom error>');
    expectPageHeaders(crossSite);
    const expired = await s.handler(
      form('/oauth/device', { device_token: 'forged' }, { 'x-test-user': 'alice' }),
    );
    expect(expired.status).toBe(400);
    expect(await expired.text()).toBe('<custom error>');
    expect(seen.map((model) => [model.page, model.status, (model as { title: string }).title])).toEqual([
      ['error', 403, 'Request refused'],
      ['error', 400, 'Request expired'],
    ]);
  });
});

describe('render: the device pages', () => {
  it('the code entry page gets its model, empty and then with the error and the typed code (400)', async () => {
    const { seen, render } = recording(['device-code']);
    const s = await setup({}, { render });
    const empty = await s.handler(asAlice(`${origin}/oauth/device`));
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('<custom device-code>');
    expectPageHeaders(empty);
    const wrong = await s.handler(asAlice(`${origin}/oauth/device?user_code=BBBB-BBBB`));
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toBe('<custom device-code>');
    expectPageHeaders(wrong);
    expect(seen).toEqual([
      expect.objectContaining({
        page: 'device-code',
        status: 200,
        action: '/oauth/device',
        userCode: '',
        error: null,
        user: { id: 'alice', name: 'Alice' },
      }),
      expect.objectContaining({
        page: 'device-code',
        status: 400,
        userCode: 'BBBB-BBBB',
        error: 'That code is not valid or has expired. Check your device.',
      }),
    ]);
  });

  it('the confirmation and outcome pages get their models; a host form from the model approves the device', async () => {
    const { seen, render } = recording(['device-approval', 'device-outcome']);
    const s = await setup({}, { render });
    const { client, device, poll } = await deviceRequest(s);
    const page = await s.handler(
      asAlice(`${origin}/oauth/device?user_code=${device.user_code.toLowerCase()}`),
    );
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<custom device-approval>');
    expectPageHeaders(page);
    const model = seen[0];
    if (model?.page !== 'device-approval')
      throw new Error(`expected the device approval model, got ${model?.page}`);
    expect(model.client).toEqual({ id: client.id, name: 'TV app' });
    expect(model.userCode).toBe(device.user_code);
    expect(model.scopes).toEqual([{ id: 'orders:read', description: 'Read your orders' }]);
    expect(model.action).toBe('/oauth/device');

    const approved = await s.handler(
      form(
        '/oauth/device',
        { device_token: model.deviceToken, csrf_token: model.csrfToken, action: 'approve' },
        { 'x-test-user': 'alice', cookie: cookiesFrom(page) },
      ),
    );
    expect(approved.status).toBe(200);
    expect(await approved.text()).toBe('<custom device-outcome>');
    expectPageHeaders(approved);
    expect(seen[1]).toMatchObject({
      page: 'device-outcome',
      status: 200,
      outcome: 'approved',
      user: { id: 'alice' },
    });
    s.clock.now += 6_000;
    const issued = await poll();
    expect(issued.status).toBe(200);
    expect(jwtPayload(((await issued.json()) as { access_token: string }).access_token).sub).toBe('alice');
  });

  it("the outcome page says 'denied' after a denial, and the device gets access_denied", async () => {
    const { seen, render } = recording(['device-outcome']);
    const s = await setup({}, { render });
    const { device, poll } = await deviceRequest(s);
    const page = await s.handler(asAlice(`${origin}/oauth/device?user_code=${device.user_code}`));
    const html = await page.text();
    expect(html).toContain('Connect TV app'); // the built-in confirmation page
    const denied = await s.handler(
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
    expect(await denied.text()).toBe('<custom device-outcome>');
    expect(seen.map((model) => model.page)).toEqual(['device-approval', 'device-outcome']);
    expect(seen[1]).toMatchObject({ outcome: 'denied' });
    expect(((await (await poll()).json()) as { error: string }).error).toBe('access_denied');
  });
});
