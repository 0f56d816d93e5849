/** Strict base64url decoding for JWS segments (RFC 7515 section 2). Internal. */
import type { Bytes } from '../keys/der.js';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const lookup = new Int16Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;

/**
 * Decodes `input.slice(start, end)` from unpadded base64url. Returns `null` for any character
 * outside the alphabet, padding, or an impossible length, so malformed tokens fail cheaply.
 */
export function decodeBase64url(input: string, start: number, end: number): Bytes | null {
  const length = end - start;
  const remainder = length & 3;
  if (remainder === 1) return null;
  const out = new Uint8Array((length >> 2) * 3 + (remainder === 0 ? 0 : remainder - 1));
  let o = 0;
  let i = start;
  const full = end - remainder;
  for (; i < full; i += 4) {
    const a = sextet(input, i);
    const b = sextet(input, i + 1);
    const c = sextet(input, i + 2);
    const d = sextet(input, i + 3);
    if ((a | b | c | d) < 0) return null;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  if (remainder === 2) {
    const a = sextet(input, i);
    const b = sextet(input, i + 1);
    if ((a | b) < 0) return null;
    out[o] = (a << 2) | (b >> 4);
  } else if (remainder === 3) {
    const a = sextet(input, i);
    const b = sextet(input, i + 1);
    const c = sextet(input, i + 2);
    if ((a | b | c) < 0) return null;
    const n = (a << 12) | (b << 6) | c;
    out[o++] = n >> 10;
    out[o] = (n >> 2) & 255;
  }
  return out;
}

function sextet(input: string, index: number): number {
  const code = input.charCodeAt(index);
  return code < 128 ? (lookup[code] as number) : -1;
}
