import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { buildStatements, purgeBatchSql } from '../src/internal/statements.js';
import { createServerStore, destroyStore } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('query plans on the PostgreSQL server', () => {
  // The hot queries of the token endpoint and the bearer guard must never scan a table. The tables
  // get enough rows that the planner's choice is meaningful (20,000 rows per table: tokens of 2,000 users
  // and 50 clients among 20,000),
  // then each statement the store really sends is EXPLAINed with realistic parameters.

  const ROWS = 20_000;
  let store: PostgresStore;
  let sql: ReturnType<typeof buildStatements>;
  const plans: string[] = [];

  async function seed(): Promise<void> {
    const t = store.schema.tables;
    const q = (text: string) => store.driver.query(text);
    await q(`INSERT INTO ${t.clients} (id, name, confidential, created_at, updated_at)
    SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'client ' || i, true, now(), now()
    FROM generate_series(1, ${ROWS}) i`);
    await q(`INSERT INTO ${t.accessTokens} (id, user_id, client_id, scopes, family_id, revoked, created_at, expires_at)
    SELECT 'at-' || i, 'user-' || (i % 2000), ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid,
      '{read}', 'family-' || (i / 3), i % 10 = 0, now() - (i || ' seconds')::interval, now() + ((i % 7200) - 3600 || ' seconds')::interval
    FROM generate_series(1, ${ROWS}) i`);
    await q(`INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, revoked, consumed_at, created_at, expires_at)
    SELECT md5('rt-' || i), 'at-' || i, 'user-' || (i % 2000), ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid,
      '{read}', 'family-' || (i / 3), i % 10 = 0, CASE WHEN i % 3 <> 2 THEN now() END, now(), now() + interval '30 days'
    FROM generate_series(1, ${ROWS}) i`);
    await q(`INSERT INTO ${t.authCodes} (id, client_id, user_id, scopes, consumed_at, created_at, expires_at)
    SELECT md5('code-' || i), ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid, 'user-' || (i % 2000),
      '{read}', CASE WHEN i % 2 = 0 THEN now() END, now(), now() + interval '10 minutes'
    FROM generate_series(1, ${ROWS}) i`);
    await q(`INSERT INTO ${t.deviceCodes} (id, user_code, client_id, scopes, poll_interval, created_at, expires_at)
    SELECT md5('device-' || i), upper(substr(md5('uc-' || i), 1, 8)), ('00000000-0000-4000-8000-' || lpad(to_hex(1 + i % 50), 12, '0'))::uuid,
      '{}', 5, now(), now() + interval '10 minutes'
    FROM generate_series(1, ${ROWS}) i`);
    await q(
      `INSERT INTO ${t.nonces} (id, expires_at) SELECT md5('nonce-' || i), now() + interval '1 hour' FROM generate_series(1, ${ROWS}) i`,
    );
    for (const table of Object.values(t)) await q(`ANALYZE ${table}`);
  }

  beforeAll(async () => {
    store = await createServerStore();
    sql = buildStatements(store.schema);
    await seed();
  }, 120_000);

  afterAll(async () => {
    if (plans.length > 0) console.info(`\nQuery plans on ${ROWS} rows per table:\n\n${plans.join('\n\n')}\n`);
    await destroyStore(store);
  });

  async function explain(name: string, statement: string, params: unknown[]): Promise<string> {
    const { rows } = await store.driver.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, params);
    const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
    plans.push(`-- ${name}\n${plan}`);
    return plan;
  }

  const now = new Date();
  const client = '00000000-0000-4000-8000-000000000007';
  /** The channel and payload of a notifying statement (EXPLAIN runs nothing: nothing is sent). */
  const notify = ['passport:explain', '{"type":"reset"}'];
  const accessParams = ['at-new', 'user-1', client, null, ['read'], 'family-new', false, now, now];
  const refreshParams = [
    'e'.repeat(64),
    'at-new',
    'user-1',
    client,
    ['read'],
    'family-new',
    false,
    null,
    null,
    now,
    now,
  ];

  describe('query plans of the hot paths (no table is scanned)', () => {
    const cases: Array<[string, () => [string, unknown[]]]> = [
      ['findAccessToken (bearer guard: revocation check)', () => [sql.findAccessToken, ['at-1234']]],
      ['findClient (client authentication)', () => [sql.findClient, [client]]],
      [
        'redeemAuthCode (authorization_code grant)',
        () => [sql.redeemAuthCode, [`${'a'.repeat(64)}`, now, ...accessParams, ...refreshParams]],
      ],
      [
        'rotateRefreshToken (refresh_token grant: one statement)',
        () => [
          sql.rotate,
          [
            `${'b'.repeat(64)}`,
            now,
            'e'.repeat(64),
            notify[0],
            '@passport/store-postgres:family:',
            ...accessParams,
            ...refreshParams,
          ],
        ],
      ],
      [
        'findRefreshToken (reuse detection, introspection)',
        () => [sql.findRefreshToken, [`${'b'.repeat(64)}`]],
      ],
      ['revokeFamily (refresh token reuse)', () => [sql.revokeFamily, ['family-42', ...notify]]],
      ['revokeAccessToken (revocation endpoint)', () => [sql.revokeAccessToken, ['at-1234', ...notify]]],
      ['listUserTokens (token management)', () => [sql.listUserClientTokens, ['user-42', now, client]]],
      ['findAuthCode (code reuse detection)', () => [sql.findAuthCode, [`${'a'.repeat(64)}`]]],
      ['revokeRefreshToken (revocation endpoint)', () => [sql.revokeRefreshToken, [`${'b'.repeat(64)}`]]],
      ['revokeClientTokens (client deletion)', () => [sql.revokeClientTokens, [client, ...notify]]],
      ['listUserTokens without a client', () => [sql.listUserTokens, ['user-42', now]]],
      ['listClientsByOwner (JSON API)', () => [sql.listClientsByOwner, ['user-42']]],
      ['saveDeviceCode: live user code check', () => [sql.liveUserCodeExists, ['ABCDEFGH', now]]],
      ['findDeviceCode (device_code grant)', () => [sql.findDeviceCode, [`${'c'.repeat(64)}`]]],
      [
        'decideDeviceCode (device approval)',
        () => [sql.decideDeviceCode, [`${'c'.repeat(64)}`, 'approved', 'user-1', now]],
      ],
      [
        'findDeviceCodeByUserCode (device verification page)',
        () => [sql.findDeviceCodeByUserCode, ['ABCDEFGH', now]],
      ],
      [
        'touchDeviceCode (device_code grant poll)',
        () => [sql.touchDeviceCode, [`${'c'.repeat(64)}`, now, null]],
      ],
      [
        'redeemDeviceCode (device_code grant)',
        () => [sql.redeemDeviceCode, [`${'c'.repeat(64)}`, now, ...accessParams, ...refreshParams]],
      ],
    ];

    for (const [name, build] of cases) {
      it(`${name} uses an index`, async () => {
        const [statement, params] = build();
        const plan = await explain(name, statement, params);
        expect(plan).not.toMatch(/Seq Scan/);
        expect(plan).toMatch(/Index Scan|Index Only Scan|Bitmap Index Scan/);
      });
    }

    it('useNonce is one INSERT whose conflict check is the primary key', async () => {
      const plan = await explain('useNonce (approval form)', sql.useNonce, ['d'.repeat(32), now]);
      expect(plan).toMatch(/^Insert on/);
      expect(plan).toMatch(/Conflict Arbiter Indexes: oauth_nonces_pkey/);
      expect(plan).not.toMatch(/Scan on oauth/);
    });

    it('saveTokens inserts without scanning: one INSERT, or one statement inserting both rows', async () => {
      const access = await explain('saveTokens: access token only', sql.insertAccessToken, accessParams);
      const pair = await explain('saveTokens: access and refresh token (one statement)', sql.insertTokens, [
        ...accessParams,
        ...refreshParams,
      ]);
      for (const plan of [access, pair]) {
        expect(plan).toMatch(/^Insert on/);
        expect(plan).not.toMatch(/Scan/);
      }
      // The pair is one plan: the refresh token INSERT with the access token INSERT as its CTE.
      expect(pair).toMatch(/^Insert on oauth_refresh_tokens/);
      expect(pair).toMatch(/CTE access[\s\S]*Insert on oauth_access_tokens/);
    });

    it('redeemAuthCode is one statement: the code UPDATE and both INSERTs in one plan', async () => {
      const plan = await explain('redeemAuthCode (one statement)', sql.redeemAuthCode, [
        'a'.repeat(64),
        now,
        ...accessParams,
        ...refreshParams,
      ]);
      expect(plan).toMatch(/CTE code[\s\S]*Update on oauth_auth_codes/);
      expect(plan).toMatch(/Insert on oauth_access_tokens/);
      expect(plan).toMatch(/Insert on oauth_refresh_tokens/);
      expect(plan).not.toMatch(/Seq Scan/);
    });

    it('hitRateLimit is one INSERT whose conflict check is the primary key', async () => {
      const plan = await explain('hitRateLimit (one upsert)', sql.hitRateLimit, ['k', now, now]);
      expect(plan).toMatch(/^Insert on oauth_rate_limits/);
      expect(plan).toMatch(/Conflict Arbiter Indexes: oauth_rate_limits_pkey/);
    });

    it('a purge batch deletes by ctid (TID scan) what an index finds, at most purgeBatchSize rows', async () => {
      const before = new Date(now.getTime() - 3_600_000);
      const expired = purgeBatchSql(
        sql.purge.refreshTokens,
        't.expires_at < :before',
        { now, before, clients: null },
        5000,
      );
      const plan = await explain('purge batch: expired refresh tokens', expired.sql, expired.params);
      expect(plan).toMatch(/Tid Scan on oauth_refresh_tokens/);
      expect(plan).toMatch(/Limit/);
      expect(plan).toMatch(/Index (Only )?Scan using oauth_refresh_tokens_family_idx/);
      const spent = purgeBatchSql(
        sql.purge.accessTokens,
        sql.purge.accessTokens.spent,
        { now, before: null, clients: null },
        5000,
      );
      const spentPlan = await explain('purge batch: revoked access tokens', spent.sql, spent.params);
      expect(spentPlan).toMatch(/Tid Scan on oauth_access_tokens/);
      expect(spentPlan).toMatch(/oauth_refresh_tokens_access_token_idx/);
    });
  });
});
