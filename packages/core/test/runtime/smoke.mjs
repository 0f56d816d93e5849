// Runtime smoke test: mints and verifies an access token with the BUILT core on whatever runtime
// runs this file (node, bun, deno). Prints "ok" and exits 0, or prints the failure and exits 1.
// Run `npx tsup` in packages/core first; test/runtime.test.ts runs it under every runtime.
import { KeySet, PassportError, signAccessToken, verifyAccessToken } from '../../dist/index.js';

const issuer = 'https://auth.example.com';

async function main() {
  for (const alg of ['RS256', 'ES256', 'EdDSA']) {
    const keys = await KeySet.generate(alg);
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: 'user-1',
      aud: 'client-1',
      client_id: 'client-1',
      jti: `jti-${alg}`,
      iat,
      nbf: iat,
      exp: iat + 3600,
      scope: 'read',
      scopes: ['read'],
    };
    const rows = new Map([
      [
        claims.jti,
        {
          id: claims.jti,
          userId: 'user-1',
          clientId: 'client-1',
          name: null,
          scopes: ['read'],
          familyId: null,
          revoked: false,
          createdAt: new Date(iat * 1000),
          expiresAt: new Date(claims.exp * 1000),
        },
      ],
    ]);
    const store = { findAccessToken: async (id) => rows.get(id) ?? null };

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

main().then(
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
