import { readFileSync } from 'node:fs';
import os from 'node:os';
import { type BundleSize, bundleTargets, renderBundleSection } from './bundle.js';
import type { RunRecord } from './harness.js';
import { type PropagationReport, propagationTargets, renderPropagationSection } from './propagation.js';
import { peerPackage, type Scenario } from './scenarios.js';
import { WORST_CASE_LIMIT, type WorstCaseReport } from './worst-case.js';

/** Means over the passes of one scenario, plus its ratios computed pass by pass. */
export interface ScenarioSummary {
  scenario: Scenario;
  /** Passes that produced numbers. */
  passes: number;
  errors: string[];
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  cpuMicrosPerRequest: number;
  /** Highest peak RSS over the passes, bytes. */
  peakRssBytes: number;
  /** PostgreSQL backend CPU per request (store `postgres`), `null` elsewhere. */
  databaseCpuMicrosPerRequest: number | null;
  /** CPU per request divided by the floor's, in the same pass, averaged over passes. */
  cpuVsFloor: number | null;
  /** Requests per second divided by the floor's, in the same pass, averaged over passes. */
  throughputVsFloor: number | null;
  /** CPU per request divided by each peer's (client_credentials scenarios only), keyed by peer id. */
  cpuVsPeer: Record<string, number | null>;
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;

function ok(records: readonly RunRecord[], id: string): RunRecord[] {
  return records.filter((r) => r.scenarioId === id && r.error === null);
}

/** Mean over passes of `metric(a) / metric(b)`, pairing runs of the same pass. */
function pairedRatio(
  records: readonly RunRecord[],
  a: string,
  b: string,
  metric: (r: RunRecord) => number,
): number | null {
  const ratios: number[] = [];
  for (const run of ok(records, a)) {
    const other = ok(records, b).find((r) => r.pass === run.pass);
    if (other !== undefined && metric(other) > 0) ratios.push(metric(run) / metric(other));
  }
  return ratios.length === 0 ? null : mean(ratios);
}

/** Summaries in catalogue order. */
export function summarize(records: readonly RunRecord[], scenarios: readonly Scenario[]): ScenarioSummary[] {
  const peers = scenarios.filter((s) => s.family === 'peer');
  return scenarios
    .filter((s) => s.family !== 'worst-case')
    .map((scenario) => {
      const runs = ok(records, scenario.id);
      const cpu = (r: RunRecord) => r.cpuMicrosPerRequest;
      const cpuVsPeer: Record<string, number | null> = {};
      if (scenario.flow === 'client-credentials' && scenario.family !== 'diagnostic') {
        for (const peer of peers) {
          if (peer.id !== scenario.id) cpuVsPeer[peer.id] = pairedRatio(records, scenario.id, peer.id, cpu);
        }
      }
      return {
        scenario,
        passes: runs.length,
        errors: records
          .filter((r) => r.scenarioId === scenario.id && r.error !== null)
          .map((r) => r.error ?? ''),
        requestsPerSecond: mean(runs.map((r) => r.requestsPerSecond)),
        latencyP50Ms: mean(runs.map((r) => r.latencyP50Ms)),
        latencyP99Ms: mean(runs.map((r) => r.latencyP99Ms)),
        cpuMicrosPerRequest: mean(runs.map(cpu)),
        peakRssBytes: Math.max(0, ...runs.map((r) => r.peakRssBytes)),
        databaseCpuMicrosPerRequest: runs.some((r) => r.databaseCpuMicrosPerRequest !== null)
          ? mean(
              runs.flatMap((r) =>
                r.databaseCpuMicrosPerRequest === null ? [] : [r.databaseCpuMicrosPerRequest],
              ),
            )
          : null,
        cpuVsFloor: pairedRatio(records, scenario.id, scenario.floor, cpu),
        throughputVsFloor: pairedRatio(records, scenario.id, scenario.floor, (r) => r.requestsPerSecond),
        cpuVsPeer,
      };
    });
}

/** One target of the benchmark, with what this run measured. */
export interface TargetResult {
  target: string;
  required: string;
  measured: string;
  /** `null` when the scenarios it needs did not run or failed. */
  pass: boolean | null;
}

/** The worst-case target: the costliest hostile request against its endpoint's median. */
function worstCaseTarget(report: WorstCaseReport | null): TargetResult {
  const target = 'Worst-case request (hostile corpus, every endpoint)';
  const required = `CPU/req <= ${WORST_CASE_LIMIT.toFixed(0)} x its endpoint's median`;
  if (report === null || report.error !== null || report.worst === null) {
    return { target, required, measured: report?.error ?? 'not measured', pass: null };
  }
  const w = report.worst;
  return {
    target,
    required,
    measured: `${w.ratio.toFixed(2)} x (${w.endpoint}: ${w.name})`,
    pass: w.ratio <= WORST_CASE_LIMIT,
  };
}

/** The worst-case scenario for the terminal: the costliest hostile request of each endpoint. */
export function worstCaseConsole(report: WorstCaseReport): string {
  if (report.error !== null) return `worst-case FAILED: ${report.error}`;
  const normal = new Map(report.rows.filter((r) => r.normal).map((r) => [r.endpoint, r]));
  const rows = report.worstPerEndpoint.map((w) => [
    w.endpoint,
    fmt(normal.get(w.endpoint)?.cpuMicrosPerRequest ?? 0),
    w.name,
    String(w.status),
    fmt(w.cpuMicrosPerRequest),
    `${w.ratio.toFixed(2)}`,
  ]);
  return consoleTable(['endpoint', 'median us', 'costliest request', 'status', 'us', 'x median'], rows);
}

/** Evaluates the benchmark's targets against this run. Targets are fixed here; never loosen them to pass. */
export function evaluateTargets(
  records: readonly RunRecord[],
  worstCase: WorstCaseReport | null = null,
): TargetResult[] {
  const cpu = (r: RunRecord) => r.cpuMicrosPerRequest;
  const rps = (r: RunRecord) => r.requestsPerSecond;
  const atMost = (target: string, a: string, b: string, limit: number): TargetResult => {
    const ratio = pairedRatio(records, a, b, cpu);
    return {
      target,
      required: `CPU/req <= ${limit.toFixed(2)} x ${b}`,
      measured: ratio === null ? 'not measured' : `${ratio.toFixed(2)} x`,
      pass: ratio === null ? null : ratio <= limit,
    };
  };
  // Redis targets count the Redis server's CPU too (it is reported on its own as "DB CPU").
  const withServer = (r: RunRecord) => r.cpuMicrosPerRequest + (r.databaseCpuMicrosPerRequest ?? 0);
  const atMostWithServer = (
    target: string,
    a: string,
    b: string,
    limit: number,
    server = 'Redis',
  ): TargetResult => {
    const ratio = pairedRatio(records, a, b, (r) => (r.scenarioId === a ? withServer(r) : cpu(r)));
    return {
      target,
      required: `CPU/req incl. ${server} <= ${limit.toFixed(2)} x ${b}`,
      measured: ratio === null ? 'not measured' : `${ratio.toFixed(2)} x`,
      pass: ratio === null ? null : ratio <= limit,
    };
  };
  const peerIds = ['peer-oidc-provider', 'peer-node-oauth2-server', 'peer-jmondi-oauth2-server'];
  const peerRatios = peerIds.map((p) => pairedRatio(records, 'passport-memory-cc-rs256', p, cpu));
  const measuredPeers = peerRatios.filter((r): r is number => r !== null);
  const es = pairedRatio(records, 'passport-memory-cc-es256', 'passport-memory-cc-rs256', rps);
  return [
    atMost(
      'Token endpoint, client_credentials, RS256, memory store',
      'passport-memory-cc-rs256',
      'floor-token',
      1.15,
    ),
    {
      target: 'The same, ahead of every peer',
      required: 'CPU/req < each peer',
      measured:
        measuredPeers.length === 0
          ? 'not measured'
          : peerIds.map((p, i) => `${p.slice(5)} ${peerRatios[i]?.toFixed(2) ?? '-'} x`).join(', '),
      pass: measuredPeers.length === 0 ? null : measuredPeers.every((r) => r < 1),
    },
    atMost(
      'Token endpoint, client_credentials, RS256, PostgreSQL',
      'passport-postgres-cc-rs256',
      'floor-token',
      1.5,
    ),
    atMost('Bearer guard with revocation check, memory store', 'passport-memory-guard', 'floor-verify', 1.25),
    atMost('Bearer guard with revocation check, PostgreSQL', 'passport-postgres-guard', 'floor-verify', 1.6),
    atMostWithServer(
      'Token endpoint, client_credentials, RS256, Redis',
      'passport-redis-cc-rs256',
      'floor-token',
      1.25,
    ),
    atMostWithServer(
      'Bearer guard with revocation check, Redis',
      'passport-redis-guard',
      'floor-verify',
      1.1,
    ),
    atMost(
      'Bearer guard with revocation check, Mongo store (measured on FerretDB; the cache does the work)',
      'passport-mongo-guard',
      'floor-verify',
      1.1,
    ),
    {
      target: 'ES256 token endpoint throughput (memory store)',
      required: 'req/s >= 2.50 x RS256',
      measured: es === null ? 'not measured' : `${es.toFixed(2)} x`,
      pass: es === null ? null : es >= 2.5,
    },
    worstCaseTarget(worstCase),
    ...PERSISTENCE_TARGETS.map(([target, scenario, floor, limit]) =>
      scenario.startsWith('passport-postgres-')
        ? atMostWithServer(target, scenario, floor, limit, 'PostgreSQL')
        : atMost(target, scenario, floor, limit),
    ),
  ];
}

/**
 * What persistence may cost on the SQL stores: the whole CPU of a request, the database's included
 * (PostgreSQL's backends; PGlite runs in the Node process), against the crypto floor.
 */
const PERSISTENCE_TARGETS: readonly (readonly [string, string, string, number])[] = [
  [
    'Token endpoint, client_credentials, PostgreSQL, database CPU counted',
    'passport-postgres-cc-rs256',
    'floor-token',
    1.4,
  ],
  [
    'Authorization code redemption (PKCE), PostgreSQL, database CPU counted',
    'passport-postgres-authcode-pkce',
    'floor-token',
    2.0,
  ],
  ['Refresh (rotation), PostgreSQL, database CPU counted', 'passport-postgres-refresh', 'floor-token', 2.5],
  ['Introspection, PostgreSQL, database CPU counted', 'passport-postgres-introspect', 'floor-verify', 2.0],
  ['Refresh (rotation), PGlite (in process)', 'passport-pglite-refresh', 'floor-token', 3.5],
  [
    'Authorization code redemption (PKCE), PGlite (in process)',
    'passport-pglite-authcode-pkce',
    'floor-token',
    2.5,
  ],
];

/** The paths a store serves, as the persistence table lists them: scenario suffix and name. */
const PERSISTENCE_PATHS = [
  ['cc-rs256', 'client_credentials (RS256)', 'floor-token'],
  ['authcode-pkce', 'authorization code redemption (PKCE)', 'floor-token'],
  ['refresh', 'refresh (rotation)', 'floor-token'],
  ['introspect', 'introspection', 'floor-verify'],
  ['guard', 'bearer guard', 'floor-verify'],
] as const;

/**
 * The cost of persistence: for each store and path, the Node process's CPU per request, the
 * database server's (PostgreSQL backends, redis-server, FerretDB), and their sum against the floor.
 * Empty when no store scenario ran.
 */
export function persistenceMarkdown(records: readonly RunRecord[]): string {
  const stores = [
    ['memory', 'memory'],
    ['postgres', 'PostgreSQL'],
    ['pglite', 'PGlite'],
    ['redis', 'Redis'],
    ['mongo', 'Mongo (FerretDB)'],
  ] as const;
  const total = (r: RunRecord) => r.cpuMicrosPerRequest + (r.databaseCpuMicrosPerRequest ?? 0);
  const rows: string[][] = [];
  for (const [suffix, name, floor] of PERSISTENCE_PATHS) {
    for (const [store, label] of stores) {
      const id = `passport-${store}-${suffix}`;
      const runs = ok(records, id);
      const ratio = pairedRatio(records, id, floor, (r) =>
        r.scenarioId === id ? total(r) : r.cpuMicrosPerRequest,
      );
      if (runs.length === 0 || ratio === null) continue;
      const db = runs.some((r) => r.databaseCpuMicrosPerRequest !== null)
        ? fmt(mean(runs.map((r) => r.databaseCpuMicrosPerRequest ?? 0)))
        : '-';
      rows.push([
        name,
        label,
        fmt(mean(runs.map((r) => r.cpuMicrosPerRequest))),
        db,
        `${ratio.toFixed(2)} x ${floor}`,
      ]);
    }
  }
  if (rows.length === 0) return '';
  return `## The cost of persistence (database CPU counted)

CPU per request of the Node process and of the database server serving it (PostgreSQL's backends, redis-server, FerretDB; PGlite and the memory store run inside the Node process), and their sum against the crypto floor, paired by pass. FerretDB's figures are FerretDB 1.24's (SQLite handler, no index use), not MongoDB's.

${markdownTable(['path', 'store', 'Node us/req', 'DB us/req', 'total x floor'], rows)}

${indexUseMarkdown(records)}`;
}

/**
 * PostgreSQL index use: scans of each index during each PostgreSQL scenario (summed over passes), so an
 * index the hot paths never use shows as 0 everywhere.
 */
function indexUseMarkdown(records: readonly RunRecord[]): string {
  const pgRuns = records.filter(
    (r) => r.scenarioId.startsWith('passport-postgres-') && r.indexScans !== undefined,
  );
  if (pgRuns.length === 0) return '';
  const scenarioIds = [...new Set(pgRuns.map((r) => r.scenarioId))];
  const indexes = [...new Set(pgRuns.flatMap((r) => Object.keys(r.indexScans ?? {})))].sort();
  const rows = indexes.map((index) => [
    index,
    ...scenarioIds.map((id) =>
      String(
        pgRuns.filter((r) => r.scenarioId === id).reduce((sum, r) => sum + (r.indexScans?.[index] ?? 0), 0),
      ),
    ),
  ]);
  return `### PostgreSQL index use

Scans of each index (\`pg_stat_user_indexes.idx_scan\`) in each scenario's schema, seeding and warm-up included, summed over passes.

${markdownTable(['table.index', ...scenarioIds.map((id) => id.replace('passport-postgres-', ''))], rows)}

`;
}

/** Versions of everything measured, read from the installed package.json files. */
export function packageVersions(): Record<string, string> {
  const names = [
    '@passport/core',
    '@passport/http',
    '@passport/store-memory',
    '@passport/store-postgres',
    '@passport/store-redis',
    'ioredis',
    '@passport/store-mongo',
    'mongodb',
    'jose',
    'oidc-provider',
    '@node-oauth/oauth2-server',
    '@jmondi/oauth2-server',
    'autocannon',
    'pg',
    '@electric-sql/pglite',
  ];
  const versions: Record<string, string> = { node: process.version };
  for (const name of names) {
    try {
      const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
      versions[name] = (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}

/** Machine facts for the report (from `os.cpus()` and friends). */
export function machineInfo(loadAtStart: readonly number[]): string[] {
  const cpus = os.cpus();
  const models = [...new Set(cpus.map((c) => c.model))];
  return [
    `CPU: ${models.join(', ')} x ${cpus.length} (os.cpus() speed ${cpus[0]?.speed ?? '?'} MHz)`,
    `Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB total, ${(os.freemem() / 2 ** 30).toFixed(1)} GiB free`,
    `OS: ${os.type()} ${os.release()} ${os.arch()}`,
    `Load average (1, 5, 15 min) at the start: ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}; at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
  ];
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const ratio = (n: number | null | undefined) => (n === null || n === undefined ? '-' : `${n.toFixed(2)}`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** Header and rows of the summary table (shared by the console and the markdown). */
export function summaryRows(summaries: readonly ScenarioSummary[]): { header: string[]; rows: string[][] } {
  const peers = summaries.filter((s) => s.scenario.family === 'peer').map((s) => s.scenario.id);
  const header = [
    'scenario',
    'passes',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU us/req',
    'DB CPU us/req',
    'peak RSS MiB',
    'CPU x floor',
    'req/s x floor',
    ...peers.map(
      (p) =>
        `CPU x ${peerPackage(summaries.find((s) => s.scenario.id === p)?.scenario.target ?? 'passport')}`,
    ),
  ];
  const rows = summaries.map((s) =>
    s.passes === 0
      ? [
          s.scenario.id,
          `FAILED: ${s.errors[0]?.replaceAll('|', '/').replaceAll('\n', ' ').slice(0, 120) ?? 'not run'}`,
        ]
      : [
          s.scenario.id,
          String(s.passes),
          fmt(s.requestsPerSecond),
          fmt(s.latencyP50Ms, 1),
          fmt(s.latencyP99Ms, 1),
          fmt(s.cpuMicrosPerRequest),
          s.databaseCpuMicrosPerRequest === null ? '-' : fmt(s.databaseCpuMicrosPerRequest),
          mib(s.peakRssBytes),
          ratio(s.cpuVsFloor),
          ratio(s.throughputVsFloor),
          ...peers.map((p) => ratio(s.cpuVsPeer[p])),
        ],
  );
  return { header, rows };
}

/** A plain-text table for the terminal. */
export function consoleTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r.length > 2 ? (r[i] ?? '').length : 0))),
  );
  const line = (cells: readonly string[]) =>
    cells.length === 2 && header.length > 2
      ? `${(cells[0] ?? '').padEnd(widths[0] ?? 0)}  ${cells[1]}`
      : cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const pad = (cells: readonly string[]) => {
    const full = [...cells];
    while (full.length < header.length) full.push('');
    return `| ${full.join(' | ')} |`;
  };
  return [
    pad(header),
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map(pad),
  ].join('\n');
}

/** Everything RESULTS.md needs besides the records. */
export interface ReportContext {
  command: string;
  startedAt: Date;
  finishedAt: Date;
  durationSeconds: number;
  warmupSeconds: number;
  passes: number;
  connections: number;
  machine: string[];
  versions: Record<string, string>;
  /** A caveat printed at the top, e.g. that the machine was busy. */
  note: string | null;
  /** The edge bundle measured with the run (`null` when it was not). */
  bundle: BundleSize | null;
  /** The propagation scenario measured with the run (absent or `null` when it was not). */
  propagation?: PropagationReport | null;
}

/**
 * The ES256 diagnostic: the same client_credentials request with a signature about ten times
 * cheaper, so each contender's own cost shows instead of RSA's (and its noise). Empty when the
 * scenarios did not run.
 */
export function frameworkCostLine(records: readonly RunRecord[]): string {
  const cpu = (r: RunRecord) => r.cpuMicrosPerRequest;
  const passport = 'passport-memory-cc-es256';
  const others = [
    ['diag-floor-token-es256', 'the floor'],
    ['diag-peer-oidc-provider-es256', 'oidc-provider'],
    ['diag-peer-node-oauth2-server-es256', '@node-oauth/oauth2-server'],
    ['diag-peer-jmondi-oauth2-server-es256', '@jmondi/oauth2-server'],
  ] as const;
  const parts = others.flatMap(([id, name]) => {
    const ratio = pairedRatio(records, passport, id, cpu);
    const runs = ok(records, id);
    return ratio === null || runs.length === 0
      ? []
      : [`${name} ${fmt(mean(runs.map(cpu)))} us (Passport ${ratio.toFixed(2)} x)`];
  });
  const own = ok(records, passport);
  if (parts.length === 0 || own.length === 0) return '';
  return `\nWith ES256 (a signature about ten times cheaper than RS256, so each contender's own work shows instead of RSA's cost and noise), Passport on the memory store costs ${fmt(mean(own.map(cpu)))} us of CPU per request; ${parts.join(', ')}. Diagnostic only: the targets are defined on RS256.\n`;
}

/** The worst-case section of RESULTS.md; empty when the scenario did not run. */
function worstCaseMarkdown(report: WorstCaseReport | null): string {
  if (report === null) return '';
  if (report.error !== null) return `## Worst case (hostile corpus)\n\nFAILED: ${report.error}\n\n`;
  const normal = new Map(report.rows.filter((r) => r.normal).map((r) => [r.endpoint, r]));
  const rows = report.worstPerEndpoint.map((w) => [
    w.endpoint,
    fmt(normal.get(w.endpoint)?.cpuMicrosPerRequest ?? 0),
    w.name,
    String(w.status),
    fmt(w.cpuMicrosPerRequest),
    `${w.ratio.toFixed(2)} x`,
  ]);
  return `## Worst case (hostile corpus)

${report.rows.length} requests: for every endpoint its normal request and the hostile ones it could meet (long blank runs in \`Authorization\`, a 15 KB header, 900 headers, a 12 KB cookie header, a 15 KB Host, 8,000 form parameters, 64 KB of percent-encoding, long scopes, deep and huge JSON, long query strings, NUL bytes), one at a time over one keep-alive connection. Each is the median over rounds of the server's CPU per request over a window of repeated sends. Target: no request above ${WORST_CASE_LIMIT} x the median of its endpoint's normal request.

${markdownTable(['endpoint', 'normal request us/req', 'costliest request', 'status', 'its us/req', 'x median'], rows)}

The fifteen costliest hostile requests of all:

${markdownTable(
  ['endpoint', 'request', 'status', 'us/req', 'x median'],
  [...report.rows]
    .filter((r) => !r.normal)
    .sort((a, b) => b.ratio - a.ratio)
    .slice(0, 15)
    .map((r) => [
      r.endpoint,
      r.name,
      String(r.status),
      fmt(r.cpuMicrosPerRequest),
      `${r.ratio.toFixed(2)} x`,
    ]),
)}

`;
}

/** Renders bench/RESULTS.md. */
export function renderMarkdown(
  records: readonly RunRecord[],
  scenarios: readonly Scenario[],
  context: ReportContext,
  worstCase: WorstCaseReport | null = null,
): string {
  const summaries = summarize(records, scenarios);
  const propagation = context.propagation ?? null;
  const targets = [
    ...evaluateTargets(records, worstCase),
    ...bundleTargets(context.bundle),
    ...propagationTargets(propagation),
  ];
  const { header, rows } = summaryRows(summaries);
  const minutes = ((context.finishedAt.getTime() - context.startedAt.getTime()) / 60_000).toFixed(1);
  const reference = [
    ['floor-token', '390'],
    ['peer-oidc-provider', '620'],
    ['peer-node-oauth2-server', '450 to 470'],
    ['peer-jmondi-oauth2-server', '450 to 470'],
  ].map(([id, earlier]) => {
    const s = summaries.find((x) => x.scenario.id === id);
    return [
      id ?? '',
      earlier ?? '',
      s === undefined || s.passes === 0 ? 'not measured' : fmt(s.cpuMicrosPerRequest),
    ];
  });
  const bare = summaries.find((x) => x.scenario.id === 'diag-bare-http');
  const adapter = summaries.find((x) => x.scenario.id === 'diag-fetch-adapter');
  const adapterLine =
    bare !== undefined && adapter !== undefined && bare.passes > 0 && adapter.passes > 0
      ? `\nServing a host's Fetch handler through \`toNodeListener\` costs ${fmt(adapter.cpuMicrosPerRequest - bare.cpuMicrosPerRequest)} us of CPU per request more than bare \`node:http\` doing the same work (\`diag-fetch-adapter\` ${fmt(adapter.cpuMicrosPerRequest)} us against \`diag-bare-http\` ${fmt(bare.cpuMicrosPerRequest)} us). Passport's own handler, served by \`toNodeListener\` directly, skips most of it: its replies are written without building a \`Response\`.\n`
      : '';
  const es256Line = frameworkCostLine(records);
  const runRows = [...records]
    .sort((a, b) => a.pass - b.pass || a.position - b.position)
    .map((r) => [
      String(r.pass),
      String(r.position),
      r.scenarioId,
      r.error === null ? fmt(r.requestsPerSecond) : 'FAILED',
      r.error === null ? fmt(r.latencyP50Ms, 1) : '',
      r.error === null ? fmt(r.latencyP99Ms, 1) : '',
      r.error === null ? fmt(r.cpuMicrosPerRequest) : '',
      r.databaseCpuMicrosPerRequest === null ? '' : fmt(r.databaseCpuMicrosPerRequest),
      r.error === null ? mib(r.peakRssBytes) : '',
      String(r.responses),
      String(r.failures),
      [r.error, r.stoppedEarly, r.firstFailure]
        .filter((x) => x !== null)
        .join('; ')
        .replaceAll('|', '/')
        .replaceAll('\n', ' ')
        .slice(0, 200),
    ]);
  return `# Benchmark results

${context.note === null ? '' : `> **${context.note}**\n\n`}Generated by \`${context.command}\` from ${context.startedAt.toISOString()} to ${context.finishedAt.toISOString()} (${minutes} min).
Each run: a fresh server child process on 127.0.0.1, ${context.warmupSeconds} s of warm-up, then ${context.durationSeconds} s measured with autocannon (${context.connections} keep-alive connections, no pipelining) from the parent process; ${context.passes} pass(es), the scenario order reversed on every other pass. Requests per second count the successful responses the server finished in the window. CPU per request is the server process's own \`process.cpuUsage()\` (user + system, every thread) over the measured window divided by the responses it finished in that window. Ratios pair runs of the same pass, then average over passes.

## Machine

${context.machine.map((l) => `- ${l}`).join('\n')}

## Versions

${Object.entries(context.versions)
  .map(([name, version]) => `- ${name} ${version}`)
  .join('\n')}

## Targets and results

${markdownTable(
  ['target', 'required', 'measured', 'result'],
  targets.map((t) => [
    t.target,
    t.required,
    t.measured,
    t.pass === null ? 'NOT MEASURED' : t.pass ? 'PASS' : 'MISS',
  ]),
)}

Where a target is missed, [FINDINGS.md](./FINDINGS.md) (written by hand from \`--cpu-prof\` profiles) says why and what would fix it.

Reference CPU per request measured earlier on this kind of machine (when the targets were set) beside this run:

${markdownTable(['scenario', 'earlier (us/req)', 'this run (us/req)'], reference)}

${context.bundle === null ? '' : `${renderBundleSection(context.bundle, context.finishedAt)}\n\n`}${propagation === null ? '' : `${renderPropagationSection(propagation)}\n\n`}## Summary (mean over passes)

${markdownTable(header, rows)}

Caveats: for \`postgres\`, "CPU us/req" is the Node process only and "DB CPU us/req" the PostgreSQL backends serving its pool (not included in the ratios); for \`redis\`, "DB CPU us/req" is the redis-server process (included in the two Redis targets' ratios, not in the table's); PGlite runs inside the Node process, so its CPU is all in "CPU us/req". For \`mongo\` ("measured on FerretDB"), "DB CPU us/req" is the test bed's FerretDB 1.24 process (SQLite handler; not included in the ratios), which uses no index to find documents (a read costs in proportion to its collection): those numbers are FerretDB's, not MongoDB's. Pre-created authorization codes and refresh tokens, and every token issued during the run, stay in the store, so the memory and PGlite scenarios' peak RSS includes them. oidc-provider 9 prints "Unsupported runtime" on Node 20 but answers correctly (see the probes below). Latency percentiles have autocannon's 1 ms resolution.

${adapterLine}${es256Line}
"CPU x floor" compares with \`floor-token\` for RS256 token-endpoint scenarios, with \`diag-floor-token-es256\` for ES256 ones, and with \`floor-verify\` for introspection and the bearer guard (\`diag-fetch-adapter\` with \`diag-bare-http\`). "CPU x <peer>" is below 1 when the scenario needs less CPU per request than the peer.

${persistenceMarkdown(records)}${worstCaseMarkdown(worstCase)}## Every run

${markdownTable(['pass', '#', 'scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'DB CPU us/req', 'peak RSS MiB', 'responses', 'failures', 'error / note / first failure'], runRows)}

## Scenarios, and what one probe request before each run returned

${scenarios
  .map((s) => {
    const sample = records.find((r) => r.scenarioId === s.id && r.sample !== null)?.sample;
    return `- \`${s.id}\`: ${s.label}${sample === undefined ? '' : `. Probe: ${sample}`}`;
  })
  .join('\n')}
`;
}
