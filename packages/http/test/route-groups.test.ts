/**
 * Route groups (`routes`): the JSON API, the personal access token routes, the device flow and the
 * cookie refresh can each be switched off. What is off answers 404 like an unknown path, the rest
 * keeps working, and the metadata document (RFC 8414) does not advertise what is off.
 */
import { PassportOptionsError } from '@passport/core';
import { describe, expect, it } from 'vitest';
import { createPassportHandler, type RouteGroups } from '../src/index.js';
import { basic, form, origin, type Setup, secret, setup } from './helpers.js';

/** A request as the signed-in Alice, same-origin (what the JSON API wants for writes). */
function asAlice(method: string, path: string, body?: unknown): Request {
  return new Request(`${origin}${path}`, {
    method,
    headers: {
      'x-test-user': 'alice',
      origin,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function expectNotFound(s: Setup, request: Request): Promise<void> {
  const response = await s.handler(request);
  expect(response.status, `${request.method} ${new URL(request.url).pathname}`).toBe(404);
  expect(await response.json()).toEqual({ error: 'not_found', error_description: 'No such endpoint' });
}

async function metadataOf(s: Setup): Promise<Record<string, unknown>> {
  const response = await s.handler(new Request(`${origin}/.well-known/oauth-authorization-server`));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** A working client-credentials token request: the protocol endpoints stay up whatever is off. */
async function expectTokenEndpointUp(s: Setup): Promise<void> {
  const { client, plainSecret } = await s.passport.clients.create({
    name: 'Machine',
    grantTypes: ['client_credentials'],
  });
  const response = await s.handler(
    form(
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { authorization: basic(client.id, plainSecret as string) },
    ),
  );
  expect(response.status).toBe(200);
}

const off = (routes: RouteGroups) => setup({}, { routes });

describe('route groups', () => {
  it('api: false answers 404 for /clients, /tokens and /scopes and leaves the rest', async () => {
    const s = await off({ api: false });
    const { client } = await s.passport.clients.create({
      name: 'Mine',
      redirectUris: ['https://a.example/cb'],
      ownerId: 'alice',
    });
    await expectNotFound(s, asAlice('GET', '/oauth/clients'));
    await expectNotFound(
      s,
      asAlice('POST', '/oauth/clients', { name: 'New', redirect: 'https://b.example/cb' }),
    );
    await expectNotFound(s, asAlice('PUT', `/oauth/clients/${client.id}`, { name: 'Renamed' }));
    await expectNotFound(s, asAlice('DELETE', `/oauth/clients/${client.id}`));
    await expectNotFound(s, asAlice('GET', '/oauth/tokens'));
    await expectNotFound(s, asAlice('DELETE', '/oauth/tokens/some-token'));
    await expectNotFound(s, asAlice('GET', '/oauth/scopes'));
    // nothing was written through the routes that are off
    expect((await s.passport.clients.find(client.id))?.name).toBe('Mine');
    expect(await s.passport.clients.list()).toHaveLength(1);
    // the other groups and the protocol endpoints still answer
    expect((await s.handler(asAlice('GET', '/oauth/personal-access-tokens'))).status).toBe(200);
    expect((await s.handler(asAlice('GET', '/oauth/device'))).status).toBe(200);
    await expectTokenEndpointUp(s);
  });

  it('personalAccessTokens: false answers 404 for /personal-access-tokens and issues none', async () => {
    const s = await off({ personalAccessTokens: false });
    await expectNotFound(s, asAlice('GET', '/oauth/personal-access-tokens'));
    await expectNotFound(s, asAlice('POST', '/oauth/personal-access-tokens', { name: 'CLI', scopes: [] }));
    const { token } = await s.passport.createPersonalAccessToken({ id: 'alice', name: 'Alice' }, 'kept', []);
    await expectNotFound(s, asAlice('DELETE', `/oauth/personal-access-tokens/${token.id}`));
    const tokens = await s.passport.listUserTokens('alice');
    expect(tokens.map((t) => [t.name, t.revoked])).toEqual([['kept', false]]);
    expect((await s.handler(asAlice('GET', '/oauth/clients'))).status).toBe(200);
  });

  it('device: false answers 404 for the device endpoint and pages, and the metadata drops the device flow', async () => {
    const s = await off({ device: false });
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'TV',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
    });
    await expectNotFound(
      s,
      form('/oauth/device/code', {}, { authorization: basic(client.id, plainSecret as string) }),
    );
    await expectNotFound(s, asAlice('GET', '/oauth/device'));
    await expectNotFound(s, asAlice('GET', '/oauth/device?user_code=BCDF-GHJK'));
    await expectNotFound(s, form('/oauth/device', { device_token: 'x' }, { 'x-test-user': 'alice', origin }));
    const metadata = await metadataOf(s);
    expect(metadata.device_authorization_endpoint).toBeUndefined();
    expect(metadata.grant_types_supported).toEqual([
      'authorization_code',
      'refresh_token',
      'client_credentials',
    ]);
    expect(metadata.token_endpoint).toBe(`${origin}/oauth/token`);
    expect(metadata.authorization_endpoint).toBe(`${origin}/oauth/authorize`);

    const on = await metadataOf(await setup());
    expect(on.device_authorization_endpoint).toBe(`${origin}/oauth/device/code`);
    expect(on.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('cookieRefresh: false answers 404 for POST /token/refresh and sets no cookie', async () => {
    const s = await off({ cookieRefresh: false });
    const request = new Request(`${origin}/oauth/token/refresh`, {
      method: 'POST',
      headers: { 'x-test-user': 'alice', origin },
    });
    const response = await s.handler(request);
    expect(response.status).toBe(404);
    expect(response.headers.getSetCookie()).toEqual([]);
    const on = await (await setup()).handler(
      new Request(`${origin}/oauth/token/refresh`, {
        method: 'POST',
        headers: { 'x-test-user': 'alice', origin },
      }),
    );
    expect(on.status).toBe(204);
  });

  it('with every group off, the protocol endpoints and their metadata remain', async () => {
    const s = await off({ api: false, personalAccessTokens: false, device: false, cookieRefresh: false });
    for (const path of [
      '/oauth/clients',
      '/oauth/scopes',
      '/oauth/personal-access-tokens',
      '/oauth/device',
    ]) {
      await expectNotFound(s, asAlice('GET', path));
    }
    await expectTokenEndpointUp(s);
    expect((await s.handler(new Request(`${origin}/oauth/jwks`))).status).toBe(200);
    const metadata = await metadataOf(s);
    expect(Object.keys(metadata)).toEqual(
      expect.arrayContaining([
        'token_endpoint',
        'authorization_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'jwks_uri',
      ]),
    );
    expect(metadata).not.toHaveProperty('device_authorization_endpoint');
  });

  it('refuses an unknown group or a switch that is not a boolean at construction', async () => {
    const s = await setup();
    const make = (routes: unknown) => () =>
      createPassportHandler({
        passport: s.passport,
        secret,
        authenticateUser: () => null,
        routes: routes as RouteGroups,
      });
    expect(make({ devices: false })).toThrow(PassportOptionsError);
    expect(make({ devices: false })).toThrow(
      'createPassportHandler: routes.devices is not a route group switch (api, personalAccessTokens, device, cookieRefresh: true or false).',
    );
    expect(make({ api: 'no' })).toThrow('routes.api is not a route group switch');
    expect(make({ toString: false })).toThrow('routes.toString is not a route group switch');
    expect(make('none')).toThrow('routes.0 is not a route group switch');
    expect(make({ api: true, device: undefined })).not.toThrow();
  });
});
