import { relative } from 'node:path';
import type { SigningAlgorithm } from '@passport/core';
import { type Command, flagOption, stringOption } from '../command.js';
import { resolveKeysPath } from '../config.js';
import { CliError } from '../errors.js';
import { writeKeyFiles } from '../keys.js';

const algorithms: readonly SigningAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** Reads and checks `--alg` and `--length`. */
export function keyOptions(values: Record<string, string | boolean | undefined>): {
  alg: SigningAlgorithm;
  modulusLength: 2048 | 4096;
} {
  const algText = stringOption(values, 'alg') ?? 'RS256';
  const alg = algorithms.find((candidate) => candidate.toLowerCase() === algText.toLowerCase());
  if (!alg) throw new CliError('ERR_CLI_USAGE', `--alg must be RS256, ES256 or EdDSA, not "${algText}"`);
  const lengthText = stringOption(values, 'length');
  if (lengthText !== undefined && alg !== 'RS256') {
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

/** Shows a path relative to the working directory when it is inside it. */
export function displayPath(path: string, cwd: string): string {
  const shown = relative(cwd, path);
  return shown === '' || shown.startsWith('..') ? path : shown;
}

/** `passport keys` (PARITY K2). */
export const keysCommand: Command = {
  name: 'keys',
  summary: 'Generate the token signing key pair (oauth-private.key, oauth-public.key)',
  usage: 'passport keys [--force] [--length 2048|4096] [--alg RS256|ES256|EdDSA] [--path DIR]',
  usesDatabase: false,
  options: {
    force: { type: 'boolean' },
    length: { type: 'string' },
    alg: { type: 'string' },
    path: { type: 'string' },
    config: { type: 'string' },
  },
  help: `Writes oauth-private.key (PKCS#8 PEM, mode 0600) and oauth-public.key (SPKI PEM) into the keys
directory. Existing keys are never replaced without --force (exit code 1).

Options:
  --force              overwrite existing key files
  --length 2048|4096   RSA modulus length (RS256 only)             default: 2048
  --alg ALG            RS256, ES256 or EdDSA                        default: RS256
  --path DIR           keys directory     default: the config's keysPath, else ./storage
  --config FILE        config file to read keysPath from instead of ./passport.config.{ts,mjs,js}`,
  async run({ io, values, config }) {
    const { alg, modulusLength } = keyOptions(values);
    const directory = resolveKeysPath(stringOption(values, 'path'), await config(), io.cwd);
    const written = await writeKeyFiles(directory, {
      alg,
      modulusLength,
      force: flagOption(values, 'force'),
    });
    io.out(
      `Encryption keys generated (${alg}${alg === 'RS256' ? ` ${modulusLength}-bit` : ''}, kid ${written.key.kid}):\n` +
        `  ${displayPath(written.privateKeyPath, io.cwd)}  (private, mode 0600: keep it out of version control)\n` +
        `  ${displayPath(written.publicKeyPath, io.cwd)}\n`,
    );
    return 0;
  },
};
