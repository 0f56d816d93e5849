import { hashSecret, type PassportStore } from '@passport/core';
import { type Command, databaseHelp, databaseOptions, flagOption } from '../command.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Hashes client secrets still stored in plain text. Passport for TypeScript hashes
 * every secret at creation, so this only finds work in rows imported from elsewhere, such as
 * Laravel Passport's `oauth_clients.secret` copied into `secret_hash`: any value that is not a
 * lowercase SHA-256 hex digest is replaced by its digest. Returns the ids it changed.
 */
export async function hashPlainSecrets(store: PassportStore, now: Date = new Date()): Promise<string[]> {
  const changed: string[] = [];
  for (const client of await store.listClients()) {
    if (client.secretHash === null || SHA256_HEX.test(client.secretHash)) continue;
    await store.updateClient(client.id, { secretHash: hashSecret(client.secretHash), updatedAt: now });
    changed.push(client.id);
  }
  return changed;
}

/** `passport hash`. */
export const hashCommand: Command = {
  name: 'hash',
  summary: 'Hash client secrets still stored in plain text',
  usage: 'passport hash',
  usesDatabase: true,
  options: { json: { type: 'boolean' }, ...databaseOptions },
  help: `Secrets created by Passport for TypeScript are always stored as SHA-256 hashes, and the schema has
no plain-text secret column. This command is for clients imported from elsewhere (for example
Laravel Passport's oauth_clients.secret copied into secret_hash): every secret_hash that is not a
64-character lowercase SHA-256 hex digest is replaced by its digest, so the old secret keeps working.
Running it again changes nothing.

Options:
  --json               print {"hashed": [client ids]}
${databaseHelp}`,
  async run(context) {
    const { io, values } = context;
    const { store } = await context.database();
    const changed = await hashPlainSecrets(store);
    if (flagOption(values, 'json')) {
      io.out(`${JSON.stringify({ hashed: changed })}\n`);
      return 0;
    }
    if (changed.length === 0) io.out('All client secrets are already hashed.\n');
    else
      io.out(
        `Hashed the secrets of ${changed.length} client${changed.length === 1 ? '' : 's'}: ${changed.join(', ')}\n`,
      );
    return 0;
  },
};
