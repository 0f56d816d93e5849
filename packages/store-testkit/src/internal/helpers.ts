import type { IssuedTokens, PassportStore, RefreshTokenRecord } from '@passport/core';
import { StoreConflictError, StoreUnavailableError } from '@passport/core';
import { expect, type TestContext } from 'vitest';
import { makeTokenPair } from '../fixtures.js';
import type { SuiteApi } from './registry.js';

/** What every conformance suite receives. */
export interface SuiteContext {
  /** The store's name, as given to `runStoreConformance` (for printed skip reasons). */
  name: string;
  /** Registration API (honours the skip list). */
  suite: SuiteApi;
  /** The store under test; only callable inside a test. */
  store: () => PassportStore;
}

/**
 * The suites' reference instant. Time is always passed to the store explicitly (`now`), never
 * read from a clock or faked, so every expiry test is deterministic.
 */
export const T0 = new Date('2030-01-01T00:00:00.000Z');

/** `T0` moved by `seconds` (negative for the past). */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

/** Concurrency of the race tests. */
export const RACERS = 50;

/** Starts `count` calls of `call` at once and waits for all of them. */
export function race<T>(call: (index: number) => Promise<T>, count = RACERS): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, index) => call(index)));
}

/** Asserts that `promise` rejects with {@link StoreConflictError} (class and stable code). */
export async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a StoreConflictError, but the call succeeded').not.toBeNull();
  expect(error).toBeInstanceOf(StoreConflictError);
  expect(error).toMatchObject({ code: 'ERR_STORE_CONFLICT' });
}

/** The testing switch of stores that can fail on purpose (as `@passport/store-memory` can). */
export interface OutageSwitch {
  simulateOutage(options: { methods: readonly string[] }): void;
  endOutage(): void;
}

/** The store's outage switch, or `null` when it has none (tests that need it are then skipped). */
export function outageSwitchOf(store: PassportStore): OutageSwitch | null {
  const candidate = store as Partial<Record<keyof OutageSwitch, unknown>>;
  if (typeof candidate.simulateOutage !== 'function' || typeof candidate.endOutage !== 'function') {
    return null;
  }
  return store as PassportStore & OutageSwitch;
}

/**
 * The pair a rotation or redemption writes for `family`: a fresh access token and refresh token of
 * the given user, client and family, created at `now`.
 */
export function issuedFor(
  family: { userId: string | null; clientId: string; familyId: string },
  now: Date,
): IssuedTokens & { refreshToken: RefreshTokenRecord } {
  return makeTokenPair({
    accessToken: {
      userId: family.userId,
      clientId: family.clientId,
      familyId: family.familyId,
      createdAt: now,
    },
  });
}

/** Asserts that `promise` rejects with {@link StoreUnavailableError} (class and stable code). */
export async function expectUnavailable(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error, 'expected a StoreUnavailableError, but the call succeeded').not.toBeNull();
  expect(error).toBeInstanceOf(StoreUnavailableError);
  expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
}

/** Polls `check` until it returns true or `timeoutMs` passes (for stores that deliver asynchronously). */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return true;
}

/**
 * Skips the running test at run time, printing why (the kit's rule: a skipped test says why).
 * Used by tests that need an optional store capability the store does not offer.
 */
export function skipAtRunTime(context: TestContext, storeName: string, title: string, reason: string): void {
  console.info(`[store-testkit] ${storeName}: skipping "${title}": ${reason}`);
  context.skip(reason);
}
