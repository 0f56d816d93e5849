import { describe, expect, it } from 'vitest';
import {
  authorize,
  basic,
  type Harness,
  makeClient,
  rejection,
  setup,
  VERIFIER,
} from '../../test/grants-harness.js';
import { PassportError } from '../errors/passport-error.js';
import { hashSecret } from '../internal/secrets.js';
import { storeMethods } from '../options.js';
import { createPassport } from '../passport.js';
import { ReadThroughCache } from './read-through-cache.js';
import type { AccessTokenRecord, ClientRecord } from './records.js';
import type { PassportStore, StoreChangeListener } from './store.js';

// The bearer path's revocation-state cache (option revocationCacheSeconds, default 5): a revocation
// through this passport instance is refused at once; one made elsewhere (here: directly on the
// store, as another instance would) is refused at once when the store has a change feed, and
// without a feed once the bound has passed, never later.

async function clientCredentialsToken(
  h: Harness,
): Promise<{ token: string; jti: string; client: ClientRecord }> {
  const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
  const response = await h.passport.handleTokenRequest({
    params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
    authorization: basic(client.id, secret as string),
  });
  const verified = await h.passport.verifyAccessToken(response.access_token);
  return { token: response.access_token, jti: verified.claims.jti, client };
}

async function refusal(h: Harness, token: string): Promise<string> {
  const error = await rejection(h.passport.verifyAccessToken(token));
  expect(error).toBeInstanceOf(PassportError);
  return (error as PassportError).code;
}

describe('revocation-state cache: revocations made elsewhere (directly on a store without a change feed)', () => {
  it('default 5 s: a token revoked in the store is accepted only within the bound, refused from then on', async () => {
    const h = await setup({}, { changeFeed: false });
    expect(h.passport.options.revocationCacheSeconds).toBe(5);
    const { token, jti } = await clientCredentialsToken(h); // cached live at START
    expect(await h.store.revokeAccessToken(jti)).toBe(true); // another instance revokes
    h.advance(4.999);
    expect((await h.passport.verifyAccessToken(token)).claims.jti).toBe(jti); // within the bound
    h.advance(0.001); // exactly 5 s after the row was cached
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    h.advance(-4); // even when the clock steps back, the refusal was not cached as live
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('the bound follows the option: revocationCacheSeconds 2 refuses after 2 s', async () => {
    const h = await setup({ revocationCacheSeconds: 2 }, { changeFeed: false });
    const { token, jti } = await clientCredentialsToken(h);
    await h.store.revokeAccessToken(jti);
    h.advance(1.5);
    await h.passport.verifyAccessToken(token);
    h.advance(0.5);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('revocationCacheSeconds 0: exact, every verification asks the store', async () => {
    const h = await setup({ revocationCacheSeconds: 0 }, { changeFeed: false });
    const { token, jti } = await clientCredentialsToken(h);
    let lookups = 0;
    const find = h.store.findAccessToken.bind(h.store);
    h.store.findAccessToken = (id) => {
      lookups++;
      return find(id);
    };
    await h.passport.verifyAccessToken(token);
    await h.passport.verifyAccessToken(token);
    expect(lookups).toBe(2);
    await h.store.revokeAccessToken(jti);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('a warm cache answers without the store; a cold one asks it once', async () => {
    const h = await setup({}, { changeFeed: false });
    const { token } = await clientCredentialsToken(h);
    let lookups = 0;
    const find = h.store.findAccessToken.bind(h.store);
    h.store.findAccessToken = (id) => {
      lookups++;
      return find(id);
    };
    for (let i = 0; i < 3; i++) await h.passport.verifyAccessToken(token);
    expect(lookups).toBe(0);
    h.advance(5);
    await h.passport.verifyAccessToken(token);
    await h.passport.verifyAccessToken(token);
    expect(lookups).toBe(1);
  });

  it('never caches a missing or revoked row: each refusal asks the store again', async () => {
    const h = await setup({}, { changeFeed: false });
    const { token, jti } = await clientCredentialsToken(h);
    h.advance(5); // the live entry has lapsed
    let lookups = 0;
    let missing = true;
    const find = h.store.findAccessToken.bind(h.store);
    h.store.findAccessToken = (id) => {
      lookups++;
      return missing ? Promise.resolve(null) : find(id);
    };
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    expect(lookups).toBe(2);
    missing = false; // the row is there again: accepted at once, nothing negative was remembered
    await h.passport.verifyAccessToken(token);
    expect(lookups).toBe(3);
    h.advance(5);
    await h.store.revokeAccessToken(jti);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    expect(lookups).toBe(5);
  });

  it('a cached entry never outlives the token: it is refused at its expiry', async () => {
    const h = await setup({ lifetimes: { accessToken: 3 } });
    const { token } = await clientCredentialsToken(h);
    h.advance(3 + 5); // past exp plus the 5 s leeway
    expect(await refusal(h, token)).toBe('ERR_TOKEN_EXPIRED');
  });
});

describe('revocation-state cache: revocations through this passport instance take effect at once', () => {
  it('revokeAccessToken', async () => {
    const h = await setup();
    const { token, jti } = await clientCredentialsToken(h);
    expect(await h.passport.revokeAccessToken(jti)).toBe(true);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('revokeUserToken (a personal access token)', async () => {
    const h = await setup();
    const { accessToken, token } = await h.passport.createPersonalAccessToken({ id: 'user-1' }, 'cli', [
      'read',
    ]);
    await h.passport.verifyAccessToken(accessToken);
    expect(await h.passport.revokeUserToken('user-1', token.id)).toBe(true);
    expect(await refusal(h, accessToken)).toBe('ERR_TOKEN_REVOKED');
  });

  it('the revocation endpoint (RFC 7009)', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const { access_token } = await h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials' }),
      authorization: basic(client.id, secret as string),
    });
    await h.passport.verifyAccessToken(access_token);
    await h.passport.revoke({
      params: new URLSearchParams({ token: access_token }),
      authorization: basic(client.id, secret as string),
    });
    expect(await refusal(h, access_token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('refresh rotation revokes the previous access token; reuse revokes the family', async () => {
    const h = await setup({ refreshTokenRetrySeconds: 0 });
    const { client, secret } = await makeClient(h);
    const auth = basic(client.id, secret as string);
    const code = await authorize(h, client, { scope: 'read' });
    const first = await h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: VERIFIER }),
      authorization: auth,
    });
    await h.passport.verifyAccessToken(first.access_token);
    const refresh = (token: string) =>
      h.passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
        authorization: auth,
      });
    const second = await refresh(first.refresh_token as string);
    expect(await refusal(h, first.access_token)).toBe('ERR_TOKEN_REVOKED'); // rotation
    await h.passport.verifyAccessToken(second.access_token); // cached live
    h.advance(1); // a later replay of the consumed refresh token, within the cache bound
    await rejection(refresh(first.refresh_token as string)); // reuse: the family is revoked
    expect(await refusal(h, second.access_token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('deleting the client', async () => {
    const h = await setup();
    const { token, client } = await clientCredentialsToken(h);
    expect(await h.passport.clients.delete(client.id)).toBe(true);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(true);
  });

  it('a lookup that overlaps a revocation is not cached', async () => {
    const h = await setup();
    const { token, jti } = await clientCredentialsToken(h);
    h.advance(5); // cold again
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let readDone = (): void => undefined;
    const read = new Promise<void>((resolve) => {
      readDone = resolve;
    });
    const find = h.store.findAccessToken.bind(h.store);
    h.store.findAccessToken = async (id) => {
      const row = await find(id); // read before the revocation: live
      readDone();
      await gate;
      return row;
    };
    const verifying = h.passport.verifyAccessToken(token);
    await read; // the signature check runs first, on another thread: wait for the row to be read
    await h.passport.revokeAccessToken(jti);
    release();
    await verifying; // it read the row before the revocation
    h.store.findAccessToken = find;
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });
});

describe('revocation-state cache: clients (findClientCached, for the guards)', () => {
  it('serves a live client within the bound; a client revoked elsewhere (no feed) is seen after it', async () => {
    const h = await setup({}, { changeFeed: false });
    const { client } = await makeClient(h);
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(false);
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date(h.now()) });
    h.advance(4.999);
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(false);
    h.advance(0.001);
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(true);
    h.advance(-3); // a revoked client was not cached
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(true);
  });

  it('updates and secret regeneration through this instance evict at once', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    await h.passport.findClientCached(client.id);
    await h.passport.clients.update(client.id, { name: 'Renamed' });
    expect((await h.passport.findClientCached(client.id))?.name).toBe('Renamed');
    const regenerated = await h.passport.clients.regenerateSecret(client.id);
    expect((await h.passport.findClientCached(client.id))?.secretHash).toBe(regenerated?.client.secretHash);
  });

  it('revocationCacheSeconds 0: every call asks the store', async () => {
    const h = await setup({ revocationCacheSeconds: 0 });
    const { client } = await makeClient(h);
    await h.passport.findClientCached(client.id);
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date(h.now()) });
    expect((await h.passport.findClientCached(client.id))?.revoked).toBe(true);
  });
});

describe('revocation-state cache: client authentication (token endpoint)', () => {
  const cc = (h: Harness, id: string, secret: string) =>
    h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
      authorization: basic(id, secret),
    });
  const oauthError = async (promise: Promise<unknown>): Promise<string> =>
    ((await rejection(promise)) as { error: string }).error;
  const countLookups = (h: Harness): { count: number } => {
    const counter = { count: 0 };
    const find = h.store.findClient.bind(h.store);
    h.store.findClient = (id) => {
      counter.count++;
      return find(id);
    };
    return counter;
  };

  it('a warm client needs no store lookup; a cold one needs one', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const lookups = countLookups(h);
    await cc(h, client.id, secret as string);
    await cc(h, client.id, secret as string);
    expect(lookups.count).toBe(1);
    h.advance(5); // the bound passed: asked again
    await cc(h, client.id, secret as string);
    expect(lookups.count).toBe(2);
  });

  it('a client revoked elsewhere (no feed) gets tokens only within the bound', async () => {
    const h = await setup({}, { changeFeed: false });
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    await cc(h, client.id, secret as string);
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date(h.now()) });
    h.advance(4.999);
    expect((await cc(h, client.id, secret as string)).token_type).toBe('Bearer');
    h.advance(0.001);
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('invalid_client');
    h.advance(-3); // the refusal was decided on a fresh row, and a revoked row is never cached
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('invalid_client');
  });

  it('a secret regenerated elsewhere (no feed): the new one works at once, the old one within the bound only', async () => {
    const h = await setup({}, { changeFeed: false });
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    await cc(h, client.id, secret as string);
    const newSecret = 'a-new-secret-set-by-another-instance';
    await h.store.updateClient(client.id, {
      secretHash: hashSecret(newSecret),
      updatedAt: new Date(h.now()),
    });
    h.advance(1);
    expect((await cc(h, client.id, secret as string)).token_type).toBe('Bearer'); // stale, within bound
    expect((await cc(h, client.id, newSecret)).token_type).toBe('Bearer'); // refusal re-read: fresh row
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('invalid_client'); // fresh row cached
  });

  it('secret regeneration and deletion through this instance take effect at once', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    await cc(h, client.id, secret as string);
    const regenerated = await h.passport.clients.regenerateSecret(client.id);
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('invalid_client');
    const fresh = regenerated?.plainSecret as string;
    expect((await cc(h, client.id, fresh)).token_type).toBe('Bearer');
    await h.passport.clients.delete(client.id);
    expect(await oauthError(cc(h, client.id, fresh))).toBe('invalid_client');
  });

  it('a grant allowed elsewhere works at once: the cached row is re-read before refusing', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['authorization_code'] });
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('unauthorized_client');
    await h.store.updateClient(client.id, {
      grantTypes: ['authorization_code', 'client_credentials'],
      updatedAt: new Date(h.now()),
    });
    expect((await cc(h, client.id, secret as string)).token_type).toBe('Bearer');
  });

  it('revocationCacheSeconds 0: every client authentication asks the store', async () => {
    const h = await setup({ revocationCacheSeconds: 0 });
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const lookups = countLookups(h);
    await cc(h, client.id, secret as string);
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date(h.now()) });
    expect(await oauthError(cc(h, client.id, secret as string))).toBe('invalid_client');
    expect(lookups.count).toBe(2);
  });
});

describe('revocation-state cache: the store change feed (revocations made elsewhere)', () => {
  it('a token revoked directly on the store is refused at once', async () => {
    const h = await setup();
    const { token, jti } = await clientCredentialsToken(h);
    await h.passport.verifyAccessToken(token); // cached live
    expect(await h.store.revokeAccessToken(jti)).toBe(true);
    expect(await refusal(h, token)).toBe('ERR_TOKEN_REVOKED');
  });

  it('a family revoked on the store, a client revoked on the store: refused at once', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const code = await authorize(h, client, { scope: 'read' });
    const tokens = await h.passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: VERIFIER }),
      authorization: basic(client.id, secret as string),
    });
    await h.passport.verifyAccessToken(tokens.access_token);
    await h.store.revokeFamily(hashSecret(code));
    expect(await refusal(h, tokens.access_token)).toBe('ERR_TOKEN_REVOKED');

    const other = await clientCredentialsToken(h);
    expect((await h.passport.findClientCached(other.client.id))?.revoked).toBe(false);
    await h.store.updateClient(other.client.id, { revoked: true, updatedAt: new Date(h.now()) });
    expect((await h.passport.findClientCached(other.client.id))?.revoked).toBe(true);
  });

  it("two passports on one store see each other's revocations at once", async () => {
    const h = await setup();
    const second = createPassport({
      issuer: h.passport.options.issuer,
      store: h.store,
      keys: h.passport.keys,
      clock: () => h.now(),
    });
    const { token, jti } = await clientCredentialsToken(h);
    await second.verifyAccessToken(token); // cached live in the second instance
    await h.passport.revokeAccessToken(jti); // revoked through the first
    expect(await rejection(second.verifyAccessToken(token))).toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  });
});

describe('ReadThroughCache', () => {
  const record = (
    id: string,
    expiresAt: number,
    extra: Partial<AccessTokenRecord> = {},
  ): AccessTokenRecord => ({
    id,
    userId: null,
    clientId: 'c',
    name: null,
    scopes: [],
    familyId: null,
    revoked: false,
    createdAt: new Date(0),
    expiresAt: new Date(expiresAt),
    ...extra,
  });
  const client = (id: string): ClientRecord => ({
    id,
    ownerId: null,
    name: 'c',
    secretHash: null,
    provider: null,
    redirectUris: [],
    grantTypes: [],
    scopes: null,
    confidential: false,
    firstParty: false,
    resourceServer: false,
    revoked: false,
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });

  it('keeps at most maxEntries per kind, dropping the oldest', () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0, maxEntries: 2 });
    for (const id of ['a', 'b', 'c']) cache.rememberAccessToken(record(id, 60_000), cache.epoch, 0);
    expect(cache.size.accessTokens).toBe(2);
    expect(cache.accessToken('a', 0)).toBeUndefined();
    expect(cache.accessToken('c', 0)?.id).toBe('c');
  });

  it('caps an entry at the token expiry and ignores revoked rows and stale epochs', () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    cache.rememberAccessToken(record('short', 1000), cache.epoch, 0);
    expect(cache.accessToken('short', 999)?.id).toBe('short');
    expect(cache.accessToken('short', 1000)).toBeUndefined();
    cache.rememberAccessToken(record('revoked', 60_000, { revoked: true }), cache.epoch, 0);
    expect(cache.accessToken('revoked', 0)).toBeUndefined();
    const epoch = cache.epoch;
    cache.clear();
    cache.rememberAccessToken(record('stale', 60_000), epoch, 0);
    expect(cache.accessToken('stale', 0)).toBeUndefined();
  });

  it('drops what a change event names: tokens by id, a family, a client with its tokens', () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    const remember = (id: string, extra: Partial<AccessTokenRecord>) =>
      cache.rememberAccessToken(record(id, 60_000, extra), cache.epoch, 0);
    remember('one', {});
    remember('fam-1', { familyId: 'f' });
    remember('fam-2', { familyId: 'f' });
    remember('of-client', { clientId: 'k' });
    cache.rememberClient(client('k'), cache.epoch, 0);
    cache.apply({ type: 'accessTokens', ids: ['one'] });
    expect(cache.accessToken('one', 0)).toBeUndefined();
    expect(cache.accessToken('fam-1', 0)).toBeDefined();
    cache.apply({ type: 'family', familyId: 'f' });
    expect(cache.accessToken('fam-1', 0)).toBeUndefined();
    expect(cache.accessToken('fam-2', 0)).toBeUndefined();
    expect(cache.accessToken('of-client', 0)).toBeDefined();
    cache.apply({ type: 'client', clientId: 'k' });
    expect(cache.client('k', 0)).toBeUndefined();
    expect(cache.accessToken('of-client', 0)).toBeUndefined();
  });

  it('drops everything on a reset event (a change the store could not name)', () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    cache.rememberAccessToken(record('token', 60_000), cache.epoch, 0);
    cache.rememberClient(client('k'), cache.epoch, 0);
    const epoch = cache.epoch;
    cache.apply({ type: 'reset' });
    expect(cache.size).toEqual({ accessTokens: 0, clients: 0 });
    // a lookup that overlapped the reset is not cached either
    cache.rememberAccessToken(record('overlapping', 60_000), epoch, 0);
    expect(cache.accessToken('overlapping', 0)).toBeUndefined();
  });

  it('a lookup that overlaps a change event is not cached', () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    const epoch = cache.epoch;
    cache.apply({ type: 'accessTokens', ids: ['x'] });
    cache.rememberAccessToken(record('x', 60_000), epoch, 0);
    expect(cache.accessToken('x', 0)).toBeUndefined();
  });

  it('follows a store feed; after the feed reconnects it starts over (events may have been missed)', async () => {
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    let listener: StoreChangeListener | undefined;
    let unsubscribed = 0;
    const store = {
      subscribeChanges: async (subscriber: StoreChangeListener) => {
        listener = subscriber;
        return async () => {
          unsubscribed++;
        };
      },
    } as unknown as PassportStore;
    cache.follow(store);
    cache.rememberAccessToken(record('a', 60_000), cache.epoch, 0);
    listener?.changed({ type: 'accessTokens', ids: ['a'] });
    expect(cache.accessToken('a', 0)).toBeUndefined();
    cache.rememberAccessToken(record('b', 60_000), cache.epoch, 0);
    listener?.disconnected?.(new Error('connection lost'));
    expect(cache.accessToken('b', 0)).toBeDefined(); // still within its bound
    listener?.connected?.();
    expect(cache.accessToken('b', 0)).toBeUndefined();
    expect(unsubscribed).toBe(0);
  });

  it('does not subscribe when it is off or the store has no feed', () => {
    let subscriptions = 0;
    const store = {
      subscribeChanges: async () => {
        subscriptions++;
        return async () => {};
      },
    } as unknown as PassportStore;
    new ReadThroughCache({ seconds: 0, now: () => 0 }).follow(store);
    new ReadThroughCache({ seconds: 5, now: () => 0 }).follow({} as PassportStore);
    expect(subscriptions).toBe(0);
  });

  it('wrap forwards every store method, the optional ones included, with its arguments and answer', async () => {
    const optional = ['nextClientId', 'subscribeChanges', 'close'] as const;
    // How many arguments each method of the contract takes (a new method must be added here).
    const arity: Record<(typeof storeMethods)[number] | (typeof optional)[number], number> = {
      createClient: 1,
      findClient: 1,
      updateClient: 2,
      deleteClient: 1,
      listClientsByOwner: 1,
      listClients: 0,
      saveTokens: 1,
      findAccessToken: 1,
      findRefreshToken: 1,
      rotateRefreshToken: 3,
      revokeAccessToken: 1,
      revokeRefreshToken: 1,
      revokeFamily: 1,
      revokeClientTokens: 1,
      listUserTokens: 2,
      purge: 1,
      saveAuthCode: 1,
      findAuthCode: 1,
      redeemAuthCode: 3,
      saveDeviceCode: 1,
      findDeviceCode: 1,
      findDeviceCodeByUserCode: 2,
      decideDeviceCode: 2,
      touchDeviceCode: 3,
      redeemDeviceCode: 3,
      useNonce: 2,
      hitRateLimit: 3,
      nextClientId: 0,
      subscribeChanges: 1,
      close: 0,
    };
    const names = Object.keys(arity) as (keyof typeof arity)[];
    const calls: string[] = [];
    const store = Object.fromEntries(
      names.map((name) => [
        name,
        async (...args: unknown[]) => {
          calls.push(`${name}(${args.join(',')})`);
          return { answer: name };
        },
      ]),
    ) as unknown as PassportStore;
    const cache = new ReadThroughCache({ seconds: 5, now: () => 0 });
    const wrapped = cache.wrap(store) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of names) {
      const args = ['a', 'b', 'c'].slice(0, arity[name]);
      calls.length = 0;
      expect(await wrapped[name]?.(...args), name).toEqual({ answer: name });
      expect(calls).toEqual([`${name}(${args.join(',')})`]);
    }
    // A store without the optional methods gets a wrapper without them: core then draws UUIDs and
    // follows no feed.
    const plain = Object.fromEntries(storeMethods.map((name) => [name, async () => null]));
    const bare = cache.wrap(plain as unknown as PassportStore);
    for (const name of optional) expect(bare[name], name).toBeUndefined();
  });

  it('is inert with seconds 0', () => {
    const cache = new ReadThroughCache({ seconds: 0, now: () => 0 });
    expect(cache.enabled).toBe(false);
    cache.rememberAccessToken(record('a', 60_000), cache.epoch, 0);
    expect(cache.accessToken('a', 0)).toBeUndefined();
  });
});
