import { runStoreConformance } from '@passport/store-testkit';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';

// Proves the kit's skip reporting end to end: the skipped tests are printed with their reason and
// registered as skipped with the reason in their title; everything else still runs.
const printed: string[] = [];
const reason = 'demonstrates skip reporting (the memory store passes everything)';
const report = runStoreConformance({
  name: 'memory (skip list demo)',
  createStore: () => new MemoryStore(),
  skip: [{ reason, tests: ['nonces > markers are independent', 'races (50 concurrent callers, one id)'] }],
  log: (message) => {
    printed.push(message);
    console.info(message);
  },
});

describe('runStoreConformance skip list', () => {
  it('prints every skipped test once, with the reason', () => {
    const skippedRaces = report.tests.filter((test) =>
      test.startsWith('races (50 concurrent callers, one id) > '),
    );
    expect(skippedRaces.length).toBeGreaterThanOrEqual(5);
    expect(report.skipped.map((entry) => entry.test)).toEqual([
      'nonces > markers are independent',
      ...skippedRaces,
    ]);
    expect(report.skipped.every((entry) => entry.reason === reason)).toBe(true);
    expect(printed).toHaveLength(report.skipped.length);
    expect(printed).toContain(
      `[store-testkit] memory (skip list demo): skipping "nonces > markers are independent": ${reason}`,
    );
  });

  it('still registers every other test', () => {
    expect(report.tests.length - report.skipped.length).toBeGreaterThan(70);
  });
});
