/// <reference types="node" />
/**
 * Every JavaScript and TypeScript example of every package README (and the root README) runs.
 *
 * Each ```js / ```ts block is compiled with esbuild (types stripped, nothing bundled), written
 * into `.snippets/` of this package, where `@passport/*` resolve to the built packages exactly as
 * they would for a user, and run with Node in a scratch working directory. A block passes when it
 * runs to its end without throwing (servers it starts are stopped at that point). Snippets that
 * continue a README's story use names the README introduces in prose (`passport`, `user`, `db`,
 * ...): the README's "world" in `test/worlds/` makes those, and is imported first. The
 * store-testkit README's examples register vitest suites, so they run under vitest: the memory
 * store's example runs the whole kit, the PostgreSQL one the `clients` tests. Examples that
 * need PostgreSQL get a scratch database on the test bed's server, dropped afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireService, services } from '@passport/test-bed';
import { transform } from 'esbuild';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const snippets = join(packageDir, '.snippets');

/** One runnable block of a README. */
interface Block {
  lang: 'js' | 'ts';
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The ```js and ```ts blocks of a markdown file, in order. */
function codeBlocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(js|ts)\s*$/.exec(lines[i] as string);
    if (open === null) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    blocks.push({ lang: open[1] as 'js' | 'ts', code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

interface Readme {
  /** Path from the repository root. */
  path: string;
  /** The world module of `test/worlds/` the README's snippets continue from, if any. */
  world?: string;
  /** The blocks need PostgreSQL (a scratch database is passed as `DATABASE_URL`). */
  postgres?: boolean;
  /**
   * The blocks run under vitest (they import the kit, which needs it); those that register the
   * conformance suites run only the tests whose names match this filter.
   */
  vitest?: string;
  /** A piece of code of the block that registers the whole kit, run without the filter. */
  wholeKit?: string;
  /** What a block must print (its `console.log` comments), found by a piece of its code. */
  prints?: { block: string; output: RegExp }[];
}

const readmes: Readme[] = [
  {
    path: 'README.md',
    world: 'root',
    prints: [{ block: "grantTypes: ['client_credentials']", output: /^true \[ 'orders:read' \]$/m }],
  },
  {
    path: 'packages/core/README.md',
    world: 'core',
    prints: [{ block: "grantTypes: ['client_credentials']", output: /^true \[ 'orders:read' \]$/m }],
  },
  {
    path: 'packages/http/README.md',
    world: 'http',
    prints: [{ block: 'actingAs(api, user', output: /^200\n401$/m }],
  },
  { path: 'packages/store-memory/README.md' },
  { path: 'packages/store-postgres/README.md', postgres: true },
  {
    path: 'packages/store-testkit/README.md',
    postgres: true,
    vitest: ' clients ',
    wholeKit: "name: 'memory'",
  },
  { path: 'packages/cli/README.md', world: 'cli' },
];

/** 32+ characters, as `createPassportHandler` requires. */
const PASSPORT_SECRET = 'readme-examples-secret-of-at-least-32-characters';

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: 150_000, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({
          code,
          stdout,
          stderr: error !== null && code === 1 ? `${error.message}\n${stderr}` : stderr,
        });
      },
    );
  });
}

let scratchDatabase: string | null = null;
let databaseUrl: string | null = null;

beforeAll(async () => {
  rmSync(snippets, { recursive: true, force: true });
  mkdirSync(snippets, { recursive: true });
  if (await requireService('postgres')) {
    const admin = new pg.Client({ connectionString: services.postgres.url });
    await admin.connect();
    scratchDatabase = `readme_examples_${crypto.getRandomValues(new Uint32Array(1))[0]}`;
    await admin.query(`CREATE DATABASE ${scratchDatabase}`);
    await admin.end();
    const url = new URL(services.postgres.url);
    url.pathname = `/${scratchDatabase}`;
    databaseUrl = url.toString();
  }
});

afterAll(async () => {
  rmSync(snippets, { recursive: true, force: true });
  if (scratchDatabase !== null) {
    const admin = new pg.Client({ connectionString: services.postgres.url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${scratchDatabase} WITH (FORCE)`);
    await admin.end();
  }
});

describe.each(readmes)('$path', (readme) => {
  const blocks = codeBlocks(join(root, readme.path));

  it('has examples, and one for each expected output', () => {
    expect(blocks.length).toBeGreaterThan(0);
    for (const { block } of readme.prints ?? []) {
      expect(
        blocks.some((b) => b.code.includes(block)),
        block,
      ).toBe(true);
    }
  });

  it.each(blocks.map((block, index) => ({ ...block, index })))(
    'runs the example at line $line',
    async ({ lang, code, index }) => {
      if (readme.postgres === true && databaseUrl === null) {
        console.log(`[readmes] ${readme.path}:${index}: skipped, PostgreSQL is not running`);
        return;
      }
      const name = `${readme.path.replaceAll('/', '_')}-${index}`;
      const compiled = (await transform(code, { loader: lang, format: 'esm', target: 'node20' })).code;
      const world = readme.world === undefined ? '' : `import '../test/worlds/${readme.world}.mjs';\n`;
      const cwd = mkdtempSync(join(tmpdir(), 'passport-readme-'));
      const env: NodeJS.ProcessEnv = { ...process.env, PASSPORT_SECRET, NO_COLOR: '1' };
      if (databaseUrl !== null) env.DATABASE_URL = databaseUrl;
      try {
        let result: { code: number; stdout: string; stderr: string };
        if (readme.vitest !== undefined) {
          const file = join(snippets, `${name}.test.mjs`);
          const registers = code.includes('runStoreConformance(');
          // A block that registers no suite still runs inside vitest, as one test that it ran.
          const ran = registers
            ? ''
            : "\nimport { test as exampleRan } from 'vitest';\nexampleRan('the example ran', () => {});\n";
          writeFileSync(file, `${world}${compiled}${ran}`);
          const whole = readme.wholeKit !== undefined && code.includes(readme.wholeKit);
          const filter = registers && !whole ? ['-t', readme.vitest] : [];
          result = await run(
            process.execPath,
            [
              join(packageDir, 'node_modules', 'vitest', 'vitest.mjs'),
              'run',
              '--config',
              join(packageDir, 'vitest.snippets.config.ts'),
              '--root',
              packageDir,
              ...filter,
              file,
            ],
            { cwd: packageDir, env },
          );
          expect(result.stdout, result.stderr).toMatch(/Tests\s+.*\d+ passed/);
          if (whole) {
            // the whole kit is hundreds of tests; the filtered groups are a few dozen
            const passed = Number(/Tests\s+[^\n]*?(\d+) passed/.exec(result.stdout)?.[1] ?? 0);
            expect(passed, result.stdout.slice(-2000)).toBeGreaterThan(200);
          }
        } else {
          const file = join(snippets, `${name}.mjs`);
          // Ending the process once the example has run stops any server it started.
          writeFileSync(file, `${world}${compiled}\nprocess.exit(0);\n`);
          result = await run(process.execPath, [file], { cwd, env });
        }
        expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
          code: 0,
          stderr: '',
        });
        for (const { block, output } of readme.prints ?? []) {
          if (code.includes(block)) expect(result.stdout).toMatch(output);
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    },
  );
});
