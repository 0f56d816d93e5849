/**
 * How the Node adapter (`@passport/http/node`) reaches Passport's own handler and guards without
 * going through Fetch objects: `createPassportHandler` and `createGuard` register their
 * {@link Incoming}-based entry points here, keyed by the object they return. Given that very
 * handler (not a host function wrapping it), `toNodeListener` dispatches the adapter's `Incoming`
 * directly and writes the route's `Reply` without building a `Response`; `authenticateNode` does
 * the same with a guard. Anything not registered is served the ordinary Fetch way.
 *
 * Internal: nothing here is exported from the package.
 */
import type { Incoming } from './incoming.js';
import type { RouteResult } from './responses.js';

/** A handler's route dispatcher: one request in, one route result out. */
export type Dispatcher = (incoming: Incoming) => Promise<RouteResult>;

const dispatchers = new WeakMap<object, Dispatcher>();

/** Records `dispatch` as the dispatcher behind `handler`. */
export function registerDispatcher(handler: object, dispatch: Dispatcher): void {
  dispatchers.set(handler, dispatch);
}

/** The dispatcher behind a handler made by `createPassportHandler`; `undefined` for any other function. */
export function dispatcherOf(handler: object): Dispatcher | undefined {
  return dispatchers.get(handler);
}
