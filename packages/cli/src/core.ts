import {
  createPassport,
  generateSigningKey,
  KeySet,
  type Passport,
  type PassportStore,
} from '@passport/core';
import type { CommandContext } from './command.js';
import { resolveKeysPath } from './config.js';
import { loadKeysFrom, loadKeysFromEnv } from './keys.js';

/**
 * A Passport core over `store` for the client commands. They never sign a token, so when no key
 * exists yet (no `PASSPORT_PRIVATE_KEY`, no key file) a throwaway ES256 key fills the required slot.
 */
export async function createCore(context: CommandContext, store: PassportStore): Promise<Passport> {
  const loaded = await context.config();
  const keys =
    (await loadKeysFromEnv(context.io.env)) ??
    (await loadKeysFrom(resolveKeysPath(undefined, loaded, context.io.cwd), { env: context.io.env })) ??
    KeySet.from([await generateSigningKey('ES256')]);
  // The client commands run no grant, so the password grant's user hooks (which a CLI config has
  // no reason to carry) are not asked for: `grants` only tells `install` which clients to create.
  const { grants, ...options } = loaded.config.options ?? {};
  return createPassport({
    ...options,
    ...(grants === undefined ? {} : { grants: { ...grants, password: false } }),
    issuer: loaded.config.issuer ?? 'http://localhost',
    store,
    keys,
  });
}
