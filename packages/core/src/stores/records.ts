/**
 * Records persisted by a {@link PassportStore}. Secrets (client secrets, refresh tokens,
 * authorization codes, device codes) never appear here in plain text: stores only ever see their
 * SHA-256, hex encoded, and that hash is the record's `id`.
 *
 * All dates are `Date` instances; stores must return dates, not strings or numbers.
 */

/** Grant types a client may be allowed to use. */
export type GrantType =
  | 'authorization_code'
  | 'refresh_token'
  | 'client_credentials'
  | 'password'
  | 'implicit'
  | 'personal_access'
  | 'urn:ietf:params:oauth:grant-type:device_code';

/** An OAuth client. */
export interface ClientRecord {
  /** Client id: a UUID by default. */
  id: string;
  /** The user that owns the client (the JSON API lists a user's clients), or `null`. */
  ownerId: string | null;
  /** Display name shown on the approval page. */
  name: string;
  /** SHA-256 (hex) of the client secret; `null` for a public client. */
  secretHash: string | null;
  /** User provider the client's users come from (`null` = the default provider). */
  provider: string | null;
  /** Registered redirect URIs, matched exactly (loopback ports excepted, RFC 8252). */
  redirectUris: string[];
  /** Grants this client may use. */
  grantTypes: GrantType[];
  /** Scopes this client may request; `null` means any defined scope. */
  scopes: string[] | null;
  /** Confidential clients authenticate with a secret; public ones must use PKCE. */
  confidential: boolean;
  /** First-party clients skip the approval screen (`skipsAuthorization`). */
  firstParty: boolean;
  /**
   * A resource server: may introspect access tokens issued to other clients (RFC 7662 section
   * 2.1). Other clients only see their own tokens as active. Set by administrators
   * (`passport.clients.create/update`, `passport client --resource-server`), never through the
   * user-facing JSON API.
   * @default false
   */
  resourceServer: boolean;
  /** A revoked client can neither authenticate nor have its tokens accepted. */
  revoked: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A mutable subset of {@link ClientRecord} for {@link ClientStore.updateClient}. */
export type ClientUpdate = Partial<
  Pick<
    ClientRecord,
    | 'name'
    | 'secretHash'
    | 'provider'
    | 'redirectUris'
    | 'grantTypes'
    | 'scopes'
    | 'firstParty'
    | 'resourceServer'
    | 'revoked'
  >
> & { updatedAt: Date };

/** An issued access token. The JWT itself is not stored; `id` is its `jti`. */
export interface AccessTokenRecord {
  /** The JWT's `jti`. */
  id: string;
  /** Resource owner, or `null` for a client-credentials token. */
  userId: string | null;
  clientId: string;
  /** Name of a personal access token; `null` otherwise. */
  name: string | null;
  scopes: string[];
  /**
   * Tokens issued from one authorization code or one device code, and every rotation of their
   * refresh tokens, share a family id, so reuse can revoke them all (RFC 9700 section 4.14).
   * `null` for tokens that can never be refreshed.
   */
  familyId: string | null;
  revoked: boolean;
  createdAt: Date;
  expiresAt: Date;
}

/** An issued refresh token. */
export interface RefreshTokenRecord {
  /** SHA-256 (hex) of the refresh token value. */
  id: string;
  /** The access token issued together with this refresh token. */
  accessTokenId: string;
  userId: string | null;
  clientId: string;
  scopes: string[];
  /** Rotation family (see {@link AccessTokenRecord.familyId}). */
  familyId: string;
  /**
   * Revoked explicitly, with its access token, or with its family. Rotation does NOT set it (it
   * sets `consumedAt`), so a consumed token with `revoked` = `false` was rotated in a family that
   * has not been revoked since.
   */
  revoked: boolean;
  /**
   * Set once, atomically, when the token is rotated ({@link TokenStore.rotateRefreshToken}). A
   * consumed token never rotates again; presented again it is reuse, except for a retry within
   * `refreshTokenRetrySeconds` while its successor is unused (see `replacedBy`).
   */
  consumedAt: Date | null;
  /**
   * The id (hash) of the refresh token the rotation of this one wrote, set together with
   * `consumedAt`; `null` while unconsumed. Lets core follow a retried refresh to the token that
   * replaced it.
   */
  replacedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** An authorization code (RFC 6749 section 4.1.2). */
export interface AuthCodeRecord {
  /** SHA-256 (hex) of the code value. Also the family id of every token issued from it. */
  id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  /** The redirect_uri sent at authorize, which the token request must repeat; `null` if omitted. */
  redirectUri: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | 'plain' | null;
  revoked: boolean;
  /** Set once, atomically, on redemption. */
  consumedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Status of a device authorization (RFC 8628). */
export type DeviceCodeStatus = 'pending' | 'approved' | 'denied';

/** A device authorization request (RFC 8628). */
export interface DeviceCodeRecord {
  /** SHA-256 (hex) of the device code. Also the family id of the tokens issued from it. */
  id: string;
  /** The user code, normalised (8 uppercase letters, no dash). Unique among live records. */
  userCode: string;
  clientId: string;
  scopes: string[];
  status: DeviceCodeStatus;
  /** The user who approved or denied; `null` while pending. */
  userId: string | null;
  /** Minimum polling interval in seconds; raised on `slow_down`. */
  interval: number;
  /** Time of the previous poll, for `slow_down`. */
  lastPolledAt: Date | null;
  /** Set once, atomically, when tokens are issued. */
  consumedAt: Date | null;
  createdAt: Date;
  expiresAt: Date;
}

/** Options of {@link TokenStore.purge}. */
export interface PurgeOptions {
  /**
   * Delete revoked and consumed tokens, and revoked or consumed codes and device codes whose
   * `expiresAt` has passed (a code is kept until then: it detects a replay).
   */
  revoked: boolean;
  /** Delete rows whose `expiresAt` is before this instant (`now - hours`). `null`: keep expired rows. */
  expiredBefore: Date | null;
  /**
   * Delete clients revoked (`revoked` = `true`) whose `updatedAt` is before this instant, with
   * every token, code and device code of theirs. `null`: keep revoked clients.
   */
  revokedClientsBefore: Date | null;
  /** The current time: which refresh tokens are live, which markers and windows expired. */
  now: Date;
}

/** Rows deleted by a purge, per kind. */
export interface PurgeResult {
  accessTokens: number;
  refreshTokens: number;
  authCodes: number;
  deviceCodes: number;
  /** Expired single-use markers. */
  nonces: number;
  /** Expired rate-limit windows. */
  rateLimits: number;
  /** Revoked clients (their tokens and codes are counted in the other kinds). */
  clients: number;
}
