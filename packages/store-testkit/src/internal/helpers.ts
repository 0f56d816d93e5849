import type { PassportStore } from '@passport/core';
import { StoreConflictError } from '@passport/core';
import { expect } from 'vitest';
import type { SuiteApi } from './registry.js';

/** What every conformance suite receives. */
export interface SuiteContext {
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
