/**
 * The one place Passport verifies a compact JWS (RFC 7515 section 7.1): splitting, the protected
 * header rules and the signature. Access-token verification (`verifyAccessToken`, the bearer
 * guards, introspection) and revocation (`signedTokenId`) both call {@link verifyJws}; nothing
 * else in Passport reads a JWS.
 *
 * Header rules, for every token Passport accepts as its own access token:
 * - `typ` is `at+jwt` (or `application/at+jwt`), so an ID token, a logout token or any other JWT
 *   signed by the same key is never taken for an access token (RFC 9068 section 4, RFC 8725
 *   section 3.11);
 * - `crit` is absent: Passport understands no extension header (RFC 7515 section 4.1.11);
 * - `kid` names a key of the key set, and `alg` is that key's algorithm and in the allow-list
 *   (RFC 8725 section 3.1: the algorithm comes from the key, never from the token alone).
 *
 * Why this is written on WebCrypto instead of calling jose's `compactVerify`: the bearer guard is
 * a hot path whose target is to cost no more than a bare jose verification, and it meets it only
 * because verification here skips what jose must redo on every call for a general-purpose API.
 * A header segment whose signature once verified is recognised by string equality (no base64url
 * and JSON decoding of the header, no key lookup), keys are imported once into the `KeySet`, and
 * the payload is decoded once. In the last two-pass bench (bench/RESULTS.md) the guard with its
 * store lookup costs 216 us of server CPU per request against 217 us for `floor-verify`
 * (`node:http` plus jose's `jwtVerify` and nothing else), 1.00 x; measured alone on RS256 (the
 * default), {@link verifyJws} takes about 100 us of CPU per token where jose's `compactVerify`
 * takes 128 us and `jwtVerify` 164 us (ES256 and EdDSA are within noise: the curve math
 * dominates). The signature math is the runtime's WebCrypto either way, and `jws.test.ts` checks
 * this module against the JOSE test vectors jose itself is tested with (RFC 7520 section 4.1 for
 * RS256, RFC 7515 appendix A.3 for ES256, RFC 8037 appendix A.4 for EdDSA), in both directions.
 *
 * Internal: nothing here is exported from the package.
 */
import { PassportError } from '../errors/passport-error.js';
import { decodeBase64url } from '../internal/encoding.js';
import { signParams } from '../keys/algorithms.js';
import type { KeySet } from '../keys/key-set.js';
import type { SigningAlgorithm, SigningKey } from '../keys/types.js';

/** A verified compact JWS: the key that verified it and the JSON object it carries. */
export interface VerifiedJws {
  key: SigningKey;
  payload: Record<string, unknown>;
}

function invalid(message: string): PassportError {
  return new PassportError('ERR_TOKEN_INVALID', message);
}

const textEncoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** The JSON object in the base64url segment `token.slice(start, end)`, or `null`. */
function jsonSegment(token: string, start: number, end: number): Record<string, unknown> | null {
  const bytes = decodeBase64url(token, start, end);
  if (bytes === null) return null;
  try {
    const value: unknown = JSON.parse(utf8Decoder.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The key a protected header names, after the header rules (see the module description).
 *
 * @throws PassportError `ERR_TOKEN_INVALID` naming the rule the header breaks.
 */
function keyForHeader(header: Record<string, unknown> | null, keys: KeySet): SigningKey {
  if (header === null) throw invalid('The access token header is not a JSON object');
  const typ = header.typ;
  if (typeof typ !== 'string' || (typ !== 'at+jwt' && typ.toLowerCase() !== 'application/at+jwt')) {
    throw invalid('The token is not an access token (typ must be "at+jwt")');
  }
  if (header.crit !== undefined) throw invalid('The access token header has unsupported critical parameters');
  const kid = header.kid;
  if (typeof kid !== 'string') throw invalid('The access token header has no kid');
  const key = keys.get(kid);
  if (key === undefined) throw invalid('The access token was signed by an unknown key');
  if (header.alg !== key.alg) throw invalid(`The access token alg does not match key ${kid}`);
  return key;
}

/**
 * `true` when `signature` is `key`'s signature over `signingInput` (the ASCII of
 * `header "." payload`). A signature of the wrong length or shape is `false`, never an error.
 */
export async function verifySignature(
  key: Pick<SigningKey, 'alg' | 'publicKey'>,
  signingInput: string,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    return await crypto.subtle.verify(
      signParams(key.alg),
      key.publicKey,
      signature as Uint8Array<ArrayBuffer>,
      textEncoder.encode(signingInput),
    );
  } catch {
    return false;
  }
}

/**
 * Header segments whose signature already verified, per key set: tokens signed by one key share
 * one header segment, so verification skips decoding it. Only headers that carried a valid
 * signature are remembered (an attacker cannot fill the cache), and at most a few per set.
 */
const verifiedHeaders = new WeakMap<KeySet, Map<string, SigningKey>>();
const maxVerifiedHeaders = 16;

/**
 * Verifies a compact JWS access token: three base64url segments, the header rules, an `alg` in
 * `algorithms` (default: the key set's), the signature, and a payload that is a JSON object.
 * Claims are not checked here: the caller decides which apply (revocation accepts an expired
 * token, the bearer path does not).
 *
 * @throws PassportError `ERR_TOKEN_INVALID` with the reason.
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-5.2
 */
export async function verifyJws(
  token: string,
  keys: KeySet,
  algorithms: readonly SigningAlgorithm[] = keys.algorithms,
): Promise<VerifiedJws> {
  if (typeof token !== 'string') throw invalid('The access token must be a string');
  const dot1 = token.indexOf('.');
  const dot2 = dot1 === -1 ? -1 : token.indexOf('.', dot1 + 1);
  if (dot2 === -1 || token.indexOf('.', dot2 + 1) !== -1)
    throw invalid('The access token is not a compact JWS');

  const header = token.slice(0, dot1);
  let cache = verifiedHeaders.get(keys);
  let key = cache?.get(header);
  const cached = key !== undefined;
  if (key === undefined) key = keyForHeader(jsonSegment(token, 0, dot1), keys);
  if (!algorithms.includes(key.alg)) throw invalid(`The access token alg ${key.alg} is not allowed`);

  const signature = decodeBase64url(token, dot2 + 1);
  if (signature === null) throw invalid('The access token signature is not base64url');
  if (!(await verifySignature(key, token.slice(0, dot2), signature))) {
    throw invalid('The access token signature is invalid');
  }
  if (!cached) {
    if (cache === undefined) {
      cache = new Map();
      verifiedHeaders.set(keys, cache);
    }
    if (cache.size < maxVerifiedHeaders) cache.set(header, key);
  }

  const payload = jsonSegment(token, dot1 + 1, dot2);
  if (payload === null) throw invalid('The access token payload is not a JSON object');
  return { key, payload };
}
