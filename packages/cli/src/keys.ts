import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  defaultLifetimes,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  importPrivateKeyPem,
  importPublicKeyPem,
  KeySet,
  keySetFromEnv,
  type SigningAlgorithm,
  type SigningKey,
} from '@passport/core';
import { CliError, oneLine } from './errors.js';

/** File name of the first private key (PKCS#8 PEM, mode 0600), as in Laravel Passport. */
export const PRIVATE_KEY_FILE = 'oauth-private.key';
/** File name of the first public key (SPKI PEM). */
export const PUBLIC_KEY_FILE = 'oauth-public.key';

/**
 * Seconds between `passport keys --rotate` and the moment the new key signs: longer than the
 * reload interval of every instance (60 s by default) plus the JWKS cache time of resource servers
 * (`max-age=300`), so that no instance signs with a key the others do not publish yet.
 */
export const DEFAULT_ROTATION_DELAY_SECONDS = 3600;

/**
 * Slack for clock skew between instances and the verification leeway: a retired key loses its
 * private half this long after it stopped signing, and is removed this long after the retention.
 */
const CLOCK_MARGIN_SECONDS = 300;

/** The environment variable that allows private keys readable by group or others. */
const INSECURE_PERMISSIONS_VARIABLE = 'PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS';

/** Options of every function that reads a key directory. */
export interface LoadKeysOptions {
  /**
   * Load private keys that group or others may read or write (a mode other than 0600 or 0400),
   * which is refused otherwise with {@link CliError} `ERR_CLI_KEY_PERMISSIONS`. Node prints a
   * warning once per file when a key is loaded this way. Windows has no such modes: no check there.
   * @default `true` when the `PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS` environment variable is `1` or `true`
   */
  allowInsecurePermissions?: boolean;
  /** Where `PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS` is read. @default process.env */
  env?: Record<string, string | undefined>;
}

/** Options of {@link writeKeyFiles}. */
export interface WriteKeyFilesOptions {
  /** @default 'RS256' */
  alg?: SigningAlgorithm;
  /** RSA modulus length; RS256 only. @default 2048 */
  modulusLength?: 2048 | 4096;
  /**
   * Replace every key of the directory (rotated ones included) with the new pair: every
   * outstanding token stops verifying. {@link rotateKeyFiles} replaces a key without that.
   * @default false
   */
  force?: boolean;
}

/** What {@link writeKeyFiles} wrote. */
export interface WrittenKeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  key: SigningKey;
}

/** Options of {@link pruneKeyFiles}. */
export interface PruneKeyFilesOptions extends LoadKeysOptions {
  /**
   * Seconds a retired key stays published after it stopped signing: the longest lifetime of a
   * token it may have signed (access tokens and personal access tokens).
   * @default max(defaultLifetimes.accessToken, defaultLifetimes.personalAccessToken): one year
   */
  retainSeconds?: number;
  /** The current time. @default Date.now() */
  now?: Date | number;
}

/** Options of {@link rotateKeyFiles}. */
export interface RotateKeyFilesOptions extends PruneKeyFilesOptions {
  /** @default the algorithm of the key that signs now */
  alg?: SigningAlgorithm;
  /** RSA modulus length; RS256 only. @default 2048 */
  modulusLength?: 2048 | 4096;
  /**
   * Seconds from now until the new key signs; it is published at once.
   * @default 3600 ({@link DEFAULT_ROTATION_DELAY_SECONDS})
   */
  delaySeconds?: number;
}

/** A key of a key directory and where it stands at a given time. */
export interface KeyFileStatus {
  kid: string;
  alg: SigningAlgorithm;
  /** `active` signs now; `next` is published and signs from `activatesAt`; `previous` only verifies. */
  state: 'active' | 'next' | 'previous';
  /** When it starts (or started) signing; `null` for the first key (signs from the start). */
  activatesAt: Date | null;
  /** When a later key replaced it (`previous` keys only; `null` when unknown). */
  retiredAt: Date | null;
  /** When pruning removes it (`previous` keys only; `null`: never automatically). */
  removableAt: Date | null;
  /** Whether the directory holds its private key. */
  hasPrivateKey: boolean;
  /** Its files in the directory. */
  paths: string[];
}

/** What {@link pruneKeyFiles} did, and the keys after it. */
export interface PrunedKeyFiles {
  /** Kids of the retired keys whose files were deleted (their tokens have all expired). */
  removed: string[];
  /** Kids of retired keys whose private key file was deleted (they keep verifying). */
  madeVerifyOnly: string[];
  /** The keys left, in activation order. */
  keys: KeyFileStatus[];
}

/** What {@link rotateKeyFiles} wrote and pruned. */
export interface RotatedKeyFiles extends PrunedKeyFiles {
  key: SigningKey;
  /** When the new key starts signing. */
  activatesAt: Date;
  privateKeyPath: string;
  publicKeyPath: string;
}

/** A key read from a key directory. */
interface KeyEntry {
  key: SigningKey;
  /** Milliseconds since the epoch, or `null` for the first key. */
  activatesAt: number | null;
  privateKeyPath: string | null;
  publicKeyPath: string | null;
}

// ---------------------------------------------------------------------------------------------
// File names: oauth-private.key / oauth-public.key (the first key), and
// oauth-private.<activation>.key / oauth-public.<activation>.key (a rotated key), where
// <activation> is the UTC time it starts signing, 20300131T120000Z.

const keyFileName = /^oauth-(private|public)(?:\.(\d{8}T\d{6}Z))?\.key$/;

/** `20300131T120000Z` for a time in milliseconds (whole seconds). */
export function formatActivationStamp(time: number): string {
  return new Date(time)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseActivationStamp(stamp: string): number | null {
  const iso = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
  const time = Date.parse(iso);
  return Number.isFinite(time) && formatActivationStamp(time) === stamp ? time : null;
}

function fileNames(activatesAt: number | null): { privateName: string; publicName: string } {
  if (activatesAt === null) return { privateName: PRIVATE_KEY_FILE, publicName: PUBLIC_KEY_FILE };
  const stamp = formatActivationStamp(activatesAt);
  return { privateName: `oauth-private.${stamp}.key`, publicName: `oauth-public.${stamp}.key` };
}

// ---------------------------------------------------------------------------------------------
// Reading

function allowsInsecure(options: LoadKeysOptions | undefined): boolean {
  if (options?.allowInsecurePermissions !== undefined) return options.allowInsecurePermissions;
  const value = (options?.env ?? process.env)[INSECURE_PERMISSIONS_VARIABLE]?.trim().toLowerCase();
  return value === '1' || value === 'true';
}

const warnedInsecure = new Set<string>();

/** Refuses (or, when allowed, warns once about) a private key file group or others may access. */
function checkPrivateKeyMode(path: string, mode: number, allowInsecure: boolean): void {
  const open = mode & 0o077;
  if (open === 0 || process.platform === 'win32') return;
  const who = open & 0o070 ? (open & 0o007 ? 'group and others' : 'group') : 'others';
  const what = open & 0o044 ? 'readable' : open & 0o022 ? 'writable' : 'accessible';
  const octal = `0${(mode & 0o777).toString(8)}`;
  if (allowInsecure) {
    const warning = `${path} is ${what} by ${who} (mode ${octal}); loaded anyway because of ${INSECURE_PERMISSIONS_VARIABLE} / allowInsecurePermissions`;
    if (!warnedInsecure.has(warning)) {
      warnedInsecure.add(warning);
      process.emitWarning(warning, { code: 'PASSPORT_INSECURE_KEY_PERMISSIONS' });
    }
    return;
  }
  throw new CliError(
    'ERR_CLI_KEY_PERMISSIONS',
    `${path} is ${what} by ${who} (mode ${octal}); a private key must be accessible to its owner only: run "chmod 600 ${path}", or set ${INSECURE_PERMISSIONS_VARIABLE}=1 (option allowInsecurePermissions) to load it anyway`,
  );
}

async function readKeyFile(
  path: string,
  kind: 'private' | 'public',
  allowInsecure: boolean,
): Promise<SigningKey> {
  let pem: string;
  try {
    if (kind === 'private') checkPrivateKeyMode(path, (await stat(path)).mode, allowInsecure);
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_CLI_KEYS', `cannot read ${path}: ${oneLine(error)}`, { cause: error });
  }
  try {
    return kind === 'private' ? await importPrivateKeyPem(pem) : await importPublicKeyPem(pem);
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `${path} is not a usable ${kind} key: ${oneLine(error)}`, {
      cause: error,
    });
  }
}

/**
 * Every key of `directory`, in activation order (the first key first), or `null` when the
 * directory does not exist or holds no key file. Files of other names are ignored.
 */
async function readKeyDirectory(directory: string, options?: LoadKeysOptions): Promise<KeyEntry[] | null> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('ERR_CLI_KEYS', `cannot read the keys directory ${directory}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  const groups = new Map<string, { activatesAt: number | null; privateName?: string; publicName?: string }>();
  for (const name of names) {
    const match = keyFileName.exec(name);
    if (!match) continue;
    const stamp = match[2] ?? '';
    const activatesAt = stamp === '' ? null : parseActivationStamp(stamp);
    if (stamp !== '' && activatesAt === null) {
      throw new CliError('ERR_CLI_KEYS', `${join(directory, name)}: ${stamp} is not a valid UTC time`);
    }
    const group = groups.get(stamp) ?? { activatesAt };
    if (match[1] === 'private') group.privateName = name;
    else group.publicName = name;
    groups.set(stamp, group);
  }
  if (groups.size === 0) return null;

  const allowInsecure = allowsInsecure(options);
  const entries: KeyEntry[] = [];
  for (const group of groups.values()) {
    const privateKeyPath = group.privateName === undefined ? null : join(directory, group.privateName);
    const publicKeyPath = group.publicName === undefined ? null : join(directory, group.publicName);
    const privateKey =
      privateKeyPath === null ? null : await readKeyFile(privateKeyPath, 'private', allowInsecure);
    const publicKey =
      publicKeyPath === null ? null : await readKeyFile(publicKeyPath, 'public', allowInsecure);
    if (privateKey !== null && publicKey !== null && privateKey.kid !== publicKey.kid) {
      throw new CliError(
        'ERR_CLI_KEYS',
        `${publicKeyPath} is not the public half of ${privateKeyPath}; delete the public file, it is derived from the private key`,
      );
    }
    entries.push({
      key: (privateKey ?? publicKey) as SigningKey,
      activatesAt: group.activatesAt,
      privateKeyPath,
      publicKeyPath,
    });
  }
  entries.sort(
    (a, b) => (a.activatesAt ?? Number.NEGATIVE_INFINITY) - (b.activatesAt ?? Number.NEGATIVE_INFINITY),
  );
  return entries;
}

function keySetOf(entries: readonly KeyEntry[], directory: string): KeySet {
  const activatesAt: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.activatesAt !== null && entry.key.privateKey !== null)
      activatesAt[entry.key.kid] = entry.activatesAt;
  }
  try {
    return KeySet.from(
      entries.map((entry) => entry.key),
      { activatesAt },
    );
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `the keys in ${directory} cannot form a key set: ${oneLine(error)}`, {
      cause: error,
    });
  }
}

/**
 * Loads the key directory written by `passport keys` (PKCS#8 and SPKI PEM files): the first key
 * (`oauth-private.key`, `oauth-public.key`) and the keys `passport keys --rotate` added
 * (`oauth-private.<UTC time>.key`, signing from that time on). A key with only its public file
 * verifies and is published, and never signs. Returns `null` when the directory does not exist or
 * holds no key file.
 *
 * A private key file that group or others may access is refused with {@link CliError}
 * `ERR_CLI_KEY_PERMISSIONS` (the message names the file, its mode and the fix, `chmod 600`),
 * unless `allowInsecurePermissions` or `PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS=1`. Any other
 * unusable file throws `ERR_CLI_KEYS`.
 *
 * @example
 * ```ts
 * const keys = (await loadKeysFromEnv(process.env)) ?? (await loadKeysFrom('storage'));
 * if (keys) createPassport({ issuer, store, keys });
 * ```
 */
export async function loadKeysFrom(directory: string, options?: LoadKeysOptions): Promise<KeySet | null> {
  const entries = await readKeyDirectory(directory, options);
  return entries === null ? null : keySetOf(entries, directory);
}

/**
 * Loads the keys from the environment (`keySetFromEnv` of `@passport/core`): the signing key
 * `PASSPORT_PRIVATE_KEY` (a literal `\n` means a newline), the verify-only `PASSPORT_PREVIOUS_KEYS`
 * and the scheduled `PASSPORT_NEXT_KEY` with `PASSPORT_NEXT_KEY_ACTIVATES_AT`; `null` when
 * `PASSPORT_PRIVATE_KEY` is not set. Failures are {@link CliError} `ERR_CLI_KEYS`, naming the variable.
 *
 * @example
 * ```ts
 * const keys = (await loadKeysFromEnv(process.env)) ?? (await loadKeysFrom('storage'));
 * ```
 */
export async function loadKeysFromEnv(env: Record<string, string | undefined>): Promise<KeySet | null> {
  try {
    return await keySetFromEnv(env);
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', oneLine(error), { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------
// Where each key stands

function statusOf(
  entries: readonly KeyEntry[],
  keys: KeySet,
  now: number,
  retainSeconds: number,
): (KeyFileStatus & { entry: KeyEntry })[] {
  const signer = keys.activeAt(now).kid;
  return entries.map((entry, index) => {
    const { kid, alg } = entry.key;
    const pending = entry.activatesAt !== null && entry.activatesAt > now;
    const state = kid === signer ? 'active' : pending ? 'next' : 'previous';
    let retiredAt: number | null = null;
    if (state === 'previous') {
      const successor = entries[index + 1];
      if (successor?.activatesAt != null && successor.activatesAt <= now) retiredAt = successor.activatesAt;
    }
    const removableAt = retiredAt === null ? null : retiredAt + (retainSeconds + CLOCK_MARGIN_SECONDS) * 1000;
    return {
      entry,
      kid,
      alg,
      state,
      activatesAt: entry.activatesAt === null ? null : new Date(entry.activatesAt),
      retiredAt: retiredAt === null ? null : new Date(retiredAt),
      removableAt: removableAt === null ? null : new Date(removableAt),
      hasPrivateKey: entry.privateKeyPath !== null,
      paths: [entry.privateKeyPath, entry.publicKeyPath].filter((path): path is string => path !== null),
    };
  });
}

function publicStatus(status: KeyFileStatus & { entry?: KeyEntry }): KeyFileStatus {
  const { entry: _entry, ...rest } = status;
  return rest;
}

function timeOf(value: Date | number | undefined): number {
  const time = value === undefined ? Date.now() : value instanceof Date ? value.getTime() : value;
  if (!Number.isFinite(time)) throw new CliError('ERR_CLI_USAGE', 'now must be a valid time');
  return time;
}

function retentionOf(options: PruneKeyFilesOptions): number {
  const retain =
    options.retainSeconds ?? Math.max(defaultLifetimes.accessToken, defaultLifetimes.personalAccessToken);
  if (!Number.isFinite(retain) || retain < 0) {
    throw new CliError('ERR_CLI_USAGE', `retainSeconds must be a number of seconds >= 0, not ${retain}`);
  }
  return retain;
}

async function requireKeys(directory: string, options?: LoadKeysOptions): Promise<KeyEntry[]> {
  const entries = await readKeyDirectory(directory, options);
  if (entries === null) {
    throw new CliError('ERR_CLI_KEYS', `no keys in ${directory}; create them with "passport keys" first`);
  }
  return entries;
}

/**
 * The keys of `directory` and where each stands at `now`: `active`, `next` (published, signing
 * later) or `previous` (verifying, with the time pruning removes it).
 */
export async function listKeyFiles(
  directory: string,
  options: PruneKeyFilesOptions = {},
): Promise<KeyFileStatus[]> {
  const entries = await requireKeys(directory, options);
  return statusOf(entries, keySetOf(entries, directory), timeOf(options.now), retentionOf(options)).map(
    publicStatus,
  );
}

// ---------------------------------------------------------------------------------------------
// Writing

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `content` to `path` through a temporary file in the same directory, with `mode`. */
async function writeFileAtomically(
  path: string,
  content: string,
  mode: number,
  options: { exclusive: boolean },
): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    await chmod(temporary, mode);
    // link fails when the file exists: a concurrent rotation cannot overwrite this key
    if (options.exclusive) await link(temporary, path);
    else await rename(temporary, path);
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Whether `directory` holds any key file. */
export async function hasKeyFiles(directory: string): Promise<boolean> {
  try {
    return (await readdir(directory)).some((name) => keyFileName.test(name));
  } catch {
    return false;
  }
}

/**
 * Generates a signing key pair and writes `oauth-private.key` (mode 0600) and `oauth-public.key`
 * (mode 0644) into `directory`, creating it when needed. Refuses when the directory already holds
 * keys, unless `force` is set (which deletes every key first, rotated ones too): throws
 * {@link CliError} `ERR_CLI_KEYS_EXIST`.
 *
 * @example
 * ```ts
 * await writeKeyFiles('storage', { alg: 'RS256', modulusLength: 4096 });
 * ```
 */
export async function writeKeyFiles(
  directory: string,
  options: WriteKeyFilesOptions = {},
): Promise<WrittenKeyFiles> {
  const privateKeyPath = join(directory, PRIVATE_KEY_FILE);
  const publicKeyPath = join(directory, PUBLIC_KEY_FILE);
  if (!options.force && (await hasKeyFiles(directory))) {
    const existing = (await exists(privateKeyPath))
      ? privateKeyPath
      : (await exists(publicKeyPath))
        ? publicKeyPath
        : `a key in ${directory}`;
    throw new CliError(
      'ERR_CLI_KEYS_EXIST',
      `${existing} already exists; use --rotate to add a new key without invalidating tokens, or --force to replace every key`,
    );
  }
  const alg = options.alg ?? 'RS256';
  const key = await generateSigningKey(
    alg,
    alg === 'RS256' ? { modulusLength: options.modulusLength ?? 2048 } : undefined,
  );
  const privatePem = await exportPrivateKeyPem(key);
  const publicPem = await exportPublicKeyPem(key);
  try {
    await mkdir(directory, { recursive: true });
    if (options.force) {
      for (const name of await readdir(directory)) {
        if (keyFileName.test(name) && name !== PRIVATE_KEY_FILE && name !== PUBLIC_KEY_FILE) {
          await rm(join(directory, name), { force: true });
        }
      }
    }
    await writeFileAtomically(privateKeyPath, privatePem, 0o600, { exclusive: false });
    await writeFileAtomically(publicKeyPath, publicPem, 0o644, { exclusive: false });
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `cannot write the keys to ${directory}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  return { privateKeyPath, publicKeyPath, key };
}

async function prune(
  directory: string,
  entries: readonly KeyEntry[],
  now: number,
  retainSeconds: number,
): Promise<PrunedKeyFiles> {
  const statuses = statusOf(entries, keySetOf(entries, directory), now, retainSeconds);
  const removed: string[] = [];
  const madeVerifyOnly: string[] = [];
  const kept: KeyFileStatus[] = [];
  try {
    for (const status of statuses) {
      const { entry } = status;
      if (status.state === 'previous' && status.removableAt !== null && status.removableAt.getTime() <= now) {
        for (const path of status.paths) await rm(path, { force: true });
        removed.push(status.kid);
        continue;
      }
      if (
        status.state === 'previous' &&
        status.retiredAt !== null &&
        status.retiredAt.getTime() + CLOCK_MARGIN_SECONDS * 1000 <= now &&
        entry.privateKeyPath !== null
      ) {
        // a retired key never signs again: keep only what verifies its tokens
        const { publicName } = fileNames(entry.activatesAt);
        const publicKeyPath = join(directory, publicName);
        if (entry.publicKeyPath === null) {
          await writeFileAtomically(publicKeyPath, await exportPublicKeyPem(entry.key), 0o644, {
            exclusive: false,
          });
        }
        await rm(entry.privateKeyPath, { force: true });
        madeVerifyOnly.push(status.kid);
        kept.push({ ...publicStatus(status), hasPrivateKey: false, paths: [publicKeyPath] });
        continue;
      }
      kept.push(publicStatus(status));
    }
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `cannot prune the keys in ${directory}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  return { removed, madeVerifyOnly, keys: kept };
}

/**
 * Removes what retired keys no longer need: a key replaced more than `retainSeconds` (plus five
 * minutes for clock skew) ago is deleted, since every token it signed has expired; a key replaced
 * more than five minutes ago keeps only its public file (it verifies, it will never sign again).
 * The key that signs and keys waiting to sign are never touched. `passport keys --prune` runs it,
 * and so does every {@link rotateKeyFiles}.
 *
 * @example
 * ```ts
 * // a daily job, with the server's lifetimes
 * await pruneKeyFiles('storage', { retainSeconds: Math.max(lifetimes.accessToken, lifetimes.personalAccessToken) });
 * ```
 */
export async function pruneKeyFiles(
  directory: string,
  options: PruneKeyFilesOptions = {},
): Promise<PrunedKeyFiles> {
  const entries = await requireKeys(directory, options);
  return prune(directory, entries, timeOf(options.now), retentionOf(options));
}

/**
 * Adds a new signing key to `directory` without invalidating a single token: the new key is
 * published at once (every instance that reloads the directory lists it in its JWKS) and signs
 * from `now + delaySeconds` on, written as `oauth-private.<UTC time>.key` (mode 0600) and
 * `oauth-public.<UTC time>.key`. The key that signs until then keeps verifying as a previous key
 * until every token it may have signed has expired; then {@link pruneKeyFiles}, which runs here
 * too, removes it. Refuses while an earlier rotation's key is still waiting to sign.
 *
 * @example
 * ```ts
 * const { key, activatesAt } = await rotateKeyFiles('storage', { delaySeconds: 3600 });
 * ```
 */
export async function rotateKeyFiles(
  directory: string,
  options: RotateKeyFilesOptions = {},
): Promise<RotatedKeyFiles> {
  const now = timeOf(options.now);
  const retainSeconds = retentionOf(options);
  const delaySeconds = options.delaySeconds ?? DEFAULT_ROTATION_DELAY_SECONDS;
  if (!Number.isFinite(delaySeconds) || delaySeconds < 0) {
    throw new CliError('ERR_CLI_USAGE', `the delay must be a number of seconds >= 0, not ${delaySeconds}`);
  }
  const entries = await requireKeys(directory, options);
  const keys = keySetOf(entries, directory);
  const pending = entries.find((entry) => entry.activatesAt !== null && entry.activatesAt > now);
  if (pending) {
    throw new CliError(
      'ERR_CLI_KEYS',
      `key ${pending.key.kid} from an earlier rotation signs from ${new Date(pending.activatesAt as number).toISOString()}; rotate again after that`,
    );
  }
  const activatesAt = Math.ceil((now + delaySeconds * 1000) / 1000) * 1000;
  const latest = entries.at(-1)?.activatesAt ?? null;
  if (latest !== null && activatesAt <= latest) {
    throw new CliError(
      'ERR_CLI_KEYS',
      `the current key started signing at ${new Date(latest).toISOString()}; rotate again a second later`,
    );
  }
  const alg = options.alg ?? keys.activeAt(now).alg;
  const key = await generateSigningKey(
    alg,
    alg === 'RS256' ? { modulusLength: options.modulusLength ?? 2048 } : undefined,
  );
  const { privateName, publicName } = fileNames(activatesAt);
  const privateKeyPath = join(directory, privateName);
  const publicKeyPath = join(directory, publicName);
  try {
    await writeFileAtomically(privateKeyPath, await exportPrivateKeyPem(key), 0o600, { exclusive: true });
    await writeFileAtomically(publicKeyPath, await exportPublicKeyPem(key), 0o644, { exclusive: true });
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `cannot write the new key to ${directory}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  const written: KeyEntry = { key, activatesAt, privateKeyPath, publicKeyPath };
  const pruned = await prune(directory, [...entries, written], now, retainSeconds);
  return { ...pruned, key, activatesAt: new Date(activatesAt), privateKeyPath, publicKeyPath };
}
