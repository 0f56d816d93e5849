import { type Command, databaseHelp, databaseOptions, flagOption } from '../command.js';
import { migrationSql } from '../database.js';

/** `passport migrate` (PARITY K6). */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply the database schema (--print: print the SQL instead)',
  usage: 'passport migrate [--print]',
  usesDatabase: true,
  options: { print: { type: 'boolean' }, ...databaseOptions },
  help: `Applies the missing @passport/store-postgres migrations and records them, under an advisory lock
(safe when several instances start at once). Running it again applies nothing.

Options:
  --print              print the schema SQL (default schema "public", prefix oauth_) for your own
                       migration tool, without connecting to any database
${databaseHelp}`,
  async run(context) {
    const { io, values } = context;
    if (flagOption(values, 'print')) {
      io.out(migrationSql());
      return 0;
    }
    const database = await context.database();
    const applied = await database.migrate();
    io.out(
      applied.length === 0
        ? `The schema in ${database.label} is up to date.\n`
        : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${database.label}: ${applied.join(', ')}\n`,
    );
    return 0;
  },
};
