import { MemoryStore } from '@passport/store-memory';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../internal/secrets.js';
import { KeySet } from '../keys/key-set.js';
import { type PassportOptions, resolveOptions } from '../options.js';
import type { IssuedTokens } from '../stores/store.js';
import { verifyAccessToken } from './access-token.js';
import { type ClaimsHook, emitTokensCreated, issueTokens, prepareTokens, toIssuedTokens } from './issue.js';

const issuer = 'https://auth.example.com';
const keys = await KeySet.generate('ES256');
const startMs = 1_800_000_000_500;

function setup(extra: Partial<PassportOptions> = {}) {
  const store = new MemoryStore();
  const saved: IssuedTokens[] = [];
  const saveTokens = store.saveTokens.bind(store);
  store.saveTokens = async (tokens) => {
    saved.push(tokens);
    return saveTokens(tokens);
  };
  let ids = 0;
  let nowMs = startMs;
  const ctx = resolveOptions({
    issuer,
    store,
    keys,
    clock: () => nowMs,
    generateId: () => `id-${++ids}`,
    random: (length) => new Uint8Array(length).fill(7),
    ...extra,
  });
  const events: string[] = [];
  ctx.events.on('accessTokenCreated', ({ accessToken }) => {
    events.push(`access:${accessToken.id}`);
  });
  ctx.events.on('refreshTokenCreated', ({ refreshToken }) => {
    events.push(`refresh:${refreshToken.familyId}`);
  });
  return {
    ctx,
    store,
    saved,
    events,
    tick: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('issueTokens', () => {
  it('signs an access token and stores it with its refresh token in one saveTokens call', async () => {
    const { ctx, store, saved, events } = setup();
    const issued = await issueTokens(ctx, {
      clientId: 'client-1',
      userId: 'user-1',
      scopes: ['orders:read', 'profile'],
      grantType: 'authorization_code',
      familyId: 'code-hash',
      withRefreshToken: true,
    });
    expect(saved).toHaveLength(1);
    expect(issued.expiresIn).toBe(3600);

    const iat = Math.floor(startMs / 1000);
    expect(decodeProtectedHeader(issued.accessToken)).toEqual({
      alg: 'ES256',
      typ: 'at+jwt',
      kid: keys.active.kid,
    });
    expect(decodeJwt(issued.accessToken)).toEqual({
      iss: issuer,
      sub: 'user-1',
      aud: 'client-1',
      client_id: 'client-1',
      jti: 'id-1',
      iat,
      nbf: iat,
      exp: iat + 3600,
      scope: 'orders:read profile',
      scopes: ['orders:read', 'profile'],
    });

    expect(await store.findAccessToken('id-1')).toEqual({
      id: 'id-1',
      userId: 'user-1',
      clientId: 'client-1',
      name: null,
      scopes: ['orders:read', 'profile'],
      familyId: 'code-hash',
      revoked: false,
      createdAt: new Date(startMs),
      expiresAt: new Date((iat + 3600) * 1000),
    });
    // the refresh token is a 256-bit secret; only its SHA-256 is stored
    expect(issued.refreshToken).toBe('BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc');
    const refreshId = hashSecret(issued.refreshToken as string);
    expect(refreshId).toMatch(/^[0-9a-f]{64}$/);
    expect(await store.findRefreshToken(issued.refreshToken as string)).toBeNull();
    expect(await store.findRefreshToken(refreshId)).toEqual({
      id: refreshId,
      accessTokenId: 'id-1',
      userId: 'user-1',
      clientId: 'client-1',
      scopes: ['orders:read', 'profile'],
      familyId: 'code-hash',
      revoked: false,
      consumedAt: null,
      replacedBy: null,
      createdAt: new Date(startMs),
      expiresAt: new Date(startMs + 2_592_000_000),
    });
    expect(issued.refreshTokenRecord).toEqual(await store.findRefreshToken(refreshId));
    expect(events).toEqual(['access:id-1', 'refresh:code-hash']);

    const verified = await verifyAccessToken(issued.accessToken, { keys, issuer, store, now: ctx.now });
    expect(verified.userId).toBe('user-1');
  });

  it('starts a new refresh family when none is given, and none without a refresh token', async () => {
    const { ctx, store } = setup();
    const withRefresh = await issueTokens(ctx, {
      clientId: 'c',
      userId: 'u',
      scopes: [],
      grantType: 'password',
      withRefreshToken: true,
    });
    expect(withRefresh.accessTokenRecord.familyId).toBe('id-2');
    expect(withRefresh.refreshTokenRecord?.familyId).toBe('id-2');
    const without = await issueTokens(ctx, {
      clientId: 'c',
      userId: 'u',
      scopes: [],
      grantType: 'implicit',
      withRefreshToken: false,
    });
    expect(without.refreshToken).toBeNull();
    expect(without.refreshTokenRecord).toBeNull();
    expect((await store.findAccessToken(without.accessTokenRecord.id))?.familyId).toBeNull();
  });

  it('issues client tokens with sub = client id, userId null and no refresh token', async () => {
    const { ctx, store, events } = setup();
    const issued = await issueTokens(ctx, {
      clientId: 'machine',
      userId: null,
      scopes: ['*'],
      grantType: 'client_credentials',
      withRefreshToken: false,
    });
    expect(decodeJwt(issued.accessToken).sub).toBe('machine');
    expect((await store.findAccessToken('id-1'))?.userId).toBeNull();
    expect(events).toEqual(['access:id-1']);
    const verified = await verifyAccessToken(issued.accessToken, { keys, issuer, store, now: ctx.now });
    expect(verified.userId).toBeNull();
  });

  it('uses a given lifetime and name (personal access tokens)', async () => {
    const { ctx, store } = setup();
    const issued = await issueTokens(ctx, {
      clientId: 'personal',
      userId: 'u',
      scopes: [],
      grantType: 'personal_access',
      name: 'CLI',
      withRefreshToken: false,
      accessTokenLifetime: ctx.lifetimes.personalAccessToken,
    });
    expect(issued.expiresIn).toBe(31_536_000);
    const claims = decodeJwt(issued.accessToken);
    expect((claims.exp as number) - (claims.iat as number)).toBe(31_536_000);
    expect((await store.findAccessToken('id-1'))?.name).toBe('CLI');
  });

  it('adds claims from the hook but never lets it override reserved claims', async () => {
    const calls: Parameters<ClaimsHook>[0][] = [];
    const { ctx } = setup({
      claims: async (input) => {
        calls.push(input);
        return {
          tenant: 'acme',
          sub: 'admin',
          scope: '*',
          scopes: ['*'],
          iss: 'https://evil',
          exp: 9e9,
          jti: 'x',
        };
      },
    });
    const issued = await issueTokens(ctx, {
      clientId: 'c',
      userId: 'u',
      scopes: ['read'],
      grantType: 'authorization_code',
      withRefreshToken: false,
    });
    expect(calls).toEqual([
      { userId: 'u', clientId: 'c', scopes: ['read'], grantType: 'authorization_code' },
    ]);
    const claims = decodeJwt(issued.accessToken);
    expect(claims).toMatchObject({
      tenant: 'acme',
      sub: 'u',
      scope: 'read',
      scopes: ['read'],
      iss: issuer,
      jti: 'id-1',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('stores nothing and emits nothing when the store write fails', async () => {
    const { ctx, store, events } = setup();
    store.simulateOutage({ methods: ['saveTokens'] });
    await expect(
      issueTokens(ctx, {
        clientId: 'c',
        userId: 'u',
        scopes: [],
        grantType: 'password',
        withRefreshToken: true,
      }),
    ).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
    store.endOutage();
    expect(await store.findAccessToken('id-1')).toBeNull();
    expect(events).toEqual([]);
  });
});

describe('prepareTokens', () => {
  it('signs and builds the records without writing or emitting; emitTokensCreated emits afterwards', async () => {
    const { ctx, store, saved, events } = setup();
    const prepared = await prepareTokens(ctx, {
      clientId: 'client-1',
      userId: 'user-1',
      scopes: ['profile'],
      grantType: 'refresh_token',
      familyId: 'family-1',
      withRefreshToken: true,
    });
    expect(saved).toEqual([]);
    expect(events).toEqual([]);
    expect(await store.findAccessToken(prepared.accessTokenRecord.id)).toBeNull();
    expect(decodeJwt(prepared.accessToken)).toMatchObject({
      jti: prepared.accessTokenRecord.id,
      sub: 'user-1',
    });
    expect(prepared.refreshTokenRecord).toMatchObject({
      id: hashSecret(prepared.refreshToken ?? ''),
      accessTokenId: prepared.accessTokenRecord.id,
      familyId: 'family-1',
      revoked: false,
      consumedAt: null,
      replacedBy: null,
    });
    expect(toIssuedTokens(prepared)).toEqual({
      accessToken: prepared.accessTokenRecord,
      refreshToken: prepared.refreshTokenRecord,
    });
    emitTokensCreated(ctx, prepared);
    expect(events).toEqual([`access:${prepared.accessTokenRecord.id}`, 'refresh:family-1']);
  });
});
