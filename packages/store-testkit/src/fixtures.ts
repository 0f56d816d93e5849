import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  IssuedTokens,
  RefreshTokenRecord,
} from '@passport/core';

/**
 * Record builders with sensible defaults and fresh unique ids, for the conformance suites and for
 * any other test that needs stored records. Every builder takes `overrides`; when `createdAt` is
 * given and `expiresAt` is not, `expiresAt` is derived from `createdAt` with the lifetime Passport
 * uses by default. Without `createdAt` the current time is used. Client ids are of the current
 * {@link ClientIdType} (UUIDs unless {@link useClientIdType} says otherwise).
 *
 * @module
 */

/** Default lifetimes of the builders, in seconds (Passport's defaults). */
export const FIXTURE_LIFETIMES = {
  accessToken: 3600,
  refreshToken: 2_592_000,
  authCode: 600,
  deviceCode: 600,
} as const;

/** RFC 8628 section 6.1's suggested user-code alphabet: consonants only, no ambiguous letters. */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

/**
 * A random lowercase hex string of `bytes` random bytes: the shape of a stored secret hash.
 *
 * @example
 * ```ts
 * randomHex(); // 64 hex characters, like a SHA-256 id
 * ```
 * @default bytes 32
 */
export function randomHex(bytes = 32): string {
  const data = crypto.getRandomValues(new Uint8Array(bytes));
  let hex = '';
  for (const byte of data) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * A random, normalised user code: 8 uppercase consonants, no dash (RFC 8628 section 6.1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-6.1
 */
export function makeUserCode(): string {
  const data = crypto.getRandomValues(new Uint8Array(8));
  let code = '';
  for (const byte of data) code += USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length];
  return code;
}

/**
 * The kinds of client id a store may hold: `uuid` (the default), `bigint` (decimal strings of a
 * 64-bit integer, like an identity column) or `text` (any string).
 */
export type ClientIdType = 'uuid' | 'bigint' | 'text';

let clientIdType: ClientIdType = 'uuid';

/**
 * Sets the kind of client id {@link newClientId} (and every builder's default `clientId`)
 * produces. `runStoreConformance` sets it before each of its tests from its `clientIdType`
 * option; call it yourself in other tests of a store with non-UUID client ids.
 *
 * @example
 * ```ts
 * beforeEach(() => useClientIdType('bigint'));
 * ```
 */
export function useClientIdType(type: ClientIdType): void {
  clientIdType = type;
}

/**
 * A fresh client id of the current {@link ClientIdType}: a UUID, a random positive 62-bit
 * integer as a decimal string (far above the ids an identity sequence hands out), or a
 * readable text id.
 */
export function newClientId(): string {
  if (clientIdType === 'uuid') return crypto.randomUUID();
  if (clientIdType === 'text') return uniqueId('client');
  const [high = 0, low = 0] = crypto.getRandomValues(new Uint32Array(2));
  return String((BigInt(high & 0x3fffffff) << 32n) + BigInt(low) + (1n << 40n));
}

/** A fresh unique id with a readable prefix, e.g. `user-1f0c…`. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

const secondsAfter = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);

const currentTime = (): Date => new Date();

/**
 * A confidential, third-party authorization-code client with a random id and secret hash.
 *
 * @example
 * ```ts
 * await store.createClient(makeClient({ ownerId: 'user-1', firstParty: true }));
 * ```
 */
export function makeClient(overrides: Partial<ClientRecord> = {}): ClientRecord {
  const createdAt = overrides.createdAt ?? currentTime();
  return {
    id: newClientId(),
    ownerId: null,
    name: 'Test client',
    secretHash: randomHex(),
    provider: null,
    redirectUris: ['https://client.example/callback'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: null,
    confidential: true,
    firstParty: false,
    resourceServer: false,
    revoked: false,
    createdAt,
    updatedAt: createdAt,
    ...overrides,
  };
}

/**
 * A live access token for a fresh user and client, without a family.
 *
 * @example
 * ```ts
 * const token = makeAccessToken({ userId: 'user-1', createdAt: now });
 * await store.saveTokens({ accessToken: token, refreshToken: null });
 * ```
 */
export function makeAccessToken(overrides: Partial<AccessTokenRecord> = {}): AccessTokenRecord {
  const createdAt = overrides.createdAt ?? currentTime();
  return {
    id: crypto.randomUUID(),
    userId: uniqueId('user'),
    clientId: newClientId(),
    name: null,
    scopes: ['read'],
    familyId: null,
    revoked: false,
    createdAt,
    expiresAt: secondsAfter(createdAt, FIXTURE_LIFETIMES.accessToken),
    ...overrides,
  };
}

/**
 * A live, unconsumed refresh token. Prefer {@link makeTokenPair}, which links it to its access
 * token; alone, `accessTokenId` and `familyId` are fresh random ids.
 */
export function makeRefreshToken(overrides: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  const createdAt = overrides.createdAt ?? currentTime();
  return {
    id: randomHex(),
    accessTokenId: crypto.randomUUID(),
    userId: uniqueId('user'),
    clientId: newClientId(),
    scopes: ['read'],
    familyId: randomHex(),
    revoked: false,
    consumedAt: null,
    replacedBy: null,
    createdAt,
    expiresAt: secondsAfter(createdAt, FIXTURE_LIFETIMES.refreshToken),
    ...overrides,
  };
}

/** Overrides of {@link makeTokenPair}. */
export interface TokenPairOverrides {
  /** Applied to the access token; its `userId`, `clientId`, `scopes`, `familyId` and `createdAt` carry over. */
  accessToken?: Partial<AccessTokenRecord>;
  /** Applied to the refresh token last. */
  refreshToken?: Partial<RefreshTokenRecord>;
}

/**
 * An access token and the refresh token issued with it, sharing user, client, scopes, family and
 * creation time: the argument of `saveTokens`.
 *
 * @example
 * ```ts
 * const pair = makeTokenPair({ accessToken: { userId: 'user-1', familyId: 'family-1', createdAt: now } });
 * await store.saveTokens(pair);
 * ```
 */
export function makeTokenPair(
  overrides: TokenPairOverrides = {},
): IssuedTokens & { refreshToken: RefreshTokenRecord } {
  const accessToken = makeAccessToken({ familyId: randomHex(), ...overrides.accessToken });
  const refreshToken = makeRefreshToken({
    accessTokenId: accessToken.id,
    userId: accessToken.userId,
    clientId: accessToken.clientId,
    scopes: [...accessToken.scopes],
    familyId: accessToken.familyId ?? randomHex(),
    createdAt: accessToken.createdAt,
    ...overrides.refreshToken,
  });
  return { accessToken, refreshToken };
}

/**
 * A live, unconsumed authorization code with an S256 challenge slot left empty.
 *
 * @example
 * ```ts
 * await store.saveAuthCode(makeAuthCode({ clientId: client.id, createdAt: now }));
 * ```
 */
export function makeAuthCode(overrides: Partial<AuthCodeRecord> = {}): AuthCodeRecord {
  const createdAt = overrides.createdAt ?? currentTime();
  return {
    id: randomHex(),
    clientId: newClientId(),
    userId: uniqueId('user'),
    scopes: ['read'],
    redirectUri: 'https://client.example/callback',
    codeChallenge: null,
    codeChallengeMethod: null,
    revoked: false,
    consumedAt: null,
    createdAt,
    expiresAt: secondsAfter(createdAt, FIXTURE_LIFETIMES.authCode),
    ...overrides,
  };
}

/**
 * A pending device authorization with a fresh user code and a 5 second interval.
 *
 * @example
 * ```ts
 * await store.saveDeviceCode(makeDeviceCode({ clientId: client.id, createdAt: now }));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export function makeDeviceCode(overrides: Partial<DeviceCodeRecord> = {}): DeviceCodeRecord {
  const createdAt = overrides.createdAt ?? currentTime();
  return {
    id: randomHex(),
    userCode: makeUserCode(),
    clientId: newClientId(),
    scopes: ['read'],
    status: 'pending',
    userId: null,
    interval: 5,
    lastPolledAt: null,
    consumedAt: null,
    createdAt,
    expiresAt: secondsAfter(createdAt, FIXTURE_LIFETIMES.deviceCode),
    ...overrides,
  };
}
