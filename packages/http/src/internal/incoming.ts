/**
 * One request as Passport's routes and guards read it: the method, URL, pathname, a header lookup
 * and the body an adapter may already hold. The Fetch handler builds it from a `Request`
 * ({@link incomingFromFetch}); the Node adapter builds it from `node:http`'s request without
 * building undici's `URL`, `Headers` or body stream (see `adapter/node/request.ts`). Routes never
 * sniff what kind of request they were given: they read this.
 *
 * Internal: nothing here is exported from the package.
 */
export interface Incoming {
  /** The Fetch `Request` handed to the host's callbacks (`authenticateUser`, `render`, `loginUrl`). */
  readonly request: Request;
  /** The request method, uppercase as sent. */
  readonly method: string;
  /** The absolute request URL. */
  readonly url: string;
  /** The URL's pathname. */
  readonly pathname: string;
  /** `request.headers.get(name)` for a lowercase `name`. */
  header(name: string): string | null;
  /**
   * The body an adapter already read and size-checked, marking `request`'s body used: the bytes,
   * `null` for a request without a body, or `undefined` when the body must be read from `request`.
   */
  takeBufferedBody(): Uint8Array | null | undefined;
}

class FetchIncoming implements Incoming {
  #pathname: string | undefined;

  constructor(readonly request: Request) {}

  get method(): string {
    return this.request.method;
  }

  get url(): string {
    return this.request.url;
  }

  get pathname(): string {
    this.#pathname ??= new URL(this.request.url).pathname;
    return this.#pathname;
  }

  header(name: string): string | null {
    return this.request.headers.get(name);
  }

  takeBufferedBody(): undefined {
    return undefined;
  }
}

/** The {@link Incoming} view of a Fetch `Request`. */
export function incomingFromFetch(request: Request): Incoming {
  return new FetchIncoming(request);
}
