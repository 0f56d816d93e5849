import type { Passport, PassportUser } from '@passport/core';
import type { FirstPartyCookie } from '../first-party-cookie.js';
import type { PassportHandlerOptions, RouteGroups } from '../options.js';
import type { Signer } from './crypto.js';
import type { Incoming } from './incoming.js';
import type { RouteResult } from './responses.js';

/** Everything a route needs, resolved once by `createPassportHandler`. */
export interface HandlerContext<User extends PassportUser = PassportUser> {
  /** The facade every route talks to; its `now()` is the handler's clock. */
  passport: Passport<User>;
  options: PassportHandlerOptions<User>;
  basePath: string;
  maxBodyBytes: number;
  authTokenLifetime: number;
  signer: Signer;
  cookie: FirstPartyCookie;
  /** Absolute URL of an endpoint below the base path (`/token` => `https://as.example/oauth/token`). */
  endpoint: (path: string) => string;
  /**
   * The configured public URL (`publicUrl`, by default the issuer's origin), without a trailing
   * slash: every absolute URL Passport answers with starts with it, never with the request's Host.
   */
  publicUrl: string;
  /** The origin of {@link publicUrl}: what a same-origin browser request sends as `Origin`. */
  publicOrigin: string;
  /** `true` when {@link publicUrl} is https: every cookie Passport sets is then `Secure`. */
  secureCookies: boolean;
  /** Origins allowed to make state-changing calls besides the request's own. */
  trustedOrigins: ReadonlySet<string>;
  /** The route groups served (the `routes` option resolved): the metadata lists only these. */
  routes: Required<RouteGroups>;
}

/** A route's handler. */
export type RouteHandler<User extends PassportUser = PassportUser> = (
  incoming: Incoming,
  context: HandlerContext<User>,
  params: { id?: string },
) => Promise<RouteResult>;
