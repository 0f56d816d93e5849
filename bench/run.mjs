#!/usr/bin/env node
// `pnpm bench`: builds the packages the benchmark imports (through turbo, cached), builds the
// harness, then runs it with the given flags. `--no-build` skips the build step.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const skipBuild = args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');

if (!skipBuild) {
  const build = spawnSync(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@passport/bench...',
      '--output-logs=errors-only',
      '--concurrency=2',
    ],
    { cwd: here, stdio: 'inherit' },
  );
  if (build.status !== 0) {
    console.error('bench: building the workspace packages failed (see above).');
    process.exit(build.status ?? 1);
  }
}
process.argv = [process.argv[0] ?? 'node', fileURLToPath(new URL('./dist/cli.js', import.meta.url)), ...rest];
await import('./dist/cli.js');
