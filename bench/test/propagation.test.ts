import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services } from '@passport/test-bed';
import { describe, expect, it } from 'vitest';
import {
  type PropagationReport,
  propagationTargets,
  quantile,
  renderPropagationSection,
  summarizeSamples,
  withPropagationSection,
} from '../src/propagation.js';

const root = new URL('..', import.meta.url).pathname;

describe('the propagation report', () => {
  const report: PropagationReport = {
    results: [
      {
        store: 'postgres',
        samplesMs: [3, 1, 2, 4, 300],
        afterResponseMs: [1, 1, 1, 1, 1],
        acceptedAfterRevocation: 7,
        error: null,
      },
      {
        store: 'redis',
        samplesMs: [],
        afterResponseMs: [],
        acceptedAfterRevocation: 0,
        error: 'connection refused',
      },
    ],
    measuredAt: new Date('2026-12-03T23:10:00Z'),
    trials: 5,
    skipped: [{ store: 'memory', reason: 'one process' }],
    load: { start: 1.5, end: 2.25 },
  };

  it('takes nearest-rank quantiles', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(summarizeSamples([3, 1, 2])).toEqual({ p50: 2, p99: 3, max: 3, mean: 2 });
  });

  it('holds p99 against 250 ms, and a failed store misses', () => {
    expect(propagationTargets(report)).toEqual([
      {
        target: 'Revocation propagation to another instance, PostgreSQL (p99)',
        required: '<= 250 ms',
        measured: '300.0 ms',
        pass: false,
      },
      {
        target: 'Revocation propagation to another instance, Redis (p99)',
        required: '<= 250 ms',
        measured: 'failed',
        pass: false,
      },
    ]);
  });

  it('replaces only its own section of RESULTS.md', () => {
    const section = renderPropagationSection(report);
    expect(section).toContain('| postgres | 5 | 3.0 | 300.0 | 300.0 | 62.0 | 1.0 | 7 |');
    expect(section).toContain('| redis | 0 | failed: connection refused |');
    expect(section).toContain('1-minute load average was\n1.50 at the start and 2.25 at the end');
    const before = '# Benchmark results\n\n<!-- bundle:start -->\nbundle\n<!-- bundle:end -->\n';
    const once = withPropagationSection(before, section);
    expect(once).toBe(`${before.trimEnd()}\n\n${section}\n`);
    const again = withPropagationSection(once, section.replace('300.0', '299.0'));
    expect(again.match(/<!-- propagation:start -->/g)).toHaveLength(1);
    expect(again).toContain('<!-- bundle:start -->\nbundle\n<!-- bundle:end -->');
  });
});

// The real command on the test bed's servers, a few trials: it produces numbers (never asserted
// for size: RESULTS.md holds the measured figures) and writes its section.
describe.skipIf(
  !(await requireService('postgres')) ||
    !(await requireService('redis')) ||
    !(await requireService('ferretdb')),
)('pnpm bench --propagation-only, smoke run', () => {
  it('revokes on one instance and polls the other until it refuses, on PostgreSQL, Redis and the Mongo wire server', {
    timeout: 180_000,
  }, () => {
    const build = spawnSync('npx', ['tsup'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'passport-bench-propagation-'));
    try {
      const out = join(dir, 'RESULTS.md');
      writeFileSync(out, '# Benchmark results\n\nearlier content\n');
      const bench = spawnSync(
        process.execPath,
        [
          'dist/cli.js',
          '--propagation-only',
          '--propagation-trials',
          '3',
          '--database-url',
          services.postgres.url,
          '--redis-url',
          services.redis.url,
          '--mongodb-url',
          services.mongo.url,
          '--out',
          out,
        ],
        { cwd: root, encoding: 'utf8', timeout: 150_000 },
      );
      expect(bench.stderr).toContain('propagation on postgres: 3 trials');
      expect(bench.stderr).toContain('propagation on redis: 3 trials');
      expect(bench.stderr).toContain('propagation on mongo: 3 trials');
      expect(bench.stderr).not.toContain('FAILED');
      const markdown = readFileSync(out, 'utf8');
      expect(markdown).toContain('earlier content');
      expect(markdown).toMatch(/\| postgres \| 3 \| \d+\.\d \| \d+\.\d \| \d+\.\d \|/);
      expect(markdown).toMatch(/\| redis \| 3 \| \d+\.\d \| \d+\.\d \| \d+\.\d \|/);
      expect(markdown).toMatch(/\| mongo \| 3 \| \d+\.\d \| \d+\.\d \| \d+\.\d \|/);
      expect(markdown).toMatch(
        /\| Revocation propagation to another instance, PostgreSQL \(p99\) \| <= 250 ms \| \d+\.\d ms \| (PASS|MISS) \|/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
