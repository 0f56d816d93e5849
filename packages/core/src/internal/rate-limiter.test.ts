import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { RateLimiter } from './rate-limiter.js';

/** A memory store that records the keys of its rate-limit hits. */
function countingStore() {
  const store = createMemoryStore();
  const keys: string[] = [];
  const hit = store.hitRateLimit.bind(store);
  store.hitRateLimit = (key, windowMs, now) => {
    keys.push(key);
    return hit(key, windowMs, now);
  };
  return { store, keys };
}

async function refusal(promise: Promise<unknown> | (() => void)): Promise<OAuthError> {
  const error =
    typeof promise === 'function'
      ? (() => {
          try {
            promise();
            return null;
          } catch (e) {
            return e;
          }
        })()
      : await promise.then(
          () => null,
          (e: unknown) => e,
        );
  expect(error).toBeInstanceOf(OAuthError);
  expect(error).toMatchObject({ error: 'too_many_requests', status: 429 });
  return error as OAuthError;
}

describe('RateLimiter', () => {
  const rule = { limit: 2, windowSeconds: 60 };
  const t0 = Date.UTC(2030, 0, 1);

  it('counts hits in the store and refuses the one over the limit, with the seconds left as retryAfter', async () => {
    const { store } = countingStore();
    const limiter = new RateLimiter(store, { passwordFailures: rule });
    await limiter.hit('passwordFailures', 'alice', t0);
    await limiter.hit('passwordFailures', 'alice', t0 + 10_000);
    const error = await refusal(limiter.hit('passwordFailures', 'alice', t0 + 20_500));
    expect(error.retryAfter).toBe(40); // the window opened at t0 ends at t0 + 60 s
    await limiter.hit('passwordFailures', 'bob', t0 + 20_500); // another subject has its own count
  });

  it('remembers a subject over its limit until its window ends: assertOpen refuses without a store call', async () => {
    const { store, keys } = countingStore();
    const limiter = new RateLimiter(store, { passwordFailures: rule });
    limiter.assertOpen('passwordFailures', 'alice', t0); // nothing known: open
    for (let i = 0; i < 2; i++) await limiter.hit('passwordFailures', 'alice', t0);
    await refusal(limiter.hit('passwordFailures', 'alice', t0));
    const calls = keys.length;
    expect(
      (await refusal(() => limiter.assertOpen('passwordFailures', 'alice', t0 + 59_000))).retryAfter,
    ).toBe(1);
    limiter.assertOpen('passwordFailures', 'bob', t0 + 1000);
    expect(keys).toHaveLength(calls);
    limiter.assertOpen('passwordFailures', 'alice', t0 + 60_000); // the window has ended
  });

  it('keys are the limit name and the SHA-256 of the subject: the store never sees a username', async () => {
    const { store, keys } = countingStore();
    await new RateLimiter(store, { passwordFailures: rule }).hit('passwordFailures', 'alice@example.com', t0);
    expect(keys).toEqual([expect.stringMatching(/^passport:passwordFailures:[0-9a-f]{64}$/)]);
  });

  it('a limit that is off costs nothing and refuses nothing', async () => {
    const { store, keys } = countingStore();
    const limiter = new RateLimiter(store, {});
    expect(limiter.enabled('passwordFailures')).toBe(false);
    for (let i = 0; i < 5; i++) await limiter.hit('passwordFailures', 'alice', t0);
    limiter.assertOpen('passwordFailures', 'alice', t0);
    expect(keys).toEqual([]);
  });
});
