import type { PassportStore } from '@passport/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerFlowSuites } from './flows/index.js';
import type { SuiteContext } from './internal/helpers.js';
import { type SkipEntry, SkipRegistry } from './internal/registry.js';
import { registerClientSuite } from './suites/clients.js';
import { registerCodeSuites } from './suites/codes.js';
import { registerPurgeSuite } from './suites/purge.js';
import { registerRaceSuite } from './suites/races.js';
import { registerRevocationSuite } from './suites/revocation.js';
import { registerTokenSuite } from './suites/tokens.js';

/** Options of {@link runStoreConformance}. */
export interface StoreConformanceOptions<Store extends PassportStore = PassportStore> {
  /** Names the top-level group (`store conformance: <name>`) and prefixes printed skip reasons. */
  name: string;
  /**
   * Creates the store under test. Without `reset` it is called before every test (a fresh store
   * per test); with `reset` it is called once for the whole run.
   */
  createStore: () => Store | Promise<Store>;
  /**
   * Empties the store before each test (truncate tables, flush keys), so one store (one
   * connection pool) serves the whole run.
   *
   * @default undefined: a new store per test
   */
  reset?: (store: Store) => void | Promise<void>;
  /**
   * Releases a store when the kit is done with it: after each test without `reset`, after the
   * whole run with it.
   *
   * @default calls `store.close()` when the store has one
   */
  teardown?: (store: Store) => void | Promise<void>;
  /**
   * Tests the store does not run, each group with the reason why. Names are full test names as
   * shown by vitest under the top-level group (`'purge > never deletes what a live refresh token
   * needs > keeps …'`) or group names (`'races (50 concurrent callers, one id)'`) to skip a whole
   * group. Each skipped test is printed with its reason and its title carries
   * `(skipped: <reason>)`. A name that matches no test fails the run, so typos cannot hide.
   *
   * @default []
   */
  skip?: readonly SkipEntry[];
  /**
   * Where skip notices are printed.
   *
   * @default console.info
   */
  log?: (message: string) => void;
}

/** What {@link runStoreConformance} registered; filled while vitest collects the suites. */
export interface StoreConformanceReport {
  /** Full names of every registered conformance test. */
  readonly tests: readonly string[];
  /** Skipped tests with their reasons. */
  readonly skipped: ReadonlyArray<{ test: string; reason: string }>;
}

/**
 * Registers the `PassportStore` conformance suites with vitest: every store method's happy path
 * and not-found semantics, copies-not-references, expiry with an injected `now`, revocation (one
 * token, a family, a client), listing, purge rules, conflicts, `saveTokens` atomicity, device
 * code transitions, nonces, races of 50 concurrent callers on one id, then the OAuth flow suites
 * (see {@link registerFlowSuites}). Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * // test/conformance.test.ts
 * import { runStoreConformance } from '@passport/store-testkit';
 * import { MyStore } from '../src/index.js';
 *
 * runStoreConformance({
 *   name: 'my-store',
 *   createStore: () => new MyStore({ url: process.env.DATABASE_URL }),
 *   reset: (store) => store.truncateAll(),
 *   teardown: (store) => store.close(),
 *   skip: [{ reason: 'nonces expire by TTL, not by purge', tests: ['nonces > purge drops expired markers and keeps live ones'] }],
 * });
 * ```
 */
export function runStoreConformance<Store extends PassportStore>(
  options: StoreConformanceOptions<Store>,
): StoreConformanceReport {
  const { name, createStore, reset } = options;
  const teardown = options.teardown ?? ((store: Store) => store.close?.());
  const registry = new SkipRegistry(
    name,
    options.skip ?? [],
    options.log ?? ((message) => console.info(message)),
  );

  describe(`store conformance: ${name}`, () => {
    let current: Store | null = null;
    const getStore = (): Store => {
      if (current === null) {
        throw new Error(`store-testkit (${name}): the store is only available inside a test body`);
      }
      return current;
    };

    // Without `reset`: a fresh store per test. With it: one store for the run, reset per test.
    let shared: Store | null = null;
    beforeAll(async () => {
      if (reset !== undefined) shared = await createStore();
    });
    beforeEach(async () => {
      if (reset === undefined) {
        current = await createStore();
        return;
      }
      if (shared === null) throw new Error(`store-testkit (${name}): createStore did not run`);
      await reset(shared);
      current = shared;
    });
    afterEach(async () => {
      if (reset !== undefined) return;
      const store = current;
      current = null;
      if (store !== null) await teardown(store);
    });
    afterAll(async () => {
      const store = shared;
      shared = null;
      current = null;
      if (store !== null) await teardown(store);
    });

    const suite = registry.api();
    const context: SuiteContext = { suite, store: getStore };
    registerClientSuite(context);
    registerTokenSuite(context);
    registerRevocationSuite(context);
    registerPurgeSuite(context);
    registerCodeSuites(context);
    registerRaceSuite(context);
    registerFlowSuites({ name, getStore, describe: suite.describe, it: suite.it });

    it('skip list names only registered tests', () => {
      expect(registry.unmatched(), 'skip entries that match no test or group (typo?)').toEqual([]);
    });
  });

  return { tests: registry.registered, skipped: registry.skipped };
}
