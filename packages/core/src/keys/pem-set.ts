/**
 * Key sets from PEM strings and from environment variables: how a host without a key directory
 * (Deno Deploy, Cloudflare Workers, a secrets manager) loads the key that signs, the previous keys
 * still published for verification and the next key with its activation time. Web APIs only.
 * Internal: `keySetFromPem` and `keySetFromEnv` are the public entry points.
 */
import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { buildVerifyOnlyKey } from './algorithms.js';
import { KeySet } from './key-set.js';
import { importPrivateKeyPem, importPublicKeyPem, readPemBlocks } from './pem.js';
import type { SigningKey } from './types.js';

/**
 * The PEM strings of a key set, for {@link keySetFromPem}. Each string may come straight from an
 * environment variable: quotes, a literal `\n` and CRLF are cleaned up as `normalizePem` does.
 */
export interface KeySetPem {
  /** The key that signs: a private key PEM (PKCS#8 `BEGIN PRIVATE KEY`, or PKCS#1 RSA). */
  active: string;
  /**
   * Earlier keys, published and verifying only: tokens they signed keep verifying until you remove
   * them (once the longest token lifetime has passed since they stopped signing). Public key PEMs
   * are enough; of a private key PEM only the public half is kept. One string may hold several
   * PEM blocks one after the other.
   * @default none
   */
  previous?: string | readonly string[];
  /**
   * The next key: published and verifying at once, signing from `activatesAt` on (a `Date` or
   * milliseconds since the epoch). Publish it longer before `activatesAt` than your instances take
   * to pick up new keys plus the JWKS cache time of your resource servers, so that no instance
   * signs with a key another one does not publish yet.
   * @default none
   */
  next?: { key: string; activatesAt: Date | number };
}

/** What {@link importKeySetPem} read: the arguments of the `KeySet` constructor. */
export interface ImportedKeySet {
  keys: SigningKey[];
  activeKid: string;
  activatesAt: Record<string, number>;
}

/** Names used in error messages: the option names, or the environment variables. */
interface Sources {
  active: string;
  previous: string;
  next: string;
}

const optionSources: Sources = { active: 'active', previous: 'previous', next: 'next.key' };

/**
 * The environment variables {@link keySetFromEnv} reads.
 * @see keySetFromEnv
 */
const env = {
  active: 'PASSPORT_PRIVATE_KEY',
  previous: 'PASSPORT_PREVIOUS_KEYS',
  next: 'PASSPORT_NEXT_KEY',
  nextActivatesAt: 'PASSPORT_NEXT_KEY_ACTIVATES_AT',
} as const;

/** Runs `load`, prefixing a key error's message with where the key came from. */
async function from<T>(source: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof PassportError) {
      throw new PassportError(error.code, `${source}: ${error.message}`, { cause: error });
    }
    if (error instanceof PassportOptionsError) {
      throw new PassportOptionsError(`${source}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/** Every key of `value` (one or more PEM blocks, or a list of them), verify-only. */
async function importPrevious(value: string | readonly string[], source: string): Promise<SigningKey[]> {
  const texts: readonly unknown[] = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(texts)) {
    throw new PassportOptionsError(`${source} must be a PEM string or an array of PEM strings`);
  }
  const keys: SigningKey[] = [];
  for (const text of texts) {
    if (typeof text !== 'string') {
      throw new PassportOptionsError(`${source} must be a PEM string or an array of PEM strings`);
    }
    const { blocks, text: cleaned } = readPemBlocks(text);
    if (blocks.length === 0) {
      if (cleaned === '') continue;
      throw new PassportError(
        'ERR_KEY_IMPORT',
        `${source}: no PEM block found; expected "-----BEGIN PUBLIC KEY-----" blocks (write line breaks as a literal \\n in an environment variable)`,
      );
    }
    for (const block of blocks) {
      const key = await from(source, () =>
        block.includes('PRIVATE KEY-----')
          ? importPrivateKeyPem(block).then(buildVerifyOnlyKey)
          : importPublicKeyPem(block),
      );
      keys.push(key);
    }
  }
  return keys;
}

/**
 * Imports the keys of a {@link KeySetPem}: the active key, the next key with its activation time,
 * and the previous keys as verify-only keys (a previous key that is also the active or the next
 * key, or listed twice, is taken once).
 *
 * @throws PassportError `ERR_KEY_IMPORT` naming the option (or variable) whose PEM is unusable;
 *   PassportOptionsError for a missing active key or a bad activation time.
 */
export async function importKeySetPem(
  pem: KeySetPem,
  sources: Sources = optionSources,
): Promise<ImportedKeySet> {
  if (typeof pem !== 'object' || pem === null) {
    throw new PassportOptionsError(
      'keySetFromPem expects { active, previous?, next? }, e.g. { active: env.PASSPORT_PRIVATE_KEY }',
    );
  }
  if (typeof pem.active !== 'string' || pem.active.trim() === '') {
    throw new PassportOptionsError(`${sources.active} must be the private key PEM of the key that signs`);
  }
  const active = await from(sources.active, () => importPrivateKeyPem(pem.active));
  const keys: SigningKey[] = [active];
  const activatesAt: Record<string, number> = {};
  if (pem.next !== undefined) {
    const { key: nextPem, activatesAt: at } = pem.next;
    const time = at instanceof Date ? at.getTime() : at;
    if (typeof time !== 'number' || !Number.isFinite(time)) {
      throw new PassportOptionsError(
        `the activation time of ${sources.next} must be a valid Date or milliseconds since the epoch`,
      );
    }
    if (typeof nextPem !== 'string') {
      throw new PassportOptionsError(`${sources.next} must be a private key PEM`);
    }
    const next = await from(sources.next, () => importPrivateKeyPem(nextPem));
    if (next.kid === active.kid) {
      throw new PassportOptionsError(
        `${sources.next} is the same key as ${sources.active}; the next key must be a new key`,
      );
    }
    keys.push(next);
    activatesAt[next.kid] = time;
  }
  if (pem.previous !== undefined) {
    for (const key of await importPrevious(pem.previous, sources.previous)) {
      if (!keys.some((known) => known.kid === key.kid)) keys.push(key);
    }
  }
  return { keys, activeKid: active.kid, activatesAt };
}

/** An ISO 8601 date-time with seconds optional and an explicit zone; no backtracking. */
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** Parses `PASSPORT_NEXT_KEY_ACTIVATES_AT`. */
function parseActivation(value: string | undefined): number {
  const text = value?.trim() ?? '';
  const time = isoDateTime.test(text) ? Date.parse(text) : Number.NaN;
  if (!Number.isFinite(time)) {
    throw new PassportOptionsError(
      `${env.nextActivatesAt} must be the time ${env.next} starts signing, as an ISO 8601 date-time with a zone (e.g. 2030-01-31T12:00:00Z)${text === '' ? '; it is not set' : `, not ${JSON.stringify(text)}`}`,
    );
  }
  return time;
}

function set(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The key set of the environment variables documented on {@link keySetFromEnv}, or `null` when
 * none of them is set.
 */
export async function importKeySetFromEnv(
  variables: Readonly<Record<string, string | undefined>>,
): Promise<ImportedKeySet | null> {
  if (typeof variables !== 'object' || variables === null) {
    throw new PassportOptionsError('keySetFromEnv expects the environment as an object of strings');
  }
  const active = variables[env.active];
  const previous = variables[env.previous];
  const next = variables[env.next];
  if (!set(active)) {
    if (set(previous) || set(next)) {
      throw new PassportOptionsError(
        `${set(next) ? env.next : env.previous} is set but ${env.active} is not; set ${env.active} to the private key that signs now`,
      );
    }
    return null;
  }
  const pem: KeySetPem = { active };
  if (set(previous)) pem.previous = previous;
  if (set(next)) pem.next = { key: next, activatesAt: parseActivation(variables[env.nextActivatesAt]) };
  else if (set(variables[env.nextActivatesAt])) {
    throw new PassportOptionsError(`${env.nextActivatesAt} is set but ${env.next} is not`);
  }
  return importKeySetPem(pem, { active: env.active, previous: env.previous, next: env.next });
}

/**
 * A key set from PEM strings, on every runtime (Web Crypto only): the key that signs, the
 * previous keys that still verify (and are published in the JWKS) and, optionally, the next key
 * with the time it starts signing. This is how a host without a key directory (Deno, Cloudflare
 * Workers, keys in a secrets manager) rotates keys without invalidating outstanding tokens.
 *
 * @throws PassportError `ERR_KEY_IMPORT` naming the field whose PEM is unusable;
 *   PassportOptionsError for a missing active key or a bad activation time.
 * @example
 * ```ts
 * const keys = await keySetFromPem({
 *   active: env.SIGNING_KEY,                  // signs now
 *   previous: [env.OLD_PUBLIC_KEY],           // verifies tokens it signed, listed in the JWKS
 *   next: { key: env.NEXT_KEY, activatesAt: new Date('2030-01-31T12:00:00Z') },
 * });
 * ```
 */
export async function keySetFromPem(pem: KeySetPem): Promise<KeySet> {
  const imported = await importKeySetPem(pem);
  return KeySet.from(imported.keys, imported);
}

/**
 * A key set from environment variables (pass Node's environment object, `Deno.env.toObject()`, or a
 * Worker's `env`), or `null` when `PASSPORT_PRIVATE_KEY` and the others are unset:
 *
 * - `PASSPORT_PRIVATE_KEY`: the private key that signs (PEM; a literal `
` means a newline).
 * - `PASSPORT_PREVIOUS_KEYS`: earlier keys, verify only: one or more PEM blocks (public keys are
 *   enough). Remove a key once the longest token lifetime has passed since it stopped signing.
 * - `PASSPORT_NEXT_KEY` and `PASSPORT_NEXT_KEY_ACTIVATES_AT`: the next private key, published
 *   at once, and the ISO 8601 time it starts signing (`2030-01-31T12:00:00Z`).
 *
 * A rotation is then three deployments, none of which invalidates a token: add the next key
 * with an activation time later than the rollout plus the JWKS cache time; after that time, move
 * it to `PASSPORT_PRIVATE_KEY` and the old public key to `PASSPORT_PREVIOUS_KEYS`; once the
 * longest token lifetime has passed, drop the old key.
 *
 * @throws like {@link keySetFromPem}, naming the variable.
 * @example
 * ```ts
 * // a Cloudflare Worker, its keys set with `wrangler secret put PASSPORT_PRIVATE_KEY`
 * const keys = await keySetFromEnv(env);
 * if (keys === null) throw new Error('PASSPORT_PRIVATE_KEY is not set');
 * ```
 */
export async function keySetFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Promise<KeySet | null> {
  const imported = await importKeySetFromEnv(env);
  return imported === null ? null : KeySet.from(imported.keys, imported);
}
