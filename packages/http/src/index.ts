/**
 * @passport/http: every Passport endpoint as one Fetch handler, plus guards for the host app's
 * routes. Runs on Node (see `@passport/http/node`), Bun, Deno and Workers; testing guards are in
 * `@passport/http/testing`.
 * @packageDocumentation
 */

export { type WithFirstPartyCookieOptions, withFirstPartyCookie } from './first-party-cookie.js';
export {
  type Authentication,
  type AuthenticationFor,
  bearerChallenge,
  type ClientAuthentication,
  createGuard,
  type Guard,
  type GuardAccept,
  type GuardCheck,
  type GuardDecision,
  type GuardOptions,
  type GuardRequirement,
  type ProtectedHandler,
  type RouteOptions,
  type UserAuthentication,
} from './guards.js';
export { createPassportHandler, type FetchHandler } from './handler.js';
export type {
  FirstPartyCookieOptions,
  PassportHandlerOptions,
  RouteGroups,
  StoreOutageEvent,
} from './options.js';
export type {
  ApprovalPageModel,
  DeviceApprovalPageModel,
  DeviceCodePageModel,
  DeviceOutcomePageModel,
  ErrorPageModel,
  PageClient,
  PageModel,
  PageRenderer,
} from './pages/models.js';
