import { OAuthError, StoreInvalidInputError, StoreUnavailableError } from '@passport/core';

/** Headers every token-endpoint-like response carries (RFC 6749 section 5.1). */
export const noStoreHeaders: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
};

/**
 * A response made by Passport's own helpers, before it becomes a Fetch `Response`: status, headers
 * (lowercase names) and a string body. The Fetch handler turns it into a `Response` with
 * {@link toResponse}; the node adapter writes it as it is, which spares building undici's
 * `Headers`, `Response` and body stream on the hot endpoints. Internal.
 */
export class Reply {
  /** Header values by lowercase name, except `set-cookie`. */
  readonly headers: Record<string, string>;
  /** The `Set-Cookie` values, in order. */
  readonly cookies: string[] = [];

  constructor(
    readonly status: number,
    readonly body: string | null,
    headers: Record<string, string>,
  ) {
    this.headers = headers;
  }

  /** Adds a header value (`Headers.append` semantics: a repeated name joins with `, `). */
  append(name: string, value: string): this {
    const key = name.toLowerCase();
    if (key === 'set-cookie') this.cookies.push(value);
    else {
      const previous = this.headers[key];
      this.headers[key] = previous === undefined ? value : `${previous}, ${value}`;
    }
    return this;
  }

  /** Sets a header, replacing any value (`Headers.set` semantics). */
  set(name: string, value: string): this {
    const key = name.toLowerCase();
    if (key === 'set-cookie') this.cookies.splice(0, this.cookies.length, value);
    else this.headers[key] = value;
    return this;
  }

  /** Adds every entry of `init` (a `Headers`, a list of pairs or a record), appending repeats. */
  appendAll(init: HeadersInit): this {
    if (init instanceof Headers) {
      init.forEach((value, name) => {
        if (name !== 'set-cookie') this.append(name, value);
      });
      for (const cookie of init.getSetCookie()) this.cookies.push(cookie);
    } else if (Array.isArray(init)) {
      for (const [name, value] of init as [string, string][]) this.append(name, value);
    } else {
      for (const name of Object.keys(init))
        this.append(name, (init as Record<string, string>)[name] as string);
    }
    return this;
  }
}

/** What a route answers: one of our {@link Reply}s, or a `Response` the host made (render hooks). */
export type RouteResult = Response | Reply;

/** The Fetch `Response` of a route result. */
export function toResponse(result: RouteResult): Response {
  if (result instanceof Response) return result;
  const headers = new Headers();
  for (const name of Object.keys(result.headers)) headers.set(name, result.headers[name] as string);
  for (const cookie of result.cookies) headers.append('set-cookie', cookie);
  return new Response(result.body, { status: result.status, headers });
}

/** A JSON reply that is never cached. */
export function json(body: unknown, status = 200, headers?: HeadersInit): Reply {
  const reply = new Reply(status, status === 204 ? null : JSON.stringify(body), {});
  if (headers !== undefined) reply.appendAll(headers);
  reply.headers['content-type'] = 'application/json; charset=utf-8';
  if (reply.headers['cache-control'] === undefined) reply.headers['cache-control'] = 'no-store';
  if (reply.headers.pragma === undefined) reply.headers.pragma = 'no-cache';
  return reply;
}

/** A JSON reply that shared caches may keep for `maxAge` seconds (metadata, JWKS). */
export function publicJson(body: unknown, maxAge: number): Reply {
  return new Reply(200, JSON.stringify(body), {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': `public, max-age=${maxAge}`,
  });
}

/** An empty reply with `status` (default `204 No Content`), never cached. */
export function noContent(headers?: HeadersInit, status = 204): Reply {
  const reply = new Reply(status, null, {});
  if (headers !== undefined) reply.appendAll(headers);
  reply.headers['cache-control'] = noStoreHeaders['cache-control'] as string;
  reply.headers.pragma = noStoreHeaders.pragma as string;
  return reply;
}

/** Headers that stop the page being framed (clickjacking). */
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

/** An HTML page reply with clickjacking protection. */
export function html(body: string, status = 200, headers?: HeadersInit): Reply {
  const reply = new Reply(status, body, {});
  if (headers !== undefined) reply.appendAll(headers);
  for (const name of Object.keys(pageSecurityHeaders)) {
    if (reply.headers[name] === undefined) reply.headers[name] = pageSecurityHeaders[name] as string;
  }
  reply.headers['content-type'] = 'text/html; charset=utf-8';
  return reply;
}

/** A `302 Found` redirect. */
export function redirect(location: string, headers?: HeadersInit): Reply {
  const reply = new Reply(302, null, {});
  if (headers !== undefined) reply.appendAll(headers);
  reply.headers.location = location;
  reply.headers['cache-control'] = 'no-store';
  return reply;
}

/** The `WWW-Authenticate` challenge of a failed client authentication (RFC 6749 section 5.2). */
export const basicChallenge = 'Basic realm="oauth", charset="UTF-8"';

/**
 * The JSON error reply of an {@link OAuthError} (RFC 6749 section 5.2), with
 * `WWW-Authenticate: Basic` when client authentication through the `Authorization` header failed.
 */
export function oauthErrorResponse(error: OAuthError, extraHeaders?: HeadersInit): Reply {
  const reply = json(error.toJSON(), error.status, extraHeaders);
  if (error.status === 401 && error.usedAuthorizationHeader) reply.set('www-authenticate', basicChallenge);
  if (error.status === 503) reply.set('retry-after', '5');
  if (error.retryAfter !== undefined) reply.set('retry-after', String(error.retryAfter));
  return reply;
}

/**
 * `true` when `error` is a {@link StoreInvalidInputError}: a value the store cannot hold slipped
 * past validation (a NUL byte, an over-long value). Answered `400 invalid_request`, never 500.
 */
export function isStoreInvalidInput(error: unknown): boolean {
  return (
    error instanceof StoreInvalidInputError ||
    (error instanceof Error && (error as { code?: unknown }).code === 'ERR_STORE_INVALID_INPUT')
  );
}

/** `400 invalid_request`: the store could not hold a value of the request. */
export function storeInvalidInputResponse(): Reply {
  return oauthErrorResponse(
    OAuthError.invalidRequest('The request contains a value that cannot be stored (for example a NUL byte)'),
  );
}

/** `true` when `error`, or an error in its `cause` chain, is a {@link StoreUnavailableError}. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof StoreUnavailableError) return true;
  }
  return false;
}

/** `503 temporarily_unavailable` with `Retry-After`, never cached: the store is down. */
export function storeUnavailableResponse(): Reply {
  return oauthErrorResponse(OAuthError.temporarilyUnavailable());
}
