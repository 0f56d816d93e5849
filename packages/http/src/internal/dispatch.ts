/**
 * The private protocol between `createPassportHandler` and the node adapter (`@passport/http/node`).
 *
 * - The handler carries its route dispatcher under {@link dispatchSymbol}. When the adapter serves
 *   that very handler, it calls the dispatcher and writes our `Reply` objects directly, without
 *   building undici's `Headers`, `Response` and body stream. A host function wrapping the handler
 *   has no such property, so it always gets real `Response`s.
 * - The adapter's lazy `Request` answers {@link pathnameSymbol} and {@link headerSymbol} from the
 *   node request itself, so the hot routes read the path and a header or two without building a
 *   `URL` and a `Headers`. Any other `Request` is read the ordinary way.
 *
 * Internal: nothing here is exported from the package.
 */
import type { RouteResult } from './responses.js';

/** Key of the route dispatcher on a handler made by `createPassportHandler`. */
export const dispatchSymbol: unique symbol = Symbol('passport.dispatch');

/** Key of the adapter request's already parsed pathname. */
export const pathnameSymbol: unique symbol = Symbol('passport.pathname');

/** Key of the adapter request's header lookup (`Headers.get` semantics, served from raw headers). */
export const headerSymbol: unique symbol = Symbol('passport.header');

/** A handler that exposes its dispatcher. */
export interface DispatchingHandler {
  [dispatchSymbol]?: (request: Request) => Promise<RouteResult>;
}

interface FastRequest {
  [pathnameSymbol]?: string;
  [headerSymbol]?: (name: string) => string | null;
}

/** The request's URL pathname. */
export function pathnameOf(request: Request): string {
  return (request as FastRequest)[pathnameSymbol] ?? new URL(request.url).pathname;
}

/** `request.headers.get(name)` (`name` in lowercase), without building `Headers` when possible. */
export function headerOf(request: Request, name: string): string | null {
  const lookup = (request as FastRequest)[headerSymbol];
  return lookup === undefined ? request.headers.get(name) : lookup.call(request, name);
}
