// One racing process of test/race.test.ts. It imports the BUILT packages (dist), like an
// application would: @passport/store-postgres (self-reference) and @passport/core.
//
// Usage: node redeem-worker.mjs <json config>
//   { databaseUrl, schema, mode: 'store-code' | 'store-refresh' | 'core-code' | 'core-refresh'
//     | 'core-refresh-retry', secret, concurrency, client: { id, secret, redirectUri } }
// Protocol: prints "ready" once its connections are open, waits for "go" on stdin, fires
// `concurrency` redemptions of the same secret at once, prints one JSON line with the outcomes.
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, OAuthError } from '@passport/core';
import { createPostgresStore } from '@passport/store-postgres';
import pg from 'pg';

const config = JSON.parse(process.argv[2] ?? '{}');
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 6 });
const store = createPostgresStore({ pool, schema: config.schema });

// Open the connections before the start signal, so the race is about the redemption only.
const warm = await Promise.all(Array.from({ length: 6 }, () => pool.connect()));
for (const client of warm) client.release();

/** A fresh access token and refresh token of `familyId`, as a redemption or rotation writes them. */
function tokensOf(familyId) {
  const now = new Date();
  const expiresAt = new Date(now.getTime() + 3_600_000);
  const accessTokenId = crypto.randomUUID();
  const common = {
    userId: 'user-1',
    clientId: config.client.id,
    scopes: [],
    familyId,
    revoked: false,
    createdAt: now,
  };
  return {
    accessToken: { ...common, id: accessTokenId, name: null, expiresAt },
    refreshToken: {
      ...common,
      id: hashSecret(crypto.randomUUID()),
      accessTokenId,
      consumedAt: null,
      replacedBy: null,
      expiresAt,
    },
  };
}

let redeem;
if (config.mode === 'store-code') {
  const id = hashSecret(config.secret);
  redeem = async () => ((await store.redeemAuthCode(id, new Date(), tokensOf(id))) ? 'success' : 'null');
} else if (config.mode === 'store-refresh') {
  const id = hashSecret(config.secret);
  const familyId = (await store.findRefreshToken(id))?.familyId ?? 'none';
  redeem = async () =>
    (await store.rotateRefreshToken(id, new Date(), tokensOf(familyId))) ? 'success' : 'null';
} else {
  const passport = createPassport({
    issuer: 'https://auth.example.test',
    store,
    keys: await KeySet.generate('ES256'),
    // 'core-refresh': retries off, so exactly one request may win; 'core-refresh-retry': the default.
    ...(config.mode === 'core-refresh' ? { refreshTokenRetrySeconds: 0 } : {}),
  });
  const params =
    config.mode === 'core-code'
      ? { grant_type: 'authorization_code', code: config.secret, redirect_uri: config.client.redirectUri }
      : { grant_type: 'refresh_token', refresh_token: config.secret };
  redeem = async () => {
    try {
      const response = await passport.handleTokenRequest({
        params: new URLSearchParams({
          ...params,
          client_id: config.client.id,
          client_secret: config.client.secret,
        }),
        authorization: null,
      });
      return response.access_token ? 'success' : 'no-token';
    } catch (error) {
      return error instanceof OAuthError ? error.error : `${error?.name}: ${error?.message}`;
    }
  };
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const outcomes = await Promise.all(Array.from({ length: config.concurrency }, () => redeem()));
  const counts = {};
  for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
  process.stdout.write(`${JSON.stringify(counts)}\n`);
  break;
}
lines.close();
await store.close();
