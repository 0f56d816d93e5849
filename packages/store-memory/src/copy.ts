import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  RefreshTokenRecord,
} from '@passport/core';

/**
 * Explicit deep copies of the records. Every record that enters or leaves the store goes through
 * one of these, so callers can never reach stored state by reference. Explicit copies are several
 * times faster than `structuredClone` on these small objects, which matters on the hot paths.
 *
 * @module
 */

const copyDate = (date: Date): Date => new Date(date.getTime());

const copyNullableDate = (date: Date | null): Date | null => (date === null ? null : copyDate(date));

/** A deep copy of a client. */
export function copyClient(client: ClientRecord): ClientRecord {
  return {
    ...client,
    redirectUris: [...client.redirectUris],
    grantTypes: [...client.grantTypes],
    scopes: client.scopes === null ? null : [...client.scopes],
    createdAt: copyDate(client.createdAt),
    updatedAt: copyDate(client.updatedAt),
  };
}

/** A deep copy of an access token. */
export function copyAccessToken(token: AccessTokenRecord): AccessTokenRecord {
  return {
    ...token,
    scopes: [...token.scopes],
    createdAt: copyDate(token.createdAt),
    expiresAt: copyDate(token.expiresAt),
  };
}

/** A deep copy of a refresh token. */
export function copyRefreshToken(token: RefreshTokenRecord): RefreshTokenRecord {
  return {
    ...token,
    scopes: [...token.scopes],
    consumedAt: copyNullableDate(token.consumedAt),
    createdAt: copyDate(token.createdAt),
    expiresAt: copyDate(token.expiresAt),
  };
}

/** A deep copy of an authorization code. */
export function copyAuthCode(code: AuthCodeRecord): AuthCodeRecord {
  return {
    ...code,
    scopes: [...code.scopes],
    consumedAt: copyNullableDate(code.consumedAt),
    createdAt: copyDate(code.createdAt),
    expiresAt: copyDate(code.expiresAt),
  };
}

/** A deep copy of a device code. */
export function copyDeviceCode(code: DeviceCodeRecord): DeviceCodeRecord {
  return {
    ...code,
    scopes: [...code.scopes],
    lastPolledAt: copyNullableDate(code.lastPolledAt),
    consumedAt: copyNullableDate(code.consumedAt),
    createdAt: copyDate(code.createdAt),
    expiresAt: copyDate(code.expiresAt),
  };
}
