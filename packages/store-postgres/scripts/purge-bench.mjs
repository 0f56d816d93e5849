// Times purge on a large table: ROWS expired access tokens, each with its expired refresh token
// (2 x ROWS expired rows), plus live rotation families that purge must keep. Not part of the test
// run (the tests assert correctness on 20,000 rows); results are quoted in the README.
//
//   npx tsup && node scripts/purge-bench.mjs                 # 1,000,000 pairs on DATABASE_URL
//   ROWS=200000 BATCH=10000 node scripts/purge-bench.mjs
//
// Uses its own schema (dropped at the end) on DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
import { createPostgresStore } from '@passport/store-postgres';
import pg from 'pg';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const BATCH = Number(process.env.BATCH ?? 5000);
const LIVE = 1000;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `passport_bench_${Date.now()}`;
const DAY = 86_400_000;
const now = new Date();
const ago = (ms) => new Date(now.getTime() - ms);

const store = createPostgresStore({
  pool: new pg.Pool({ connectionString: databaseUrl, max: 4 }),
  schema,
  purgeBatchSize: BATCH,
  queryTimeoutMs: 120_000,
});
const t = store.schema.tables;
const q = (sql, params = []) => store.driver.query(sql, params);
const seconds = (start) => ((performance.now() - start) / 1000).toFixed(1);

try {
  await store.migrate();
  let start = performance.now();
  const client = '00000000-0000-4000-8000-000000000001';
  await q(
    `INSERT INTO ${t.accessTokens} (id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT 'at-' || i, 'user-' || (i % 50000), $1, '{read}', 'family-' || i, $2, $2 FROM generate_series(1, ${ROWS}) i`,
    [client, ago(30 * DAY)],
  );
  await q(
    `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT md5('rt-' || i), 'at-' || i, 'user-' || (i % 50000), $1, '{read}', 'family-' || i, $2, $3 FROM generate_series(1, ${ROWS}) i`,
    [client, ago(60 * DAY), ago(30 * DAY)],
  );
  // Live families: expired access token + consumed refresh token + live refresh token.
  await q(
    `INSERT INTO ${t.accessTokens} (id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT 'live-at-' || i, 'user-1', $1, '{read}', 'live-family-' || i, $2, $2 FROM generate_series(1, ${LIVE}) i`,
    [client, ago(30 * DAY)],
  );
  await q(
    `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, consumed_at, created_at, expires_at)
     SELECT 'live-old-' || i, 'live-at-' || i, 'user-1', $1, '{read}', 'live-family-' || i, $2, $2, $2 FROM generate_series(1, ${LIVE}) i`,
    [client, ago(30 * DAY)],
  );
  await q(
    `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT 'live-rt-' || i, 'live-at-' || i, 'user-1', $1, '{read}', 'live-family-' || i, $2, $3 FROM generate_series(1, ${LIVE}) i`,
    [client, ago(DAY), new Date(now.getTime() + 20 * DAY)],
  );
  await q(`ANALYZE ${t.accessTokens}`);
  await q(`ANALYZE ${t.refreshTokens}`);
  console.log(`seeded ${ROWS} expired pairs + ${LIVE} live families in ${seconds(start)} s`);

  start = performance.now();
  const result = await store.purge({ revoked: true, expiredBefore: ago(7 * DAY), now });
  const took = seconds(start);
  console.log(`purge (batch ${BATCH}) deleted`, result, `in ${took} s`);

  const left = await q(
    `SELECT (SELECT count(*) FROM ${t.accessTokens})::int AS access, (SELECT count(*) FROM ${t.refreshTokens})::int AS refresh`,
  );
  const expected = { access: LIVE, refresh: 2 * LIVE };
  const ok = JSON.stringify(left.rows[0]) === JSON.stringify(expected);
  console.log(
    'rows left',
    left.rows[0],
    ok ? '(every live family intact)' : `UNEXPECTED, wanted ${JSON.stringify(expected)}`,
  );
  if (!ok || result.accessTokens !== ROWS || result.refreshTokens !== ROWS) process.exitCode = 1;
} finally {
  await q(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await store.close();
}
