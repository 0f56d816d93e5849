import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  importPrivateKeyPem,
  KeySet,
  normalizePem,
  type SigningAlgorithm,
  type SigningKey,
} from '@passport/core';
import { CliError, oneLine } from './errors.js';

/** File name of the private key (PKCS#8 PEM, mode 0600), as in Laravel Passport. */
export const PRIVATE_KEY_FILE = 'oauth-private.key';
/** File name of the public key (SPKI PEM). */
export const PUBLIC_KEY_FILE = 'oauth-public.key';

/** Options of {@link writeKeyFiles}. */
export interface WriteKeyFilesOptions {
  /** @default 'RS256' */
  alg?: SigningAlgorithm;
  /** RSA modulus length; RS256 only. @default 2048 */
  modulusLength?: 2048 | 4096;
  /** Overwrite existing key files. @default false */
  force?: boolean;
}

/** What {@link writeKeyFiles} wrote. */
export interface WrittenKeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  key: SigningKey;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes `content` to `path` through a temporary file in the same directory, with `mode`. */
async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, content, { mode, flag: 'wx' });
    await chmod(temporary, mode);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Generates a signing key pair and writes `oauth-private.key` (mode 0600) and `oauth-public.key`
 * (mode 0644) into `directory`, creating it when needed (PARITY K2). Refuses to replace existing
 * files unless `force` is set: throws {@link CliError} `ERR_CLI_KEYS_EXIST`.
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
  if (!options.force) {
    for (const path of [privateKeyPath, publicKeyPath]) {
      if (await exists(path)) {
        throw new CliError('ERR_CLI_KEYS_EXIST', `${path} already exists; use --force to overwrite the keys`);
      }
    }
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
    await writeFileAtomically(privateKeyPath, privatePem, 0o600);
    await writeFileAtomically(publicKeyPath, publicPem, 0o644);
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `cannot write the keys to ${directory}: ${oneLine(error)}`, {
      cause: error,
    });
  }
  return { privateKeyPath, publicKeyPath, key };
}

/**
 * Loads the signing key written by `passport keys` from `directory` (PARITY K3). Returns `null`
 * when there is no `oauth-private.key` there; throws {@link CliError} `ERR_CLI_KEYS` when the file
 * is not a usable private key.
 *
 * @example
 * ```ts
 * const keys = await loadKeysFrom('storage');
 * if (keys) createPassport({ issuer, store, keys });
 * ```
 */
export async function loadKeysFrom(directory: string): Promise<KeySet | null> {
  const path = join(directory, PRIVATE_KEY_FILE);
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError('ERR_CLI_KEYS', `cannot read ${path}: ${oneLine(error)}`, { cause: error });
  }
  return keySetFromPem(pem, path);
}

/**
 * Loads the signing key from `PASSPORT_PRIVATE_KEY` (a literal `\n` in the value means a newline),
 * or `null` when the variable is not set (PARITY K3).
 *
 * @example
 * ```ts
 * const keys = (await loadKeysFromEnv(process.env)) ?? (await loadKeysFrom('storage'));
 * ```
 */
export async function loadKeysFromEnv(env: Record<string, string | undefined>): Promise<KeySet | null> {
  const value = env.PASSPORT_PRIVATE_KEY;
  if (value === undefined || value.trim() === '') return null;
  return keySetFromPem(normalizePem(value), 'PASSPORT_PRIVATE_KEY');
}

async function keySetFromPem(pem: string, source: string): Promise<KeySet> {
  try {
    return KeySet.from([await importPrivateKeyPem(pem)]);
  } catch (error) {
    throw new CliError('ERR_CLI_KEYS', `${source} is not a usable private key: ${oneLine(error)}`, {
      cause: error,
    });
  }
}
