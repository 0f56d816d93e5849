import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireService, services } from '@passport/test-bed';
import { Redis } from 'ioredis';
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
    expect(markdown).toContain('## Targets and results');
    expect(markdown).toMatch(
      /\| Token endpoint, client_credentials, RS256, memory store \| .* \| \d+\.\d\d x \| (PASS|MISS) \|/,
    );
    expect(markdown).toMatch(/\| passport-memory-cc-rs256 \| \d+ \|/);
    expect(markdown).toMatch(/- node v\d+/);
    expect(markdown).toMatch(/- jose \d+\.\d+/);
  });
});

// The worst-case scenario's corpus against a real server, one send of each request: every
// endpoint answers, and each hostile request gets the refusal it should (nothing is timed).
describe('the worst-case scenario, smoke run', () => {
  it('sends every hostile request and gets the answer each should get', { timeout: 120_000 }, async () => {
    const { runWorstCase } = (await import(join(root, 'dist/index.js'))) as typeof import('../src/index.js');
    const report = await runWorstCase({ rounds: 1, repeat: 1, log: () => {} });
    expect(report.error).toBeNull();
    const status = (endpoint: string, name: string) =>
      report.rows.find((r) => r.endpoint === endpoint && r.name === name)?.status;
    const endpoints = new Set(report.rows.map((r) => r.endpoint));
    expect(endpoints.size).toBeGreaterThanOrEqual(20);
    for (const endpoint of endpoints) {
      const normal = report.rows.find((r) => r.endpoint === endpoint && r.normal);
      expect(normal?.status, endpoint).toBeGreaterThanOrEqual(200);
      expect(normal?.cpuMicrosPerRequest, endpoint).toBeGreaterThan(0);
    }
    const token = 'POST /oauth/token (client_credentials)';
    expect(status(token, 'normal')).toBe(200);
    expect(status(token, 'Basic + 7.5k blanks + a + 7.5k blanks + b')).toBe(401);
    expect(status(token, '8,000 parameters')).toBe(400);
    expect(status(token, 'NUL bytes')).toBe(400);
    expect(status(token, '900 headers')).toBe(431);
    expect(status(token, 'Host with a path')).toBe(400);
    expect(status('POST /oauth/clients', 'JSON nested 32,000 deep')).toBe(400);
    expect(status('GET /api (bearer guard)', 'Bearer + 7.5k blanks + a + 7.5k blanks + b')).toBe(401);
    expect(report.worst).not.toBeNull();
    expect(report.worst?.reference).toBe(false);
  });
});

// The Redis scenarios on the test bed's Redis: they run, read the Redis server's CPU like the
// PostgreSQL rows read their backends', and delete their keys afterwards.
describe.skipIf(!(await requireService('redis')))('pnpm bench, smoke run on Redis', () => {
  it('measures Passport on Redis with the server CPU beside it, and leaves no key behind', async () => {
    const build = spawnSync('npx', ['tsup'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    const out = join(mkdtempSync(join(tmpdir(), 'passport-bench-redis-')), 'records.json');
    const bench = spawnSync(
      process.execPath,
      [
        'dist/cli.js',
        '--duration',
        '1',
        '--warmup',
        '0.5',
        '--passes',
        '1',
        '--connections',
        '4',
        '--scenarios',
        'passport-redis-cc-rs256,passport-redis-refresh',
        '--redis-url',
        services.redis.url,
        // Sized above what the refresh scenario reaches here with ioredis auto-pipelining (about
        // 900 req/s on 16 connections): too few pre-created refresh tokens fail the run.
        '--single-use-rate',
        '1500',
        '--json',
        out,
      ],
      { cwd: root, encoding: 'utf8', timeout: 120_000 },
    );
    expect(bench.status, `${bench.stdout}\n${bench.stderr}`).toBe(0);
    const records = JSON.parse(readFileSync(out, 'utf8')) as RunRecord[];
    expect(records.map((r) => r.scenarioId)).toEqual(['passport-redis-cc-rs256', 'passport-redis-refresh']);
    for (const record of records) {
      expect(record.error).toBeNull();
      expect(record.responses).toBeGreaterThan(0);
      expect(record.databaseCpuMicrosPerRequest).not.toBeNull();
    }
    const redis = new Redis(services.redis.url);
    try {
      // Every run's prefix is passport_bench_<pid of the bench command>_<run>:
      const left: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `passport_bench_${bench.pid}_*`,
          'COUNT',
          10_000,
        );
        cursor = next;
        left.push(...keys);
      } while (cursor !== '0');
      expect(left).toEqual([]);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
