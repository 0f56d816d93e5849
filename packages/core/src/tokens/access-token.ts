import { PassportError } from '../errors/passport-error.js';
import { base64urlText, encodeBase64url, utf8 } from '../internal/encoding.js';
import { signParams } from '../keys/algorithms.js';
import type { KeySet } from '../keys/key-set.js';
import type { SigningAlgorithm, SigningKey } from '../keys/types.js';
import type { ReadThroughCache } from '../stores/read-through-cache.js';
import type { AccessTokenRecord } from '../stores/records.js';
import type { TokenStore } from '../stores/store.js';
import { verifyJws } from './jws.js';

/**
 * Claims of a Passport access token: RFC 9068's JWT profile plus Passport's `scopes` array
 *. Extra claims from the claims hook appear alongside.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export interface AccessTokenClaims {
  /** Issuer: the authorization server's issuer URL. */
  iss: string;
  /** Subject: the user id, or the client id for a client-credentials token. */
  sub: string;
  /** Audience: the client id (as Laravel Passport does). */
  aud: string;
  /** The client the token was issued to. */
  client_id: string;
  /** Token id: the {@link AccessTokenRecord.id} used for revocation checks. */
  jti: string;
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Not before, seconds since the epoch. */
  nbf: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** Granted scopes, space-separated (RFC 8693 section 4.2). */
  scope: string;
  /** Granted scopes as an array (Laravel Passport's claim). */
  scopes: string[];
  [claim: string]: unknown;
}

/** The result of {@link verifyAccessToken}. */
export interface VerifiedAccessToken {
  /** The token as presented. */
  token: string;
  claims: AccessTokenClaims;
  /** The stored row (not revoked, not expired). */
  record: AccessTokenRecord;
  /** The user, or `null` for a client-credentials token (whatever `sub` says). */
  userId: string | null;
  clientId: string;
  /** The granted scopes, from the stored row. */
  scopes: string[];
}

/** What a caller of {@link verifyAccessToken} checks besides the signature, time claims, issuer and store row. */
export interface VerifyTokenOptions {
  /**
   * The accepted `aud` values: the token's `aud` must be this one, or one of this list. Passport
   * sets `aud` to the id of the client the token was issued to (as Laravel Passport does), so a
   * resource server lists the clients whose tokens it serves and refuses tokens minted for another
   * API. Not checked when omitted.
   * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
   */
  audience?: string | readonly string[];
}

/** Options of {@link verifyAccessToken}. Build the object once and reuse it on every request. */
export interface VerifyAccessTokenOptions {
  keys: KeySet;
  /** Expected `iss`. */
  issuer: string;
  /** Only `findAccessToken` is used: a missing row counts as revoked. */
  store: Pick<TokenStore, 'findAccessToken'>;
  /**
   * Current time in milliseconds since the epoch.
   * @default Date.now
   */
  now?: () => number;
  /**
   * Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
   * @default 5
   */
  leewaySeconds?: number;
  /**
   * Accepted `alg` values.
   * @default the key set's algorithms
   */
  algorithms?: readonly SigningAlgorithm[];
  /**
   * A short-lived cache of live store rows (a passport instance passes its own, bounded by its
   * `revocationCacheSeconds` option). A row found live is reused for at most the cache's bound;
   * a missing or revoked row is never cached. Without it every call asks the store.
   * @default none: every call asks the store
   */
  cache?: ReadThroughCache;
}

const textEncoder = new TextEncoder();
const headerSegments = new WeakMap<SigningKey, string>();

function headerSegment(key: SigningKey): string {
  let segment = headerSegments.get(key);
  if (segment === undefined) {
    segment = encodeBase64url(utf8(JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid })));
    headerSegments.set(key, segment);
  }
  return segment;
}

/**
 * Signs an access token with the key of the set that is active at the token's `iat` (see
 * `KeySet.activeAt`): a compact JWS with the header `{ alg, typ: "at+jwt", kid }` (RFC 9068
 * section 2.1). Claims are serialised as given; use `issueTokens` to build and store them.
 *
 * @example
 * ```ts
 * const jwt = await signAccessToken(keys, { iss, sub: user.id, aud: client.id, client_id: client.id,
 *   jti: crypto.randomUUID(), iat, nbf: iat, exp: iat + 3600, scope: 'read', scopes: ['read'] });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export async function signAccessToken(keys: KeySet, claims: AccessTokenClaims): Promise<string> {
  const key = keys.activeAt(claims.iat * 1000);
  const input = `${headerSegment(key)}.${base64urlText(JSON.stringify(claims))}`;
  const signature = await crypto.subtle.sign(
    signParams(key.alg),
    key.privateKey as CryptoKey,
    textEncoder.encode(input),
  );
  return `${input}.${encodeBase64url(new Uint8Array(signature))}`;
}

function invalid(message: string): PassportError {
  return new PassportError('ERR_TOKEN_INVALID', message);
}

/**
 * Verifies a bearer access token: `typ` is `at+jwt`, `alg` is allowed, `kid` names a
 * key of the set, the signature holds, `exp`/`nbf`/`iat` pass with the leeway, `iss` (and `aud`
 * when `check.audience` asks) match, and finally the stored row exists, is not revoked and has not expired (one
 * `findAccessToken` call; a missing row counts as revoked). `userId` comes from the row: `null`
 * for a client-credentials token whatever the `sub` claim says.
 *
 * Hot path: keys are imported once (they live in the {@link KeySet}), the header of a known key is
 * recognised without decoding, and the store is called once, or not at all while the row is in the
 * optional `cache` (a revocation made elsewhere is then seen within the cache's bound).
 *
 * @throws PassportError `ERR_TOKEN_INVALID` (malformed, wrong typ/alg/kid/signature/iss, not
 *   yet valid), `ERR_TOKEN_AUDIENCE` (`aud` not accepted), `ERR_TOKEN_EXPIRED` (`exp` passed beyond
 *   the leeway), `ERR_TOKEN_REVOKED` (row missing, revoked or expired). Store failures propagate as `StoreUnavailableError`.
 * @example
 * ```ts
 * const verifyOptions = { keys, issuer: 'https://auth.example.com', store };
 * const { userId, scopes } = await verifyAccessToken(bearer, verifyOptions);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 * @see https://www.rfc-editor.org/rfc/rfc8725 JWT best current practices
 */
export async function verifyAccessToken(
  token: string,
  options: VerifyAccessTokenOptions,
  check?: VerifyTokenOptions,
): Promise<VerifiedAccessToken> {
  const { payload: claims } = await verifyJws(token, options.keys, options.algorithms);
  const { exp, nbf, iat } = claims;
  if (typeof exp !== 'number' || typeof iat !== 'number' || typeof nbf !== 'number') {
    throw invalid('The access token lacks numeric exp, iat and nbf claims');
  }
  const nowMs = options.now === undefined ? Date.now() : options.now();
  const leeway = options.leewaySeconds ?? 5;
  const now = nowMs / 1000;
  if (exp <= now - leeway) throw new PassportError('ERR_TOKEN_EXPIRED', 'The access token has expired');
  if (nbf > now + leeway) throw invalid('The access token is not valid yet (nbf)');
  if (iat > now + leeway) throw invalid('The access token was issued in the future (iat)');
  if (claims.iss !== options.issuer) throw invalid('The access token was issued by another issuer');
  const audience = check?.audience;
  if (
    audience !== undefined &&
    (typeof audience === 'string' ? claims.aud !== audience : !audience.includes(claims.aud as string))
  ) {
    throw new PassportError('ERR_TOKEN_AUDIENCE', 'The access token is meant for another audience');
  }
  const { jti, sub, client_id: clientId } = claims;
  if (typeof jti !== 'string' || typeof sub !== 'string' || typeof clientId !== 'string') {
    throw invalid('The access token lacks string jti, sub and client_id claims');
  }
  if (typeof claims.scope !== 'string' || !Array.isArray(claims.scopes)) {
    throw invalid('The access token lacks scope and scopes claims');
  }

  const cache = options.cache;
  let record: AccessTokenRecord | null | undefined = cache?.accessToken(jti, nowMs);
  let fromStore = false;
  let epoch = 0;
  if (record === undefined) {
    epoch = cache === undefined ? 0 : cache.epoch;
    record = await options.store.findAccessToken(jti);
    fromStore = true;
  }
  if (record === null)
    throw new PassportError('ERR_TOKEN_REVOKED', 'The access token is not known (revoked)');
  if (record.revoked) throw new PassportError('ERR_TOKEN_REVOKED', 'The access token has been revoked');
  if (record.expiresAt.getTime() <= nowMs - leeway * 1000) {
    throw new PassportError('ERR_TOKEN_REVOKED', 'The stored access token has expired');
  }
  if (record.clientId !== clientId || (record.userId !== null && record.userId !== sub)) {
    throw invalid('The access token does not match its stored record');
  }
  if (fromStore && cache !== undefined) cache.rememberAccessToken(record, epoch, nowMs);
  return {
    token,
    claims: claims as AccessTokenClaims,
    record,
    userId: record.userId,
    clientId,
    scopes: record.scopes,
  };
}
