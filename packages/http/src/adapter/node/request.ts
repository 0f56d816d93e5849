/// <reference types="node" />
/**
 * One `node:http` request as Passport sees it, built once by the adapter from the raw headers and
 * the body it already buffered and size-checked:
 *
 * - the {@link Incoming} view Passport's routes and guards read (method, URL, pathname, a header
 *   lookup over the raw headers, the buffered body), with no `URL`, `Headers` or body stream;
 * - the `Request` handed to the host's callbacks and to any handler that is not Passport's own: a
 *   lightweight object whose prototype chain includes `Request.prototype` (so `instanceof Request`
 *   holds), with fast own getters for what handlers use on every request (`method`, `url`,
 *   `headers`, `text()`, `json()`, `arrayBuffer()`, `bytes()`, `bodyUsed`). Anything else (`body`,
 *   `signal`, `clone()`, `formData()`, `blob()`, `cache`, ...) materializes one real `Request` with
 *   the same method, URL, headers and body, and delegates to it.
 *
 * Both share one state, so a body read through one is used on the other.
 */
import type { ServerResponse } from 'node:http';
import type { Incoming } from '../../internal/incoming.js';

const utf8 = new TextDecoder();

interface LazyState {
  readonly method: string;
  readonly url: string;
  readonly pathname: string;
  readonly rawHeaders: readonly string[];
  /** `null` for GET and HEAD: no body at all. */
  readonly body: Uint8Array | null;
  readonly res: ServerResponse;
  headers: Headers | null;
  used: boolean;
  real: Request | null;
}

const state = Symbol('state');

function headersOf(s: LazyState): Headers {
  if (s.headers !== null) return s.headers;
  const headers = new Headers();
  const raw = s.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58) continue; // ':' HTTP/2 pseudo-headers
    headers.append(name, raw[i + 1] as string);
  }
  s.headers = headers;
  return headers;
}

/** HTTP whitespace `Headers` strips from both ends of a value (Fetch "normalize"). */
function isHttpWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function normalizeValue(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * `true` when the raw header name `key` is `name` (lowercase) in any case. No allocation, and most
 * names differ in length or at their first character, so a request with hundreds of headers costs
 * one comparison per header and lookup.
 */
export function isHeaderName(key: string, name: string): boolean {
  if (key.length !== name.length) return false;
  if (key === name) return true;
  for (let i = 0; i < key.length; i++) {
    const a = key.charCodeAt(i);
    const b = name.charCodeAt(i);
    if (a !== b && (a < 65 || a > 90 || a + 32 !== b)) return false;
  }
  return true;
}

/** `Headers.get(name)` for a lowercase `name`, read from the raw headers without building `Headers`. */
function headerValue(s: LazyState, name: string): string | null {
  if (s.headers !== null) return s.headers.get(name);
  const raw = s.rawHeaders;
  let value: string | null = null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i] as string;
    if (!isHeaderName(key, name)) continue;
    const v = normalizeValue(raw[i + 1] as string);
    value = value === null ? v : `${value}, ${v}`;
  }
  return value;
}

/** The real `Request` behind a lazy one, built once (with the buffered body and an abort signal). */
function materialize(s: LazyState): Request {
  if (s.real !== null) return s.real;
  const abort = new AbortController();
  const res = s.res;
  if (res.destroyed && !res.writableFinished) abort.abort();
  else
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
  const init: RequestInit = { method: s.method, headers: headersOf(s), signal: abort.signal };
  if (s.body !== null) init.body = s.body as Uint8Array<ArrayBuffer>;
  const real = new Request(s.url, init);
  // A body already read through the fast path is used on the real one too.
  if (s.used && real.body !== null) void real.arrayBuffer().catch(() => {});
  s.real = real;
  return real;
}

function unusable(): Promise<never> {
  return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
}

/**
 * Marks the body used and returns its bytes; `null` when the body was used already. Without a body
 * (GET, HEAD) every read gives empty content and the request never becomes used, like `Request`.
 */
function consume(s: LazyState): Uint8Array | null {
  if (s.body === null) return new Uint8Array(0);
  if (s.used) return null;
  s.used = true;
  return s.body;
}

class NodeRequest {
  readonly [state]: LazyState;

  constructor(s: LazyState) {
    this[state] = s;
  }

  get method(): string {
    return this[state].method;
  }

  get url(): string {
    return this[state].url;
  }

  get headers(): Headers {
    return headersOf(this[state]);
  }

  get bodyUsed(): boolean {
    const s = this[state];
    return s.real !== null ? s.real.bodyUsed : s.used;
  }

  text(): Promise<string> {
    const s = this[state];
    if (s.real !== null) return s.real.text();
    const bytes = consume(s);
    return bytes === null ? unusable() : Promise.resolve(utf8.decode(bytes));
  }

  json(): Promise<unknown> {
    const s = this[state];
    if (s.real !== null) return s.real.json();
    const bytes = consume(s);
    if (bytes === null) return unusable();
    try {
      return Promise.resolve(JSON.parse(utf8.decode(bytes)) as unknown);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    const s = this[state];
    if (s.real !== null) return s.real.arrayBuffer();
    const bytes = consume(s);
    return bytes === null ? unusable() : Promise.resolve(new Uint8Array(bytes).buffer);
  }

  bytes(): Promise<Uint8Array> {
    const s = this[state];
    if (s.real !== null) return (s.real as Request & { bytes(): Promise<Uint8Array> }).bytes();
    const bytes = consume(s);
    return bytes === null ? unusable() : Promise.resolve(new Uint8Array(bytes));
  }
}

// `instanceof Request` holds; everything not defined above delegates to the real `Request`.
Object.setPrototypeOf(NodeRequest.prototype, Request.prototype);
const own = new Set<PropertyKey>(Reflect.ownKeys(NodeRequest.prototype));
for (const key of Reflect.ownKeys(Request.prototype)) {
  if (own.has(key) || key === Symbol.toStringTag) continue;
  const descriptor = Reflect.getOwnPropertyDescriptor(Request.prototype, key);
  if (descriptor === undefined) continue;
  if (descriptor.get !== undefined) {
    const get = descriptor.get;
    Object.defineProperty(NodeRequest.prototype, key, {
      configurable: true,
      enumerable: descriptor.enumerable ?? false,
      get(this: NodeRequest) {
        return get.call(materialize(this[state]));
      },
    });
  } else if (typeof descriptor.value === 'function') {
    const method = descriptor.value as (...args: unknown[]) => unknown;
    Object.defineProperty(NodeRequest.prototype, key, {
      configurable: true,
      enumerable: descriptor.enumerable ?? false,
      writable: true,
      value(this: NodeRequest, ...args: unknown[]) {
        return method.apply(materialize(this[state]), args);
      },
    });
  }
}
// Runtime internals keyed by symbols on each Request instance (undici on Node 20: state, signal,
// headers, dispatcher) read through to the real one, so `new Request(request)` and
// `fetch(request)` see a genuine request.
for (const key of Object.getOwnPropertySymbols(new Request('http://localhost/'))) {
  if (Reflect.has(NodeRequest.prototype, key)) continue;
  Object.defineProperty(NodeRequest.prototype, key, {
    configurable: true,
    get(this: NodeRequest) {
      return (materialize(this[state]) as unknown as Record<symbol, unknown>)[key];
    },
  });
}

/** The buffered bytes, marking the body used; `undefined` once it is gone (read, or materialized). */
function takeBufferedBody(s: LazyState): Uint8Array | null | undefined {
  if (s.real !== null || s.used) return undefined;
  if (s.body === null) return null;
  s.used = true;
  return s.body;
}

class NodeIncoming implements Incoming {
  readonly #state: LazyState;
  #request: Request | undefined;

  constructor(s: LazyState) {
    this.#state = s;
  }

  /** Built on first use: the token endpoint and the bearer guard never need it. */
  get request(): Request {
    this.#request ??= new NodeRequest(this.#state) as unknown as Request;
    return this.#request;
  }

  get method(): string {
    return this.#state.method;
  }

  get url(): string {
    return this.#state.url;
  }

  get pathname(): string {
    return this.#state.pathname;
  }

  header(name: string): string | null {
    return headerValue(this.#state, name);
  }

  takeBufferedBody(): Uint8Array | null | undefined {
    return takeBufferedBody(this.#state);
  }
}

/**
 * Builds the {@link Incoming} (and its lazy `Request`) for one node request.
 *
 * @param pathname - `new URL(url).pathname`, which the adapter parsed already.
 * @param body - The buffered, size-checked body; `null` for GET and HEAD (no body at all).
 */
export function createNodeIncoming(
  method: string,
  url: string,
  pathname: string,
  rawHeaders: readonly string[],
  body: Uint8Array | null,
  res: ServerResponse,
): Incoming {
  return new NodeIncoming({
    method,
    url,
    pathname,
    rawHeaders,
    body,
    res,
    headers: null,
    used: false,
    real: null,
  });
}
