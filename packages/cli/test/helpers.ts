import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireService, services } from '@passport/test-bed';
import pg from 'pg';

/** The built bin (run `npx tsup` first; `pnpm test` builds it through turbo). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** What a run of the bin produced. */
export interface BinResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `passport ...args` as a child process with stdin closed (not a terminal), so a prompt
 * would fail rather than hang; a run still going after `timeoutMs` is killed and fails the test.
 */
export function runBin(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number },
): Promise<BinResult> {
  return new Promise((resolve, reject) => {
    // only what the test gives: never the database or keys of the machine running the tests
    const isolated = (key: string) => key === 'DATABASE_URL' || key.startsWith('PASSPORT_');
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !isolated(key)) env[key] = value;
    }
    for (const [key, value] of Object.entries(options.env ?? {})) {
      if (value !== undefined) env[key] = value;
    }
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`passport ${args.join(' ')} did not finish within ${options.timeoutMs ?? 20_000} ms`));
    }, options.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'passport-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The PostgreSQL server of the test bed (`DATABASE_URL` overrides it). */
export const PG_ADMIN_URL = services.postgres.url;

/**
 * A throwaway database on the real server for one test file: `url` points at it, `drop` removes
 * it. `null` (with the reason) when the server cannot be reached.
 */
export async function createTestDatabase(): Promise<
  { url: string; drop: () => Promise<void> } | { url: null; reason: string }
> {
  if (!(await requireService('postgres'))) {
    return { url: null, reason: `PostgreSQL at ${PG_ADMIN_URL} is not running` };
  }
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (error) {
    return { url: null, reason: `PostgreSQL at ${PG_ADMIN_URL} is unreachable: ${(error as Error).message}` };
  }
  const name = `passport_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Asserts-friendly check that stderr is exactly one line and carries no stack trace. */
export function isOneLine(stderr: string): boolean {
  return stderr.endsWith('\n') && stderr.trimEnd().split('\n').length === 1 && !/\n\s+at /.test(stderr);
}

/**
 * A separate process holding the PGlite directory `dataDir` open, as a running server does
 * (through `createPGliteStore`, which locks it); `release()` closes it and waits for the exit.
 */
export function holdPGlite(dataDir: string): Promise<{ pid: number; release(): Promise<void> }> {
  const script = fileURLToPath(new URL('./fixtures/hold-pglite.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (!chunk.includes('ready')) return;
      resolve({
        pid: child.pid as number,
        release: async () => {
          child.stdin?.end('close\n');
          await exited;
        },
      });
    });
    child.once('exit', (code) => reject(new Error(`the holder exited with ${code}: ${stderr}`)));
  });
}

/**
 * Opens the PGlite directory a CLI run left behind (the CLI has exited, so nothing else holds it)
 * and hands its store to `fn`.
 */
export async function withPGliteStore<T>(
  dataDir: string,
  fn: (store: import('@passport/store-postgres').PostgresStore) => Promise<T>,
): Promise<T> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PostgresStore, pgliteDriver } = await import('@passport/store-postgres');
  const db = await PGlite.create({ dataDir });
  const store = new PostgresStore(pgliteDriver(db));
  try {
    return await fn(store);
  } finally {
    await db.close();
  }
}
