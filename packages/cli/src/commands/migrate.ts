import { type Command, databaseHelp, databaseOptions, flagOption, stringOption } from '../command.js';
import { isPostgresUrl } from '../config.js';
import { migrationSql, splitSchema } from '../database.js';

/** `passport migrate`. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply the database schema (--print: print the SQL instead)',
  usage: 'passport migrate [--print]',
  usesDatabase: true,
  options: { print: { type: 'boolean' }, ...databaseOptions },
  help: `Applies the missing @passport/store-postgres migrations and records them, under an advisory lock
(safe when several instances start at once). Running it again applies nothing. On MongoDB
(--mongodb-url) it creates the @passport/store-mongo indexes (idempotent).

Options:
  --print              print the schema SQL for your own migration tool, without connecting to
                       any database: tables prefixed oauth_ in the schema named by
                       --database-url's ?schema= (default "public"), client ids of the type
                       named by its ?id_type= (uuid, the default; bigint; text)
${databaseHelp}`,
  async run(context) {
    const { io, values } = context;
    if (flagOption(values, 'print')) {
      const url = stringOption(values, 'database-url');
      const { schema, idType } =
        url !== undefined && isPostgresUrl(url) ? splitSchema(url) : { schema: null, idType: null };
      io.out(
        migrationSql({ ...(schema === null ? {} : { schema }), ...(idType === null ? {} : { idType }) }),
      );
      return 0;
    }
    const database = await context.database();
    if (database.migrateMessage) {
      io.out(await database.migrateMessage());
      return 0;
    }
    const applied = await database.migrate();
    io.out(
      applied.length === 0
        ? `The schema in ${database.label} is up to date.\n`
        : `Applied ${applied.length} migration${applied.length === 1 ? '' : 's'} to ${database.label}: ${applied.join(', ')}\n`,
    );
    return 0;
  },
};
