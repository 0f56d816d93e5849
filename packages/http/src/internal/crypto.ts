const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Base64url without padding (RFC 4648 section 5). */
export function base64urlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  const base64 = btoa(binary);
  let end = base64.length;
  while (end > 0 && base64.charCodeAt(end - 1) === 61) end--; // '=' padding
  return base64.slice(0, end).replace(/\+/g, '-').replace(/\//g, '_');
}

/** Decodes base64url; `null` when the input is not base64url. */
export function base64urlDecode(value: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return null;
  const padded = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  try {
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

/** A fresh random value of `bytes` bytes, base64url encoded. */
export function randomToken(bytes = 32): string {
  return base64urlEncode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Constant-time comparison of two strings (time depends only on `expected`'s length). */
export function safeEqual(actual: string, expected: string): boolean {
  let diff = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) {
    diff |= (i < actual.length ? actual.charCodeAt(i) : 0) ^ expected.charCodeAt(i);
  }
  return diff === 0;
}

/**
 * Signs and verifies small JSON payloads with HMAC-SHA256 (Web Crypto). A token is
 * `base64url(json) "." base64url(mac)`; the MAC also covers a purpose label, so a token made for
 * one use (the approval form) is never accepted for another (the first-party cookie).
 */
export class Signer {
  readonly #key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.#key = crypto.subtle.importKey(
      'raw',
      encoder.encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
  }

  /** Signs `payload` for `purpose`. */
  async sign(purpose: string, payload: object): Promise<string> {
    const body = base64urlEncode(encoder.encode(JSON.stringify(payload)));
    const mac = await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(`${purpose}.${body}`));
    return `${body}.${base64urlEncode(new Uint8Array(mac))}`;
  }

  /**
   * The payload of a token signed for `purpose`, or `null` when the token is malformed, was
   * signed with another key or for another purpose, or its `exp` (seconds) is not after `now` (ms).
   */
  async verify<T extends { exp: number }>(purpose: string, token: string, now: number): Promise<T | null> {
    if (token.length > 16_384) return null;
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
    const body = token.slice(0, dot);
    const mac = base64urlDecode(token.slice(dot + 1));
    if (mac === null || !/^[A-Za-z0-9_-]+$/.test(body)) return null;
    const valid = await crypto.subtle.verify(
      'HMAC',
      await this.#key,
      mac,
      encoder.encode(`${purpose}.${body}`),
    );
    if (!valid) return null;
    const bytes = base64urlDecode(body);
    if (bytes === null) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(decoder.decode(bytes));
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || payload === null) return null;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp !== 'number' || exp * 1000 <= now) return null;
    return payload as T;
  }
}
