import { decodeBase64url, encodeBase64url } from '@passport/core';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fresh random value of `bytes` bytes, base64url encoded. */
export function randomToken(bytes = 32): string {
  return encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));
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
    const body = encodeBase64url(encoder.encode(JSON.stringify(payload)));
    const mac = await crypto.subtle.sign('HMAC', await this.#key, encoder.encode(`${purpose}.${body}`));
    return `${body}.${encodeBase64url(new Uint8Array(mac))}`;
  }

  /**
   * The payload of a token signed for `purpose`, or `null` when the token is malformed, was
   * signed with another key or for another purpose, or its `exp` (seconds) is not after `now` (ms).
   */
  async verify<T extends { exp: number }>(purpose: string, token: string, now: number): Promise<T | null> {
    if (token.length > 16_384) return null;
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return null;
    const body = decodeBase64url(token, 0, dot);
    const mac = decodeBase64url(token, dot + 1);
    if (body === null || mac === null) return null;
    const valid = await crypto.subtle.verify(
      'HMAC',
      await this.#key,
      mac as Uint8Array<ArrayBuffer>,
      encoder.encode(`${purpose}.${token.slice(0, dot)}`),
    );
    if (!valid) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(decoder.decode(body));
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || payload === null) return null;
    const exp = (payload as { exp?: unknown }).exp;
    if (typeof exp !== 'number' || exp * 1000 <= now) return null;
    return payload as T;
  }
}
