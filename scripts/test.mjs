#!/usr/bin/env node
// `pnpm test`: the test bed (scripts/services.sh start: installs and starts the servers the
// suites use), lint, then type-check, build, publint and every test through turbo, then one
// summary line over every package's vitest JSON report. Exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'examples', '.']
  .flatMap((d) =>
    d === '.'
      ? ['bench']
      : existsSync(join(root, d))
        ? readdirSync(join(root, d)).map((n) => join(d, n))
        : [],
  )
  .map((d) => join(root, d))
  .filter((d) => existsSync(join(d, 'package.json')));

for (const dir of dirs) rmSync(join(dir, 'test-results'), { recursive: true, force: true });

function run(cmd, args) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  return spawnSync(cmd, args, { stdio: 'inherit', cwd: root }).status ?? 1;
}

const inCI = process.env.CI === 'true' || process.env.CI === '1';
const bed = run('bash', ['scripts/services.sh', 'start']);
if (bed !== 0) {
  console.log(
    inCI
      ? 'The test bed is incomplete (see above): under CI=true the suites that need a missing service fail.'
      : 'The test bed is incomplete (see above): the suites that need a missing service print why they skip.',
  );
}

let status = run('pnpm', ['exec', 'biome', 'check', '.']);
if (status === 0) {
  status = run('pnpm', [
    'exec',
    'turbo',
    'run',
    'typecheck',
    'build',
    'test',
    'publint',
    '--continue',
    '--concurrency=2',
  ]);
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const dir of dirs) {
  const file = join(dir, 'test-results', 'vitest.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A test file that fails before its tests run (an import or a top-level await that throws)
  // has no failed test of its own: count it once, so the summary cannot read "0 failed".
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) {
      failed += 1;
      failures.push(
        `${dir.slice(root.length)}: ${suite.name.slice(dir.length + 1)} did not run: ${(suite.message ?? '').split('\n')[0]}`,
      );
    }
  }
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'failed') failures.push(`${dir.slice(root.length)}: ${t.fullName}`);
    }
  }
}
if (failures.length > 0) console.log(`\nFailed tests:\n  ${failures.join('\n  ')}`);
console.log(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (status !== 0 && failed === 0)
  console.log('A lint, type-check, build or publint step failed: see the output above.');
process.exit(status !== 0 || failed > 0 || (inCI && bed !== 0) ? 1 : 0);
