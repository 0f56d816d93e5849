import type { PassportStore } from '@passport/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClientIdType, useClientIdType } from './fixtures.js';
import { registerFlowSuites } from './flows/index.js';
import type { SuiteContext } from './internal/helpers.js';
import { type SkipEntry, SkipRegistry } from './internal/registry.js';
import { registerChangeFeedSuite } from './suites/change-feed.js';
import { registerClientSuite } from './suites/clients.js';
import { registerCodeSuites } from './suites/codes.js';
import { registerInvalidIdSuite } from './suites/invalid-ids.js';
import { registerPurgeSuite } from './suites/purge.js';
import { registerRaceSuite } from './suites/races.js';
import { registerRateLimitSuite } from './suites/rate-limits.js';
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
   * The kind of client id the store under test holds: the kit's record builders then make client
   * ids of that kind (`uuid`: UUIDs; `bigint`: decimal strings of 64-bit integers; `text`: any
   * string), and the flows take theirs from the store's `nextClientId` when it has one. Run the kit
   * once per id type the store supports.
   *
   * @default 'uuid'
   */
  clientIdType?: ClientIdType;
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
 * and not-found semantics, ids the store cannot represent, copies-not-references, expiry with an
 * injected `now`, revocation (one token, a family, a client), listing, purge rules, conflicts,
 * the atomic steps (`saveTokens`, `rotateRefreshToken`, `redeemAuthCode`, `redeemDeviceCode`,
 * with failures in the middle), device code transitions, nonces, rate-limit windows, the change
 * feed when offered, races of 50 concurrent callers on one id, then the OAuth flow suites (see
 * {@link registerFlowSuites}). Call it at the top level of a test file.
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
 *   reset: (store) => store.deleteEverything(),
 *   teardown: (store) => store.close(),
 *   clientIdType: 'uuid',
 * });
 * ```
 */
export function runStoreConformance<Store extends PassportStore>(
  options: StoreConformanceOptions<Store>,
): StoreConformanceReport {
  const { name, createStore, reset } = options;
  const clientIdType = options.clientIdType ?? 'uuid';
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
      useClientIdType(clientIdType);
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
      useClientIdType('uuid');
      const store = shared;
      shared = null;
      current = null;
      if (store !== null) await teardown(store);
    });

    const suite = registry.api();
    const context: SuiteContext = { name, suite, store: getStore };
    registerClientSuite(context);
    registerTokenSuite(context);
    registerRevocationSuite(context);
    registerPurgeSuite(context);
    registerCodeSuites(context);
    registerRateLimitSuite(context);
    registerInvalidIdSuite(context);
    registerChangeFeedSuite(context);
    registerRaceSuite(context);
    registerFlowSuites({ name, getStore, describe: suite.describe, it: suite.it });

    it('skip list names only registered tests', () => {
      expect(registry.unmatched(), 'skip entries that match no test or group (typo?)').toEqual([]);
    });
  });

  return { tests: registry.registered, skipped: registry.skipped };
}
