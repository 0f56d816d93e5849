/// <reference types="node" />
/**
 * `@passport/http/node`: serve a Fetch handler with `node:http` (or `node:https`, `http2` compat).
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PassportUser } from '@passport/core';
import {
  type AuthenticationFor,
  type Guard,
  type GuardAccept,
  type GuardRequirement,
  internalsOf,
} from '../../guards.js';
import { defaultMaxBodyBytes } from '../../internal/body.js';
import { dispatcherOf } from '../../internal/dispatch.js';
import { json, Reply, type RouteResult } from '../../internal/responses.js';
import { createNodeIncoming, isHeaderName } from './request.js';

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Largest accepted request body in bytes: a bigger `Content-Length` is refused at once, and a
   * body that grows past it while arriving is cut off; both answer `413` without calling the
   * handler.
   * @default 65536
   */
  maxBodyBytes?: number;
  /**
   * Build the request URL from `X-Forwarded-Proto` / `X-Forwarded-Host` (only behind a proxy you
   * trust). Their first item is used; a proto other than `http` or `https`, or a host that is not
   * a valid `host[:port]`, is answered `400`. This only changes what `request.url` says: Passport's
   * own absolute URLs (redirects, metadata, cookies' `Secure`) come from its configured public
   * origin, never from the request.
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Most header lines a request may have; more are answered `431` without calling the handler.
   * Browsers send about twenty and proxies add a few; hundreds only make every header lookup cost
   * more. Node's own `maxHeadersCount` (2000 by default) silently drops lines past it instead.
   * @default 100
   */
  maxHeaderCount?: number;
  /** Called when the handler throws or the response cannot be written. */
  onError?: (error: unknown) => void;
}

/** Default of {@link NodeListenerOptions.maxHeaderCount}. */
const defaultMaxHeaderCount = 100;

/**
 * `431` for a request with more than `limit` header lines (RFC 6585 section 5). Without a body
 * the connection stays open: the header block was read whole, so the next request on it parses
 * cleanly, and closing would add a TCP teardown and a new accept to the cost of every such request
 * (the worst-case bench measures it). With a body it is closed, so no body of any size is read.
 */
function tooManyHeaders(limit: number, hasBody: boolean): Reply {
  const description = `The request must not have more than ${limit} header lines`;
  return json(
    { error: 'invalid_request', error_description: description },
    431,
    hasBody ? { ...noStore, connection: 'close' } : noStore,
  );
}

/** `true` when the header lines frame a body (`Content-Length` or `Transfer-Encoding`). */
function framesBody(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (isHeaderName(name, 'content-length') || isHeaderName(name, 'transfer-encoding')) return true;
  }
  return false;
}

/** Methods `new Request()` refuses (Fetch "forbidden methods"): answered 400, as before. */
const forbiddenMethods = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** `true` for a character of a DNS name or IPv4 address: letters, digits, `-`, `.`, `_`. */
function isNameChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 45 || // -
    code === 46 || // .
    code === 95 // _
  );
}

/** `true` for a character inside an IPv6 literal's brackets: hex digits, `:` and `.`. */
function isIpLiteralChar(code: number): boolean {
  return (
    (code >= 48 && code <= 58) || // 0-9 and :
    (code >= 97 && code <= 102) || // a-f
    (code >= 65 && code <= 70) || // A-F
    code === 46 // .
  );
}

/**
 * `true` when `value` is a `host[:port]` as a Host header must be (RFC 9110 section 7.2): a DNS
 * name or IPv4 address, or an IPv6 literal in brackets, then optionally `:` and a port of 1 to 5
 * digits up to 65535. One index scan; anything else (a path, `?`, `#`, `@`, blanks, an empty host)
 * is refused, so a Host can never rewrite the request's path.
 */
function isValidHost(value: string): boolean {
  const length = value.length;
  if (length === 0 || length > 261) return false; // 255 for the name, 6 for ":65535"
  let i = 0;
  if (value.charCodeAt(0) === 91) {
    i = 1;
    while (i < length && isIpLiteralChar(value.charCodeAt(i))) i++;
    if (i === 1 || i === length || value.charCodeAt(i) !== 93) return false;
    i++;
  } else {
    while (i < length && isNameChar(value.charCodeAt(i))) i++;
    if (i === 0) return false;
  }
  if (i === length) return true;
  if (value.charCodeAt(i) !== 58) return false;
  const digits = length - i - 1;
  if (digits < 1 || digits > 5) return false;
  let port = 0;
  for (let j = i + 1; j < length; j++) {
    const code = value.charCodeAt(j);
    if (code < 48 || code > 57) return false;
    port = port * 10 + (code - 48);
  }
  return port <= 65535;
}

/** What the adapter reads from the request head, in one pass over the raw headers. */
interface HeadFields {
  /** `Host` lines (RFC 9112 section 3.2 allows exactly one). */
  hostLines: number;
  host: string | undefined;
  /** HTTP/2 `:authority`. */
  authority: string | undefined;
  contentLength: string | undefined;
  forwardedProto: string | undefined;
  forwardedHost: string | undefined;
}

/**
 * The header values the adapter needs, first occurrence of each, read from `rawHeaders` without
 * building `req.headers` (Node builds that object lazily, for every header: a request with
 * hundreds of them would pay for all of them).
 */
function headFields(raw: readonly string[]): HeadFields {
  const fields: HeadFields = {
    hostLines: 0,
    host: undefined,
    authority: undefined,
    contentLength: undefined,
    forwardedProto: undefined,
    forwardedHost: undefined,
  };
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    if (isHeaderName(name, 'host')) {
      fields.hostLines++;
      fields.host ??= value;
    } else if (isHeaderName(name, 'content-length')) fields.contentLength ??= value;
    else if (name === ':authority') fields.authority ??= value;
    else if (isHeaderName(name, 'x-forwarded-proto')) fields.forwardedProto ??= value;
    else if (isHeaderName(name, 'x-forwarded-host')) fields.forwardedHost ??= value;
  }
  return fields;
}

/** The first item of a comma-separated `X-Forwarded-*` value, trimmed; `''` when absent. */
function firstForwarded(header: string | undefined): string {
  if (header === undefined) return '';
  const comma = header.indexOf(',');
  return (comma < 0 ? header : header.slice(0, comma)).trim();
}

/**
 * The request URL, serialized as `Request.url` would be, and its pathname; or, when the request
 * cannot have one, the reason (answered `400`). The URL is the scheme, then the host, then the
 * request target's path and query, each checked on its own: the host must be a valid `host[:port]`
 * (one `Host` line, or `X-Forwarded-Host` with `trustProxy`), and the target a path (origin-form) or
 * an absolute `http(s)` URL (absolute-form, whose authority replaces `Host`, RFC 9112 section
 * 3.2.2). Passport builds no absolute URL from this one: its handler uses the configured public
 * origin (`publicUrl`, by default the issuer's).
 */
function requestUrl(
  req: IncomingMessage,
  head: HeadFields,
  trustProxy: boolean,
): { href: string; pathname: string } | string {
  const encrypted = (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
  let protocol = encrypted ? 'https' : 'http';
  if (head.hostLines > 1) return 'The request has more than one Host header';
  let host = head.host ?? head.authority;
  if (host === undefined) {
    if (req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return 'The request has no Host header';
    host = 'localhost';
  }
  if (trustProxy) {
    const forwardedProto = firstForwarded(head.forwardedProto).toLowerCase();
    if (forwardedProto !== '') {
      if (forwardedProto !== 'http' && forwardedProto !== 'https') {
        return 'X-Forwarded-Proto must be http or https';
      }
      protocol = forwardedProto;
    }
    const forwardedHost = firstForwarded(head.forwardedHost);
    if (forwardedHost !== '') {
      if (!isValidHost(forwardedHost)) return 'X-Forwarded-Host is not a valid host[:port]';
      host = forwardedHost;
    }
  }
  let target = req.url ?? '/';
  if (target.charCodeAt(0) !== 47) {
    // absolute-form ("GET http://as.example/oauth/jwks HTTP/1.1"): its authority is the host
    let absolute: URL;
    try {
      absolute = new URL(target);
    } catch {
      return 'Malformed request target';
    }
    if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') return 'Malformed request target';
    if (absolute.username !== '' || absolute.password !== '') return 'Malformed request target';
    host = absolute.host;
    target = `${absolute.pathname}${absolute.search}`;
  }
  if (!isValidHost(host)) return 'The Host header is not a valid host[:port]';
  try {
    // Both parts are checked: the host has no "/", "?", "#", "@", and the target starts with "/".
    const url = new URL(`${protocol}://${host}${target}`);
    return { href: url.href, pathname: url.pathname };
  } catch {
    return 'Malformed request URL';
  }
}

const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/** `400 invalid_request` for a request no URL can be built for, with the reason. */
function badRequest(description: string): Reply {
  return json({ error: 'invalid_request', error_description: description }, 400, noStore);
}

function tooLargeResponse(limit: number): Reply {
  return json(
    { error: 'invalid_request', error_description: `The request body exceeds ${limit} bytes` },
    413,
    { ...noStore, connection: 'close' },
  );
}

/** The body, `'too-large'` past `limit` (reading stops), `'aborted'` when the client went away. */
function readNodeBody(req: IncomingMessage, limit: number): Promise<Uint8Array | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    let single: Buffer | null = null;
    let chunks: Buffer[] | null = null;
    let total = 0;
    const finish = (result: Uint8Array | 'too-large' | 'aborted'): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > limit) {
        req.pause();
        finish('too-large');
        return;
      }
      if (single === null) single = chunk;
      else if (chunks === null) chunks = [single, chunk];
      else chunks.push(chunk);
    };
    const onEnd = (): void => {
      finish(chunks !== null ? Buffer.concat(chunks, total) : (single ?? new Uint8Array(0)));
    };
    const onAbort = (): void => finish('aborted');
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onAbort);
  });
}

/** Flat `[name, value, ...]` list for `writeHead`, one entry per `Set-Cookie`. */
function headerList(headers: Headers): string[] {
  const list: string[] = [];
  headers.forEach((value, name) => {
    if (name !== 'set-cookie') list.push(name, value);
  });
  for (const cookie of headers.getSetCookie()) list.push('set-cookie', cookie);
  return list;
}

/** Statuses that never carry a body, so never a `Content-Length` either. */
function bodiless(status: number): boolean {
  return status === 204 || status === 304 || status < 200;
}

/** Writes one of our replies: one `writeHead` and one `end`, with the body's length. */
function writeReply(res: ServerResponse, reply: Reply): void {
  const head: string[] = [];
  const headers = reply.headers;
  for (const name of Object.keys(headers)) head.push(name, headers[name] as string);
  for (const cookie of reply.cookies) head.push('set-cookie', cookie);
  const body = reply.body;
  if (!bodiless(reply.status) && headers['content-length'] === undefined) {
    head.push('content-length', body === null ? '0' : String(Buffer.byteLength(body)));
  }
  res.writeHead(reply.status, head);
  if (body === null) res.end();
  else res.end(body);
}

async function writeResponse(res: ServerResponse, result: RouteResult): Promise<void> {
  if (result instanceof Reply) {
    writeReply(res, result);
    return;
  }
  const response = result;
  const head = headerList(response.headers);
  const body = response.body;
  if (body === null) {
    if (!bodiless(response.status) && !response.headers.has('content-length'))
      head.push('content-length', '0');
    res.writeHead(response.status, response.statusText || undefined, head);
    res.end();
    return;
  }
  const reader = body.getReader();
  try {
    const first = await reader.read();
    if (first.done) {
      res.writeHead(response.status, response.statusText || undefined, head);
    } else {
      // A body that is already complete (a string, JSON or bytes Response) goes out in one write
      // with its length; one still arriving after this turn of the event loop is streamed.
      const second = reader.read();
      const settled = await Promise.race([second, afterThisTurn()]);
      if (settled !== stillArriving && settled.done) {
        if (!bodiless(response.status) && !response.headers.has('content-length')) {
          head.push('content-length', String(first.value.byteLength));
        }
        res.writeHead(response.status, response.statusText || undefined, head);
        res.end(first.value);
        return;
      }
      res.writeHead(response.status, response.statusText || undefined, head);
      let chunk: Uint8Array = first.value;
      let next: Promise<ReadableStreamReadResult<Uint8Array>> =
        settled === stillArriving ? second : Promise.resolve(settled);
      for (;;) {
        if (!res.write(chunk)) {
          await drained(res);
          if (res.destroyed) return;
        }
        const result = await next;
        if (result.done) break;
        chunk = result.value;
        next = reader.read();
      }
    }
  } finally {
    reader.releaseLock();
  }
  res.end();
}

/** Marks a read that had not settled by the end of the current turn of the event loop. */
const stillArriving: unique symbol = Symbol('still arriving');

function afterThisTurn(): Promise<typeof stillArriving> {
  return new Promise((resolve) => setImmediate(resolve, stillArriving));
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Adapts a Fetch handler (such as `createPassportHandler(...)`) to a `node:http` request
 * listener. The body is read (up to `maxBodyBytes`: a bigger `Content-Length` is refused at once,
 * and a body that grows past it while arriving is cut off; both answer `413` without calling the
 * handler) before the handler runs; GET and HEAD bodies are never read.
 *
 * The handler gets a `Request` (`instanceof Request` holds) whose `method`, `url`, `headers`,
 * `text()`, `json()`, `arrayBuffer()` and `bytes()` are served straight from the node request;
 * any other member (`body`, `signal`, `clone()`, `formData()`, ...) builds one real `Request`
 * with the same contents and delegates to it, so nothing behaves differently. Given Passport's
 * own handler (not a wrapper), the listener writes its replies without building a `Response`; any
 * other `Response` with a complete body goes out in one write with its length, and a body still
 * arriving is streamed.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { toNodeListener } from '@passport/http/node';
 *
 * createServer(toNodeListener(handler)).listen(3000);
 * ```
 */
export function toNodeListener(
  handler: (request: Request) => Response | Promise<Response>,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const trustProxy = options.trustProxy ?? false;
  const maxHeaderLines = options.maxHeaderCount ?? defaultMaxHeaderCount;
  // Passport's own handler (not a host wrapper around it) is dispatched on the adapter's request
  // view, and its replies are written as they are; any other handler gets the lazy Request.
  const dispatcher = dispatcherOf(handler);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.rawHeaders.length > 2 * maxHeaderLines) {
      req.resume();
      await writeResponse(res, tooManyHeaders(maxHeaderLines, framesBody(req.rawHeaders)));
      return;
    }
    const head = headFields(req.rawHeaders);
    const declared = head.contentLength;
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
      req.resume();
      await writeResponse(res, tooLargeResponse(limit));
      return;
    }
    const method = req.method ?? 'GET';
    const url = forbiddenMethods.has(method) ? 'Method not allowed' : requestUrl(req, head, trustProxy);
    if (typeof url === 'string') {
      req.resume();
      await writeResponse(res, badRequest(url));
      return;
    }
    let body: Uint8Array | null = null;
    if (method !== 'GET' && method !== 'HEAD') {
      const read = await readNodeBody(req, limit);
      if (read === 'aborted') {
        res.destroy();
        return;
      }
      if (read === 'too-large') {
        await writeResponse(res, tooLargeResponse(limit));
        return;
      }
      body = read;
    }
    const incoming = createNodeIncoming(method, url.href, url.pathname, req.rawHeaders, body, res);
    const result = dispatcher === undefined ? await handler(incoming.request) : await dispatcher(incoming);
    await writeResponse(res, result);
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.onError?.(error);
      if (!res.headersSent) {
        res.writeHead(500, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          pragma: 'no-cache',
        });
        res.end(
          JSON.stringify({
            error: 'server_error',
            error_description: 'The server encountered an unexpected condition',
          }),
        );
      } else {
        res.destroy();
      }
    });
  };
}

/** Options of {@link authenticateNode}: what the route requires, and how to read the URL. */
export interface AuthenticateNodeOptions<Accept extends GuardAccept = 'user'>
  extends GuardRequirement<Accept> {
  /** As for {@link toNodeListener}. @default false */
  trustProxy?: boolean;
}

/**
 * Checks the bearer token (or first-party cookie) of a `node:http` request with `guard`, for Node
 * servers and Express-style middleware that answer through `res` rather than with a Fetch
 * `Response`. Returns the authentication, or `null` after writing the refusal to `res`: the same
 * `401` Bearer challenge, `403 insufficient_scope` or `503 temporarily_unavailable` the guard's
 * `require*` wrappers answer (`options` takes the same requirements: `scopes`, `anyScope`, and
 * `accept`, by default `'user'`: a client-credentials token is refused unless `accept` is
 * `'client'` or `'any'`). No `Request` is built unless the guard needs more than the headers.
 *
 * @example
 * ```ts
 * const api = createGuard({ passport });
 * createServer(async (req, res) => {
 *   const auth = await authenticateNode(api, req, res, { scopes: ['orders:read'] });
 *   if (auth === null) return; // refused, already answered
 *   res.writeHead(200, { 'content-type': 'application/json' });
 *   res.end(JSON.stringify(await ordersOf(auth.user)));
 * });
 * ```
 */
export async function authenticateNode<User extends PassportUser, Accept extends GuardAccept = 'user'>(
  guard: Guard<User>,
  req: IncomingMessage,
  res: ServerResponse,
  options: AuthenticateNodeOptions<Accept> = {},
): Promise<AuthenticationFor<User, Accept> | null> {
  const method = req.method ?? 'GET';
  const url = requestUrl(req, headFields(req.rawHeaders), options.trustProxy ?? false);
  if (typeof url === 'string') {
    writeReply(res, badRequest(url));
    return null;
  }
  const incoming = createNodeIncoming(method, url.href, url.pathname, req.rawHeaders, null, res);
  const decision = await internalsOf(guard).decide(incoming, options);
  if (decision.ok) return decision.authentication;
  await writeResponse(res, decision.refusal);
  return null;
}
