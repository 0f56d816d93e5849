// Runtime smoke test: mints and verifies an access token through the BUILT core's facade on
// whatever runtime runs this file (node, bun, deno), and loads key sets from PEM strings (active,
// previous and a scheduled next key) as a host without a key directory does. Prints "ok" and exits
// 0, or prints the failure and exits 1. Run `npx tsup` in packages/core first;
// test/runtime.test.ts runs it under every runtime.
import {
  createPassport,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  KeySet,
  keySetFromEnv,
  keySetFromPem,
  PassportError,
} from '../../dist/index.js';

const issuer = 'https://auth.example.com';

/** Methods a store may leave out: core then draws client ids itself and has no change feed. */
const optionalStoreMethods = new Set(['nextClientId', 'subscribeChanges', 'close']);

/**
 * The few store methods a client_credentials token and its verification use, over two Maps. Any
 * other required method exists (createPassport checks the contract) but throws if it is ever
 * called; the optional ones are absent.
 */
function smokeStore() {
  const clients = new Map();
  const tokens = new Map();
  const used = {
    createClient: async (client) => void clients.set(client.id, { ...client }),
    findClient: async (id) => clients.get(id) ?? null,
    saveTokens: async ({ accessToken }) => void tokens.set(accessToken.id, { ...accessToken }),
    findAccessToken: async (id) => tokens.get(id) ?? null,
    revokeAccessToken: async (id) => {
      const row = tokens.get(id);
      if (row === undefined) return false;
      row.revoked = true;
      return true;
    },
  };
  return new Proxy(used, {
    get: (target, name) =>
      target[name] ??
      (optionalStoreMethods.has(name)
        ? undefined
        : async () => {
            throw new Error(`the smoke store does not implement ${String(name)}`);
          }),
  });
}

async function main() {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const keys = await KeySet.generate(alg);
    const passport = createPassport({ issuer, store: smokeStore(), keys, scopes: { read: 'Read' } });
    const { client, plainSecret } = await passport.clients.create({
      name: 'Smoke',
      grantTypes: ['client_credentials'],
    });
    const { access_token } = await passport.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
      authorization: `Basic ${btoa(`${client.id}:${plainSecret}`)}`,
    });
    const verified = await passport.verifyAccessToken(access_token);
    if (verified.clientId !== client.id || verified.scopes.join(' ') !== 'read') {
      throw new Error(`${alg}: verified token has unexpected contents`);
    }
    if (keys.toJWKS().keys[0].kid !== keys.active.kid) throw new Error(`${alg}: JWKS kid mismatch`);

    await passport.revokeAccessToken(verified.record.id);
    const revoked = await passport.verifyAccessToken(access_token).then(
      () => null,
      (error) => error,
    );
    if (!(revoked instanceof PassportError) || revoked.code !== 'ERR_TOKEN_REVOKED') {
      throw new Error(`${alg}: a revoked token was not rejected with ERR_TOKEN_REVOKED`);
    }
  }
}

/** Key sets from PEM strings and from an environment record: rotation keeps old tokens valid. */
async function pemKeySets() {
  const kidOf = (token) => JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).kid;
  const old = await generateSigningKey('ES256');
  const current = await generateSigningKey('RS256');
  const next = await generateSigningKey('EdDSA');
  let now = Math.floor(Date.now() / 1000) * 1000;

  const passport = createPassport({
    issuer,
    store: smokeStore(),
    keys: await keySetFromPem({ active: await exportPrivateKeyPem(old) }),
    scopes: { read: 'Read' },
    lifetimes: { accessToken: 31_536_000 },
    clock: () => now,
  });
  const { client, plainSecret } = await passport.clients.create({
    name: 'Smoke',
    grantTypes: ['client_credentials'],
  });
  const mint = async () =>
    (
      await passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' }),
        authorization: `Basic ${btoa(`${client.id}:${plainSecret}`)}`,
      })
    ).access_token;
  const oldToken = await mint();

  // the environment form, as a Worker's env or Deno.env.toObject() hands it over (literal \n)
  const flat = (pem) => pem.trim().replace(/\n/g, '\\n');
  const activatesAt = now + 3_600_000;
  const after = await keySetFromEnv({
    PASSPORT_PRIVATE_KEY: flat(await exportPrivateKeyPem(current)),
    PASSPORT_PREVIOUS_KEYS: flat(await exportPublicKeyPem(old)),
    PASSPORT_NEXT_KEY: flat(await exportPrivateKeyPem(next)),
    PASSPORT_NEXT_KEY_ACTIVATES_AT: new Date(activatesAt).toISOString(),
  });
  const kids = after.toJWKS().keys.map((key) => key.kid);
  if (kids.join() !== [current.kid, next.kid, old.kid].join()) throw new Error(`fromEnv: JWKS kids ${kids}`);
  if (after.get(old.kid).privateKey !== null) throw new Error('fromEnv: a previous key kept a private key');

  passport.setKeys(after);
  await passport.verifyAccessToken(oldToken); // a token of the previous key still verifies
  const nowToken = await mint();
  if (kidOf(nowToken) !== current.kid) throw new Error('the active key does not sign before the activation');
  now = activatesAt;
  const laterToken = await mint();
  if (kidOf(laterToken) !== next.kid) throw new Error('the next key does not sign from its activation');
  await passport.verifyAccessToken(nowToken);
  await passport.verifyAccessToken(laterToken);

  passport.setKeys(await keySetFromPem({ active: await exportPrivateKeyPem(current) }));
  const refused = await passport.verifyAccessToken(oldToken).then(
    () => null,
    (error) => error,
  );
  if (!(refused instanceof PassportError) || refused.code !== 'ERR_TOKEN_INVALID') {
    throw new Error('a token of a removed key still verifies');
  }
}

main()
  .then(pemKeySets)
  .then(
    () => {
      console.log('ok');
    },
    (error) => {
      console.error(error);
      // exit code without process.* (Deno has no process global without node compat)
      if (typeof Deno !== 'undefined') Deno.exit(1);
      else globalThis.process.exit(1);
    },
  );
