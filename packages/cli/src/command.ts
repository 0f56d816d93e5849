import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type LoadedConfig, loadConfig, resolveDatabase } from './config.js';
import { type OpenDatabase, openDatabase } from './database.js';
import { CliError } from './errors.js';
import type { CliIo, Prompter } from './io.js';

/** Option definitions in `node:util` `parseArgs` form. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parsed option values: strings for valued options, lists for repeatable ones, booleans for flags. */
export type OptionValues = Record<string, string | string[] | boolean | undefined>;

/** What a command receives. */
export interface CommandContext {
  io: CliIo;
  values: OptionValues;
  prompter: Prompter;
  /** The config file (loaded once; `--config` honoured). */
  config(): Promise<LoadedConfig>;
  /** The database chosen by the documented precedence (opened once, closed by the runner). */
  database(): Promise<OpenDatabase>;
}

/** One `passport` subcommand. */
export interface Command {
  name: string;
  /** One line for `passport --help`. */
  summary: string;
  /** `passport <name> --help` text after the usage line. */
  help: string;
  usage: string;
  options: OptionSpec;
  /** Whether the command reads the database options (`--database-url`, `--config`). */
  usesDatabase: boolean;
  /** Runs the command; returns the exit code. Throws {@link CliError} for one-line failures. */
  run(context: CommandContext): Promise<number>;
}

/** Options every database command accepts. */
export const databaseOptions: OptionSpec = {
  'database-url': { type: 'string' },
  'redis-url': { type: 'string' },
  'mongodb-url': { type: 'string' },
  config: { type: 'string' },
};

/** Help lines for {@link databaseOptions}. */
export const databaseHelp = `  --database-url URL|DIR  postgres://user:password@host:5432/db[?schema=name][&id_type=bigint], or a PGlite
                          data directory (overrides the config file's database and DATABASE_URL);
                          id_type is the client id type the schema was created with (uuid, bigint, text)
  --redis-url URL         redis://[:password@]host:6379[/db][?prefix=passport:] (or rediss://): the Redis
                          store, keys under the prefix (default passport:); instead of --database-url
  --mongodb-url URL       mongodb://host:27017/db: the @passport/store-mongo store (a mongodb:// URL
                          works in --database-url too); instead of --database-url
  --config FILE           config file to load instead of ./passport.config.{ts,mjs,js}`;

/** Parses `args` for `command`, turning `parseArgs` errors into one-line usage errors. */
export function parseCommandArgs(command: Command, args: string[]): OptionValues {
  try {
    const { values } = parseArgs({
      args,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    return values as OptionValues;
  } catch (error) {
    throw usageErrorFrom(error, `passport ${command.name}`);
  }
}

/** A {@link CliError} `ERR_CLI_USAGE` for a `parseArgs` failure. */
export function usageErrorFrom(error: unknown, where: string): CliError {
  const { code, message } = error as { code?: string; message?: string };
  const quoted = /'([^']+)'/.exec(message ?? '')?.[1] ?? /"([^"]+)"/.exec(message ?? '')?.[1] ?? '';
  const hint = `(see ${where} --help)`;
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new CliError('ERR_CLI_USAGE', `unknown option ${quoted} for ${where} ${hint}`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new CliError('ERR_CLI_USAGE', `${optionName(message ?? '') ?? quoted} needs a value ${hint}`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new CliError('ERR_CLI_USAGE', `unexpected argument "${quoted}" for ${where} ${hint}`);
    default:
      return new CliError('ERR_CLI_USAGE', `${message ?? 'bad arguments'} ${hint}`);
  }
}

function optionName(message: string): string | null {
  return /--[a-z-]+/.exec(message)?.[0] ?? null;
}

/** A string option's value, or `undefined`. */
export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable (`multiple: true`) option, in order; `[]` when absent. */
export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
}

/** A boolean flag's value. */
export function flagOption(values: OptionValues, name: string): boolean {
  return values[name] === true;
}

/** Builds the lazily loaded config and database of one run. */
export function createContext(
  io: CliIo,
  values: OptionValues,
  prompter: Prompter,
): { context: CommandContext; close(): Promise<void> } {
  let config: Promise<LoadedConfig> | null = null;
  let database: Promise<OpenDatabase> | null = null;
  const context: CommandContext = {
    io,
    values,
    prompter,
    config: () => {
      config ??= loadConfig(io.cwd, stringOption(values, 'config'));
      return config;
    },
    database: () => {
      database ??= context
        .config()
        .then((loaded) =>
          openDatabase(
            resolveDatabase(
              stringOption(values, 'database-url'),
              loaded,
              io.env,
              io.cwd,
              stringOption(values, 'redis-url'),
              stringOption(values, 'mongodb-url'),
            ),
          ),
        );
      return database;
    },
  };
  return {
    context,
    close: async () => {
      prompter.close();
      if (database) {
        const open = await database.catch(() => null);
        await open?.close().catch(() => {});
      }
    },
  };
}
