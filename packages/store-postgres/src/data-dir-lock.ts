import { PassportError, type PassportErrorOptions } from '@passport/core';

/**
 * The lock file {@link createPGliteStore} keeps in a PGlite data directory while the store is open.
 * It holds the owner's pid, host name and a random token (JSON).
 */
export const PGLITE_LOCK_FILE = 'passport.lock';

/**
 * The PGlite data directory is open in another live process (code `ERR_STORE_LOCKED`). PGlite
 * runs Postgres inside one process and writes its files back from memory: a second process on the
 * same directory sees none of the first one's changes and overwrites them, so
 * {@link createPGliteStore} refuses instead. Stop the other process, or make the change through it
 * (for a Passport server: its JSON API, or your own code in that process).
 *
 * @example
 * ```ts
 * try {
 *   await createPGliteStore({ dataDir: './.passport-demo/pglite' });
 * } catch (error) {
 *   if (error instanceof PGliteLockedError) console.error(`in use by process ${error.pid}`);
 * }
 * ```
 */
export class PGliteLockedError extends PassportError {
  declare readonly code: 'ERR_STORE_LOCKED';
  /** The data directory. */
  readonly dataDir: string;
  /** The lock file naming the holder (delete it only when no process of that pid uses the directory). */
  readonly lockFile: string;
  /** Process id of the holder, `null` when the lock file cannot be read. */
  readonly pid: number | null;
  /** Host name of the holder (a directory shared between machines), `null` when unknown. */
  readonly host: string | null;

  constructor(
    details: { dataDir: string; lockFile: string; pid: number | null; host: string | null },
    options?: PassportErrorOptions,
  ) {
    const holder =
      details.pid === null
        ? 'another process'
        : `process ${details.pid}${details.host === null ? '' : ` on ${details.host}`}`;
    super(
      'ERR_STORE_LOCKED',
      `The PGlite database in ${details.dataDir} is in use by ${holder}: PGlite allows one process per data directory. Stop that process, or make the change through it (if no such process runs, delete ${details.lockFile})`,
      options,
    );
    this.dataDir = details.dataDir;
    this.lockFile = details.lockFile;
    this.pid = details.pid;
    this.host = details.host;
  }
}

/** A held lock: {@link DataDirLock.release} removes the file if it is still this lock's. */
export interface DataDirLock {
  release(): Promise<void>;
}

/** The part of `node:fs` the lock uses. */
interface NodeFs {
  promises: {
    mkdir(path: string, options: { recursive: true }): Promise<unknown>;
    writeFile(path: string, data: string, options: { flag: 'wx'; mode: number }): Promise<void>;
    readFile(path: string, encoding: 'utf8'): Promise<string>;
    rename(from: string, to: string): Promise<void>;
    link(existing: string, path: string): Promise<void>;
    unlink(path: string): Promise<void>;
  };
  readFileSync(path: string, encoding: 'utf8'): string;
  unlinkSync(path: string): void;
}

/** The part of Node's `process` the lock uses (Node, Bun and Deno have it; browsers do not). */
interface NodeProcess {
  pid: number;
  kill(pid: number, signal: 0): boolean;
  getBuiltinModule?(id: string): unknown;
  on(event: 'exit', listener: () => void): unknown;
  off(event: 'exit', listener: () => void): unknown;
}

/** What the lock file says. */
interface Holder {
  pid: number;
  host: string | null;
  token: string;
}

/**
 * Node's file system, path and process where the runtime has them (Node 20.16+, Bun, Deno), read
 * with `process.getBuiltinModule` so that the package imports no `node:` module; `null` elsewhere.
 */
function nodeRuntime(): {
  fs: NodeFs;
  path: { join(...parts: string[]): string };
  process: NodeProcess;
  host: string | null;
} | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  const path = proc?.getBuiltinModule?.('node:path') as { join(...parts: string[]): string } | undefined;
  if (proc === undefined || fs === undefined || path === undefined) return null;
  const os = proc.getBuiltinModule?.('node:os') as { hostname(): string } | undefined;
  return { fs, path, process: proc, host: os?.hostname() ?? null };
}

/**
 * The file system directory of a PGlite `dataDir`, or `null` when it is not on the file system
 * (`idb://`, `memory://`, `opfs-ahp://` ...).
 */
export function fileSystemDataDir(dataDir: string): string | null {
  if (dataDir.startsWith('file://')) return decodeURIComponent(new URL(dataDir).pathname);
  return dataDir.includes('://') ? null : dataDir;
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown }).code;
}

function parseHolder(text: string): Holder | null {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (!Number.isSafeInteger(value.pid) || typeof value.token !== 'string') return null;
    return {
      pid: value.pid as number,
      host: typeof value.host === 'string' ? value.host : null,
      token: value.token,
    };
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock file of a PGlite data directory (creating the directory), or throws
 * {@link PGliteLockedError} when a live process holds it. A lock whose process is gone (killed,
 * crashed) is taken over. Returns `null` where there is no file system to lock (a browser, an
 * `idb://` directory): PGlite's own storage rules apply there.
 *
 * The lock is an exclusive create (`open(path, 'wx')`) of {@link PGLITE_LOCK_FILE}; a process
 * counts as alive when `kill(pid, 0)` finds it (or it is on another host, which cannot be checked).
 * A stale lock is moved aside before removal and checked to be the one that was read, so two
 * processes taking over one stale lock cannot both win.
 *
 * @internal
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock | null> {
  const directory = fileSystemDataDir(dataDir);
  const runtime = nodeRuntime();
  if (directory === null || runtime === null) return null;
  const { fs, path, process: proc, host } = runtime;
  const lockFile = path.join(directory, PGLITE_LOCK_FILE);
  const own: Holder = { pid: proc.pid, host, token: crypto.randomUUID() };
  const locked = (holder: Holder | null) =>
    new PGliteLockedError({
      dataDir: directory,
      lockFile,
      pid: holder?.pid ?? null,
      host: holder?.host ?? null,
    });

  const isAlive = (holder: Holder): boolean => {
    if (holder.host !== null && host !== null && holder.host !== host) return true;
    if (holder.pid === proc.pid) return true;
    try {
      proc.kill(holder.pid, 0);
      return true;
    } catch (error) {
      return errorCode(error) !== 'ESRCH';
    }
  };

  /** The holder in `path`; `undefined` when the file is gone; `null` when it stays unreadable. */
  const readHolder = async (path: string): Promise<Holder | null | undefined> => {
    // A lock file just created by another process may still be empty: give its write a moment.
    for (let attempt = 0; attempt < 10; attempt++) {
      let text: string;
      try {
        text = await fs.promises.readFile(path, 'utf8');
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return undefined;
        throw error;
      }
      const holder = parseHolder(text);
      if (holder !== null) return holder;
      await sleep(50);
    }
    return null;
  };

  await fs.promises.mkdir(directory, { recursive: true });
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await fs.promises.writeFile(lockFile, JSON.stringify(own), { flag: 'wx', mode: 0o644 });
      return holdLock(fs, proc, lockFile, own.token);
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    const holder = await readHolder(lockFile);
    if (holder === undefined) continue;
    if (holder !== null && isAlive(holder)) throw locked(holder);
    // Stale (its process is gone) or unreadable: move it aside, and remove it only if it is still
    // the file that was judged; a fresh lock taken meanwhile by another process is put back.
    const aside = `${lockFile}.${own.token}`;
    try {
      await fs.promises.rename(lockFile, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') continue;
      throw error;
    }
    const moved = await readHolder(aside);
    if (moved !== undefined && moved !== null && moved.token !== holder?.token) {
      await fs.promises.link(aside, lockFile).catch(() => {});
    }
    await fs.promises.unlink(aside).catch(() => {});
  }
  throw locked(null);
}

function holdLock(fs: NodeFs, proc: NodeProcess, lockFile: string, token: string): DataDirLock {
  const isOurs = (text: string) => parseHolder(text)?.token === token;
  // A process that exits without closing the store (process.exit) still leaves no lock behind.
  const onExit = () => {
    try {
      if (isOurs(fs.readFileSync(lockFile, 'utf8'))) fs.unlinkSync(lockFile);
    } catch {
      // already gone
    }
  };
  proc.on('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      proc.off('exit', onExit);
      try {
        if (isOurs(await fs.promises.readFile(lockFile, 'utf8'))) await fs.promises.unlink(lockFile);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    },
  };
}
