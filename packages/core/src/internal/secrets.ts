import { sha256 } from '@noble/hashes/sha2.js';
import { encodeBase64url, toHex, utf8 } from './encoding.js';

/** Source of cryptographically secure random bytes (injectable for tests). */
export type RandomSource = (length: number) => Uint8Array;

/** Web Crypto random bytes. */
export const webCryptoRandom: RandomSource = (length) => crypto.getRandomValues(new Uint8Array(length));

/**
 * A new 256-bit secret as 43 base64url characters: used for client secrets, refresh tokens,
 * authorization codes and device codes.
 */
export function generateSecret(random: RandomSource = webCryptoRandom): string {
  return encodeBase64url(random(32));
}

/** SHA-256 of a secret, lowercase hex: the only form stores ever see. */
export function hashSecret(secret: string): string {
  return toHex(sha256(utf8(secret)));
}

/**
 * Constant-time string comparison: the time taken depends only on the length of `b` (pass the
 * expected value as `b`), never on where the strings differ.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const len = b.length;
  let diff = a.length ^ len;
  for (let i = 0; i < len; i++) {
    diff |= (i < a.length ? a.charCodeAt(i) : 0) ^ b.charCodeAt(i);
  }
  return diff === 0;
}

/** `true` when `secret` hashes to `expectedHash` (constant time). */
export function verifySecret(secret: string, expectedHash: string): boolean {
  return timingSafeEqual(hashSecret(secret), expectedHash);
}
