import { OAuthError } from '../errors/oauth-error.js';
import type { RateLimitStore } from '../stores/store.js';
import { hashSecret } from './secrets.js';

/** One limit: at most `limit` counted hits in a fixed window of `windowSeconds`. */
export interface RateLimitRule {
  /** Hits allowed per window; the next one is refused (429). */
  limit: number;
  /** Length of the window in seconds; it starts at the first hit. */
  windowSeconds: number;
}

/**
 * The limits of Passport's rate limiter, each counted in the store (so they hold across
 * instances) and each switchable off with `false`. Counting never costs a well-behaved request a
 * store call: client authentication, passwords and user codes count only failures. A subject
 * found over a limit is refused without a store call by the instance that found it; another
 * instance learns it at its next failure for that subject, so N instances check at most N more
 * attempts per window than the limit.
 */
export interface RateLimitOptions {
  /**
   * Failed user-code lookups on the device verification page (`GET` and `POST /oauth/device`, or
   * `findDeviceRequest` / `decideDeviceRequest` with a user), per signed-in user: every guess is
   * a different code, so the guesser is what is counted. Once over the limit, the user's lookups
   * are refused (429) until the window ends, correct codes included (RFC 8628 section 5.1).
   * @default { limit: 10, windowSeconds: 600 }
   */
  deviceVerification?: RateLimitRule | false;
  /**
   * Device authorization requests (`POST /oauth/device/code`), per client: each one stores a
   * device code, so all of them count (RFC 8628 section 5.2). A public TV app shares one client
   * id among all its devices: raise this for a popular app.
   * @default { limit: 300, windowSeconds: 60 }
   */
  deviceAuthorization?: RateLimitRule | false;
  /**
   * Failed password-grant attempts, per username. Once over the limit, the username's attempts
   * are refused (429) until the window ends, correct passwords included: that is what stops
   * guessing, at the price that failing on purpose locks the user out of the password grant for
   * the window.
   * @default { limit: 10, windowSeconds: 900 }
   */
  passwordFailures?: RateLimitRule | false;
  /**
   * Failed authentications of a confidential client (wrong or missing secret), per client id.
   * Failures over the limit are answered 429; correct credentials still pass. Client secrets are
   * 256-bit random values that cannot be guessed, and client ids are public (they appear in
   * authorization URLs), so a lockout would only hand anyone a way to lock a client out: the
   * limit tells a misbehaving client to back off.
   * @default { limit: 30, windowSeconds: 60 }
   */
  clientAuthenticationFailures?: RateLimitRule | false;
}

/** The names of the limits of {@link RateLimitOptions}. */
export type RateLimitName = keyof RateLimitOptions;

/** Default limits (see {@link RateLimitOptions}). */
export const defaultRateLimits: Readonly<Record<RateLimitName, RateLimitRule>> = Object.freeze({
  deviceVerification: Object.freeze({ limit: 10, windowSeconds: 600 }),
  deviceAuthorization: Object.freeze({ limit: 300, windowSeconds: 60 }),
  passwordFailures: Object.freeze({ limit: 10, windowSeconds: 900 }),
  clientAuthenticationFailures: Object.freeze({ limit: 30, windowSeconds: 60 }),
});

/** Most subjects remembered as blocked on this instance; the oldest is dropped first. */
const maxBlocked = 10_000;

const messages: Record<RateLimitName, string> = {
  deviceVerification: 'Too many wrong codes',
  deviceAuthorization: 'Too many device authorization requests for this client',
  passwordFailures: 'Too many failed sign-in attempts for this user',
  clientAuthenticationFailures: 'Too many failed client authentications',
};

/**
 * Passport's rate limiter: fixed windows counted with the store's atomic `hitRateLimit`, keyed by
 * limit name and the SHA-256 of the subject (a username or user code never reaches the store as
 * such, and every key has the same bounded length). A subject found over its limit is remembered
 * on this instance until its window ends, so the limits that refuse correct credentials too
 * ({@link RateLimiter.assertOpen}) cost no store call. Internal: `createPassport` builds one.
 */
export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #rules: Readonly<Partial<Record<RateLimitName, RateLimitRule>>>;
  /** Key to the end of its window (ms), for subjects found over their limit. */
  readonly #blocked = new Map<string, number>();

  constructor(store: RateLimitStore, rules: Readonly<Partial<Record<RateLimitName, RateLimitRule>>>) {
    this.#store = store;
    this.#rules = rules;
  }

  /** Whether the limit `name` is on. */
  enabled(name: RateLimitName): boolean {
    return this.#rules[name] !== undefined;
  }

  /**
   * Throws `too_many_requests` when `subject` was found over the limit `name` on this instance
   * and its window has not ended. No store call.
   */
  assertOpen(name: RateLimitName, subject: string, nowMs: number): void {
    if (this.#blocked.size === 0 || this.#rules[name] === undefined) return;
    const key = keyOf(name, subject);
    const until = this.#blocked.get(key);
    if (until === undefined) return;
    if (until <= nowMs) {
      this.#blocked.delete(key);
      return;
    }
    throw refusal(name, until, nowMs);
  }

  /**
   * Counts one hit of `subject` against the limit `name` in the store; throws
   * `too_many_requests` (with `retryAfter`) when this hit is over the limit, and remembers the
   * subject as blocked until the window ends. Does nothing when the limit is off.
   */
  async hit(name: RateLimitName, subject: string, nowMs: number): Promise<void> {
    const rule = this.#rules[name];
    if (rule === undefined) return;
    const key = keyOf(name, subject);
    const { count, resetAt } = await this.#store.hitRateLimit(
      key,
      rule.windowSeconds * 1000,
      new Date(nowMs),
    );
    if (count <= rule.limit) return;
    const until = resetAt.getTime();
    this.#blocked.delete(key);
    if (this.#blocked.size >= maxBlocked) {
      const oldest = this.#blocked.keys().next();
      if (oldest.done !== true) this.#blocked.delete(oldest.value);
    }
    this.#blocked.set(key, until);
    throw refusal(name, until, nowMs);
  }
}

function keyOf(name: RateLimitName, subject: string): string {
  return `passport:${name}:${hashSecret(subject)}`;
}

function refusal(name: RateLimitName, untilMs: number, nowMs: number): OAuthError {
  const seconds = Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
  return OAuthError.tooManyRequests(`${messages[name]}: try again in ${seconds} seconds`, seconds);
}
