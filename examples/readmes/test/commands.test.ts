/// <reference types="node" />
/**
 * The `passport` commands of the READMEs run as written, from where each README says.
 *
 * Every line of a ```sh block that runs the command is run by bash, in order, in one scratch
 * directory per README, and must exit 0 (a `--json` line must print JSON and nothing else):
 *
 * - `pnpm passport ...` (the root and demo READMEs: "at the repository root"): the scratch
 *   directory stands for the repository root. A `pnpm` shell function adds `--dir <this checkout>`,
 *   so pnpm runs this checkout's `passport` script while relative paths land in the scratch
 *   directory (the script runs the CLI where pnpm was started, `INIT_CWD`). Nothing is written into
 *   the checkout.
 * - `npx passport ...` (the @passport/cli README: "in your app's directory, after npm install
 *   @passport/cli"): the scratch directory is such an app, with @passport/cli linked into its
 *   node_modules as npm would install it.
 *
 * What a README's commands take as given is made first (the demo's keys and database). Lines that
 * run anything else (installing, starting the demo) are listed once with the reason they are not
 * run here.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeyFiles } from '@passport/cli';
import { createPGliteStore } from '@passport/store-postgres';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The lines of the ```sh blocks of a markdown file (fences may be indented, in a list item). */
function shellLines(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const commands: string[] = [];
  let inside = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (!inside && /^```(sh|bash|shell)$/.test(line)) inside = true;
    else if (inside && line.startsWith('```')) inside = false;
    else if (inside && line !== '' && !line.startsWith('#')) commands.push(line);
  }
  return commands;
}

interface Readme {
  path: string;
  /** How the README runs the command. */
  runs: 'pnpm passport' | 'npx passport';
  /** What the commands take as given, made in the scratch directory first. */
  world?: (dir: string) => Promise<void>;
}

const readmes: Readme[] = [
  { path: 'README.md', runs: 'pnpm passport' },
  {
    path: 'examples/demo/README.md',
    runs: 'pnpm passport',
    // the demo's data as its first start leaves it (keys, migrated PGlite), the demo stopped
    world: async (dir) => {
      await writeKeyFiles(join(dir, '.passport-demo', 'keys'));
      await (await createPGliteStore({ dataDir: join(dir, '.passport-demo', 'pglite') })).close();
    },
  },
  {
    path: 'packages/cli/README.md',
    runs: 'npx passport',
    // an app that ran `npm install @passport/cli`
    world: async (dir) => {
      mkdirSync(join(dir, 'node_modules', '@passport'), { recursive: true });
      mkdirSync(join(dir, 'node_modules', '.bin'));
      symlinkSync(join(root, 'packages', 'cli'), join(dir, 'node_modules', '@passport', 'cli'));
      symlinkSync('../@passport/cli/dist/bin.js', join(dir, 'node_modules', '.bin', 'passport'));
      writeFileSync(
        join(dir, 'package.json'),
        `${JSON.stringify({ name: 'app', private: true, dependencies: { '@passport/cli': '*' } })}\n`,
      );
    },
  },
];

/** Why a line that is not a `passport` command is not run here. */
function notRunBecause(line: string): string {
  if (line.includes(' demo')) return 'installs and starts the demo server: its own tests start it';
  if (line.includes(' test')) return 'runs every test: this suite is part of it';
  return 'not a passport command';
}

/** A shell without the settings of the machine running the tests. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key === 'INIT_CWD' || key.startsWith('PASSPORT_')) continue;
    if (key.startsWith('npm_') || key.startsWith('TURBO_')) continue;
    env[key] = value;
  }
  return env;
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd, env: cleanEnv(), timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
          stdout,
          stderr,
        });
      },
    );
  });
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe.each(readmes)('the passport commands of $path', (readme) => {
  const lines = shellLines(join(root, readme.path));
  const runnable = lines.filter((line) => line.startsWith(`${readme.runs} `));
  const dir = mkdtempSync(join(tmpdir(), 'passport-readme-commands-'));
  scratch.push(dir);

  it('has passport commands, and says why it runs none of the others', async () => {
    expect(runnable.length).toBeGreaterThan(0);
    const others = lines.filter((line) => !runnable.includes(line));
    for (const line of others)
      console.log(`[readme commands] ${readme.path}: not run: ${line} (${notRunBecause(line)})`);
    await readme.world?.(dir);
  });

  it.each(runnable)('runs: %s', async (line) => {
    const shim =
      readme.runs === 'pnpm passport' ? `pnpm() { command pnpm --dir ${JSON.stringify(root)} "$@"; }\n` : '';
    const result = await bash(`set -e\n${shim}${line}\n`, dir);
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    expect(result.stdout).not.toBe('');
    if (/ --json\b/.test(line)) expect(() => JSON.parse(result.stdout), result.stdout).not.toThrow();
  });
});
