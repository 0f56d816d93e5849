import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPGliteStore, PGLITE_LOCK_FILE, PGliteLockedError } from '../src/index.js';

// The holder imports the built package (dist), as an application does; turbo builds it first.
const HOLDER = join(import.meta.dirname, 'lock', 'holder.mjs');

let root: string;
let dataDir: string;
let lockFile: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'passport-pglite-lock-'));
  dataDir = join(root, 'pglite');
  lockFile = join(dataDir, PGLITE_LOCK_FILE);
  // Create and migrate the database once: later opens skip initdb.
  await (await createPGliteStore({ dataDir })).close();
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

interface Holder {
  child: ChildProcess;
  /** The first line the holder printed, parsed. */
  result: { opened: boolean; code?: string; pid?: number; message?: string };
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Asks it to close the store; resolves once it did. */
  close(): Promise<void>;
}

/** Starts a holder process on `dir` and waits for its first line. */
function startHolder(dir: string): Promise<Holder> {
  const child = spawn(process.execPath, [HOLDER, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stdout = '';
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the holder printed nothing within 60 s: ${stderr}`));
    }, 60_000);
    const onData = (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve({
        child,
        result: JSON.parse(stdout.slice(0, newline)),
        exited,
        close: async () => {
          const closed = new Promise<void>((done) =>
            child.stdout?.on('data', (more: string) => {
              if (more.includes('closed')) done();
            }),
          );
          child.stdin?.write('close\n');
          await closed;
          await exited;
        },
      });
    };
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (stdout.indexOf('\n') < 0) reject(new Error(`the holder exited with ${code}: ${stderr}`));
    });
  });
}

describe('the PGlite data directory lock', () => {
  it('refuses a second process while the first holds the directory, naming the holder', async () => {
    const first = await startHolder(dataDir);
    try {
      expect(first.result).toEqual({ opened: true });
      expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(first.child.pid);

      // another process
      const second = await startHolder(dataDir);
      expect(second.result).toMatchObject({ opened: false, code: 'ERR_STORE_LOCKED', pid: first.child.pid });
      expect(await second.exited).toBe(1);

      // this process
      const refused = await createPGliteStore({ dataDir }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PGliteLockedError);
      const error = refused as PGliteLockedError;
      expect(error.code).toBe('ERR_STORE_LOCKED');
      expect(error.pid).toBe(first.child.pid);
      expect(error.dataDir).toBe(dataDir);
      expect(error.message).toContain(
        `The PGlite database in ${dataDir} is in use by process ${first.child.pid}`,
      );
      expect(error.message).toContain('Stop that process, or make the change through it');
      expect(error.message).not.toContain('\n');
      // the refused opener leaves the holder's lock alone
      expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(first.child.pid);
    } finally {
      await first.close();
    }
  }, 120_000);

  it('releases the lock on close, so the next process opens the directory', async () => {
    const first = await startHolder(dataDir);
    expect(first.result.opened).toBe(true);
    await first.close();
    expect(existsSync(lockFile)).toBe(false);

    const store = await createPGliteStore({ dataDir });
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(process.pid);
    // held by this process: a child is refused, then let in after close
    const refused = await startHolder(dataDir);
    expect(refused.result).toMatchObject({ opened: false, code: 'ERR_STORE_LOCKED', pid: process.pid });
    await store.close();
    expect(existsSync(lockFile)).toBe(false);
    const next = await startHolder(dataDir);
    expect(next.result.opened).toBe(true);
    await next.close();
  }, 120_000);

  it('keeps what the holder wrote: the refused process changed nothing', async () => {
    const store = await createPGliteStore({ dataDir });
    const now = new Date();
    await store.createClient({
      id: crypto.randomUUID(),
      ownerId: null,
      name: 'Written by the holder',
      secretHash: null,
      provider: null,
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: null,
      confidential: true,
      firstParty: false,
      resourceServer: false,
      revoked: false,
      createdAt: now,
      updatedAt: now,
    });
    const refused = await startHolder(dataDir);
    expect(refused.result.opened).toBe(false);
    await store.close();
    const reopened = await createPGliteStore({ dataDir });
    try {
      expect((await reopened.listClients()).map((client) => client.name)).toContain('Written by the holder');
    } finally {
      await reopened.close();
    }
  }, 120_000);

  it('takes over the lock of a killed process', async () => {
    const killed = await startHolder(dataDir);
    expect(killed.result.opened).toBe(true);
    killed.child.kill('SIGKILL');
    await killed.exited;
    // the lock file outlives the process that held it
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(killed.child.pid);

    const store = await createPGliteStore({ dataDir });
    try {
      expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(process.pid);
      expect(await store.listClients()).toBeInstanceOf(Array);
    } finally {
      await store.close();
    }
    expect(existsSync(lockFile)).toBe(false);
  }, 120_000);

  it('takes over an empty or unreadable lock file', async () => {
    await writeFile(lockFile, '');
    const store = await createPGliteStore({ dataDir });
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(process.pid);
    await store.close();
  }, 60_000);

  it('locks nothing for a database that is not on the file system: two memory:// stores open at once', async () => {
    const first = await createPGliteStore({ dataDir: 'memory://', migrate: false });
    const second = await createPGliteStore({ dataDir: 'memory://', migrate: false });
    expect(existsSync(join(process.cwd(), 'memory:'))).toBe(false);
    await first.close();
    await second.close();
  });
});
