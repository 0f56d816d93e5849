import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { hashSecret } from '../internal/secrets.js';
import { KeySet } from '../keys/key-set.js';
import type { PassportOptions } from '../options.js';
import { createPassport } from '../passport.js';
import type { GrantType } from '../stores/records.js';
import {
  deviceCodeGrantType,
  formatUserCode,
  generateUserCode,
  normalizeUserCode,
  userCodeAlphabet,
} from './device.js';

const keys = await KeySet.generate('ES256');
const user = { id: 'user-1' };

async function setup(options: Partial<PassportOptions> = {}, grantTypes?: GrantType[]) {
  const store = createMemoryStore();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const passport = createPassport({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read the things', write: 'Write' },
    clock: () => now,
    ...options,
  });
  const { client } = await passport.clients.create({
    name: 'Smart TV',
    confidential: false,
    grantTypes: grantTypes ?? [deviceCodeGrantType, 'refresh_token'],
  });
  const start = (scope = 'read') =>
    passport.requestDeviceCode({
      params: new URLSearchParams({ client_id: client.id, scope }),
      authorization: null,
    });
  const poll = (deviceCode: string, clientId = client.id) =>
    passport.handleTokenRequest({
      params: new URLSearchParams({
        grant_type: deviceCodeGrantType,
        device_code: deviceCode,
        client_id: clientId,
      }),
      authorization: null,
    });
  return { store, passport, client, start, poll, advance: (seconds: number) => (now += seconds * 1000) };
}

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe('user codes', () => {
  it('are 8 letters of BCDFGHJKLMNPQRSTVWXZ, every letter reachable', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = generateUserCode((n) => crypto.getRandomValues(new Uint8Array(n)));
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      for (const c of code) seen.add(c);
    }
    expect([...seen].sort().join('')).toBe(userCodeAlphabet);
  });

  it('skips biased bytes (>= 240) instead of wrapping them', () => {
    const bytes = [240, 255, 0, 1, 2, 3, 4, 5, 6, 19, 20];
    const code = generateUserCode((n) => Uint8Array.from({ length: n }, (_, i) => bytes[i] ?? 0));
    expect(code).toBe('BCDFGHJZ');
  });

  it('normalise user input: case, dashes and spaces', () => {
    expect(normalizeUserCode('bcdf-ghjk')).toBe('BCDFGHJK');
    expect(normalizeUserCode(' BCDF GHJK ')).toBe('BCDFGHJK');
    expect(normalizeUserCode('BCDFGHJA')).toBeNull();
    expect(normalizeUserCode('BCDF-GHJ')).toBeNull();
    expect(formatUserCode('BCDFGHJK')).toBe('BCDF-GHJK');
  });
});

describe('device authorization grant (RFC 8628)', () => {
  it('answers the device authorization request and stores a pending, hashed device code', async () => {
    const { start, store, client } = await setup();
    const res = await start();
    expect(res.device_code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(res.verification_uri).toBe('https://auth.example/oauth/device');
    expect(res.verification_uri_complete).toBe(
      `https://auth.example/oauth/device?user_code=${res.user_code}`,
    );
    expect(res.expires_in).toBe(600);
    expect(res.interval).toBe(5);
    expect(await store.findDeviceCode(hashSecret(res.device_code))).toMatchObject({
      userCode: res.user_code.replace('-', ''),
      clientId: client.id,
      scopes: ['read'],
      status: 'pending',
      interval: 5,
    });
  });

  it('uses the configured verification URI and interval', async () => {
    const { start } = await setup({
      device: { verificationUri: 'https://tv.example/activate', interval: 10 },
    });
    const res = await start();
    expect(res.verification_uri).toBe('https://tv.example/activate');
    expect(res.interval).toBe(10);
  });

  it('rejects a client without the device grant (unauthorized_client) and bad scopes (invalid_scope)', async () => {
    const { passport, start } = await setup();
    const { client, plainSecret } = await passport.clients.create({
      name: 'Web',
      redirectUris: ['https://web.example/cb'],
    });
    const error = await oauthError(
      passport.requestDeviceCode({
        params: new URLSearchParams({ client_id: client.id, client_secret: plainSecret as string }),
        authorization: null,
      }),
    );
    expect(error.error).toBe('unauthorized_client');
    expect((await oauthError(start('admin'))).error).toBe('invalid_scope');
  });

  it('is unsupported_grant_type when the device grant is disabled', async () => {
    const { start } = await setup({ grants: { deviceCode: false } });
    const error = await oauthError(start());
    expect(error.error).toBe('unsupported_grant_type');
  });

  it('polls: authorization_pending, slow_down (interval +5), then tokens exactly once after approval', async () => {
    const { start, poll, passport, store, advance, client } = await setup();
    const res = await start();
    const id = hashSecret(res.device_code);

    const pending = await oauthError(poll(res.device_code));
    expect([pending.error, pending.status]).toEqual(['authorization_pending', 400]);

    advance(2);
    const slow = await oauthError(poll(res.device_code));
    expect([slow.error, slow.status]).toEqual(['slow_down', 400]);
    expect((await store.findDeviceCode(id))?.interval).toBe(10);

    advance(6); // less than the new 10-second interval
    expect((await oauthError(poll(res.device_code))).error).toBe('slow_down');
    expect((await store.findDeviceCode(id))?.interval).toBe(15);

    advance(15);
    expect((await oauthError(poll(res.device_code))).error).toBe('authorization_pending');

    const found = await passport.findDeviceRequest(res.user_code.toLowerCase());
    expect(found?.client.id).toBe(client.id);
    expect(found?.scopes).toEqual([{ id: 'read', description: 'Read the things' }]);
    expect(found?.userCode).toBe(res.user_code);
    expect(await passport.decideDeviceRequest(res.user_code.replace('-', ' '), user, 'approve')).toBe(true);
    expect(await passport.decideDeviceRequest(res.user_code, user, 'deny')).toBe(false);
    expect(await passport.findDeviceRequest(res.user_code)).toBeNull();

    advance(15);
    const tokens = await poll(res.device_code);
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    expect(tokens.refresh_token).toBeDefined();
    const verified = await passport.verifyAccessToken(tokens.access_token);
    expect(verified.userId).toBe(user.id);
    expect(verified.record.familyId).toBe(id);
    expect((await store.findRefreshToken(hashSecret(tokens.refresh_token as string)))?.familyId).toBe(id);
    expect((await store.findDeviceCode(id))?.consumedAt).not.toBeNull();

    advance(15);
    const again = await oauthError(poll(res.device_code));
    expect(again.error).toBe('invalid_grant');
  });

  it('gives exactly one success to 20 concurrent polls of an approved code', async () => {
    const { start, poll, passport } = await setup();
    const res = await start();
    await passport.decideDeviceRequest(res.user_code, user, 'approve');
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => poll(res.device_code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await passport.listUserTokens(user.id)).toHaveLength(1);
  });

  it('answers access_denied after the user denied, and issues nothing', async () => {
    const { start, poll, passport } = await setup();
    const res = await start();
    expect(await passport.decideDeviceRequest(res.user_code, user, 'deny')).toBe(true);
    const error = await oauthError(poll(res.device_code));
    expect([error.error, error.status]).toEqual(['access_denied', 400]);
    expect(await passport.listUserTokens(user.id)).toEqual([]);
  });

  it('answers expired_token once the code expired; the user can no longer approve it', async () => {
    const { start, poll, passport, advance } = await setup();
    const res = await start();
    advance(601);
    expect(await passport.decideDeviceRequest(res.user_code, user, 'approve')).toBe(false);
    const error = await oauthError(poll(res.device_code));
    expect([error.error, error.status]).toEqual(['expired_token', 400]);
  });

  it('answers invalid_grant for an unknown code or another client, invalid_request without device_code', async () => {
    const { start, poll, passport } = await setup();
    const res = await start();
    expect((await oauthError(poll('not-a-device-code'))).error).toBe('invalid_grant');
    const { client: other } = await passport.clients.create({
      name: 'Other TV',
      confidential: false,
      grantTypes: [deviceCodeGrantType],
    });
    expect((await oauthError(poll(res.device_code, other.id))).error).toBe('invalid_grant');
    const missing = await oauthError(
      passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: deviceCodeGrantType, client_id: other.id }),
        authorization: null,
      }),
    );
    expect(missing.error).toBe('invalid_request');
  });

  it('issues no refresh token when the client may not refresh', async () => {
    const { start, poll, passport } = await setup({}, [deviceCodeGrantType]);
    const res = await start();
    await passport.decideDeviceRequest(res.user_code, user, 'approve');
    const tokens = await poll(res.device_code);
    expect(tokens.refresh_token).toBeUndefined();
  });
});
