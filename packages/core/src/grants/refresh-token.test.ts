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
import type { TokenResponse } from './token-response.js';

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
  it('rotates: new tokens in the same family, the old refresh and access tokens revoked', async () => {
    const h = await setup();
    const { client, code, tokens } = await start(h);
    const revoked: string[] = [];
    h.passport.events.on('accessTokenRevoked', ({ reason }) => {
      revoked.push(reason);
    });
    h.advance(60);
    const next = await refresh(h, client.id, tokens);
    expect(next).toMatchObject({ token_type: 'Bearer', scope: 'read write' });
    expect(next.refresh_token).not.toBe(tokens.refresh_token);

    const old = await refreshRow(h, tokens);
    expect(old?.consumedAt).toEqual(new Date(h.now()));
    expect(old?.revoked).toBe(true);
    expect((await accessRow(h, tokens))?.revoked).toBe(true);
    expect((await refreshRow(h, next))?.familyId).toBe(hashSecret(code));
    expect((await accessRow(h, next))?.revoked).toBe(false);
    expect(revoked).toEqual(['rotated']);
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

  it('rejects a rotated token with invalid_grant and revokes the whole family, firing an event', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    const detected: number[] = [];
    h.passport.events.on('refreshTokenReuseDetected', ({ revokedCount }) => {
      detected.push(revokedCount);
    });
    h.advance(10);
    const next = await refresh(h, client.id, tokens);
    h.advance(10);
    const error = await oauthError(refresh(h, client.id, tokens));
    expect(error.error).toBe('invalid_grant');
    expect(detected).toHaveLength(1);
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

  it('gives exactly one success for 50 concurrent refreshes with one token (grace 0), family intact', async () => {
    const h = await setup();
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

  it('within the grace window lets the just-rotated token refresh again without killing the family', async () => {
    const h = await setup({ refreshTokenGraceSeconds: 30 });
    const { client, tokens } = await start(h);
    const first = await refresh(h, client.id, tokens);
    h.advance(10);
    const second = await refresh(h, client.id, tokens);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await refreshRow(h, first))?.revoked).toBe(false);
    expect((await refreshRow(h, second))?.revoked).toBe(false);
    h.advance(30);
    const late = await oauthError(refresh(h, client.id, tokens));
    expect(late.error).toBe('invalid_grant');
    expect((await refreshRow(h, first))?.revoked).toBe(true);
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

  it('surfaces a store outage during rotation as StoreUnavailableError, leaving the family alive', async () => {
    const h = await setup();
    const { client, tokens } = await start(h);
    h.store.simulateOutage({ methods: ['saveTokens'] });
    const error = await rejection(refresh(h, client.id, tokens));
    expect(error).toMatchObject({ name: 'StoreUnavailableError', code: 'ERR_STORE_UNAVAILABLE' });
    h.store.endOutage();
    expect((await accessRow(h, tokens))?.revoked).toBe(false);
  });
});
