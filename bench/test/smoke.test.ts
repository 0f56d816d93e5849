import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/harness.js';

const root = new URL('..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'passport-bench-'));

// A smoke run of the real command: it proves the harness produces numbers, never how big they are
// (speed is not asserted in tests; RESULTS.md holds the measured figures).
describe('pnpm bench, smoke run', () => {
  let records: RunRecord[] = [];
  let markdown = '';

  beforeAll(() => {
    const build = spawnSync('npx', ['tsup'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const bench = spawnSync(
      process.execPath,
      [
        'dist/cli.js',
        '--duration',
        '2',
        '--warmup',
        '0.5',
        '--passes',
        '1',
        '--connections',
        '4',
        '--scenarios',
        'floor-token,passport-memory-cc-rs256',
        '--json',
        join(dir, 'records.json'),
        '--out',
        join(dir, 'RESULTS.md'),
      ],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    expect(bench.status, `${bench.stdout}\n${bench.stderr}`).toBe(0);
    records = JSON.parse(readFileSync(join(dir, 'records.json'), 'utf8')) as RunRecord[];
    markdown = readFileSync(join(dir, 'RESULTS.md'), 'utf8');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('measures the floor and Passport in separate server processes', () => {
    expect(records.map((r) => r.scenarioId).sort()).toEqual(['floor-token', 'passport-memory-cc-rs256']);
    for (const record of records) {
      expect(record.error).toBeNull();
      expect(record.responses).toBeGreaterThan(0);
      expect(record.requestsPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(record.cpuMicrosPerRequest)).toBe(true);
      expect(record.cpuMicrosPerRequest).toBeGreaterThan(0);
      expect(record.latencyP99Ms).toBeGreaterThanOrEqual(record.latencyP50Ms);
      expect(record.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    }
  });

  it('checks that both answer with an RS256 access token JWT before measuring', () => {
    for (const record of records) expect(record.sample).toMatch(/^200 JWT alg=RS256 typ=at\+jwt /);
  });

  it('writes the report with the targets and the ratio to the floor', () => {
    expect(markdown).toContain('## Targets (issue 7) and results');
    expect(markdown).toMatch(
      /\| Token endpoint, client_credentials, RS256, memory store \| .* \| \d+\.\d\d x \| (PASS|MISS) \|/,
    );
    expect(markdown).toMatch(/\| passport-memory-cc-rs256 \| \d+ \|/);
    expect(markdown).toMatch(/- node v\d+/);
    expect(markdown).toMatch(/- jose \d+\.\d+/);
  });
});
