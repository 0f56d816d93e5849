/**
 * Web Crypto parameters per JWS algorithm and the construction of {@link SigningKey} values.
 * Internal to `keys/` and `tokens/`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { encodeBase64url, utf8 } from '../internal/encoding.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

/** Every algorithm Passport signs with, in order of preference. */
export const signingAlgorithms: readonly SigningAlgorithm[] = Object.freeze(['RS256', 'ES256', 'EdDSA']);

/** `true` when `value` is a {@link SigningAlgorithm}. */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return value === 'RS256' || value === 'ES256' || value === 'EdDSA';
}

/** Parameters for `crypto.subtle.importKey` / `generateKey` (without RSA sizes). */
export function importParams(alg: SigningAlgorithm): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  switch (alg) {
    case 'RS256':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'ES256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'EdDSA':
      return { name: 'Ed25519' };
  }
}

const rsaSign: Algorithm = Object.freeze({ name: 'RSASSA-PKCS1-v1_5' });
const ecdsaSign: EcdsaParams = Object.freeze({ name: 'ECDSA', hash: 'SHA-256' });
const ed25519Sign: Algorithm = Object.freeze({ name: 'Ed25519' });

/**
 * Parameters for `crypto.subtle.sign` / `verify`. Shared frozen objects: no allocation per call.
 * ES256 signatures from Web Crypto are already the JWS `r || s` form (RFC 7518 section 3.4).
 */
export function signParams(alg: SigningAlgorithm): Algorithm | EcdsaParams {
  return alg === 'RS256' ? rsaSign : alg === 'ES256' ? ecdsaSign : ed25519Sign;
}

/** Throws a PassportOptionsError unless `alg` is a supported algorithm. */
export function assertSigningAlgorithm(alg: unknown, where: string): asserts alg is SigningAlgorithm {
  if (!isSigningAlgorithm(alg)) {
    throw new PassportOptionsError(
      `${where}: unsupported algorithm ${JSON.stringify(alg)}; use "RS256", "ES256" or "EdDSA"`,
    );
  }
}

type PublicJwk = SigningKey['publicJwk'];

/** The public members of a JWK as RFC 7638 lists them, plus `kid`, `alg` and `use`. */
function publicMembers(jwk: JsonWebKey, alg: SigningAlgorithm): JsonWebKey {
  switch (alg) {
    case 'RS256':
      return { kty: 'RSA', n: jwk.n as string, e: jwk.e as string };
    case 'ES256':
      return { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string };
    case 'EdDSA':
      return { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string };
  }
}

/**
 * The RFC 7638 thumbprint of a public JWK: the SHA-256 of its required members, in lexicographic
 * order and without whitespace, base64url encoded. Written here rather than imported from jose,
 * whose thumbprint helper was a twentieth of a Worker bundle.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3
 */
function jwkThumbprint(jwk: JsonWebKey): string {
  const required =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return encodeBase64url(sha256(utf8(JSON.stringify(required))));
}

/** The public CryptoKey of a private key, derived through its JWK (extractable, for the JWKS). */
export async function derivePublicKey(privateKey: CryptoKey, alg: SigningAlgorithm): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  return crypto.subtle.importKey('jwk', publicMembers(jwk, alg), importParams(alg), true, ['verify']);
}

/** The smallest RSA modulus Passport accepts (RFC 7518 section 3.3). */
export const minimumRsaBits = 2048;

/**
 * Builds a frozen {@link SigningKey}: exports the public JWK, computes the RFC 7638 thumbprint as
 * `kid` and checks that the CryptoKeys match `alg`.
 */
export async function buildSigningKey(
  alg: SigningAlgorithm,
  privateKey: CryptoKey | null,
  publicKey: CryptoKey,
): Promise<SigningKey> {
  const algorithm = publicKey.algorithm as RsaHashedKeyAlgorithm;
  if (alg === 'RS256' && algorithm.modulusLength < minimumRsaBits) {
    throw new PassportError(
      'ERR_KEY_IMPORT',
      `The RSA key has ${algorithm.modulusLength} bits; RS256 needs at least ${minimumRsaBits} (passport keys --length 4096 for more)`,
    );
  }
  const members = publicMembers(await crypto.subtle.exportKey('jwk', publicKey), alg);
  const kid = jwkThumbprint(members);
  const publicJwk: PublicJwk = Object.freeze({ ...members, kid, alg, use: 'sig' as const });
  return Object.freeze({ kid, alg, privateKey, publicKey, publicJwk });
}

/** The verify-only form of `key`: the same public key and `kid`, `privateKey: null`. */
export function buildVerifyOnlyKey(key: SigningKey): SigningKey {
  return key.privateKey === null ? key : Object.freeze({ ...key, privateKey: null });
}
