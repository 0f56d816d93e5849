import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassportOptionsError } from '@passport/core';
import { requireService } from '@passport/test-bed';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createPostgresStore,
  getMigrationSql,
  migrate,
  migrations,
  nodePostgresDriver,
  PostgresStore,
} from '../src/index.js';
import { createPool, randomSchema } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('migrations on the PostgreSQL server', () => {
  const pool = createPool({ max: 12 });
  const schemas: string[] = [];
  const freshSchema = () => {
    const schema = randomSchema('migrate');
    schemas.push(schema);
    return schema;
  };

  afterAll(async () => {
    for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  async function tablesOf(schema: string): Promise<string[]> {
    const { rows } = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((row) => row.table_name);
  }

  async function indexesOf(schema: string): Promise<string[]> {
    const { rows } = await pool.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
      [schema],
    );
    return rows.map((row) => row.indexname);
  }

  describe('migrations', () => {
    it('embeds exactly the SQL files shipped in migrations/ (run scripts/embed-migrations.mjs after editing)', () => {
      const dir = join(import.meta.dirname, '..', 'migrations');
      const files = readdirSync(dir)
        .filter((file) => file.endsWith('.sql'))
        .sort();
      expect(migrations.map((migration) => `${migration.name}.sql`)).toEqual(files);
      for (const migration of migrations) {
        expect(migration.sql).toBe(readFileSync(join(dir, `${migration.name}.sql`), 'utf8'));
        expect(migration.version).toBe(Number(migration.name.slice(0, 4)));
      }
    });

    it('migrate creates the schema, applies every migration once and records the versions', async () => {
      const schema = freshSchema();
      const driver = nodePostgresDriver(pool);
      const first = await migrate(driver, { schema, tablePrefix: 'p_' });
      expect(first.applied).toEqual(migrations.map((migration) => migration.version));
      const second = await migrate(driver, { schema, tablePrefix: 'p_' });
      expect(second).toEqual({ applied: [], version: first.version });
      expect(await tablesOf(schema)).toEqual([
        'p_access_tokens',
        'p_auth_codes',
        'p_clients',
        'p_device_codes',
        'p_migrations',
        'p_nonces',
        'p_rate_limits',
        'p_refresh_tokens',
      ]);
      const { rows } = await pool.query(
        `SELECT version, name FROM "${schema}".p_migrations ORDER BY version`,
      );
      expect(rows).toEqual(migrations.map(({ version, name }) => ({ version, name })));
    });

    it('is safe when several instances migrate at once: one applies, the others find nothing to do', async () => {
      const schema = freshSchema();
      const pools = Array.from({ length: 6 }, () => createPool({ max: 1 }));
      try {
        const results = await Promise.all(pools.map((p) => migrate(nodePostgresDriver(p), { schema })));
        const appliers = results.filter((result) => result.applied.length > 0);
        expect(appliers).toHaveLength(1);
        expect(results.every((result) => result.version === migrations.length)).toBe(true);
        const { rows } = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".oauth_migrations`);
        expect(rows[0]).toEqual({ n: migrations.length });
      } finally {
        await Promise.all(pools.map((p) => p.end()));
      }
    });

    it('two prefixes in one schema are independent stores', async () => {
      const schema = freshSchema();
      const a = new PostgresStore(nodePostgresDriver(pool), { schema, tablePrefix: 'a_' });
      const b = new PostgresStore(nodePostgresDriver(pool), { schema, tablePrefix: 'b_' });
      await a.migrate();
      await b.migrate();
      expect(await a.useNonce('n1', new Date(Date.now() + 60_000))).toBe(true);
      expect(await b.useNonce('n1', new Date(Date.now() + 60_000))).toBe(true);
    });

    it('getMigrationSql is plain SQL that a migration tool can run, creating the same tables and indexes', async () => {
      const viaTool = freshSchema();
      const viaMigrate = freshSchema();
      const sql = getMigrationSql({ schema: viaTool });
      expect(sql).not.toMatch(/\{\{/);
      expect(sql).toContain(`CREATE SCHEMA IF NOT EXISTS "${viaTool}"`);
      await pool.query(sql); // simple query protocol: the whole script at once, as psql -f would
      await migrate(nodePostgresDriver(pool), { schema: viaMigrate });
      expect(await tablesOf(viaTool)).toEqual(
        (await tablesOf(viaMigrate)).filter((t) => t !== 'oauth_migrations'),
      );
      expect(await indexesOf(viaTool)).toEqual(
        (await indexesOf(viaMigrate)).filter((index) => index !== 'oauth_migrations_pkey'),
      );
    });

    it('upgrades a database at version 1: migrations 2 and 3 apply, existing rows read with the new fields defaulted', async () => {
      const schema = freshSchema();
      // A database as the 0001 release left it: its SQL, then its bookkeeping row.
      const v1 = getMigrationSql({ schema }).split('-- 0002_settled_contract')[0] ?? '';
      expect(v1).not.toContain('rate_limits');
      await pool.query(v1);
      await pool.query(
        `CREATE TABLE "${schema}".oauth_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      await pool.query(`INSERT INTO "${schema}".oauth_migrations (version, name) VALUES (1, '0001_init')`);
      const clientId = crypto.randomUUID();
      await pool.query(
        `INSERT INTO "${schema}".oauth_clients (id, name, confidential, revoked, created_at, updated_at) VALUES ($1, 'old', true, false, now(), now())`,
        [clientId],
      );
      await pool.query(
        `INSERT INTO "${schema}".oauth_refresh_tokens (id, access_token_id, client_id, family_id, consumed_at, created_at, expires_at)
         VALUES ('old-refresh', 'old-access', $1, 'f', now(), now(), now() + interval '1 day')`,
        [clientId],
      );

      const store = new PostgresStore(nodePostgresDriver(pool), { schema });
      expect(await store.migrate()).toEqual({ applied: [2, 3], version: 3 });
      expect(await store.findClient(clientId)).toMatchObject({ name: 'old', resourceServer: false });
      expect(await store.findRefreshToken('old-refresh')).toMatchObject({ replacedBy: null });
      expect(await store.hitRateLimit('k', 1000, new Date(0))).toEqual({ count: 1, resetAt: new Date(1000) });
    });

    it('after migration 3 no index of a hot table names a column its hot updates change, so they can be HOT', async () => {
      const schema = freshSchema();
      await migrate(nodePostgresDriver(pool), { schema });
      // Columns each hot path updates: the rotation's consume and revocation, a code's consume.
      const updated: Record<string, string[]> = {
        oauth_refresh_tokens: ['consumed_at', 'replaced_by'],
        oauth_access_tokens: ['revoked'],
        oauth_auth_codes: ['consumed_at'],
        // Polls; a device code's consume stays non-HOT: the live user-code index needs `consumed_at IS NULL`.
        oauth_device_codes: ['last_polled_at', 'poll_interval'],
      };
      const { rows } = await pool.query<{ table: string; index: string; definition: string }>(
        `SELECT t.relname AS table, i.relname AS index, pg_get_indexdef(x.indexrelid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = $1`,
        [schema],
      );
      for (const row of rows) {
        for (const column of updated[row.table] ?? []) {
          expect(`${row.index}: ${row.definition}`).not.toMatch(new RegExp(`\\b${column}\\b`));
        }
      }
      const options = await pool.query<{ relname: string; reloptions: string[] | null }>(
        `SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relkind = 'r' ORDER BY c.relname`,
        [schema],
      );
      const fillfactor = Object.fromEntries(options.rows.map((row) => [row.relname, row.reloptions]));
      for (const table of Object.keys(updated)) expect(fillfactor[table]).toEqual(['fillfactor=85']);
      expect(fillfactor.oauth_rate_limits).toEqual(['fillfactor=70']);
    });

    it('getMigrationSql renders the id type and prefix, and `after` gives an upgrade script', () => {
      const bigint = getMigrationSql({ idType: 'bigint', tablePrefix: 'passport_' });
      expect(bigint).toContain('CREATE TABLE "public"."passport_clients"');
      expect(bigint).toContain('id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY');
      expect(bigint).toContain('client_id bigint NOT NULL');
      expect(bigint).not.toContain('CREATE SCHEMA');
      expect(getMigrationSql()).toContain('id uuid PRIMARY KEY');
      expect(getMigrationSql({ after: migrations.length })).toBe('');
      const upgrade = getMigrationSql({ after: 1 });
      expect(upgrade).toContain('ADD COLUMN resource_server');
      expect(upgrade).not.toContain('CREATE TABLE "public"."oauth_clients"');
    });

    it('rejects unsafe schema names, prefixes and id types at construction with PassportOptionsError', () => {
      const driver = nodePostgresDriver(pool);
      expect(() => new PostgresStore(driver, { schema: 'x"; DROP TABLE y; --' })).toThrow(
        PassportOptionsError,
      );
      expect(() => new PostgresStore(driver, { tablePrefix: 'a-b' })).toThrow(/tablePrefix/);
      expect(() => new PostgresStore(driver, { idType: 'int' as 'bigint' })).toThrow(/idType/);
      expect(() => new PostgresStore(driver, { purgeBatchSize: 0 })).toThrow(/purgeBatchSize/);
      expect(() => getMigrationSql({ schema: '1abc' })).toThrow(PassportOptionsError);
      expect(() => createPostgresStore({} as Parameters<typeof createPostgresStore>[0])).toThrow(/pg\.Pool/);
    });
  });
});
