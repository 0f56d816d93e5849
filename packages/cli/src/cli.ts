import { readFileSync } from 'node:fs';
import { type Command, createContext, parseCommandArgs } from './command.js';
import { clientCommand } from './commands/client.js';
import { hashCommand } from './commands/hash.js';
import { installCommand } from './commands/install.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { purgeCommand } from './commands/purge.js';
import { describeDatabaseError } from './database.js';
import { CliError, oneLine } from './errors.js';
import { type CliIo, Prompter, processIo } from './io.js';

/** Every subcommand, in `--help` order. */
export const commands: readonly Command[] = [
  installCommand,
  keysCommand,
  clientCommand,
  purgeCommand,
  hashCommand,
  migrateCommand,
];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `passport --help`. */
export function globalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `Usage: passport <command> [options]

Sets up a Passport OAuth 2 server: signing keys, database schema, clients, housekeeping.

Commands:
${list}

Configuration, the same for every command, first match wins:
  1. --database-url URL|DIR   postgres://user:password@host:5432/db[?schema=name], or a
                              directory holding an embedded PGlite database (created when missing)
     --redis-url URL          redis://host:6379[?prefix=passport:]: the Redis store (a redis:// URL
                              works in --database-url, the config's database and DATABASE_URL too)
     --mongodb-url URL        mongodb://host:27017/db: the Mongo store (a mongodb:// URL works in
                              --database-url, the config's database and DATABASE_URL too)
  2. the config file: --config FILE, else the first of passport.config.ts,
     passport.config.mjs, passport.config.js in the working directory; its "store",
     else its "database" (it also sets keysPath, issuer and options, even with 1.)
  3. the DATABASE_URL environment variable
passport.config.ts needs a Node that imports TypeScript (22.18+, or 22.6+ with
NODE_OPTIONS=--experimental-strip-types); on Node 20 name it passport.config.mjs.
Keys are read from PASSPORT_PRIVATE_KEY when set, else from the keys directory.

Errors are one line on stderr. Exit codes: 0 success, 1 failure, 2 bad command line.
Run "passport <command> --help" for a command's options.
`;
}

/** `passport <command> --help`. */
export function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.summary}.\n\n${command.help}\n`;
}

/**
 * Runs the `passport` command line and returns its exit code. Every failure is written to
 * `io.err` as one line (`passport: ...`); nothing throws.
 *
 * @example
 * ```ts
 * const code = await runCli(['keys', '--path', 'storage']);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? commands.find((command) => command.name === rest[0]) : undefined;
    if (name === 'help' && rest[0] !== undefined && !topic) return fail(io, unknownCommand(rest[0]));
    io.out(topic ? commandHelp(topic) : globalHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`${version()}\n`);
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) return fail(io, unknownCommand(name));

  const prompter = new Prompter(io);
  let run: ReturnType<typeof createContext> | null = null;
  try {
    const values = parseCommandArgs(command, [...rest]);
    if (values.help === true) {
      io.out(commandHelp(command));
      return 0;
    }
    run = createContext(io, values, prompter);
    return await command.run(run.context);
  } catch (error) {
    return fail(io, error);
  } finally {
    prompter.close();
    await run?.close();
  }
}

function unknownCommand(name: string): CliError {
  const known = commands.map((command) => command.name).join(', ');
  const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`;
  return new CliError('ERR_CLI_USAGE', `${what} (commands: ${known}; see passport --help)`);
}

function fail(io: CliIo, error: unknown): number {
  if (error instanceof CliError) {
    io.err(`passport: ${error.message}\n`);
    return error.exitCode;
  }
  const code = (error as { code?: unknown }).code;
  if (code === 'ERR_STORE_UNAVAILABLE') {
    io.err(
      `passport: the database is unavailable: ${describeDatabaseError((error as Error).cause ?? error)}\n`,
    );
    return 1;
  }
  if (isMissingSchema(error)) {
    io.err(
      `passport: the database has no Passport schema (${oneLine(error)}); run "passport migrate" or "passport install" first\n`,
    );
    return 1;
  }
  if (io.env.PASSPORT_DEBUG && error instanceof Error) io.err(`${error.stack}\n`);
  const hint = io.env.PASSPORT_DEBUG ? '' : ' (set PASSPORT_DEBUG=1 for the stack trace)';
  io.err(`passport: ${oneLine(error)}${hint}\n`);
  return 1;
}

/** PostgreSQL's `undefined_table` (42P01) anywhere in the cause chain: the schema was never applied. */
function isMissingSchema(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    if ((e as { code?: unknown }).code === '42P01') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
