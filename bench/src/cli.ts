/**
 * `pnpm bench`: runs the benchmark, prints the summary table and writes bench/RESULTS.md.
 *
 * @example
 * pnpm bench                                   # full run: every scenario, 2 passes of 3 s + 10 s
 * pnpm bench --duration 2 --warmup 1 --passes 1 --scenarios 'floor-*,passport-memory-*'
 * pnpm bench --propagation-only               # revocation propagation between two instances
 *
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type BundleSize,
  bundleTargets,
  measureWorkerBundle,
  renderBundleSection,
  withBundleSection,
} from './bundle.js';
import { type BenchOptions, runBench } from './harness.js';
import {
  type PropagationReport,
  type PropagationStore,
  propagationSectionOf,
  propagationTargets,
  renderPropagationSection,
  runPropagation,
  withPropagationSection,
} from './propagation.js';
import {
  consoleTable,
  evaluateTargets,
  machineInfo,
  packageVersions,
  renderMarkdown,
  summarize,
  summaryRows,
  worstCaseConsole,
} from './report.js';
import { SCENARIOS, selectScenarios } from './scenarios.js';
import { runWorstCase, type WorstCaseReport } from './worst-case.js';

const HELP = `Usage: pnpm bench [options]

  --duration <s>        measured seconds per run (default 10)
  --warmup <s>          warm-up seconds per run (default 3)
  --passes <n>          passes over every scenario, odd passes reversed (default 2)
  --connections <n>     autocannon connections (default 16)
  --scenarios <list>    comma-separated ids or prefixes ending in * (default: all)
  --database-url <url>  PostgreSQL for the postgres store (default $DATABASE_URL or
                        postgres://postgres@127.0.0.1:5432/test)
  --redis-url <url>     Redis for the redis store (default $REDIS_URL or redis://127.0.0.1:6379)
  --mongodb-url <url>   MongoDB wire-protocol server for the mongo store (default $MONGODB_URL or
                        mongodb://127.0.0.1:27017, the test bed's FerretDB)
  --worst-case-rounds <n>  rounds over the hostile corpus of the worst-case scenario (default 3)
  --worst-case-repeat <n>  measured requests per hostile case and round (default 40)
  --single-use-rate <n> req/s bound used to size pre-created codes and refresh tokens (default per
                        store: memory 6000, postgres 2000, pglite 800, redis 3000, mongo 20)
  --out <file>          where to write the markdown report (default bench/RESULTS.md for a full run:
                        duration >= 10 and passes >= 2; shorter runs only print unless --out is given)
  --json <file>         also write every run record as JSON
  --note <text>         a caveat printed at the top of the report
  --cpu-prof <dir>      run every server under node --cpu-prof, profiles in <dir>
  --bundle-only         only the edge bundle step: bundle core + http + memory store for a Worker,
                        print its minified and gzipped size, and update that section of
                        bench/RESULTS.md (or --out)
  --propagation-only    only the propagation scenario: two instances per store (PostgreSQL, Redis, Mongo)
                        share it; a token is revoked on one and the other polled until it refuses
                        it; prints p50 / p99 / max and updates that section of bench/RESULTS.md
                        (or --out). Part of every full run without --scenarios
  --propagation-trials <n>  trials per store (default 100)
  --propagation-stores <list>  comma-separated: postgres, redis, mongo (default all)
  --list                list scenario ids and exit
  --help                this text`;

function numberOption(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new TypeError(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      passes: { type: 'string' },
      connections: { type: 'string' },
      scenarios: { type: 'string' },
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      'mongodb-url': { type: 'string' },
      'single-use-rate': { type: 'string' },
      'worst-case-rounds': { type: 'string' },
      'worst-case-repeat': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      note: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'bundle-only': { type: 'boolean' },
      'propagation-only': { type: 'boolean' },
      'propagation-trials': { type: 'string' },
      'propagation-stores': { type: 'string' },
      list: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    allowPositionals: false,
  });
  if (values.help === true) {
    console.log(HELP);
    return;
  }
  if (values.list === true) {
    for (const s of SCENARIOS) console.log(`${s.id.padEnd(34)} ${s.label}`);
    return;
  }
  const benchDir = fileURLToPath(new URL('..', import.meta.url));
  const resultsFile = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
  if (values['bundle-only'] === true) {
    const size = await measureWorkerBundle(benchDir);
    printBundle(size);
    const out = values.out ?? resultsFile;
    const current = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmark results\n';
    writeFileSync(out, withBundleSection(current, renderBundleSection(size, new Date())));
    console.log(`\nBundle section written to ${out}`);
    if (bundleTargets(size).some((t) => t.pass === false)) process.exitCode = 1;
    return;
  }
  const databaseUrl =
    values['database-url'] ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = values['redis-url'] ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const mongodbUrl = values['mongodb-url'] ?? process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017';
  const propagationOptions = {
    stores: propagationStores(values['propagation-stores']),
    trials: Math.max(1, Math.floor(numberOption(values['propagation-trials'], 100, 'propagation-trials'))),
    databaseUrl,
    redisUrl,
    mongodbUrl,
    log: (line: string) => process.stderr.write(`${line}\n`),
  };
  if (values['propagation-only'] === true) {
    const report = await runPropagation(propagationOptions);
    printPropagation(report);
    const out = values.out ?? resultsFile;
    const current = existsSync(out) ? readFileSync(out, 'utf8') : '# Benchmark results\n';
    writeFileSync(out, withPropagationSection(current, renderPropagationSection(report)));
    console.log(`\nPropagation section written to ${out}`);
    if (propagationTargets(report).some((t) => t.pass !== true)) process.exitCode = 1;
    return;
  }
  const scenarios = selectScenarios(
    values.scenarios
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? null,
  );
  const options: BenchOptions = {
    scenarios,
    durationSeconds: numberOption(values.duration, 10, 'duration'),
    warmupSeconds: numberOption(values.warmup, 3, 'warmup'),
    passes: Math.max(1, Math.floor(numberOption(values.passes, 2, 'passes'))),
    connections: Math.max(1, Math.floor(numberOption(values.connections, 16, 'connections'))),
    databaseUrl,
    redisUrl,
    mongodbUrl,
    singleUseRate:
      values['single-use-rate'] === undefined
        ? null
        : numberOption(values['single-use-rate'], 0, 'single-use-rate'),
    cpuProfileDir: values['cpu-prof'] ?? null,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const quote = (arg: string) => (/^[\w@%+=:,./*-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);
  const command = ['pnpm bench', ...process.argv.slice(2).map(quote)].join(' ');
  const loadAtStart = os.loadavg();
  const startedAt = new Date();
  const bundle = await measureWorkerBundle(benchDir);
  printBundle(bundle);
  const records = await runBench(options);
  let worstCase: WorstCaseReport | null = null;
  if (scenarios.some((s) => s.family === 'worst-case')) {
    options.log('worst-case ...');
    worstCase = await runWorstCase({
      rounds: Math.max(1, Math.floor(numberOption(values['worst-case-rounds'], 3, 'worst-case-rounds'))),
      repeat: Math.max(1, Math.floor(numberOption(values['worst-case-repeat'], 40, 'worst-case-repeat'))),
      log: options.log,
    });
  }
  // The propagation scenario belongs to the full run (not to runs of chosen scenarios).
  let propagation: PropagationReport | null = null;
  if (values.scenarios === undefined) {
    propagation = await runPropagation(propagationOptions);
    printPropagation(propagation);
  }
  const finishedAt = new Date();

  const { header, rows } = summaryRows(summarize(records, scenarios));
  console.log(`\n${consoleTable(header, rows)}\n`);
  if (worstCase !== null) console.log(`${worstCaseConsole(worstCase)}\n`);
  for (const t of [
    ...evaluateTargets(records, worstCase),
    ...bundleTargets(bundle),
    ...propagationTargets(propagation),
  ]) {
    const verdict = t.pass === null ? 'NOT MEASURED' : t.pass ? 'PASS' : 'MISS';
    console.log(`${verdict.padEnd(12)} ${t.target}: ${t.measured} (required ${t.required})`);
  }

  const full = options.durationSeconds >= 10 && options.passes >= 2;
  const out = values.out ?? (full ? resultsFile : null);
  if (out !== null) {
    // A run without the propagation scenario keeps the section an earlier run wrote.
    const earlier =
      propagation === null && existsSync(out) ? propagationSectionOf(readFileSync(out, 'utf8')) : null;
    const markdown = renderMarkdown(
      records,
      scenarios,
      {
        command,
        startedAt,
        finishedAt,
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        passes: options.passes,
        connections: options.connections,
        machine: machineInfo(loadAtStart),
        versions: packageVersions(),
        note: values.note ?? null,
        bundle,
        propagation,
      },
      worstCase,
    );
    writeFileSync(out, earlier === null ? markdown : withPropagationSection(markdown, earlier));
    console.log(`\nReport written to ${out}`);
  } else {
    console.log('\nShort run: report not written (pass --out <file> to write one).');
  }
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(records, null, 2)}\n`);
  if (records.length > 0 && records.every((r) => r.error !== null)) process.exitCode = 1;
  if (worstCase?.error) process.exitCode = 1;
}

/** The stores of `--propagation-stores` (default: PostgreSQL and Redis). */
function propagationStores(value: string | undefined): PropagationStore[] {
  if (value === undefined) return ['postgres', 'redis', 'mongo'];
  const stores = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const store of stores) {
    if (store !== 'postgres' && store !== 'redis' && store !== 'mongo') {
      throw new TypeError(`--propagation-stores takes postgres, redis and mongo, not "${store}"`);
    }
  }
  return stores as PropagationStore[];
}

function printPropagation(report: PropagationReport): void {
  for (const t of propagationTargets(report)) {
    console.log(
      `${(t.pass ? 'PASS' : 'MISS').padEnd(12)} ${t.target}: ${t.measured} (required ${t.required})`,
    );
  }
}

function printBundle(size: BundleSize): void {
  console.log(
    `Edge bundle (core + http + memory store, Worker): ${size.minifiedBytes} bytes minified, ${size.gzipBytes} bytes gzipped`,
  );
  for (const [name, bytes] of size.byPackage) console.log(`  ${name.padEnd(28)} ${bytes}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
