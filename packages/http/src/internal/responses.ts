import { OAuthError, StoreUnavailableError } from '@passport/core';

/** Headers every token-endpoint-like response carries (RFC 6749 section 5.1). */
export const noStoreHeaders: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

/**
 * The string body (or `null`) of every `Response` these helpers created, so the node adapter can
 * write it directly instead of reading the body stream back. Module-level, never a global patch;
 * the entries go away with their responses.
 */
const createdBodies = new WeakMap<Response, string | null>();

function created(body: string | null, init: ResponseInit): Response {
  const response = new Response(body, init);
  createdBodies.set(response, body);
  return response;
}

/**
 * The body a helper here gave `response`, as long as nobody has read it; `undefined` for any other
 * `Response` (read its `body` stream then).
 */
export function createdBodyOf(response: Response): string | null | undefined {
  const body = createdBodies.get(response);
  return body === undefined || response.bodyUsed ? undefined : body;
}

/** A JSON response that is never cached. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json; charset=utf-8');
  for (const [name, value] of Object.entries(noStoreHeaders)) if (!h.has(name)) h.set(name, value);
  return created(status === 204 ? null : JSON.stringify(body), { status, headers: h });
}

/** A JSON response that shared caches may keep for `maxAge` seconds (metadata, JWKS). */
export function publicJson(body: unknown, maxAge: number): Response {
  return created(JSON.stringify(body), {
    status: 200,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': `public, max-age=${maxAge}`,
    },
  });
}

/** An empty `204 No Content`, never cached. */
export function noContent(headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  for (const [name, value] of Object.entries(noStoreHeaders)) h.set(name, value);
  return created(null, { status: 204, headers: h });
}

/** Headers that stop the page being framed (clickjacking, PARITY A8). */
export const pageSecurityHeaders: Readonly<Record<string, string>> = {
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
};

/** Adds the page security headers (keeping any the host already set). */
export function withPageSecurityHeaders(headers: Headers): Headers {
  for (const [name, value] of Object.entries(pageSecurityHeaders))
    if (!headers.has(name)) headers.set(name, value);
  return headers;
}

/** An HTML page response with clickjacking protection. */
export function html(body: string, status = 200, headers: HeadersInit = {}): Response {
  const h = withPageSecurityHeaders(new Headers(headers));
  h.set('content-type', 'text/html; charset=utf-8');
  return created(body, { status, headers: h });
}

/** A `302 Found` redirect. */
export function redirect(location: string, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set('location', location);
  h.set('cache-control', 'no-store');
  return created(null, { status: 302, headers: h });
}

/** The `WWW-Authenticate` challenge of a failed client authentication (RFC 6749 section 5.2). */
export const basicChallenge = 'Basic realm="oauth", charset="UTF-8"';

/**
 * The JSON error response of an {@link OAuthError} (RFC 6749 section 5.2), with
 * `WWW-Authenticate: Basic` when client authentication through the `Authorization` header failed.
 */
export function oauthErrorResponse(error: OAuthError, extraHeaders: HeadersInit = {}): Response {
  const headers = new Headers(extraHeaders);
  if (error.status === 401 && error.usedAuthorizationHeader) headers.set('www-authenticate', basicChallenge);
  if (error.status === 503) headers.set('retry-after', '5');
  return json(error.toJSON(), error.status, headers);
}

/** `true` when `error`, or an error in its `cause` chain, is a {@link StoreUnavailableError}. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StoreUnavailableError) return true;
  }
  return false;
}

/** `503 temporarily_unavailable` with `Retry-After`, never cached: the store is down. */
export function storeUnavailableResponse(): Response {
  return oauthErrorResponse(OAuthError.temporarilyUnavailable());
}
