import { describe, expect, it } from 'vitest';
import { oauthError, setupDevice as setup, user } from '../../test/device-harness.js';
import { hashSecret } from '../internal/secrets.js';
import { deviceCodeGrantType } from './device-code.js';

describe('device code grant (RFC 8628 section 3.4, 3.5)', () => {
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
