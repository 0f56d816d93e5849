import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PassportOptions, PassportStore } from '@passport/core';
import { CliError, oneLine } from './errors.js';

/**
 * What a `passport.config.{ts,mjs,js}` file exports (as its default export), read by every
 * `passport` command. Build it with {@link defineConfig} for type checking.
 *
 * @example
 * ```js
 * // passport.config.mjs
 * import { defineConfig } from '@passport/cli';
 *
 * export default defineConfig({
 *   database: process.env.DATABASE_URL ?? '.passport-data',
 *   keysPath: 'storage',
 *   options: { grants: { password: true }, scopes: { 'orders:read': 'Read your orders' } },
 * });
 * ```
 */
export interface PassportCliConfig {
  /**
   * The database: a `postgres://` / `postgresql://` URL, a `redis://` / `rediss://` URL (the Redis
   * store; `?prefix=` sets its key prefix), a `mongodb://` / `mongodb+srv://` URL (the Mongo
   * store), or a directory for the embedded PGlite store (relative paths are resolved from the
   * config file's directory). Ignored when `store` is given; overridden by `--database-url`,
   * `--redis-url` and `--mongodb-url`.
   */
  database?: string;
  /**
   * A store built by the host (any {@link PassportStore}), or a function returning one; the CLI
   * calls `close()` on it when done. With a custom store, `passport migrate` runs `migrate`.
   */
  store?: PassportStore | (() => PassportStore | Promise<PassportStore>);
  /** Applies the schema of a custom `store` (used by `passport migrate` and `passport install`). */
  migrate?: () => Promise<void>;
  /**
   * Directory of `oauth-private.key` and `oauth-public.key` (relative to the config file).
   * @default 'storage'
   */
  keysPath?: string;
  /** The issuer URL of the server, used to build the core for client commands. @default 'http://localhost' */
  issuer?: string;
  /** Passport options that matter to the CLI: `grants` (install), `scopes` (client validation). */
  options?: Partial<Omit<PassportOptions, 'store' | 'keys' | 'issuer'>>;
}

/**
 * Identity function that gives a config file type checking and editor completion.
 *
 * @example
 * ```ts
 * export default defineConfig({ database: 'postgres://localhost/app' });
 * ```
 */
export function defineConfig(config: PassportCliConfig): PassportCliConfig {
  return config;
}

/** Config file names looked up in the working directory, in this order. */
export const CONFIG_FILE_NAMES = ['passport.config.ts', 'passport.config.mjs', 'passport.config.js'] as const;

/** A config file that was found and loaded. */
export interface LoadedConfig {
  /** Absolute path of the file, or `null` when there is none. */
  path: string | null;
  /** Directory relative paths are resolved from: the file's, or the working directory. */
  baseDir: string;
  config: PassportCliConfig;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds and imports the config file: `explicitPath` (`--config`) when given, which must exist;
 * otherwise the first of {@link CONFIG_FILE_NAMES} in `cwd`. No file is not an error: the result
 * then has `path: null` and an empty config.
 */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<LoadedConfig> {
  let path: string | null = null;
  if (explicitPath !== undefined) {
    path = resolve(cwd, explicitPath);
    if (!(await isFile(path)))
      throw new CliError('ERR_CLI_CONFIG', `config file ${explicitPath} does not exist`);
  } else {
    for (const name of CONFIG_FILE_NAMES) {
      if (await isFile(resolve(cwd, name))) {
        path = resolve(cwd, name);
        break;
      }
    }
  }
  if (path === null) return { path: null, baseDir: cwd, config: {} };

  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (path.endsWith('.ts') && code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new CliError(
        'ERR_CLI_CONFIG',
        `cannot load ${basename(path)}: Node ${process.version} cannot import TypeScript; use Node 22.18+ (or 22.6+ with NODE_OPTIONS=--experimental-strip-types), or rename it passport.config.mjs`,
      );
    }
    throw new CliError('ERR_CLI_CONFIG', `cannot load ${basename(path)}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  const exported = module.default ?? module.config;
  return { path, baseDir: resolve(path, '..'), config: validateConfig(exported, basename(path)) };
}

function validateConfig(value: unknown, file: string): PassportCliConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(
      'ERR_CLI_CONFIG',
      `${file} must export default an object (use defineConfig from @passport/cli)`,
    );
  }
  const config = value as Record<string, unknown>;
  const known = new Set(['database', 'store', 'migrate', 'keysPath', 'issuer', 'options']);
  for (const key of Object.keys(config)) {
    if (!known.has(key)) throw new CliError('ERR_CLI_CONFIG', `${file}: unknown setting "${key}"`);
  }
  const expect = (key: string, type: string, ok: boolean) => {
    if (config[key] !== undefined && !ok)
      throw new CliError('ERR_CLI_CONFIG', `${file}: "${key}" must be ${type}`);
  };
  expect(
    'database',
    'a string (postgres:// URL, mongodb:// URL or PGlite directory)',
    typeof config.database === 'string',
  );
  expect(
    'store',
    'a store object or a function returning one',
    ['object', 'function'].includes(typeof config.store),
  );
  expect('migrate', 'a function', typeof config.migrate === 'function');
  expect('keysPath', 'a string', typeof config.keysPath === 'string');
  expect('issuer', 'an absolute URL string', typeof config.issuer === 'string');
  expect('options', 'an object', typeof config.options === 'object' && config.options !== null);
  return config as PassportCliConfig;
}

/** Where the database comes from, decided by {@link resolveDatabase}. */
export type DatabaseSource =
  | {
      kind: 'url';
      target: string;
      from: '--database-url' | '--redis-url' | '--mongodb-url' | 'config' | 'DATABASE_URL';
    }
  | { kind: 'store'; store: NonNullable<PassportCliConfig['store']>; migrate: (() => Promise<void>) | null };

/**
 * Picks the database, always in this order:
 * 1. `--database-url` (a `postgres://`, `redis://` or `mongodb://` URL, or a PGlite directory),
 *    `--redis-url` (a `redis://` URL) or `--mongodb-url` (a `mongodb://` URL); one of them;
 * 2. the config file's `store`, then its `database`;
 * 3. the `DATABASE_URL` environment variable.
 * Throws {@link CliError} `ERR_CLI_CONFIG` when none is set, `ERR_CLI_USAGE` for two of the flags,
 * a `--redis-url` that is not a Redis URL or a `--mongodb-url` that is not a MongoDB URL.
 */
export function resolveDatabase(
  flag: string | undefined,
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
  cwd: string,
  redisFlag?: string,
  mongodbFlag?: string,
): DatabaseSource {
  const given = (value: string | undefined): value is string => value !== undefined && value !== '';
  const flags = [
    given(flag) ? '--database-url' : null,
    given(redisFlag) ? '--redis-url' : null,
    given(mongodbFlag) ? '--mongodb-url' : null,
  ].filter((name) => name !== null);
  if (flags.length > 1) {
    throw new CliError(
      'ERR_CLI_USAGE',
      `pass either ${flags.join(' or ')}, not ${flags.length === 2 ? 'both' : 'several'}`,
    );
  }
  if (given(redisFlag)) {
    if (!isRedisUrl(redisFlag)) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `--redis-url needs a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379?prefix=passport:`,
      );
    }
    return { kind: 'url', target: redisFlag, from: '--redis-url' };
  }
  if (given(mongodbFlag)) {
    if (!isMongoUrl(mongodbFlag)) {
      throw new CliError(
        'ERR_CLI_USAGE',
        '--mongodb-url must be a mongodb:// or mongodb+srv:// URL, e.g. mongodb://127.0.0.1:27017/passport',
      );
    }
    return { kind: 'url', target: mongodbFlag, from: '--mongodb-url' };
  }
  if (flag !== undefined && flag !== '')
    return { kind: 'url', target: resolveTarget(flag, cwd), from: '--database-url' };
  const { config } = loaded;
  if (config.store !== undefined)
    return { kind: 'store', store: config.store, migrate: config.migrate ?? null };
  if (config.database !== undefined && config.database !== '') {
    return { kind: 'url', target: resolveTarget(config.database, loaded.baseDir), from: 'config' };
  }
  const fromEnv = env.DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== '')
    return { kind: 'url', target: resolveTarget(fromEnv, cwd), from: 'DATABASE_URL' };
  throw new CliError(
    'ERR_CLI_CONFIG',
    'no database configured: pass --database-url (postgres://... or a PGlite directory), --redis-url (redis://...) or --mongodb-url (mongodb://...), add passport.config.mjs, or set DATABASE_URL',
  );
}

/** `true` for a `postgres://` or `postgresql://` URL; anything else is a PGlite directory. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** `true` for a `redis://` or `rediss://` URL (the Redis store). */
export function isRedisUrl(target: string): boolean {
  return /^rediss?:\/\//i.test(target);
}

/** `true` for a `mongodb://` or `mongodb+srv://` URL: the `@passport/store-mongo` store. */
export function isMongoUrl(target: string): boolean {
  return /^mongodb(\+srv)?:\/\//i.test(target);
}

function resolveTarget(target: string, baseDir: string): string {
  if (isPostgresUrl(target) || isRedisUrl(target) || isMongoUrl(target)) return target;
  const directory = target.startsWith('file://') ? new URL(target).pathname : target;
  return isAbsolute(directory) ? directory : resolve(baseDir, directory);
}

/** The keys directory: `--path`, else the config's `keysPath`, else `storage`. */
export function resolveKeysPath(flag: string | undefined, loaded: LoadedConfig, cwd: string): string {
  if (flag !== undefined && flag !== '') return resolve(cwd, flag);
  if (loaded.config.keysPath !== undefined) return resolve(loaded.baseDir, loaded.config.keysPath);
  return resolve(cwd, 'storage');
}

/** A URL with its password masked, for messages. */
export function redactUrl(target: string): string {
  if (!isPostgresUrl(target) && !isRedisUrl(target) && !isMongoUrl(target)) return target;
  try {
    const url = new URL(target);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    if (isRedisUrl(target)) return 'the configured Redis URL';
    return isMongoUrl(target) ? 'the configured MongoDB URL' : 'the configured PostgreSQL URL';
  }
}
