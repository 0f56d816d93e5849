import { PassportOptionsError } from '../errors/passport-error.js';
import { assertSigningAlgorithm, buildSigningKey, importParams } from './algorithms.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

/** Options of {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
  /**
   * RSA modulus length in bits (RS256 only).
   * @default 2048
   */
  modulusLength?: 2048 | 4096;
}

/**
 * Generates a new signing key pair with Web Crypto. The private key is extractable
 * so it can be saved with {@link exportPrivateKeyPem}; `kid` is the RFC 7638 thumbprint.
 *
 * @param alg `RS256` (RSA, default), `ES256` (P-256) or `EdDSA` (Ed25519).
 * @example
 * ```ts
 * const key = await generateSigningKey('ES256');
 * const keys = KeySet.from([key]);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7518#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc8037 EdDSA in JOSE
 */
export async function generateSigningKey(
  alg: SigningAlgorithm = 'RS256',
  options?: GenerateSigningKeyOptions,
): Promise<SigningKey> {
  assertSigningAlgorithm(alg, 'generateSigningKey');
  const modulusLength = options?.modulusLength ?? 2048;
  if (modulusLength !== 2048 && modulusLength !== 4096) {
    throw new PassportOptionsError(
      `generateSigningKey: modulusLength must be 2048 or 4096, got ${JSON.stringify(modulusLength)}`,
    );
  }
  const params =
    alg === 'RS256'
      ? { ...importParams(alg), modulusLength, publicExponent: Uint8Array.from([1, 0, 1]) }
      : importParams(alg);
  const pair = (await crypto.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
  return buildSigningKey(alg, pair.privateKey, pair.publicKey);
}
