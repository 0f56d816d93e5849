import { describe, expect, it } from 'vitest';
import {
  FIXTURE_LIFETIMES,
  makeAccessToken,
  makeAuthCode,
  makeClient,
  makeDeviceCode,
  makeRefreshToken,
  makeTokenPair,
  makeUserCode,
  randomHex,
} from './fixtures.js';

const createdAt = new Date('2030-01-01T00:00:00.000Z');
const plus = (seconds: number): Date => new Date(createdAt.getTime() + seconds * 1000);

describe('fixtures', () => {
  it('give every record a fresh id', () => {
    const builders = [makeClient, makeAccessToken, makeRefreshToken, makeAuthCode, makeDeviceCode];
    for (const build of builders) {
      const ids = new Set(Array.from({ length: 100 }, () => build().id));
      expect(ids.size).toBe(100);
    }
  });

  it('derive expiresAt from createdAt with the default lifetimes', () => {
    expect(makeAccessToken({ createdAt }).expiresAt).toEqual(plus(FIXTURE_LIFETIMES.accessToken));
    expect(makeRefreshToken({ createdAt }).expiresAt).toEqual(plus(FIXTURE_LIFETIMES.refreshToken));
    expect(makeAuthCode({ createdAt }).expiresAt).toEqual(plus(FIXTURE_LIFETIMES.authCode));
    expect(makeDeviceCode({ createdAt }).expiresAt).toEqual(plus(FIXTURE_LIFETIMES.deviceCode));
    expect(makeClient({ createdAt }).updatedAt).toEqual(createdAt);
  });

  it('apply overrides last', () => {
    expect(makeAccessToken({ createdAt, expiresAt: plus(5), userId: null })).toMatchObject({
      expiresAt: plus(5),
      userId: null,
    });
    expect(makeClient({ confidential: false, secretHash: null })).toMatchObject({
      confidential: false,
      secretHash: null,
    });
  });

  it('link a token pair: same user, client, scopes, family and creation time', () => {
    const { accessToken, refreshToken } = makeTokenPair({ accessToken: { createdAt, scopes: ['a'] } });
    expect(refreshToken).toMatchObject({
      accessTokenId: accessToken.id,
      userId: accessToken.userId,
      clientId: accessToken.clientId,
      scopes: ['a'],
      familyId: accessToken.familyId,
      createdAt,
      expiresAt: plus(FIXTURE_LIFETIMES.refreshToken),
      consumedAt: null,
      revoked: false,
    });
    expect(accessToken.familyId).toMatch(/^[0-9a-f]{64}$/);
  });

  it('make RFC 8628 style user codes and SHA-256 shaped hex ids', () => {
    expect(makeUserCode()).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
    expect(randomHex()).toMatch(/^[0-9a-f]{64}$/);
    expect(randomHex(16)).toMatch(/^[0-9a-f]{32}$/);
  });
});
