/** Text and byte encodings: UTF-8, hex and base64url (encode and strict decode). */
import type { Bytes } from '../keys/der.js';

const textEncoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(value: string): Uint8Array {
  return textEncoder.encode(value);
}

const hexTable = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += hexTable[bytes[i] as number];
  return out;
}

const b64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Base64url without padding (RFC 4648 section 5): the encoding of JWS segments, secrets and
 * PKCE challenges.
 *
 * @example
 * ```ts
 * encodeBase64url(new Uint8Array([104, 105])); // 'aGk'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function encodeBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out +=
      b64urlAlphabet[(n >> 18) & 63]! +
      b64urlAlphabet[(n >> 12) & 63]! +
      b64urlAlphabet[(n >> 6) & 63]! +
      b64urlAlphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += b64urlAlphabet[(n >> 18) & 63]! + b64urlAlphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += b64urlAlphabet[(n >> 18) & 63]! + b64urlAlphabet[(n >> 12) & 63]! + b64urlAlphabet[(n >> 6) & 63]!;
  }
  return out;
}

const nonAscii = /[\u0080-\uffff]/;

/** `true` when every UTF-16 unit of `value` is below 0x80 (its UTF-8 bytes are its code units). */
export function isAscii(value: string): boolean {
  return !nonAscii.test(value);
}

/**
 * Base64url without padding of the UTF-8 bytes of `value`. ASCII text (JSON claims nearly always
 * are) goes through the native `btoa`, several times faster than encoding byte by byte.
 */
export function base64urlText(value: string): string {
  if (!isAscii(value)) return encodeBase64url(utf8(value));
  const base64 = btoa(value);
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 61) end--; // '=' padding
  return base64.slice(0, end).replace(/\+/g, '-').replace(/\//g, '_');
}

const lookup = new Int16Array(128).fill(-1);
for (let i = 0; i < b64urlAlphabet.length; i++) lookup[b64urlAlphabet.charCodeAt(i)] = i;

/**
 * Decodes `input.slice(start, end)` (the whole string by default) from unpadded base64url
 * (RFC 4648 section 5, as JWS segments use it: RFC 7515 section 2). Returns `null` for any
 * character outside the alphabet, padding, or an impossible length, so malformed input fails
 * cheaply and without an exception.
 *
 * @example
 * ```ts
 * decodeBase64url('aGk'); // Uint8Array [104, 105]
 * decodeBase64url('aGk='); // null (padding)
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-5
 */
export function decodeBase64url(input: string, start = 0, end = input.length): Bytes | null {
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
