import { StoreInvalidInputError } from '@passport/core';

/**
 * What reaches a query. Every filter the store builds puts caller input in the VALUE position of
 * a field it names itself (`{ _id: id }`), never in a key, so a string can never become an
 * operator. What could is a non-string where a string is expected (`{ $ne: null }` from a JSON
 * body that skipped validation): reads refuse it with {@link isId} (it matches nothing), writes
 * with {@link checkRecord} (`StoreInvalidInputError`), and documents are built field by field from
 * the records, so no unknown key ever reaches the server.
 *
 * @module
 */

/**
 * A UTF-16 code unit of a surrogate pair without its partner. BSON strings are UTF-8, which cannot
 * encode it: the driver would store U+FFFD instead, so two different ids would meet in one
 * document. Each alternative is a single character with a lookaround: no backtracking.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True for a string the server stores as it is (well-formed UTF-16). */
export function isStorableString(value: unknown): value is string {
  return typeof value === 'string' && !LONE_SURROGATE.test(value);
}

/**
 * True when `value` can match a stored id. Any string can, NUL and `$` and `.` included (they are
 * values, never keys); a non-string or a string BSON cannot encode matches nothing, so reads answer
 * not found without a round trip.
 */
export const isId: (value: unknown) => value is string = isStorableString;

/** The type a record field must have. A trailing `?` also allows `null`. */
export type FieldKind =
  | 'string'
  | 'string?'
  | 'strings'
  | 'strings?'
  | 'boolean'
  | 'date'
  | 'date?'
  | 'count';

/** A record's fields and their kinds. */
export type RecordSpec = Readonly<Record<string, FieldKind>>;

function fits(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return isStorableString(value);
    case 'string?':
      return value === null || isStorableString(value);
    case 'strings':
      return Array.isArray(value) && value.every(isStorableString);
    case 'strings?':
      return value === null || (Array.isArray(value) && value.every(isStorableString));
    case 'boolean':
      return typeof value === 'boolean';
    case 'date':
      return value instanceof Date && !Number.isNaN(value.getTime());
    case 'date?':
      return value === null || (value instanceof Date && !Number.isNaN(value.getTime()));
    case 'count':
      return Number.isSafeInteger(value) && (value as number) >= 0;
  }
}

/**
 * Throws `StoreInvalidInputError` unless every field of `spec` has its kind in `record`
 * (`partial`: fields that are `undefined` are skipped, for updates). Nothing is written then.
 */
export function checkRecord(
  what: string,
  record: unknown,
  spec: RecordSpec,
  options: { partial?: boolean } = {},
): void {
  const partial = options.partial === true;
  if (typeof record !== 'object' || record === null) {
    throw new StoreInvalidInputError(`${what} must be an object`);
  }
  for (const [name, kind] of Object.entries(spec)) {
    const value = (record as Record<string, unknown>)[name];
    if (partial && value === undefined) continue;
    if (!fits(kind, value)) {
      throw new StoreInvalidInputError(`${what}.${name} must be ${describe(kind)}`);
    }
  }
}

function describe(kind: FieldKind): string {
  switch (kind) {
    case 'string':
      return 'a well-formed string';
    case 'string?':
      return 'a well-formed string or null';
    case 'strings':
      return 'an array of well-formed strings';
    case 'strings?':
      return 'an array of well-formed strings or null';
    case 'boolean':
      return 'a boolean';
    case 'date':
      return 'a valid Date';
    case 'date?':
      return 'a valid Date or null';
    case 'count':
      return 'a non-negative integer';
  }
}

/** The fields of a client record. */
export const CLIENT_SPEC: RecordSpec = {
  id: 'string',
  ownerId: 'string?',
  name: 'string',
  secretHash: 'string?',
  provider: 'string?',
  redirectUris: 'strings',
  grantTypes: 'strings',
  scopes: 'strings?',
  confidential: 'boolean',
  firstParty: 'boolean',
  resourceServer: 'boolean',
  revoked: 'boolean',
  createdAt: 'date',
  updatedAt: 'date',
};

/** The fields a client update may carry (all optional except `updatedAt`). */
export const CLIENT_UPDATE_SPEC: RecordSpec = {
  name: 'string',
  secretHash: 'string?',
  provider: 'string?',
  redirectUris: 'strings',
  grantTypes: 'strings',
  scopes: 'strings?',
  firstParty: 'boolean',
  resourceServer: 'boolean',
  revoked: 'boolean',
  updatedAt: 'date',
};

/** The fields of an access token record. */
export const ACCESS_TOKEN_SPEC: RecordSpec = {
  id: 'string',
  userId: 'string?',
  clientId: 'string',
  name: 'string?',
  scopes: 'strings',
  familyId: 'string?',
  revoked: 'boolean',
  createdAt: 'date',
  expiresAt: 'date',
};

/** The fields of a refresh token record. */
export const REFRESH_TOKEN_SPEC: RecordSpec = {
  id: 'string',
  accessTokenId: 'string',
  userId: 'string?',
  clientId: 'string',
  scopes: 'strings',
  familyId: 'string',
  revoked: 'boolean',
  consumedAt: 'date?',
  replacedBy: 'string?',
  createdAt: 'date',
  expiresAt: 'date',
};

/** The fields of an authorization code record. */
export const AUTH_CODE_SPEC: RecordSpec = {
  id: 'string',
  clientId: 'string',
  userId: 'string',
  scopes: 'strings',
  redirectUri: 'string?',
  codeChallenge: 'string?',
  codeChallengeMethod: 'string?',
  revoked: 'boolean',
  consumedAt: 'date?',
  createdAt: 'date',
  expiresAt: 'date',
};

/** The fields of a device code record. */
export const DEVICE_CODE_SPEC: RecordSpec = {
  id: 'string',
  userCode: 'string',
  clientId: 'string',
  scopes: 'strings',
  status: 'string',
  userId: 'string?',
  interval: 'count',
  lastPolledAt: 'date?',
  consumedAt: 'date?',
  createdAt: 'date',
  expiresAt: 'date',
};

/** Throws `StoreInvalidInputError` unless `value` is a valid `Date`. */
export function checkDate(what: string, value: unknown): asserts value is Date {
  if (!fits('date', value)) throw new StoreInvalidInputError(`${what} must be a valid Date`);
}
