import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/harness.js';
import { evaluateTargets, persistenceMarkdown, summarize } from '../src/report.js';
import { passOrder, SCENARIOS, selectScenarios } from '../src/scenarios.js';

function run(scenarioId: string, pass: number, cpu: number, rps = 1000): RunRecord {
  return {
    scenarioId,
    pass,
    position: 1,
    error: null,
    requestsPerSecond: rps,
    latencyP50Ms: 1,
    latencyP99Ms: 2,
    cpuMicrosPerRequest: cpu,
    peakRssBytes: 50 * 2 ** 20,
    databaseCpuMicrosPerRequest: null,
    responses: 1000,
    failures: 0,
    firstFailure: null,
    setupMs: 1,
    sample: null,
    stoppedEarly: null,
  };
}

describe('scenario selection', () => {
  it('selects by exact id and by prefix, in catalogue order', () => {
    const ids = selectScenarios(['passport-memory-cc-*', 'floor-token']).map((s) => s.id);
    expect(ids).toEqual(['floor-token', 'passport-memory-cc-rs256', 'passport-memory-cc-es256']);
  });

  it('rejects an id that matches nothing instead of measuring nothing', () => {
    expect(() => selectScenarios(['passport-memroy-*'])).toThrow(TypeError);
  });

  it('covers every flow on every store plus the floors, the diagnostics and three peers', () => {
    // 6 flows on memory, postgres, pglite and redis; on mongo the token endpoint, code, refresh and guard.
    expect(SCENARIOS.filter((s) => s.family === 'passport')).toHaveLength(28);
    expect(SCENARIOS.filter((s) => s.store === 'mongo').map((s) => s.id)).toEqual([
      'passport-mongo-cc-rs256',
      'passport-mongo-authcode-pkce',
      'passport-mongo-refresh',
      'passport-mongo-guard',
    ]);
    expect(SCENARIOS.find((s) => s.id === 'passport-mongo-guard')?.label).toContain('measured on FerretDB');
    expect(SCENARIOS.filter((s) => s.family === 'diagnostic').map((s) => s.id)).toEqual([
      'diag-bare-http',
      'diag-fetch-adapter',
      'diag-passport-memory-guard-fetch',
      'diag-floor-token-es256',
      'diag-peer-oidc-provider-es256',
      'diag-peer-node-oauth2-server-es256',
      'diag-peer-jmondi-oauth2-server-es256',
    ]);
    // the ES256 diagnostics sign ES256 and are compared with the ES256 floor, like Passport's ES256 runs
    for (const s of SCENARIOS.filter((x) => x.id.endsWith('-es256'))) {
      expect([s.id, s.alg, s.floor]).toEqual([s.id, 'ES256', 'diag-floor-token-es256']);
    }
    expect(SCENARIOS.filter((s) => s.family === 'peer').map((s) => s.id)).toEqual([
      'peer-oidc-provider',
      'peer-node-oauth2-server',
      'peer-jmondi-oauth2-server',
    ]);
  });

  it('reverses the order on every other pass so drift hits everyone alike', () => {
    expect(passOrder(['a', 'b', 'c'], 0)).toEqual(['a', 'b', 'c']);
    expect(passOrder(['a', 'b', 'c'], 1)).toEqual(['c', 'b', 'a']);
  });
});

describe('ratios and targets', () => {
  it('pairs each run with the floor of the same pass before averaging', () => {
    const records = [
      run('floor-token', 1, 400),
      run('passport-memory-cc-rs256', 1, 440),
      run('floor-token', 2, 500),
      run('passport-memory-cc-rs256', 2, 500),
    ];
    const [summary] = summarize(records, selectScenarios(['passport-memory-cc-rs256']));
    // (440/400 + 500/500) / 2 = 1.05, not 470/450.
    expect(summary?.cpuVsFloor).toBeCloseTo(1.05, 10);
    expect(summary?.cpuMicrosPerRequest).toBe(470);
  });

  it('marks a target PASS within its bound, MISS beyond it, and NOT MEASURED without data', () => {
    const within = evaluateTargets([run('floor-token', 1, 400), run('passport-memory-cc-rs256', 1, 460)]);
    expect(within[0]?.pass).toBe(true);
    const beyond = evaluateTargets([run('floor-token', 1, 400), run('passport-memory-cc-rs256', 1, 461)]);
    expect(beyond[0]?.pass).toBe(false);
    expect(beyond[2]?.pass).toBeNull();
  });

  it('requires ES256 throughput of 2.5 times RS256 and a lower CPU cost than every peer', () => {
    const records = [
      run('passport-memory-cc-rs256', 1, 400, 1000),
      run('passport-memory-cc-es256', 1, 150, 2400),
      run('peer-oidc-provider', 1, 600),
      run('peer-node-oauth2-server', 1, 450),
      run('peer-jmondi-oauth2-server', 1, 399),
    ];
    const targets = evaluateTargets(records);
    expect(targets.find((t) => t.target.startsWith('ES256'))?.pass).toBe(false);
    expect(targets.find((t) => t.target.includes('every peer'))?.pass).toBe(false);
  });

  it('ignores failed runs in the means', () => {
    const failed: RunRecord = { ...run('floor-token', 2, 0), error: 'server exited with code 1' };
    const [summary] = summarize([run('floor-token', 1, 400), failed], selectScenarios(['floor-token']));
    expect(summary?.passes).toBe(1);
    expect(summary?.cpuMicrosPerRequest).toBe(400);
    expect(summary?.errors).toEqual(['server exited with code 1']);
  });

  it('counts PostgreSQL backend CPU in the persistence targets, and lists index use per scenario', () => {
    const withDb = (r: RunRecord, db: number, indexScans?: Record<string, number>): RunRecord => ({
      ...r,
      databaseCpuMicrosPerRequest: db,
      ...(indexScans === undefined ? {} : { indexScans }),
    });
    const records = [
      run('floor-token', 1, 500),
      withDb(run('passport-postgres-cc-rs256', 1, 500), 200, { 'oauth_clients.oauth_clients_pkey': 3 }),
      withDb(run('passport-postgres-refresh', 1, 1000), 250, {
        'oauth_clients.oauth_clients_pkey': 0,
        'oauth_refresh_tokens.oauth_refresh_tokens_pkey': 42,
      }),
    ];
    const targets = evaluateTargets(records);
    const cc = targets.find((t) =>
      t.target.startsWith('Token endpoint, client_credentials, PostgreSQL, database'),
    );
    // (500 + 200) / 500 = 1.4: at the bound
    expect([cc?.required, cc?.measured, cc?.pass]).toEqual([
      'CPU/req incl. PostgreSQL <= 1.40 x floor-token',
      '1.40 x',
      true,
    ]);
    const refresh = targets.find((t) => t.target.startsWith('Refresh (rotation), PostgreSQL'));
    // (1000 + 250) / 500 = 2.5
    expect([refresh?.measured, refresh?.pass]).toEqual(['2.50 x', true]);
    expect(targets.find((t) => t.target.startsWith('Introspection, PostgreSQL'))?.pass).toBeNull();
    const table = persistenceMarkdown(records);
    expect(table).toContain('| client_credentials (RS256) | PostgreSQL | 500 | 200 | 1.40 x floor-token |');
    expect(table).toContain('| oauth_refresh_tokens.oauth_refresh_tokens_pkey | 0 | 42 |');
    expect(table).toContain('| oauth_clients.oauth_clients_pkey | 3 | 0 |');
    expect(persistenceMarkdown([run('floor-token', 1, 500)])).toBe('');
  });
});
