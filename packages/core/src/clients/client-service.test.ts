import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { PassportEventEmitter } from '../events/emitter.js';
import type { PassportContext } from '../internal/context.js';
import { RateLimiter } from '../internal/rate-limiter.js';
import { verifySecret, webCryptoRandom } from '../internal/secrets.js';
import type { KeySet } from '../keys/key-set.js';
import { ScopeRegistry } from '../scopes/registry.js';
import { ClientService } from './client-service.js';
import { ClientValidationError, redirectUriProblem } from './validation.js';

function setup() {
  const store = createMemoryStore();
  const events = new PassportEventEmitter();
  let now = Date.parse('2026-01-01T00:00:00Z');
  let ids = 0;
  const ctx: PassportContext = {
    issuer: 'https://auth.example',
    store,
    keys: null as unknown as KeySet, // the client service never signs
    scopes: new ScopeRegistry({ scopes: { read: 'Read', write: 'Write' } }),
    events,
    lifetimes: {
      accessToken: 3600,
      refreshToken: 2_592_000,
      personalAccessToken: 31_536_000,
      authCode: 600,
      deviceCode: 600,
    },
    now: () => now,
    random: webCryptoRandom,
    generateId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
    rateLimiter: new RateLimiter(store, {}),
  };
  return { ctx, store, events, clients: new ClientService(ctx), advance: (ms: number) => (now += ms) };
}

async function validationError(promise: Promise<unknown>): Promise<ClientValidationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientValidationError);
  return error as ClientValidationError;
}

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example/callback',
    'http://127.0.0.1:8080/cb',
    'http://[::1]/cb',
    'com.example.app:/callback',
    'com.example.app://callback/path?x=1',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['/relative/path', 'must be an absolute URL'],
    ['app.example/callback', 'must be an absolute URL'],
    ['https://app.example/cb#frag', 'must not contain a fragment'],
    ['https://app.example/cb#', 'must not contain a fragment'],
    ['https://', 'must be an absolute URL'],
    ['http:/path-only', 'must have a host'],
    ['javascript:alert(1)', 'must not use the javascript: scheme'],
    ['data:text/html,hi', 'must not use the data: scheme'],
    [' https://app.example/cb', 'must be an absolute URL without surrounding spaces'],
    ['https://user:pw@app.example/cb', 'must not contain credentials'],
  ])('rejects %s', (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });
});

describe('ClientService', () => {
  it('creates a confidential client: UUID from generateId, plain secret returned once, only its hash stored', async () => {
    const { clients, store, events } = setup();
    const created: string[] = [];
    events.on('clientCreated', ({ client }) => void created.push(client.id));

    const { client, plainSecret } = await clients.create({
      name: '  My app ',
      redirectUris: ['https://app.example/callback'],
      ownerId: 'user-1',
    });

    expect(client.id).toBe('00000000-0000-4000-8000-000000000001');
    expect(plainSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await store.findClient(client.id);
    expect(stored).toMatchObject({
      name: 'My app',
      ownerId: 'user-1',
      confidential: true,
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example/callback'],
      provider: null,
      scopes: null,
      firstParty: false,
      revoked: false,
    });
    expect(stored?.secretHash).not.toBe(plainSecret);
    expect(verifySecret(plainSecret as string, stored?.secretHash as string)).toBe(true);
    expect(JSON.stringify(stored)).not.toContain(plainSecret as string);
    expect(created).toEqual([client.id]);
  });

  it('creates a public client without secret, with a custom-scheme redirect URI for a native app', async () => {
    const { clients, store } = setup();
    const { client, plainSecret } = await clients.create({
      name: 'Mobile',
      confidential: false,
      redirectUris: ['com.example.app:/callback'],
    });
    expect(plainSecret).toBeNull();
    expect(await store.findClient(client.id)).toMatchObject({ confidential: false, secretHash: null });
  });

  it('creates a client-credentials client without redirect URIs, with grant types and scopes', async () => {
    const { clients, store } = setup();
    const { client } = await clients.create({
      name: 'Backend',
      grantTypes: ['client_credentials'],
      scopes: ['read', '*'],
      provider: 'admins',
      firstParty: true,
    });
    expect(await store.findClient(client.id)).toMatchObject({
      grantTypes: ['client_credentials'],
      redirectUris: [],
      scopes: ['read', '*'],
      provider: 'admins',
      firstParty: true,
    });
  });

  it('rejects invalid input with per-field messages (ERR_VALIDATION) and stores nothing', async () => {
    const { clients, store } = setup();
    const error = await validationError(
      clients.create({
        name: ' ',
        redirectUris: ['https://ok.example/cb', 'not a url', 'https://app.example/cb#x'],
        grantTypes: ['authorization_code', 'magic' as never],
        scopes: ['read', 'admin'],
      }),
    );
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.fields.name).toEqual(['The name is required.']);
    expect(error.fields.redirectUris).toEqual([
      '"not a url" must be an absolute URL.',
      '"https://app.example/cb#x" must not contain a fragment.',
    ]);
    expect(error.fields.grantTypes).toEqual(['"magic" is not a grant type.']);
    expect(error.fields.scopes).toEqual(['"admin" is not a defined scope.']);
    expect(await store.listClients()).toEqual([]);
  });

  it('requires a redirect URI for the authorization code grant', async () => {
    const { clients } = setup();
    const error = await validationError(clients.create({ name: 'App' }));
    expect(Object.keys(error.fields)).toEqual(['redirectUris']);
  });

  it('refuses the client credentials grant for a public client', async () => {
    const { clients } = setup();
    const error = await validationError(
      clients.create({ name: 'SPA', confidential: false, grantTypes: ['client_credentials'] }),
    );
    expect(error.fields.grantTypes).toEqual(['A public client cannot use the client credentials grant.']);
  });

  it('updates fields, validates the result, and answers null for an unknown client', async () => {
    const { clients, store, advance } = setup();
    const { client } = await clients.create({ name: 'App', redirectUris: ['https://a.example/cb'] });
    advance(1000);
    const updated = await clients.update(client.id, {
      name: 'Renamed',
      redirectUris: ['https://b.example/cb', 'http://127.0.0.1/cb'],
      firstParty: true,
    });
    expect(updated).toMatchObject({
      name: 'Renamed',
      redirectUris: ['https://b.example/cb', 'http://127.0.0.1/cb'],
      firstParty: true,
      secretHash: client.secretHash,
    });
    expect(updated?.updatedAt.getTime()).toBe(client.createdAt.getTime() + 1000);

    const error = await validationError(clients.update(client.id, { redirectUris: ['ftp:'] }));
    expect(error.fields.redirectUris).toHaveLength(1);
    const cleared = await validationError(clients.update(client.id, { redirectUris: [] }));
    expect(cleared.fields.redirectUris).toEqual([
      'At least one redirect URI is required for the authorization code and implicit grants.',
    ]);
    expect((await store.findClient(client.id))?.name).toBe('Renamed');
    expect(await clients.update('00000000-0000-4000-8000-999999999999', { name: 'x' })).toBeNull();
  });

  it('regenerates the secret of a confidential client: the old one stops matching', async () => {
    const { clients, store } = setup();
    const { client, plainSecret } = await clients.create({
      name: 'App',
      redirectUris: ['https://a.example/cb'],
    });
    const regenerated = await clients.regenerateSecret(client.id);
    expect(regenerated?.plainSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(regenerated?.plainSecret).not.toBe(plainSecret);
    const stored = await store.findClient(client.id);
    expect(verifySecret(plainSecret as string, stored?.secretHash as string)).toBe(false);
    expect(verifySecret(regenerated?.plainSecret as string, stored?.secretHash as string)).toBe(true);
    expect(await clients.regenerateSecret('missing')).toBeNull();

    const { client: spa } = await clients.create({
      name: 'SPA',
      confidential: false,
      redirectUris: ['https://spa.example/cb'],
    });
    const error = await validationError(clients.regenerateSecret(spa.id));
    expect(error.fields.confidential).toBeDefined();
  });

  it('deletes a client by marking it revoked and revoking its tokens; the row stays until purge', async () => {
    const { clients, store, events, ctx, advance } = setup();
    const deleted: string[] = [];
    events.on('clientDeleted', ({ clientId }) => void deleted.push(clientId));
    const { client } = await clients.create({ name: 'App', redirectUris: ['https://a.example/cb'] });
    const now = new Date(ctx.now());
    await store.saveTokens({
      accessToken: {
        id: 'jti-1',
        userId: 'user-1',
        clientId: client.id,
        name: null,
        scopes: [],
        familyId: 'family-1',
        revoked: false,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
      },
      refreshToken: {
        id: 'refresh-hash-1',
        accessTokenId: 'jti-1',
        userId: 'user-1',
        clientId: client.id,
        scopes: [],
        familyId: 'family-1',
        revoked: false,
        consumedAt: null,
        replacedBy: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 86_400_000),
      },
    });

    advance(60_000);
    expect(await clients.delete(client.id)).toBe(true);
    expect(await store.findClient(client.id)).toEqual({
      ...client,
      revoked: true,
      updatedAt: new Date(now.getTime() + 60_000),
    });
    expect((await store.findAccessToken('jti-1'))?.revoked).toBe(true);
    expect((await store.findRefreshToken('refresh-hash-1'))?.revoked).toBe(true);
    expect(deleted).toEqual([client.id]);
    expect(await clients.delete(client.id)).toBe(false);
  });

  it('lists by owner, lists all, finds, and hides foreign and revoked clients from findForOwner', async () => {
    const { clients, store } = setup();
    const a = await clients.create({ name: 'A', redirectUris: ['https://a.example/cb'], ownerId: 'alice' });
    const b = await clients.create({ name: 'B', redirectUris: ['https://b.example/cb'], ownerId: 'bob' });
    const c = await clients.create({ name: 'C', redirectUris: ['https://c.example/cb'], ownerId: 'alice' });
    expect((await clients.listByOwner('alice')).map((x) => x.name)).toEqual(['A', 'C']);
    expect((await clients.list()).map((x) => x.id)).toEqual([a.client.id, b.client.id, c.client.id]);
    expect((await clients.find(b.client.id))?.name).toBe('B');
    expect(await clients.findForOwner(b.client.id, 'alice')).toBeNull();
    expect((await clients.findForOwner(a.client.id, 'alice'))?.name).toBe('A');
    await store.updateClient(c.client.id, { revoked: true, updatedAt: new Date() });
    expect(await clients.findForOwner(c.client.id, 'alice')).toBeNull();
    expect(await clients.find('nope')).toBeNull();
  });
});
