// Runtime smoke test: mints and verifies an access token with the BUILT core on whatever runtime
// runs this file (node, bun, deno), and loads key sets from PEM strings (active, previous and a
// scheduled next key) as a host without a key directory does. Prints "ok" and exits 0, or prints
// the failure and exits 1. Run `npx tsup` in packages/core first; test/runtime.test.ts runs it
// under every runtime.
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  KeySet,
  PassportError,
  signAccessToken,
  verifyAccessToken,
} from '../../dist/index.js';

const issuer = 'https://auth.example.com';

/** The claims of a token issued at `iat` (seconds). */
function claimsAt(iat, jti, lifetime = 3600) {
  return {
    iss: issuer,
    sub: 'user-1',
    aud: 'client-1',
    client_id: 'client-1',
    jti,
    iat,
    nbf: iat,
    exp: iat + lifetime,
    scope: 'read',
    scopes: ['read'],
  };
}

/** A store with just `findAccessToken`, and `remember(claims)` to add a token's row. */
function tokenStore() {
  const rows = new Map();
  return {
    rows,
    store: { findAccessToken: async (id) => rows.get(id) ?? null },
    remember: (claims) =>
      rows.set(claims.jti, {
        id: claims.jti,
        userId: 'user-1',
        clientId: 'client-1',
        name: null,
        scopes: ['read'],
        familyId: null,
        revoked: false,
        createdAt: new Date(claims.iat * 1000),
        expiresAt: new Date(claims.exp * 1000),
      }),
  };
}

async function main() {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const keys = await KeySet.generate(alg);
    const claims = claimsAt(Math.floor(Date.now() / 1000), `jti-${alg}`);
    const { rows, store, remember } = tokenStore();
    remember(claims);

    const token = await signAccessToken(keys, claims);
    const verified = await verifyAccessToken(token, { keys, issuer, store });
    if (verified.userId !== 'user-1' || verified.claims.jti !== claims.jti) {
      throw new Error(`${alg}: verified token has unexpected contents`);
    }
    if (keys.toJWKS().keys[0].kid !== keys.active.kid) throw new Error(`${alg}: JWKS kid mismatch`);

    rows.get(claims.jti).revoked = true;
    const revoked = await verifyAccessToken(token, { keys, issuer, store }).then(
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
  const { store, remember } = tokenStore();
  const kidOf = (token) => JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).kid;

  const old = await generateSigningKey('ES256');
  const current = await generateSigningKey('RS256');
  const next = await generateSigningKey('EdDSA');
  const iat = Math.floor(Date.now() / 1000);

  const before = await KeySet.fromPem({ active: await exportPrivateKeyPem(old) });
  const oldClaims = claimsAt(iat, 'jti-old', 31_536_000);
  remember(oldClaims);
  const oldToken = await signAccessToken(before, oldClaims);

  // the environment form, as a Worker's env or Deno.env.toObject() hands it over (literal \n)
  const flat = (pem) => pem.trim().replace(/\n/g, '\\n');
  const activatesAt = (iat + 3600) * 1000;
  const after = await KeySet.fromEnv({
    PASSPORT_PRIVATE_KEY: flat(await exportPrivateKeyPem(current)),
    PASSPORT_PREVIOUS_KEYS: flat(await exportPublicKeyPem(old)),
    PASSPORT_NEXT_KEY: flat(await exportPrivateKeyPem(next)),
    PASSPORT_NEXT_KEY_ACTIVATES_AT: new Date(activatesAt).toISOString(),
  });
  const kids = after.toJWKS().keys.map((key) => key.kid);
  if (kids.join() !== [current.kid, next.kid, old.kid].join()) throw new Error(`fromEnv: JWKS kids ${kids}`);
  if (after.get(old.kid).privateKey !== null) throw new Error('fromEnv: a previous key kept a private key');

  const verified = await verifyAccessToken(oldToken, { keys: after, issuer, store });
  if (verified.claims.jti !== 'jti-old') throw new Error('a token of the previous key does not verify');

  const nowClaims = claimsAt(iat, 'jti-now', 31_536_000);
  remember(nowClaims);
  const nowToken = await signAccessToken(after, nowClaims);
  if (kidOf(nowToken) !== current.kid) throw new Error('the active key does not sign before the activation');
  const laterClaims = claimsAt(iat + 3600, 'jti-later', 31_536_000);
  remember(laterClaims);
  const laterToken = await signAccessToken(after, laterClaims);
  if (kidOf(laterToken) !== next.kid) throw new Error('the next key does not sign from its activation');
  await verifyAccessToken(nowToken, { keys: after, issuer, store });
  await verifyAccessToken(laterToken, { keys: after, issuer, store, now: () => activatesAt });

  const retired = await KeySet.fromPem({ active: await exportPrivateKeyPem(current) });
  const refused = await verifyAccessToken(oldToken, { keys: retired, issuer, store }).then(
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
