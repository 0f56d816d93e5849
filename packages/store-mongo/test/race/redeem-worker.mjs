// One racing process of test/race.test.ts. It imports the BUILT packages (dist), like an
// application would: @passport/store-mongo (self-reference) and @passport/core.
//
// Usage: node redeem-worker.mjs <json config>
//   { url, dbName, mode: 'store-code' | 'store-refresh' | 'core-code' | 'core-refresh', secret,
//     concurrency, familyId?, client?: { id, secret, redirectUri } }
// Protocol: prints "ready" once its connections are open, waits for "go" on stdin, fires
// `concurrency` redemptions of the same secret at once, prints one JSON line with the outcomes.
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, OAuthError } from '@passport/core';
import { createMongoStore } from '@passport/store-mongo';

const config = JSON.parse(process.argv[2] ?? '{}');
const store = await createMongoStore({
  url: config.url,
  dbName: config.dbName,
  clientOptions: { maxPoolSize: config.concurrency, minPoolSize: 6 },
});

/** A fresh access/refresh token pair of the family, as core would issue it. */
function pair(familyId) {
  const now = new Date();
  const accessToken = {
    id: crypto.randomUUID(),
    userId: 'user-1',
    clientId: config.client?.id ?? 'race-client',
    name: null,
    scopes: [],
    familyId,
    revoked: false,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
  };
  const refreshToken = {
    id: hashSecret(crypto.randomUUID()),
    accessTokenId: accessToken.id,
    userId: 'user-1',
    clientId: accessToken.clientId,
    scopes: [],
    familyId,
    revoked: false,
    consumedAt: null,
    replacedBy: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
  };
  return { accessToken, refreshToken };
}

// Open the connections before the start signal, so the race is about the redemption only.
await Promise.all(Array.from({ length: 6 }, () => store.findClient('warm-up')));

let redeem;
if (config.mode === 'store-code') {
  const id = hashSecret(config.secret);
  redeem = async () => ((await store.redeemAuthCode(id, new Date(), pair(id))) ? 'success' : 'null');
} else if (config.mode === 'store-refresh') {
  const id = hashSecret(config.secret);
  redeem = async () =>
    (await store.rotateRefreshToken(id, new Date(), pair(config.familyId))) ? 'success' : 'null';
} else {
  const passport = createPassport({
    issuer: 'https://auth.example.test',
    store,
    keys: await KeySet.generate('ES256'),
    // Single use only: no retry window in which a lost response may be fetched again.
    refreshTokenRetrySeconds: 0,
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
