import type { Passport, PassportUser } from '@passport/core';
import type { FirstPartyCookie } from '../first-party-cookie.js';
import type { PassportHandlerOptions } from '../options.js';
import type { Signer } from './crypto.js';
import type { RouteResult } from './responses.js';

/** Everything a route needs, resolved once by `createPassportHandler`. */
export interface HandlerContext<User extends PassportUser = PassportUser> {
  passport: Passport<User>;
  options: PassportHandlerOptions<User>;
  basePath: string;
  maxBodyBytes: number;
  authTokenLifetime: number;
  signer: Signer;
  cookie: FirstPartyCookie;
  now: () => number;
  /** Absolute URL of an endpoint below the base path (`/token` => `https://as.example/oauth/token`). */
  endpoint: (path: string) => string;
  /** Origins allowed to make state-changing calls besides the request's own. */
  trustedOrigins: ReadonlySet<string>;
}

/** A route's handler. */
export type RouteHandler<User extends PassportUser = PassportUser> = (
  request: Request,
  context: HandlerContext<User>,
  params: { id?: string },
) => Promise<RouteResult>;
