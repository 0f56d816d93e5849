import { describe, expect, it } from 'vitest';
import {
  authorize,
  type Harness,
  makeClient,
  rejection,
  setup,
  VERIFIER,
} from '../../test/grants-harness.js';
import { OAuthError } from '../errors/oauth-error.js';
import { hashSecret } from '../internal/secrets.js';
import type { TokenResponse } from '../tokens/token-response.js';

async function start(h: Harness, scope = 'read write') {
  const { client } = await makeClient(h, { confidential: false });
  const code = await authorize(h, client, { scope });
  const tokens = await h.passport.handleTokenRequest({
    params: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      client_id: client.id,
      code_verifier: VERIFIER,
    }),
    authorization: null,
  });
  return { client, code, tokens };
}

const refresh = (
  h: Harness,
  clientId: string,
  token: TokenResponse | string,
  extra: Record<string, string> = {},
) =>
  h.passport.handleTokenRequest({
    params: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: typeof token === 'string' ? token : (token.refresh_token ?? ''),
      ...extra,
    }),
    authorization: null,
  });

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

const refreshRow = (h: Harness, t: TokenResponse) =>
  h.store.findRefreshToken(hashSecret(t.refresh_token ?? ''));
const accessRow = async (h: Harness, t: TokenResponse) =>
  h.store.findAccessToken((await refreshRow(h, t))?.accessTokenId ?? '');

describe('refresh_token grant', () => {
  it('rotates: new tokens in the same family, the old refresh token consumed, its access token revoked', async () => {
    const h = await setup();
    const { client, code, tokens } = await start(h);
    const events: string[] = [];
    h.passport.events.on('accessTokenRevoked', ({ reason }) => {
      events.push(`access revoked: ${reason}`);
    });
    h.passport.events.on('refreshTokenRevoked', ({ refreshTokenId, reason }) => {
      events.push(`refresh revoked: ${reason} ${refreshTokenId === hashSecret(tokens.refresh_token ?? '')}`);
    });
    h.passport.events.on('accessTokenCreated', () => {
      events.push('access created');
    });
    h.passport.events.on('refreshTokenCreated', () => {
      events.push('refresh created');
    });
    h.advance(60);
    const next = await refresh(h, client.id, tokens);
    expect(next).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    expect(next.refresh_token).not.toBe(tokens.refresh_token);

    const old = await refreshRow(h, tokens);
    expect(old?.consumedAt).toEqual(new Date(h.now()));
    // Rotation consumes; `revoked` stays for explicit and family revocation.
    expect(old?.revoked).toBe(false);
    expect((await accessRow(h, tokens))?.revoked).toBe(true);
    expect((await refreshRow(h, next))?.familyId).toBe(hashSecret(code));
    expect((await refreshRow(h, next))?.revoked).toBe(false);
    expect((await accessRow(h, next))?.revoked).toBe(false);
    expect(events).toEqual([
      'access created',
      'refresh created',
      'access revoked: rotated',
      'refresh revoked: rotated true',
    ]);
  });

  it('rotates with one store write: findRefreshToken then rotateRefreshToken, nothing else', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const calls: string[] = [];
    for (const method of [
      'findRefreshToken',
      'rotateRefreshToken',
      'saveTokens',
      'revokeAccessToken',
      'revokeRefreshToken',
      'revokeFamily',
    ] as const) {
      const original = h.store[method].bind(h.store) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(h.store, {
        [method]: (...args: unknown[]) => {
          calls.push(method);
          return original(...args);
        },
      });
    }
    await refresh(h, client.id, tokens);
    expect(calls).toEqual(['findRefreshToken', 'rotateRefreshToken']);
  });

  it('lets scope narrow but never widen', async () => {
    const h = await setup();
    const { client, tokens } = await start(h, 'read');
    const wider = await oauthError(refresh(h, client.id, tokens, { scope: 'read write' }));
    expect(wider.error).toBe('invalid_scope');
    expect(wider.status).toBe(400);

    const h2 = await setup();
    const second = await start(h2, 'read write');
    const narrowed = await refresh(h2, second.client.id, second.tokens, { scope: 'read' });
    expect(narrowed.scope).toBe('read');
    expect((await refreshRow(h2, narrowed))?.scopes).toEqual(['read']);
  });

  it('rejects a rotated token presented after the retry window with invalid_grant and revokes the whole family, firing an event', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const detected: number[] = [];
    h.passport.events.on('refreshTokenReuseDetected', ({ revokedCount }) => {
      detected.push(revokedCount);
    });
    const revokedForReuse: string[] = [];
    h.passport.events.on('accessTokenRevoked', ({ accessTokenId, reason }) => {
      if (reason === 'reuse') revokedForReuse.push(accessTokenId);
    });
    h.advance(10);
    const next = await refresh(h, client.id, tokens);
    h.advance(30);
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect(detected).toHaveLength(1);
    expect(revokedForReuse).toEqual([(await refreshRow(h, next))?.accessTokenId]);
    expect((await refreshRow(h, next))?.revoked).toBe(true);
    expect((await accessRow(h, next))?.revoked).toBe(true);
    const stillAlive = await oauthError(refresh(h, client.id, next));
    expect(stillAlive.error).toBe('invalid_grant');
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('treats a revoked refresh token presented again as reuse', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    await h.store.revokeRefreshToken(hashSecret(tokens.refresh_token ?? ''));
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect((await accessRow(h, tokens))?.revoked).toBe(true);
  });

  it('gives exactly one success for 50 concurrent refreshes with one token (retries off), family intact', async () => {
    const h = await setup({ refreshTokenRetrySeconds: 0 });
    const { client, tokens } = await start(h);
    const detected: unknown[] = [];
    h.passport.events.on('refreshTokenReuseDetected', (e) => {
      detected.push(e);
    });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => refresh(h, client.id, tokens)));
    const wins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(wins).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as OAuthError).error).toBe('invalid_grant');
    }
    expect(detected).toEqual([]);
    const winner = wins[0] as TokenResponse;
    expect((await refreshRow(h, winner))?.revoked).toBe(false);
    expect((await h.passport.verifyAccessToken(winner.access_token)).userId).toBe('user-1');
  });

  it('a retry after a lost response rotates the unused successor: the family lives, the lost pair dies', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const detected: unknown[] = [];
    h.passport.events.on('refreshTokenReuseDetected', (e) => {
      detected.push(e);
    });
    h.advance(60);
    const lost = await refresh(h, client.id, tokens); // committed, but the client never saw it
    h.advance(5);
    const retried = await refresh(h, client.id, tokens);
    expect(retried.refresh_token).not.toBe(lost.refresh_token);
    expect(detected).toEqual([]);
    expect(await refreshRow(h, tokens)).toMatchObject({ replacedBy: hashSecret(lost.refresh_token ?? '') });
    expect(await refreshRow(h, lost)).toMatchObject({
      consumedAt: new Date(h.now()),
      replacedBy: hashSecret(retried.refresh_token ?? ''),
      revoked: false,
    });
    expect((await accessRow(h, lost))?.revoked).toBe(true);
    expect((await h.passport.verifyAccessToken(retried.access_token)).userId).toBe('user-1');
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toHaveLength(1);
    h.advance(3600);
    expect(await refresh(h, client.id, retried)).toMatchObject({ token_type: 'Bearer' });
  });

  it('a retry repeated after a second lost response follows the chain a hop further', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    await refresh(h, client.id, tokens); // lost
    h.advance(3);
    await refresh(h, client.id, tokens); // the retry's response is lost too
    h.advance(3);
    const third = await refresh(h, client.id, tokens);
    const live = await h.store.listUserTokens('user-1', { now: new Date(h.now()) });
    expect(live.map((token) => token.id)).toEqual([(await refreshRow(h, third))?.accessTokenId]);
    expect(await refresh(h, client.id, third)).toMatchObject({ token_type: 'Bearer' });
  });

  it('a rotated token presented after its successor was used is reuse, even within the window', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const next = await refresh(h, client.id, tokens);
    h.advance(2);
    const newest = await refresh(h, client.id, next); // the client used its new token
    h.advance(2);
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect((await refreshRow(h, newest))?.revoked).toBe(true);
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('with retries off (0 seconds) a rotated token presented again is reuse at once', async () => {
    const h = await setup({ refreshTokenRetrySeconds: 0 });
    const { client, tokens } = await start(h);
    const next = await refresh(h, client.id, tokens);
    h.advance(1);
    expect((await oauthError(refresh(h, client.id, tokens))).error).toBe('invalid_grant');
    expect((await refreshRow(h, next))?.revoked).toBe(true);
  });

  it('concurrent retries of a lost refresh all answer tokens or invalid_grant, and leave one live pair', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const detected: unknown[] = [];
    h.passport.events.on('refreshTokenReuseDetected', (e) => {
      detected.push(e);
    });
    await refresh(h, client.id, tokens); // lost
    h.advance(2);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => refresh(h, client.id, tokens)));
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as OAuthError).error).toBe('invalid_grant');
    }
    expect(detected).toEqual([]);
    const wins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(wins.length).toBeGreaterThan(0);
    const live: TokenResponse[] = [];
    for (const win of wins) {
      const row = await refreshRow(h, win);
      if (row !== null && row.consumedAt === null && !row.revoked) live.push(win);
    }
    expect(live).toHaveLength(1);
    const [survivor] = live as [TokenResponse];
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toHaveLength(1);
    expect((await h.passport.verifyAccessToken(survivor.access_token)).userId).toBe('user-1');
  });

  it('binds the refresh token to its client', async () => {
    const h = await setup();
    const { tokens } = await start(h);
    const { client: other } = await makeClient(h, { confidential: false });
    const error = await oauthError(refresh(h, other.id, tokens));
    expect(error.error).toBe('invalid_grant');
  });

  it('rejects an expired refresh token with invalid_grant, without revoking anything', async () => {
    const h = await setup({ lifetimes: { refreshToken: 120, accessToken: 3600 } });
    const { client, tokens } = await start(h);
    h.advance(121);
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect((await accessRow(h, tokens))?.revoked).toBe(false);
  });

  it('answers invalid_request without refresh_token and unsupported_grant_type when disabled', async () => {
    const h = await setup();
    const { client } = await start(h);
    const missing = await oauthError(
      h.passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: 'refresh_token', client_id: client.id }),
        authorization: null,
      }),
    );
    expect(missing.error).toBe('invalid_request');

    const off = await setup({ grants: { refreshToken: false } });
    const started = await start(off);
    expect(started.tokens.refresh_token).toBeUndefined();
    const error = await oauthError(refresh(off, started.client.id, 'anything'));
    expect(error.error).toBe('unsupported_grant_type');
  });

  it('surfaces a store outage during rotation as StoreUnavailableError; the retry then succeeds', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const detected: unknown[] = [];
    h.passport.events.on('refreshTokenReuseDetected', (e) => {
      detected.push(e);
    });
    h.store.simulateOutage({ methods: ['rotateRefreshToken'] });
    const error = await rejection(refresh(h, client.id, tokens));
    expect(error).toMatchObject({ name: 'StoreUnavailableError', code: 'ERR_STORE_UNAVAILABLE' });
    h.store.endOutage();
    // Nothing was half-written: the old token is unconsumed and its access token is live.
    expect(await refreshRow(h, tokens)).toMatchObject({ consumedAt: null, revoked: false });
    expect((await accessRow(h, tokens))?.revoked).toBe(false);
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toHaveLength(1);

    // The client's retry with the same refresh token is a normal rotation, not reuse.
    h.advance(1);
    const next = await refresh(h, client.id, tokens);
    expect(detected).toEqual([]);
    expect((await h.passport.verifyAccessToken(next.access_token)).userId).toBe('user-1');
    expect((await refreshRow(h, next))?.revoked).toBe(false);
    expect(await refresh(h, client.id, next)).toMatchObject({ token_type: 'Bearer' });
  });

  it('within the retry window refuses a token whose family was revoked, minting nothing live', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const first = await refresh(h, client.id, tokens);
    const family = (await refreshRow(h, first))?.familyId ?? '';
    expect(await h.store.revokeFamily(family)).toBeGreaterThan(0);
    h.advance(5);
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('a retry whose family is revoked while it rotates the successor mints nothing live', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const first = await refresh(h, client.id, tokens);
    const family = (await refreshRow(h, first))?.familyId ?? '';
    h.advance(5);
    // A reuse elsewhere revokes the family after the retry read the chain, before its rotation.
    const rotate = h.store.rotateRefreshToken.bind(h.store);
    h.store.rotateRefreshToken = async (tokenId, now, next) => {
      await h.store.revokeFamily(family);
      return rotate(tokenId, now, next);
    };
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('a rotation refused because the family was revoked after the read answers as reuse, writing nothing', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const id = hashSecret(tokens.refresh_token ?? '');
    const family = (await refreshRow(h, tokens))?.familyId ?? '';
    const rotate = h.store.rotateRefreshToken.bind(h.store);
    let nextId = '';
    h.store.rotateRefreshToken = async (tokenId, now, next) => {
      nextId = next.refreshToken?.id ?? '';
      await h.store.revokeFamily(family);
      return rotate(tokenId, now, next);
    };
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect(await h.store.findRefreshToken(nextId)).toBeNull();
    expect(await h.store.findRefreshToken(id)).toMatchObject({ consumedAt: null, revoked: true });
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });
});
