import { relative } from 'node:path';
import { defaultLifetimes, type SigningAlgorithm } from '@passport/core';
import { type Command, flagOption, type OptionValues, stringOption } from '../command.js';
import { type LoadedConfig, resolveKeysPath } from '../config.js';
import { CliError } from '../errors.js';
import {
  DEFAULT_ROTATION_DELAY_SECONDS,
  type KeyFileStatus,
  listKeyFiles,
  type PrunedKeyFiles,
  pruneKeyFiles,
  rotateKeyFiles,
  writeKeyFiles,
} from '../keys.js';

const algorithms: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** Reads and checks `--alg` and `--length`; `alg` is `undefined` when `--alg` is absent. */
function readKeyOptions(values: OptionValues): {
  alg: SigningAlgorithm | undefined;
  modulusLength: 2048 | 4096;
} {
  const algText = stringOption(values, 'alg');
  const alg =
    algText === undefined
      ? undefined
      : algorithms.find((candidate) => candidate.toLowerCase() === algText.toLowerCase());
  if (algText !== undefined && !alg) {
    throw new CliError('ERR_CLI_USAGE', `--alg must be RS256, ES256 or EdDSA, not "${algText}"`);
  }
  const lengthText = stringOption(values, 'length');
  if (lengthText !== undefined && alg !== undefined && alg !== 'RS256') {
    throw new CliError(
      'ERR_CLI_USAGE',
      `--length applies to RS256 keys only (${alg} keys have a fixed size)`,
    );
  }
  if (lengthText !== undefined && lengthText !== '2048' && lengthText !== '4096') {
    throw new CliError('ERR_CLI_USAGE', `--length must be 2048 or 4096, not "${lengthText}"`);
  }
  return { alg, modulusLength: lengthText === '4096' ? 4096 : 2048 };
}

/** Reads and checks `--alg` and `--length` for a new key set (RS256 unless `--alg`). */
export function keyOptions(values: OptionValues): {
  alg: SigningAlgorithm;
  modulusLength: 2048 | 4096;
} {
  const { alg, modulusLength } = readKeyOptions(values);
  return { alg: alg ?? 'RS256', modulusLength };
}

/** Shows a path relative to the working directory when it is inside it. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' || shown.startsWith('..') ? path : shown;
}

/**
 * Seconds a retired key stays published: the longest lifetime of a token it may have signed,
 * from the config's `options.lifetimes` over the defaults.
 */
export function retentionSeconds(loaded: LoadedConfig): number {
  const lifetimes = loaded.config.options?.lifetimes ?? {};
  const seconds = (name: 'accessToken' | 'personalAccessToken'): number => {
    const value = lifetimes[name] ?? defaultLifetimes[name];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new CliError('ERR_CLI_CONFIG', `options.lifetimes.${name} must be a number of seconds > 0`);
    }
    return value;
  };
  return Math.max(seconds('accessToken'), seconds('personalAccessToken'));
}

function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  return `${seconds} s`;
}

const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');

/** One line per key: state, algorithm, kid, and when it signs or is removed. */
export function keyLines(keys: readonly KeyFileStatus[]): string {
  return keys
    .map((key) => {
      let detail: string;
      if (key.state === 'active') {
        detail = key.activatesAt === null ? 'signs' : `signs since ${iso(key.activatesAt)}`;
      } else if (key.state === 'next') {
        detail = `published, signs from ${iso(key.activatesAt as Date)}`;
      } else {
        detail =
          key.removableAt === null
            ? 'verifies only; never removed automatically'
            : `verifies only; retired ${iso(key.retiredAt as Date)}, removed after ${iso(key.removableAt)}`;
      }
      return `  ${key.state.padEnd(8)}  ${key.alg.padEnd(5)}  ${key.kid}  ${detail}\n`;
    })
    .join('');
}

function prunedLines(pruned: PrunedKeyFiles): string {
  return (
    pruned.removed.map((kid) => `Removed retired key ${kid}: every token it signed has expired.\n`).join('') +
    pruned.madeVerifyOnly
      .map((kid) => `Deleted the private key of retired key ${kid}; its public key keeps verifying.\n`)
      .join('')
  );
}

function parseDelay(text: string | undefined): number {
  if (text === undefined) return DEFAULT_ROTATION_DELAY_SECONDS;
  if (!/^\d{1,9}$/.test(text)) {
    throw new CliError('ERR_CLI_USAGE', `--delay must be a whole number of seconds, not "${text}"`);
  }
  return Number(text);
}

/** `passport keys`. */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, rotate, prune and list the token signing keys',
  usage:
    'passport keys [--rotate [--delay S] | --prune | --list | --force] [--length 2048|4096] [--alg RS256|ES256|EdDSA] [--path DIR]',
  usesDatabase: false,
  options: {
    force: { type: 'boolean' },
    rotate: { type: 'boolean' },
    delay: { type: 'string' },
    prune: { type: 'boolean' },
    list: { type: 'boolean' },
    length: { type: 'string' },
    alg: { type: 'string' },
    path: { type: 'string' },
    config: { type: 'string' },
  },
  help: `Without an action, writes the first key pair: oauth-private.key (PKCS#8 PEM, mode 0600) and
oauth-public.key (SPKI PEM). Existing keys are never replaced without --force (exit code 1).

--rotate adds a new key without invalidating a single token: oauth-private.<UTC time>.key and
oauth-public.<UTC time>.key, published at once and signing from that time on (now + --delay).
The key that signs until then keeps verifying for the longest token lifetime (the config's
options.lifetimes: access and personal access tokens, one year by default); then it is removed.
Servers pick new keys up with startKeyReloader (every 60 s, and at once on SIGHUP).

Actions:
  --rotate             add the next signing key, then prune
  --delay SECONDS      with --rotate: publish this long before signing    default: ${DEFAULT_ROTATION_DELAY_SECONDS}
                       (longer than the servers' reload interval plus the 300 s JWKS cache)
  --prune              remove retired keys whose tokens have all expired, and the private
                       half of retired keys (also done by --rotate)
  --list               show each key: active, next or previous, and when it changes
  --force              replace every key: every outstanding token stops verifying

Options:
  --length 2048|4096   RSA modulus length (RS256 only)             default: 2048
  --alg ALG            RS256, ES256 or EdDSA       default: RS256; with --rotate, the current key's
  --path DIR           keys directory     default: the config's keysPath, else ./storage
  --config FILE        config file to read keysPath and options.lifetimes from
                       instead of ./passport.config.{ts,mjs,js}`,
  async run({ io, values, config }) {
    const actions = (['rotate', 'prune', 'list', 'force'] as const).filter((name) =>
      flagOption(values, name),
    );
    if (actions.length > 1) {
      throw new CliError('ERR_CLI_USAGE', `--${actions[0]} and --${actions[1]} cannot be combined`);
    }
    const action = actions[0] ?? 'create';
    if (stringOption(values, 'delay') !== undefined && action !== 'rotate') {
      throw new CliError('ERR_CLI_USAGE', '--delay applies to --rotate only');
    }
    if (
      (action === 'prune' || action === 'list') &&
      (stringOption(values, 'alg') !== undefined || stringOption(values, 'length') !== undefined)
    ) {
      throw new CliError('ERR_CLI_USAGE', `--alg and --length apply to new keys, not to --${action}`);
    }
    const delaySeconds = parseDelay(stringOption(values, 'delay'));
    const requested = readKeyOptions(values);
    const loaded = await config();
    const directory = resolveKeysPath(stringOption(values, 'path'), loaded, io.cwd);
    const shownDirectory = displayPath(directory, io.cwd);
    const loadOptions = { env: io.env };

    if (action === 'create' || action === 'force') {
      const alg = requested.alg ?? 'RS256';
      const written = await writeKeyFiles(directory, {
        alg,
        modulusLength: requested.modulusLength,
        force: action === 'force',
      });
      io.out(
        `Encryption keys generated (${alg}${alg === 'RS256' ? ` ${requested.modulusLength}-bit` : ''}, kid ${written.key.kid}):\n` +
          `  ${displayPath(written.privateKeyPath, io.cwd)}  (private, mode 0600: keep it out of version control)\n` +
          `  ${displayPath(written.publicKeyPath, io.cwd)}\n`,
      );
      return 0;
    }

    const retainSeconds = retentionSeconds(loaded);
    if (action === 'list') {
      const keys = await listKeyFiles(directory, { ...loadOptions, retainSeconds });
      io.out(`Keys in ${shownDirectory} (retired keys stay ${duration(retainSeconds)}):\n${keyLines(keys)}`);
      return 0;
    }
    if (action === 'prune') {
      const pruned = await pruneKeyFiles(directory, { ...loadOptions, retainSeconds });
      const changed = pruned.removed.length + pruned.madeVerifyOnly.length > 0;
      io.out(
        `${changed ? prunedLines(pruned) : 'Nothing to prune.\n'}Keys in ${shownDirectory}:\n${keyLines(pruned.keys)}`,
      );
      return 0;
    }

    const rotated = await rotateKeyFiles(directory, {
      ...loadOptions,
      retainSeconds,
      delaySeconds,
      modulusLength: requested.modulusLength,
      ...(requested.alg === undefined ? {} : { alg: requested.alg }),
    });
    const { alg, kid } = rotated.key;
    const signer = rotated.keys.find((key) => key.state === 'active');
    io.out(
      `New signing key (${alg}, kid ${kid}), published now, signs from ${iso(rotated.activatesAt)}` +
        ` (${delaySeconds === 0 ? 'at once' : `in ${duration(delaySeconds)}`}):\n` +
        `  ${displayPath(rotated.privateKeyPath, io.cwd)}  (private, mode 0600)\n` +
        `  ${displayPath(rotated.publicKeyPath, io.cwd)}\n` +
        (signer && signer.kid !== kid
          ? `Until then ${signer.kid} signs; after that it verifies the tokens it signed for ${duration(retainSeconds)}.\n`
          : '') +
        'Servers running startKeyReloader pick the new key up within their reload interval (at once on SIGHUP); restart the others.\n' +
        prunedLines(rotated) +
        `Keys in ${shownDirectory}:\n${keyLines(rotated.keys)}`,
    );
    return 0;
  },
};
