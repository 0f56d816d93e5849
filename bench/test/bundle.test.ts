import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_LIMITS,
  bundleTargets,
  measureWorkerBundle,
  renderBundleSection,
  withBundleSection,
} from '../src/bundle.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));

describe('edge bundle step', () => {
  it('bundles core + http + memory store for a Worker and keeps within its budget', async () => {
    const size = await measureWorkerBundle(benchDir);
    const names = size.byPackage.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining(['@passport/core', '@passport/http', '@passport/store-memory']),
    );
    // No schema library and nothing Node-only in a Worker bundle.
    expect(names).not.toContain('zod');
    expect(size.byPackage.reduce((sum, [, bytes]) => sum + bytes, 0)).toBeLessThanOrEqual(size.minifiedBytes);
    expect(size.gzipBytes).toBeLessThan(size.minifiedBytes);
    expect(bundleTargets(size).map((t) => t.pass)).toEqual([true, true]);
  });

  it('judges the targets at 120 kB minified and 40 kB gzipped (1 kB = 1000 bytes)', () => {
    const at = (minifiedBytes: number, gzipBytes: number) =>
      bundleTargets({ minifiedBytes, gzipBytes, byPackage: [] }).map((t) => t.pass);
    expect(BUNDLE_LIMITS).toEqual({ minifiedBytes: 120_000, gzipBytes: 40_000 });
    expect(at(120_000, 40_000)).toEqual([true, true]);
    expect(at(120_001, 40_001)).toEqual([false, false]);
    expect(bundleTargets(null).map((t) => [t.measured, t.pass])).toEqual([
      ['not measured', null],
      ['not measured', null],
    ]);
  });

  it('replaces only the bundle section of RESULTS.md, or appends one', () => {
    const size = {
      minifiedBytes: 100_000,
      gzipBytes: 30_000,
      byPackage: [['jose', 4000]] as [string, number][],
    };
    const section = renderBundleSection(size, new Date('2030-01-01T00:00:00Z'));
    expect(section).toContain(
      '| Worker bundle (core + http + memory store), minified | <= 120.0 kB | 100.0 kB | PASS |',
    );
    const appended = withBundleSection('# Benchmark results\n\nbefore\n', section);
    expect(appended).toBe(`# Benchmark results\n\nbefore\n\n${section}\n`);
    const next = renderBundleSection({ ...size, minifiedBytes: 99_000 }, new Date('2030-01-02T00:00:00Z'));
    const replaced = withBundleSection(`${appended}after\n`, next);
    expect(replaced).toBe(`# Benchmark results\n\nbefore\n\n${next}\nafter\n`);
  });
});
