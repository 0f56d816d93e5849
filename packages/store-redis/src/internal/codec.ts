import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
  type DeviceCodeStatus,
  type GrantType,
  type RefreshTokenRecord,
  StoreInvalidInputError,
} from '@passport/core';

/**
 * Records as Redis hashes: one field per record field. Strings as they are, `null` as an absent
 * field, booleans as `1` / `0`, dates as milliseconds since the epoch, arrays as JSON. Scripts
 * read the few fields they decide on (`revoked`, `consumedAt`, `expiresAt`, `status`,
 * `clientId`, `familyId`, `accessTokenId`) and never rewrite the others.
 *
 * @module
 */

/** A hash as `HGETALL` returns it. */
export type Hash = Record<string, string>;

/** Field/value pairs, flat, as `HSET` takes them. */
export type Fields = string[];

const wellFormed = (value: string): boolean => (value as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * Redis stores bytes; a JavaScript string with a lone surrogate has no UTF-8 form and would come
 * back changed. Such a value is refused before anything is written.
 */
function text(field: string, value: string): string {
  if (!wellFormed(value)) {
    throw new StoreInvalidInputError(`The ${field} contains a lone surrogate, which Redis cannot store`);
  }
  return value;
}

function push(fields: Fields, name: string, value: string | null | undefined): void {
  if (value !== null && value !== undefined) fields.push(name, text(name, value));
}

function list(name: string, values: readonly string[]): string {
  for (const value of values) text(name, value);
  return JSON.stringify(values);
}

const flag = (value: boolean): string => (value ? '1' : '0');
const ms = (date: Date): string => String(date.getTime());

/** True when `id` can be an id of a stored record (ids with lone surrogates never are). */
export const isStorableId = wellFormed;

// ------------------------------------------------------------------------------------- encode

export function accessTokenFields(token: AccessTokenRecord): Fields {
  const fields: Fields = ['id', text('id', token.id)];
  push(fields, 'userId', token.userId);
  fields.push('clientId', text('clientId', token.clientId));
  push(fields, 'name', token.name);
  fields.push('scopes', list('scopes', token.scopes));
  push(fields, 'familyId', token.familyId);
  fields.push(
    'revoked',
    flag(token.revoked),
    'createdAt',
    ms(token.createdAt),
    'expiresAt',
    ms(token.expiresAt),
  );
  return fields;
}

export function refreshTokenFields(token: RefreshTokenRecord): Fields {
  const fields: Fields = [
    'id',
    text('id', token.id),
    'accessTokenId',
    text('accessTokenId', token.accessTokenId),
  ];
  push(fields, 'userId', token.userId);
  fields.push(
    'clientId',
    text('clientId', token.clientId),
    'scopes',
    list('scopes', token.scopes),
    'familyId',
    text('familyId', token.familyId),
    'revoked',
    flag(token.revoked),
  );
  if (token.consumedAt !== null) fields.push('consumedAt', ms(token.consumedAt));
  push(fields, 'replacedBy', token.replacedBy);
  fields.push('createdAt', ms(token.createdAt), 'expiresAt', ms(token.expiresAt));
  return fields;
}

export function authCodeFields(code: AuthCodeRecord): Fields {
  const fields: Fields = [
    'id',
    text('id', code.id),
    'clientId',
    text('clientId', code.clientId),
    'userId',
    text('userId', code.userId),
    'scopes',
    list('scopes', code.scopes),
  ];
  push(fields, 'redirectUri', code.redirectUri);
  push(fields, 'codeChallenge', code.codeChallenge);
  push(fields, 'codeChallengeMethod', code.codeChallengeMethod);
  fields.push('revoked', flag(code.revoked));
  if (code.consumedAt !== null) fields.push('consumedAt', ms(code.consumedAt));
  fields.push('createdAt', ms(code.createdAt), 'expiresAt', ms(code.expiresAt));
  return fields;
}

export function deviceCodeFields(code: DeviceCodeRecord): Fields {
  const fields: Fields = [
    'id',
    text('id', code.id),
    'userCode',
    text('userCode', code.userCode),
    'clientId',
    text('clientId', code.clientId),
    'scopes',
    list('scopes', code.scopes),
    'status',
    code.status,
  ];
  push(fields, 'userId', code.userId);
  fields.push('interval', String(code.interval));
  if (code.lastPolledAt !== null) fields.push('lastPolledAt', ms(code.lastPolledAt));
  if (code.consumedAt !== null) fields.push('consumedAt', ms(code.consumedAt));
  fields.push('createdAt', ms(code.createdAt), 'expiresAt', ms(code.expiresAt));
  return fields;
}

export function clientFields(client: ClientRecord): Fields {
  const fields: Fields = ['id', text('id', client.id)];
  push(fields, 'ownerId', client.ownerId);
  fields.push('name', text('name', client.name));
  push(fields, 'secretHash', client.secretHash);
  push(fields, 'provider', client.provider);
  fields.push(
    'redirectUris',
    list('redirectUris', client.redirectUris),
    'grantTypes',
    list('grantTypes', client.grantTypes),
  );
  if (client.scopes !== null) fields.push('scopes', list('scopes', client.scopes));
  fields.push(
    'confidential',
    flag(client.confidential),
    'firstParty',
    flag(client.firstParty),
    'revoked',
    flag(client.revoked),
    'resourceServer',
    flag(client.resourceServer),
    'createdAt',
    ms(client.createdAt),
    'updatedAt',
    ms(client.updatedAt),
  );
  return fields;
}

/** A client update as fields to set and fields to delete (set to `null`). */
export function clientUpdateFields(update: ClientUpdate): { set: Fields; unset: string[] } {
  const set: Fields = [];
  const unset: string[] = [];
  const nullable = (name: string, value: string | null | undefined): void => {
    if (value === undefined) return;
    if (value === null) unset.push(name);
    else set.push(name, text(name, value));
  };
  if (update.name !== undefined) set.push('name', text('name', update.name));
  nullable('secretHash', update.secretHash);
  nullable('provider', update.provider);
  if (update.redirectUris !== undefined) set.push('redirectUris', list('redirectUris', update.redirectUris));
  if (update.grantTypes !== undefined) set.push('grantTypes', list('grantTypes', update.grantTypes));
  if (update.scopes !== undefined) {
    if (update.scopes === null) unset.push('scopes');
    else set.push('scopes', list('scopes', update.scopes));
  }
  if (update.firstParty !== undefined) set.push('firstParty', flag(update.firstParty));
  if (update.revoked !== undefined) set.push('revoked', flag(update.revoked));
  if (update.resourceServer !== undefined) set.push('resourceServer', flag(update.resourceServer));
  set.push('updatedAt', ms(update.updatedAt));
  return { set, unset };
}

// ------------------------------------------------------------------------------------- decode

/** A flat `[field, value, ...]` reply (from a script's `HGETALL`) as a hash. */
export function toHash(reply: unknown): Hash | null {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  const hash: Hash = {};
  for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  return hash;
}

const date = (value: string | undefined): Date => new Date(Number(value));
const nullableDate = (value: string | undefined): Date | null => (value === undefined ? null : date(value));
const nullable = (value: string | undefined): string | null => value ?? null;
const strings = (value: string | undefined): string[] =>
  value === undefined ? [] : (JSON.parse(value) as string[]);

/** A stored access token; `null` for an empty hash or a pointer. */
export function toAccessToken(hash: Hash | null): AccessTokenRecord | null {
  if (hash === null || hash.id === undefined) return null;
  return {
    id: hash.id,
    userId: nullable(hash.userId),
    clientId: hash.clientId ?? '',
    name: nullable(hash.name),
    scopes: strings(hash.scopes),
    familyId: nullable(hash.familyId),
    revoked: hash.revoked === '1',
    createdAt: date(hash.createdAt),
    expiresAt: date(hash.expiresAt),
  };
}

export function toRefreshToken(hash: Hash | null): RefreshTokenRecord | null {
  if (hash === null || hash.id === undefined) return null;
  return {
    id: hash.id,
    accessTokenId: hash.accessTokenId ?? '',
    userId: nullable(hash.userId),
    clientId: hash.clientId ?? '',
    scopes: strings(hash.scopes),
    familyId: hash.familyId ?? '',
    revoked: hash.revoked === '1',
    consumedAt: nullableDate(hash.consumedAt),
    replacedBy: nullable(hash.replacedBy),
    createdAt: date(hash.createdAt),
    expiresAt: date(hash.expiresAt),
  };
}

export function toAuthCode(hash: Hash | null): AuthCodeRecord | null {
  if (hash === null || hash.id === undefined) return null;
  return {
    id: hash.id,
    clientId: hash.clientId ?? '',
    userId: hash.userId ?? '',
    scopes: strings(hash.scopes),
    redirectUri: nullable(hash.redirectUri),
    codeChallenge: nullable(hash.codeChallenge),
    codeChallengeMethod: nullable(hash.codeChallengeMethod) as AuthCodeRecord['codeChallengeMethod'],
    revoked: hash.revoked === '1',
    consumedAt: nullableDate(hash.consumedAt),
    createdAt: date(hash.createdAt),
    expiresAt: date(hash.expiresAt),
  };
}

export function toDeviceCode(hash: Hash | null): DeviceCodeRecord | null {
  if (hash === null || hash.id === undefined) return null;
  return {
    id: hash.id,
    userCode: hash.userCode ?? '',
    clientId: hash.clientId ?? '',
    scopes: strings(hash.scopes),
    status: (hash.status ?? 'pending') as DeviceCodeStatus,
    userId: nullable(hash.userId),
    interval: Number(hash.interval),
    lastPolledAt: nullableDate(hash.lastPolledAt),
    consumedAt: nullableDate(hash.consumedAt),
    createdAt: date(hash.createdAt),
    expiresAt: date(hash.expiresAt),
  };
}

export function toClient(hash: Hash | null): ClientRecord | null {
  if (hash === null || hash.id === undefined) return null;
  return {
    id: hash.id,
    ownerId: nullable(hash.ownerId),
    name: hash.name ?? '',
    secretHash: nullable(hash.secretHash),
    provider: nullable(hash.provider),
    redirectUris: strings(hash.redirectUris),
    grantTypes: strings(hash.grantTypes) as GrantType[],
    scopes: hash.scopes === undefined ? null : strings(hash.scopes),
    confidential: hash.confidential === '1',
    firstParty: hash.firstParty === '1',
    revoked: hash.revoked === '1',
    resourceServer: hash.resourceServer === '1',
    createdAt: date(hash.createdAt),
    updatedAt: date(hash.updatedAt),
  };
}
