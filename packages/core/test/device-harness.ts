/**
 * Shared set-up of the device flow tests: a real memory store, an injectable clock, a passport and
 * a public client allowed the device grant. Not a test file itself.
 */
import { createMemoryStore } from '@passport/store-memory';
import { expect } from 'vitest';
import { OAuthError } from '../src/errors/oauth-error.js';
import { deviceCodeGrantType } from '../src/grants/device-code.js';
import { KeySet } from '../src/keys/key-set.js';
import type { PassportOptions } from '../src/options.js';
import { createPassport } from '../src/passport.js';
import type { GrantType } from '../src/stores/records.js';

const keys = await KeySet.generate('ES256');
export const user = { id: 'user-1' };

export async function setupDevice(options: Partial<PassportOptions> = {}, grantTypes?: GrantType[]) {
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

export async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}
