/** Values of the cookies in a request's `Cookie` header (first occurrence wins). */
export function parseCookies(request: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  const header = request.headers.get('cookie');
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === '' || cookies.has(name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    try {
      cookies.set(name, decodeURIComponent(value));
    } catch {
      cookies.set(name, value);
    }
  }
  return cookies;
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
export function isSecureRequest(request: Request): boolean {
  return new URL(request.url).protocol === 'https:';
}
