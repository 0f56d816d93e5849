import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  IssuedTokens,
  RefreshTokenRecord,
} from '@passport/core';

/**
 * The documents of the Mongo store and their conversions from and to records. Documents are built
 * field by field (never by spreading a record), so nothing but the fields named here is ever sent
 * to the server, and records are built field by field on the way out, so they are fresh copies.
 *
 * @module
 */

/** A client: `_id` is the client id. */
export interface ClientDoc {
  _id: string;
  ownerId: string | null;
  name: string;
  secretHash: string | null;
  provider: string | null;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[] | null;
  confidential: boolean;
  firstParty: boolean;
  resourceServer: boolean;
  revoked: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * The refresh token inside its access token's document. `accessTokenId` is stored only when it
 * names another access token than the document's own (core never writes that; the store accepts
 * it), so `rt.accessTokenId` absent means "issued with this document's access token".
 */
export interface RefreshSubdoc {
  id: string;
  accessTokenId?: string;
  userId: string | null;
  clientId: string;
  scopes: string[];
  familyId: string;
  revoked: boolean;
  consumedAt: Date | null;
  replacedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * An access token and the refresh token issued with it. `_id` is the access token's `jti` for a
 * pair `saveTokens` wrote, and the parent reference (`r:<refresh id>`, `c:<code id>`,
 * `d:<device code id>`) for the pair a rotation or a redemption wrote: inserting that document IS
 * the single use of the parent (of concurrent inserts of one `_id` exactly one succeeds), and
 * whether the parent was consumed is a read by `_id`. Such a document carries the access token's
 * id in `jti`. Every access token is found through its `A` lookup, every refresh token (`rt.id`,
 * unique, sparse) through its `T` lookup. A document is never updated but for `gone`, set when
 * purge drops the access token half: `revoked` keeps the saved value, and revocations are marks
 * (`V`, `R`): an update is a write FerretDB finds by reading the whole collection, and its updates
 * are not atomic.
 */
export interface TokenDoc {
  _id: string;
  /** The access token's id when `_id` is the parent reference. */
  jti?: string;
  userId: string | null;
  clientId: string;
  name: string | null;
  scopes: string[];
  familyId: string | null;
  revoked: boolean;
  createdAt: Date;
  expiresAt: Date;
  rt?: RefreshSubdoc;
  /**
   * Set on the pair a rotation or a redemption wrote: `r:<refresh id>`, `c:<code id>` or
   * `d:<device code id>`, the same as its `_id`.
   */
  parent?: string;
  /** When the parent was consumed (the `now` of the rotation or redemption). */
  parentConsumedAt?: Date;
  /**
   * The parent's `expiresAt`. Purge keeps this document (it is the parent's consumption) until
   * then, so a purged pair never makes its parent usable again.
   */
  parentExpiresAt?: Date;
  /** The access token half was purged; the document stays for its refresh token. */
  gone?: true;
}

/**
 * An insert-only mark: each state change other than a token document's `revoked` flag is the
 * insert of a document with a deterministic `_id`, which exactly one writer can make.
 *
 * - `V<access token id>`: the access token is revoked (an update of its document would be a write
 *   FerretDB finds by reading the whole token collection; an insert is not).
 * - `R<refresh id>`: the refresh token is revoked.
 * - `P<refresh id>`: purge deleted the refresh token (its access token or its parent's consumption
 *   keeps the document).
 * - `X<code id>`: the authorization code is revoked.
 * - `Y<device code id>`: the device code is revoked.
 * - `D<device code id>`: the user's decision on a device code (`status`, `userId`).
 * - `U<user code>:<n>`: the n-th holder of a user code (`uc`, `n`, `deviceId`, `expiresAt`).
 */
export interface MarkDoc {
  _id: string;
  /** `D`: the decision. */
  status?: 'approved' | 'denied';
  /** `D`: who decided. */
  userId?: string;
  /** `U`: the user code, its holder number, the device code holding it and until when. */
  uc?: string;
  n?: number;
  deviceId?: string;
  expiresAt?: Date;
}

/**
 * An insert-only lookup document: it makes a read that would otherwise filter on another field (or
 * read the large token collection) a read by `_id` in a collection of small documents. FerretDB
 * 1.x evaluates a filter on `_id` inside SQLite and any other filter (a nested field, `$in`, a
 * range) in Go, document by document; neither uses an index, so the store keeps its hot reads on
 * `_id` and, where it can, in small documents.
 *
 * - `A<access token id>`: the token document holding that access token (`at` = its `_id`).
 * - `T<refresh id>`: the token document holding that refresh token (`at` = its `_id`).
 *
 *   Both are inserted BEFORE that document (a taken token id conflicts there, before anything is
 *   written) and deleted again when its insert fails; every reader checks that the document it
 *   reaches holds that token, so one left behind leads nowhere.
 * - `C<parent>` (`Cr:<refresh id>`, `Cc:<code id>`, `Cd:<device code id>`): someone set out to
 *   consume that parent. Inserted (ignoring a taken id) BEFORE every insert of a pair keyed by the
 *   parent, and deleted only after that pair: so when it is missing, the parent is certainly
 *   unconsumed (one small read); when it is there, the pair keyed by the parent says whether it is.
 * - `N<access token id>`: some refresh token stored in another document names this access token
 *   (`rt.accessTokenId`; core never writes such pairs). Only then does `revokeAccessToken` look
 *   for them.
 */
export interface LookupDoc {
  _id: string;
  /** `A`, `T`: the token document (`_id`) it points to. */
  at?: string;
}

/** Lookup ids (see {@link LookupDoc}). */
export const lookupId = {
  accessToken: (id: string): string => `A${id}`,
  refreshToken: (id: string): string => `T${id}`,
  consumption: (parent: string): string => `C${parent}`,
  namedAccessToken: (id: string): string => `N${id}`,
};

/** Mark ids (see {@link MarkDoc}). */
export const markId = {
  accessRevoked: (id: string): string => `V${id}`,
  refreshRevoked: (id: string): string => `R${id}`,
  refreshPurged: (id: string): string => `P${id}`,
  codeRevoked: (id: string): string => `X${id}`,
  deviceRevoked: (id: string): string => `Y${id}`,
  deviceDecision: (id: string): string => `D${id}`,
  userCode: (userCode: string, n: number): string => `U${userCode}:${n}`,
};

/** Parent references of {@link TokenDoc.parent}. */
export const parentOf = {
  refresh: (id: string): string => `r:${id}`,
  code: (id: string): string => `c:${id}`,
  device: (id: string): string => `d:${id}`,
};

/** An authorization code: `_id` is the code's hash. */
export interface AuthCodeDoc {
  _id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  redirectUri: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  revoked: boolean;
  consumedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * A device code: `_id` is the device code's hash. Only `lastPolledAt` and `interval` ever change
 * (`touchDeviceCode`); the decision, revocation and consumption are marks and the issued pair.
 */
export interface DeviceCodeDoc {
  _id: string;
  userCode: string;
  clientId: string;
  scopes: string[];
  status: 'pending' | 'approved' | 'denied';
  userId: string | null;
  interval: number;
  lastPolledAt: Date | null;
  consumedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
}

/** A single-use marker. */
export interface NonceDoc {
  _id: string;
  expiresAt: Date;
}

/**
 * One hit of a rate-limit key: `_id` is `<i>:<key>` for the key's i-th hit (unique, so each number
 * is taken once). `start` is the number of the hit that opened its window: the count of a hit is
 * `i - start + 1`; the opening hit carries `opens: true` (purge counts windows by it).
 */
export interface RateLimitDoc {
  _id: string;
  key: string;
  i: number;
  start: number;
  resetAt: Date;
  opens?: true;
}

/**
 * The latest hit of a rate-limit key as its writer saw it: `_id` is `h:<key>`, `i`, `start` and
 * `resetAt` are that hit's. Only a hint where to start (so a hit is a read by `_id` and an insert,
 * not a search for the key's highest number): written after the hit, by a plain `$set` that may
 * lose to a concurrent one on a server whose updates are not atomic, so it may lag behind; a hit
 * then finds the next numbers taken and walks on from them.
 */
export interface RateLimitHintDoc {
  _id: string;
  i: number;
  start: number;
  resetAt: Date;
}

/** Rate-limit document ids: a hit (`<i>:<key>`, starts with a digit) and a key's hint (`h:<key>`). */
export const rateLimitId = {
  hit: (key: string, i: number): string => `${i}:${key}`,
  hint: (key: string): string => `h:${key}`,
};

const copyDate = (date: Date): Date => new Date(date.getTime());
const copyNullableDate = (date: Date | null): Date | null => (date === null ? null : copyDate(date));

export function toClientDoc(client: ClientRecord): ClientDoc {
  return {
    _id: client.id,
    ownerId: client.ownerId,
    name: client.name,
    secretHash: client.secretHash,
    provider: client.provider,
    redirectUris: [...client.redirectUris],
    grantTypes: [...client.grantTypes],
    scopes: client.scopes === null ? null : [...client.scopes],
    confidential: client.confidential,
    firstParty: client.firstParty,
    resourceServer: client.resourceServer,
    revoked: client.revoked,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}

export function toClient(doc: ClientDoc): ClientRecord {
  return {
    id: doc._id,
    ownerId: doc.ownerId,
    name: doc.name,
    secretHash: doc.secretHash,
    provider: doc.provider,
    redirectUris: doc.redirectUris,
    grantTypes: doc.grantTypes as ClientRecord['grantTypes'],
    scopes: doc.scopes,
    confidential: doc.confidential,
    firstParty: doc.firstParty,
    resourceServer: doc.resourceServer ?? false,
    revoked: doc.revoked,
    createdAt: copyDate(doc.createdAt),
    updatedAt: copyDate(doc.updatedAt),
  };
}

/** The token document of an issued pair; `parent` for the pair a rotation or redemption writes. */
export function toTokenDoc(tokens: IssuedTokens): TokenDoc;
export function toTokenDoc(
  tokens: IssuedTokens,
  parent: { parent: string; consumedAt: Date; expiresAt: Date },
): TokenDoc & { parent: string };
export function toTokenDoc(
  tokens: IssuedTokens,
  parent?: { parent: string; consumedAt: Date; expiresAt: Date },
): TokenDoc {
  const at = tokens.accessToken;
  const doc: TokenDoc = {
    _id: parent === undefined ? at.id : parent.parent,
    ...(parent === undefined ? {} : { jti: at.id }),
    userId: at.userId,
    clientId: at.clientId,
    name: at.name,
    scopes: [...at.scopes],
    familyId: at.familyId,
    revoked: at.revoked,
    createdAt: at.createdAt,
    expiresAt: at.expiresAt,
  };
  const rt = tokens.refreshToken;
  if (rt !== null) {
    const sub: RefreshSubdoc = {
      id: rt.id,
      userId: rt.userId,
      clientId: rt.clientId,
      scopes: [...rt.scopes],
      familyId: rt.familyId,
      revoked: rt.revoked,
      consumedAt: rt.consumedAt,
      replacedBy: rt.replacedBy,
      createdAt: rt.createdAt,
      expiresAt: rt.expiresAt,
    };
    if (rt.accessTokenId !== at.id) sub.accessTokenId = rt.accessTokenId;
    doc.rt = sub;
  }
  if (parent !== undefined) {
    doc.parent = parent.parent;
    doc.parentConsumedAt = parent.consumedAt;
    doc.parentExpiresAt = parent.expiresAt;
  }
  return doc;
}

/** The id of the access token a token document holds. */
export function accessTokenIdOf(doc: Pick<TokenDoc, '_id' | 'jti'>): string {
  return doc.jti ?? doc._id;
}

export function toAccessToken(doc: TokenDoc): AccessTokenRecord {
  return {
    id: accessTokenIdOf(doc),
    userId: doc.userId,
    clientId: doc.clientId,
    name: doc.name,
    scopes: doc.scopes,
    familyId: doc.familyId,
    revoked: doc.revoked,
    createdAt: copyDate(doc.createdAt),
    expiresAt: copyDate(doc.expiresAt),
  };
}

/** The state of a refresh token, an authorization code or a device code that marks may change. */
export interface UseState {
  revoked: boolean;
  consumedAt: Date | null;
  replacedBy: string | null;
}

export function toRefreshToken(doc: TokenDoc & { rt: RefreshSubdoc }, state: UseState): RefreshTokenRecord {
  const rt = doc.rt;
  return {
    id: rt.id,
    accessTokenId: rt.accessTokenId ?? accessTokenIdOf(doc),
    userId: rt.userId,
    clientId: rt.clientId,
    scopes: rt.scopes,
    familyId: rt.familyId,
    revoked: state.revoked,
    consumedAt: copyNullableDate(state.consumedAt),
    replacedBy: state.replacedBy,
    createdAt: copyDate(rt.createdAt),
    expiresAt: copyDate(rt.expiresAt),
  };
}

export function toAuthCodeDoc(code: AuthCodeRecord): AuthCodeDoc {
  return {
    _id: code.id,
    clientId: code.clientId,
    userId: code.userId,
    scopes: [...code.scopes],
    redirectUri: code.redirectUri,
    codeChallenge: code.codeChallenge,
    codeChallengeMethod: code.codeChallengeMethod,
    revoked: code.revoked,
    consumedAt: code.consumedAt,
    createdAt: code.createdAt,
    expiresAt: code.expiresAt,
  };
}

export function toAuthCode(doc: AuthCodeDoc, state: UseState): AuthCodeRecord {
  return {
    id: doc._id,
    clientId: doc.clientId,
    userId: doc.userId,
    scopes: doc.scopes,
    redirectUri: doc.redirectUri,
    codeChallenge: doc.codeChallenge,
    codeChallengeMethod: doc.codeChallengeMethod,
    revoked: state.revoked,
    consumedAt: copyNullableDate(state.consumedAt),
    createdAt: copyDate(doc.createdAt),
    expiresAt: copyDate(doc.expiresAt),
  };
}

export function toDeviceCodeDoc(code: DeviceCodeRecord): DeviceCodeDoc {
  return {
    _id: code.id,
    userCode: code.userCode,
    clientId: code.clientId,
    scopes: [...code.scopes],
    status: code.status,
    userId: code.userId,
    interval: code.interval,
    lastPolledAt: code.lastPolledAt,
    consumedAt: code.consumedAt,
    createdAt: code.createdAt,
    expiresAt: code.expiresAt,
  };
}

/** A device code's decided state (from its `D` mark, else as saved). */
export interface DeviceState {
  status: DeviceCodeRecord['status'];
  userId: string | null;
  consumedAt: Date | null;
}

export function toDeviceCode(doc: DeviceCodeDoc, state: DeviceState): DeviceCodeRecord {
  return {
    id: doc._id,
    userCode: doc.userCode,
    clientId: doc.clientId,
    scopes: doc.scopes,
    status: state.status,
    userId: state.userId,
    interval: doc.interval,
    lastPolledAt: copyNullableDate(doc.lastPolledAt),
    consumedAt: copyNullableDate(state.consumedAt),
    createdAt: copyDate(doc.createdAt),
    expiresAt: copyDate(doc.expiresAt),
  };
}
