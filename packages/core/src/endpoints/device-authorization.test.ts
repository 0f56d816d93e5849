import { describe, expect, it } from 'vitest';
import { oauthError, setupDevice as setup } from '../../test/device-harness.js';
import { hashSecret } from '../internal/secrets.js';
import {
  formatUserCode,
  generateUserCode,
  normalizeUserCode,
  userCodeAlphabet,
} from './device-authorization.js';

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
});
