import { expect } from 'vitest';
import { randomHex } from '../fixtures.js';
import { at, type SuiteContext } from '../internal/helpers.js';

/** RateLimitStore.hitRateLimit: an atomic fixed-window counter (races in the race suite). */
export function registerRateLimitSuite({ suite, store }: SuiteContext): void {
  suite.describe('hitRateLimit', (limits) => {
    const key = () => `test:${randomHex(8)}`;

    limits.it('the first hit opens a window of windowMs: count 1, resetAt = now + windowMs', async () => {
      const hit = await store().hitRateLimit(key(), 60_000, at(0));
      expect(hit).toEqual({ count: 1, resetAt: at(60) });
      expect(hit.resetAt).toBeInstanceOf(Date);
    });

    limits.it('counts every hit in the window; the window end stays where the first hit put it', async () => {
      const k = key();
      expect(await store().hitRateLimit(k, 60_000, at(0))).toEqual({ count: 1, resetAt: at(60) });
      expect(await store().hitRateLimit(k, 60_000, at(10))).toEqual({ count: 2, resetAt: at(60) });
      expect(await store().hitRateLimit(k, 60_000, at(59.999))).toEqual({ count: 3, resetAt: at(60) });
    });

    limits.it('a hit at or after resetAt starts a new window at that hit', async () => {
      const k = key();
      await store().hitRateLimit(k, 60_000, at(0));
      await store().hitRateLimit(k, 60_000, at(30));
      expect(await store().hitRateLimit(k, 60_000, at(60))).toEqual({ count: 1, resetAt: at(120) });
      expect(await store().hitRateLimit(k, 60_000, at(61))).toEqual({ count: 2, resetAt: at(120) });
      expect(await store().hitRateLimit(k, 60_000, at(500))).toEqual({ count: 1, resetAt: at(560) });
    });

    limits.it('keys are independent', async () => {
      const a = key();
      const b = key();
      await store().hitRateLimit(a, 60_000, at(0));
      await store().hitRateLimit(a, 60_000, at(1));
      expect(await store().hitRateLimit(b, 1000, at(2))).toEqual({ count: 1, resetAt: at(3) });
      expect(await store().hitRateLimit(a, 60_000, at(3))).toEqual({ count: 3, resetAt: at(60) });
    });
  });
}
