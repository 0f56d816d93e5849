import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  DeviceCodeStatus,
  GrantType,
  RefreshTokenRecord,
} from '@passport/core';

/** Rows as the database returns them (snake_case). Drivers parse dates, arrays and booleans. */
export interface ClientRow {
  id: string;
  owner_id: string | null;
  name: string;
  secret_hash: string | null;
  provider: string | null;
  redirect_uris: unknown;
  grant_types: unknown;
  scopes: unknown;
  confidential: boolean;
  first_party: boolean;
  resource_server: boolean;
  revoked: boolean;
  created_at: unknown;
  updated_at: unknown;
}

export interface AccessTokenRow {
  id: string;
  user_id: string | null;
  client_id: string;
  name: string | null;
  scopes: unknown;
  family_id: string | null;
  revoked: boolean;
  created_at: unknown;
  expires_at: unknown;
}

export interface RefreshTokenRow {
  id: string;
  access_token_id: string;
  user_id: string | null;
  client_id: string;
  scopes: unknown;
  family_id: string;
  revoked: boolean;
  consumed_at: unknown;
  replaced_by: string | null;
  created_at: unknown;
  expires_at: unknown;
}

export interface AuthCodeRow {
  id: string;
  client_id: string;
  user_id: string;
  scopes: unknown;
  redirect_uri: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  revoked: boolean;
  consumed_at: unknown;
  created_at: unknown;
  expires_at: unknown;
}

export interface DeviceCodeRow {
  id: string;
  user_code: string;
  client_id: string;
  scopes: unknown;
  status: string;
  user_id: string | null;
  poll_interval: number;
  last_polled_at: unknown;
  consumed_at: unknown;
  created_at: unknown;
  expires_at: unknown;
}

/** A `timestamptz` value as a fresh `Date` (drivers give `Date`; strings are accepted too). */
export function toDate(value: unknown): Date {
  if (value instanceof Date) return new Date(value.getTime());
  if (typeof value === 'string' || typeof value === 'number') return new Date(value);
  throw new TypeError(`Expected a timestamp from the database, got ${typeof value}`);
}

function toNullableDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** A `text[]` value as a fresh array of strings. */
function toStrings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  throw new TypeError(`Expected a text[] from the database, got ${typeof value}`);
}

export function toClient(row: ClientRow): ClientRecord {
  return {
    id: String(row.id),
    ownerId: row.owner_id,
    name: row.name,
    secretHash: row.secret_hash,
    provider: row.provider,
    redirectUris: toStrings(row.redirect_uris),
    grantTypes: toStrings(row.grant_types) as GrantType[],
    scopes: row.scopes === null ? null : toStrings(row.scopes),
    confidential: row.confidential,
    firstParty: row.first_party,
    resourceServer: row.resource_server,
    revoked: row.revoked,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export function toAccessToken(row: AccessTokenRow): AccessTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: String(row.client_id),
    name: row.name,
    scopes: toStrings(row.scopes),
    familyId: row.family_id,
    revoked: row.revoked,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function toRefreshToken(row: RefreshTokenRow): RefreshTokenRecord {
  return {
    id: row.id,
    accessTokenId: row.access_token_id,
    userId: row.user_id,
    clientId: String(row.client_id),
    scopes: toStrings(row.scopes),
    familyId: row.family_id,
    revoked: row.revoked,
    consumedAt: toNullableDate(row.consumed_at),
    replacedBy: row.replaced_by ?? null,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function toAuthCode(row: AuthCodeRow): AuthCodeRecord {
  return {
    id: row.id,
    clientId: String(row.client_id),
    userId: row.user_id,
    scopes: toStrings(row.scopes),
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    codeChallengeMethod: row.code_challenge_method as AuthCodeRecord['codeChallengeMethod'],
    revoked: row.revoked,
    consumedAt: toNullableDate(row.consumed_at),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}

export function toDeviceCode(row: DeviceCodeRow): DeviceCodeRecord {
  return {
    id: row.id,
    userCode: row.user_code,
    clientId: String(row.client_id),
    scopes: toStrings(row.scopes),
    status: row.status as DeviceCodeStatus,
    userId: row.user_id,
    interval: Number(row.poll_interval),
    lastPolledAt: toNullableDate(row.last_polled_at),
    consumedAt: toNullableDate(row.consumed_at),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
  };
}
