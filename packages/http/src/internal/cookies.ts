import type { Incoming } from './incoming.js';

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * The value of the cookie `name` in the request's `Cookie` header (the first one, as browsers send
 * the most specific first), percent-decoded; `undefined` when absent. One scan that compares names
 * in place: a 12 KB header of a thousand cookies costs no allocation per cookie.
 */
export function cookieValue(incoming: Pick<Incoming, 'header'>, name: string): string | undefined {
  const header = incoming.header('cookie');
  if (!header) return undefined;
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end < 0) end = header.length;
    let i = start;
    while (i < end && isBlank(header.charCodeAt(i))) i++;
    if (header.startsWith(name, i)) {
      let j = i + name.length;
      while (j < end && isBlank(header.charCodeAt(j))) j++;
      if (j < end && header.charCodeAt(j) === 61) {
        let value = header.slice(j + 1, end).trim();
        if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
        try {
          return decodeURIComponent(value);
        } catch {
          return value;
        }
      }
    }
    start = end + 1;
  }
  return undefined;
}

/** Attributes of {@link serializeCookie}. */
export interface CookieAttributes {
  path?: string;
  maxAge?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  domain?: string;
}

/** A `Set-Cookie` header value. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let cookie = `${name}=${encodeURIComponent(value)}`;
  if (attributes.domain !== undefined) cookie += `; Domain=${attributes.domain}`;
  cookie += `; Path=${attributes.path ?? '/'}`;
  if (attributes.maxAge !== undefined) cookie += `; Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`;
  if (attributes.httpOnly) cookie += '; HttpOnly';
  if (attributes.secure) cookie += '; Secure';
  cookie += `; SameSite=${attributes.sameSite ?? 'Lax'}`;
  return cookie;
}

/** `true` when the request came over https (so cookies get `Secure`). */
export function isSecureRequest(incoming: Pick<Incoming, 'url'>): boolean {
  return incoming.url.startsWith('https:');
}
