import { describe, it, type TestContext } from 'vitest';

/**
 * A test body: may be async; runs inside vitest, which passes the test context (for a skip decided
 * at run time, `context.skip(reason)`).
 */
export type TestBody = (context: TestContext) => void | Promise<void>;

/**
 * Registers a group of tests. Its `fn` receives the API to register the group's own tests, so
 * every test knows its full name (`'tokens > saveTokens > …'`) for the skip list.
 */
export type DescribeFn = (title: string, fn: (suite: SuiteApi) => void) => void;

/** Registers one test, or a skipped placeholder when the skip list names it. */
export type TestFn = (title: string, body: TestBody) => void;

/** What a suite registers tests with. */
export interface SuiteApi {
  /** Opens a nested group. */
  describe: DescribeFn;
  /** Registers a test in the current group. */
  it: TestFn;
}

/** One entry of the skip list: tests (full names or group names) and why they are skipped. */
export interface SkipEntry {
  /** Why: printed when the suite is collected and shown in the skipped test's title. */
  reason: string;
  /** Full test names (`'group > sub-group > title'`) or group names (`'group > sub-group'`). */
  tests: readonly string[];
}

/** Separator between the parts of a full test name. */
export const NAME_SEPARATOR = ' > ';

/**
 * Decides which tests are skipped and remembers what was registered, so the skip list can be
 * checked for names that match nothing (a typo would otherwise silently run the test).
 */
export class SkipRegistry {
  readonly #reasons = new Map<string, string>();
  readonly #matched = new Set<string>();
  readonly #log: (message: string) => void;
  readonly #storeName: string;
  /** Every test registered so far, by full name. Complete once vitest has collected the suites. */
  readonly registered: string[] = [];
  /** Every skipped test with its reason. Complete once vitest has collected the suites. */
  readonly skipped: Array<{ test: string; reason: string }> = [];

  constructor(storeName: string, skip: readonly SkipEntry[], log: (message: string) => void) {
    this.#storeName = storeName;
    this.#log = log;
    for (const entry of skip) {
      if (entry.reason.trim() === '') {
        throw new TypeError(
          `runStoreConformance(${storeName}): every skip entry needs a non-empty reason (tests: ${entry.tests.join(', ')})`,
        );
      }
      for (const name of entry.tests) this.#reasons.set(name, entry.reason);
    }
  }

  /**
   * The reason `path` (group titles then test title) is skipped, or `null` to run it. A test is
   * skipped when its full name or the name of any enclosing group is listed.
   */
  reasonFor(path: readonly string[]): string | null {
    for (let length = path.length; length > 0; length -= 1) {
      const name = path.slice(0, length).join(NAME_SEPARATOR);
      const reason = this.#reasons.get(name);
      if (reason !== undefined) {
        this.#matched.add(name);
        return reason;
      }
    }
    return null;
  }

  /** Skip-list names that matched no registered test or group. */
  unmatched(): string[] {
    return [...this.#reasons.keys()].filter((name) => !this.#matched.has(name));
  }

  /** The registration API for tests under `path`, backed by vitest's `describe` and `it`. */
  api(path: readonly string[] = []): SuiteApi {
    return {
      describe: (title, fn) => {
        describe(title, () => fn(this.api([...path, title])));
      },
      it: (title, body) => {
        const testPath = [...path, title];
        const fullName = testPath.join(NAME_SEPARATOR);
        this.registered.push(fullName);
        const reason = this.reasonFor(testPath);
        if (reason === null) {
          it(title, body);
          return;
        }
        this.skipped.push({ test: fullName, reason });
        this.#log(`[store-testkit] ${this.#storeName}: skipping "${fullName}": ${reason}`);
        it.skip(`${title} (skipped: ${reason})`, body);
      },
    };
  }
}
