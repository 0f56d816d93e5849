import type { ClientRecord, GrantType } from '@passport/core';
import { type Command, databaseHelp, databaseOptions, flagOption, stringOption } from '../command.js';
import { resolveKeysPath } from '../config.js';
import { createCore } from '../core.js';
import { hasKeyFiles, writeKeyFiles } from '../keys.js';
import { clientJson, clientLines, createClientOfKind } from './client.js';
import { displayPath, keyOptions } from './keys.js';

function findLiveClient(clients: ClientRecord[], grant: GrantType): ClientRecord | undefined {
  return clients.find((client) => !client.revoked && client.grantTypes.includes(grant));
}

/** `passport install`. */
export const installCommand: Command = {
  name: 'install',
  summary: 'Keys, schema, a personal access client (and a password client): everything to start',
  usage: 'passport install [--password] [--force] [--alg ALG] [--length N] [--path DIR] [--json]',
  usesDatabase: true,
  options: {
    password: { type: 'boolean' },
    force: { type: 'boolean' },
    alg: { type: 'string' },
    length: { type: 'string' },
    path: { type: 'string' },
    json: { type: 'boolean' },
    ...databaseOptions,
  },
  help: `Sets up a fresh installation, and is safe to run again:
  1. generates the signing keys (as passport keys) unless they exist (--force replaces them);
  2. applies the database schema (as passport migrate);
  3. creates a personal access client, unless a live one exists;
  4. creates a password grant client when the config enables the password grant
     (options.grants.password) or --password is given, unless a live one exists.
New client ids and secrets are printed once.

Options:
  --password           also create a password grant client
  --force              replace existing keys
  --alg ALG            key algorithm: RS256, ES256 or EdDSA            default: RS256
  --length 2048|4096   RSA modulus length                               default: 2048
  --path DIR           keys directory     default: the config's keysPath, else ./storage
  --json               print what was done as JSON
${databaseHelp}`,
  async run(context) {
    const { io, values } = context;
    const { alg, modulusLength } = keyOptions(values);
    const loaded = await context.config();
    const keysPath = resolveKeysPath(stringOption(values, 'path'), loaded, io.cwd);
    const force = flagOption(values, 'force');
    const keysCreated = force || !(await hasKeyFiles(keysPath));
    if (keysCreated) await writeKeyFiles(keysPath, { alg, modulusLength, force });

    const database = await context.database();
    const migrations = await database.migrate();
    const passport = await createCore(context, database.store);
    const existing = await database.store.listClients();

    const personalExisting = findLiveClient(existing, 'personal_access');
    const personal = personalExisting
      ? { client: personalExisting, plainSecret: null, created: false }
      : {
          ...(await createClientOfKind(passport, {
            kind: 'personal',
            public: false,
            name: 'Personal Access Client',
            redirectUris: [],
            provider: null,
          })),
          created: true,
        };

    const wantsPassword = flagOption(values, 'password') || loaded.config.options?.grants?.password === true;
    let password: { client: ClientRecord; plainSecret: string | null; created: boolean } | null = null;
    if (wantsPassword) {
      const passwordExisting = findLiveClient(existing, 'password');
      password = passwordExisting
        ? { client: passwordExisting, plainSecret: null, created: false }
        : {
            ...(await createClientOfKind(passport, {
              kind: 'password',
              public: false,
              name: 'Password Grant Client',
              redirectUris: [],
              provider: null,
            })),
            created: true,
          };
    }

    if (flagOption(values, 'json')) {
      const summary = (entry: typeof personal) => ({
        ...clientJson(entry.client, entry.plainSecret),
        created: entry.created,
      });
      io.out(
        `${JSON.stringify(
          {
            keys: {
              path: keysPath,
              created: keysCreated,
            },
            migrations,
            personalAccessClient: summary(personal),
            passwordClient: password ? summary(password) : null,
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }

    const shownPath = displayPath(keysPath, io.cwd);
    io.out(
      keysCreated
        ? `Encryption keys written to ${shownPath}.\n`
        : `Encryption keys already exist in ${shownPath}; kept them.\n`,
    );
    io.out(
      migrations.length === 0
        ? `Schema in ${database.label} is up to date.\n`
        : `Schema applied to ${database.label} (${migrations.join(', ')}).\n`,
    );
    for (const [label, entry] of [
      ['Personal access client', personal],
      ['Password grant client', password],
    ] as const) {
      if (!entry) continue;
      if (entry.created) io.out(`${label} created.\n${clientLines(entry.client, entry.plainSecret)}`);
      else
        io.out(`${label} already exists: ${entry.client.id} (its secret was shown when it was created).\n`);
    }
    if (personal.created || password?.created) {
      io.out('Store the secrets now: only their hashes are kept, they cannot be shown again.\n');
    }
    return 0;
  },
};
