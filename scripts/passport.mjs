#!/usr/bin/env node
// `pnpm passport <command> ...` at the repository root: the workspace's own `passport` command
// (@passport/cli), where `npx passport` would fetch an unrelated npm package. Builds the CLI and
// the packages it imports when their sources changed (turbo; its output is shown only when the
// build fails, so stdout is the command's own, e.g. for --json), then runs the built bin in the
// directory pnpm was started from (INIT_CWD), so relative paths mean what they say.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const turbo = createRequire(import.meta.url).resolve('turbo/bin/turbo');
const build = spawnSync(
  process.execPath,
  [turbo, 'run', 'build', '--filter=@passport/cli...', '--output-logs=errors-only'],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
);
if (build.status !== 0) {
  process.stderr.write(`${build.stdout ?? ''}${build.stderr ?? ''}`);
  process.stderr.write('passport: building @passport/cli failed (see above)\n');
  process.exit(1);
}
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by pnpm for this script, no turbo task reads it
process.chdir(process.env.INIT_CWD || process.cwd());
await import('../packages/cli/dist/bin.js');
