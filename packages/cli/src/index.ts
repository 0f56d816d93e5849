/**
 * @passport/cli: the `passport` command (install, keys, client, purge, hash, migrate) and the
 * helpers it is built from, for hosts that script their own set-up.
 * @packageDocumentation
 */

export { commandHelp, globalHelp, runCli } from './cli.js';
export { hashPlainSecrets } from './commands/hash.js';
export {
  CONFIG_FILE_NAMES,
  defineConfig,
  type LoadedConfig,
  loadConfig,
  type PassportCliConfig,
} from './config.js';
export { CliError, type CliErrorCode } from './errors.js';
export type { CliIo } from './io.js';
export { type KeyReloader, type KeyReloaderOptions, startKeyReloader } from './key-reloader.js';
export {
  DEFAULT_ROTATION_DELAY_SECONDS,
  type KeyFileStatus,
  type LoadKeysOptions,
  loadKeysFrom,
  loadKeysFromEnv,
  PRIVATE_KEY_FILE,
  type PrunedKeyFiles,
  type PruneKeyFilesOptions,
  PUBLIC_KEY_FILE,
  pruneKeyFiles,
  type RotatedKeyFiles,
  type RotateKeyFilesOptions,
  rotateKeyFiles,
  type WriteKeyFilesOptions,
  type WrittenKeyFiles,
  writeKeyFiles,
} from './keys.js';
