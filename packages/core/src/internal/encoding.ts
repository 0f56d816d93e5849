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

/** Base64url without padding (RFC 4648 section 5). */
export function base64url(bytes: Uint8Array): string {
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
  if (!isAscii(value)) return base64url(utf8(value));
  const base64 = btoa(value);
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 61) end--; // '=' padding
  return base64.slice(0, end).replace(/\+/g, '-').replace(/\//g, '_');
}
