import type { SkipsAuthorization } from '../endpoints/authorize.js';
import type { PassportEventEmitter } from '../events/emitter.js';
import type { KeySet } from '../keys/key-set.js';
import type { ScopeRegistry } from '../scopes/registry.js';
import type { PassportStore } from '../stores/store.js';
import type { ClaimsHook } from '../tokens/issue.js';
import type { RateLimiter } from './rate-limiter.js';
import type { RandomSource } from './secrets.js';

/** Token lifetimes in seconds, resolved from options. */
export interface Lifetimes {
  accessToken: number;
  refreshToken: number;
  personalAccessToken: number;
  authCode: number;
  deviceCode: number;
}

/**
 * Everything a grant, the token service or the verifier needs, resolved once from validated
 * options. Internal: users build it through `createPassport(options)`.
 */
export interface PassportContext {
  issuer: string;
  store: PassportStore;
  keys: KeySet;
  scopes: ScopeRegistry;
  events: PassportEventEmitter;
  lifetimes: Lifetimes;
  /** Current time in milliseconds since the epoch (injectable). */
  now: () => number;
  /** Random bytes (injectable). */
  random: RandomSource;
  /**
   * New opaque ids for `jti`, and for client ids when the store has no `nextClientId`
   * (default: `crypto.randomUUID`).
   */
  generateId: () => string;
  /** The rate limiter (counts in the store). */
  rateLimiter: RateLimiter;
}

/** Which grants are enabled, resolved from `PassportOptions.grants`. */
export interface EnabledGrants {
  authorizationCode: boolean;
  refreshToken: boolean;
  clientCredentials: boolean;
  password: boolean;
  implicit: boolean;
  deviceCode: boolean;
}

/**
 * What the grants read besides the {@link PassportContext}: resolved options (structurally a
 * subset of `ResolvedOptions`). Internal.
 */
export interface GrantContext extends PassportContext {
  grants: EnabledGrants;
  pkce: { allowPlain: boolean; requireForConfidentialClients: boolean };
  /** Seconds during which a refresh whose response was lost may be retried with the rotated token. */
  refreshTokenRetrySeconds: number;
  claims?: ClaimsHook | undefined;
  /** The host's `skipsAuthorization` hook, asked before the approval screen is shown. */
  skipsAuthorization?: SkipsAuthorization | undefined;
}
