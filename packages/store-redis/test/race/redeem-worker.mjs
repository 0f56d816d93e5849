// One racing process of test/race.test.ts. It imports the BUILT packages (dist), like an
// application would: @passport/store-redis (self-reference) and @passport/core.
//
// Usage: node redeem-worker.mjs <json config>
//   { redis: { url } | { clusterNodes }, prefix, mode: 'store-code' | 'store-refresh' | 'core-code'
//     | 'core-refresh', secret, concurrency, client: { id, secret, redirectUri } }
// Protocol: prints "ready" once connected, waits for "go" on stdin, fires `concurrency`
// redemptions of the same secret at once, prints one JSON line: { counts, attempts }, where each
// attempt names the outcome and the token ids it tried to store.
import { createInterface } from 'node:readline';
import { createPassport, hashSecret, KeySet, OAuthError } from '@passport/core';
import { createRedisStore } from '@passport/store-redis';

const config = JSON.parse(process.argv[2] ?? '{}');
const store = await createRedisStore({ ...config.redis, prefix: config.prefix, timeoutMs: 10_000 });

const hex = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
};

/** A token pair as core writes it for `familyId`. */
function pair(familyId, userId, clientId, now) {
  const accessToken = {
    id: crypto.randomUUID(),
    userId,
    clientId,
    name: null,
    scopes: ['read'],
    familyId,
    revoked: false,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 3_600_000),
  };
  const refreshToken = {
    id: hex(),
    accessTokenId: accessToken.id,
    userId,
    clientId,
    scopes: ['read'],
    familyId,
    revoked: false,
    consumedAt: null,
    replacedBy: null,
    createdAt: now,
    expiresAt: new Date(now.getTime() + 86_400_000),
  };
  return { accessToken, refreshToken };
}

let redeem;
if (config.mode === 'store-code') {
  const id = hashSecret(config.secret);
  const code = await store.findAuthCode(id);
  redeem = async () => {
    const tokens = pair(id, code?.userId ?? 'nobody', code?.clientId ?? 'nobody', new Date());
    const outcome = (await store.redeemAuthCode(id, new Date(), tokens)) ? 'success' : 'null';
    return { outcome, accessTokenId: tokens.accessToken.id, refreshTokenId: tokens.refreshToken.id };
  };
} else if (config.mode === 'store-refresh') {
  const id = hashSecret(config.secret);
  const token = await store.findRefreshToken(id);
  redeem = async () => {
    const tokens = pair(
      token?.familyId ?? hex(),
      token?.userId ?? null,
      token?.clientId ?? 'nobody',
      new Date(),
    );
    const outcome = (await store.rotateRefreshToken(id, new Date(), tokens)) ? 'success' : 'null';
    return { outcome, accessTokenId: tokens.accessToken.id, refreshTokenId: tokens.refreshToken.id };
  };
} else {
  // Retries off: a refresh token presented again right after its rotation is reuse, so exactly
  // one of the racers may win (within the default retry window concurrent retries are honoured).
  const passport = createPassport({
    issuer: 'https://auth.example.test',
    store,
    keys: await KeySet.generate('ES256'),
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
      return { outcome: response.access_token ? 'success' : 'no-token' };
    } catch (error) {
      return { outcome: error instanceof OAuthError ? error.error : `${error?.name}: ${error?.message}` };
    }
  };
}

process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const attempts = await Promise.all(Array.from({ length: config.concurrency }, () => redeem()));
  const counts = {};
  for (const { outcome } of attempts) counts[outcome] = (counts[outcome] ?? 0) + 1;
  process.stdout.write(`${JSON.stringify({ counts, attempts })}\n`);
  break;
}
lines.close();
await store.close();
