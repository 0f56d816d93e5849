import { makeClient, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PGliteLike, PostgresStore, pgliteDriver } from '../src/index.js';
import { createPool, createServerStore, destroyStore, randomSchema } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('prepared statements on the PostgreSQL server', () => {
  // The node-postgres driver sends parameterised statements as named prepared statements: each
  // connection parses a hot statement once, then only binds and executes it.

  const stores: PostgresStore[] = [];

  afterAll(async () => {
    for (const store of stores) await destroyStore(store);
  });

  /** Prepared statements of the (single) connection of the store's pool. */
  async function preparedOn(store: PostgresStore): Promise<{ name: string; statement: string }[]> {
    // No parameters: sent unnamed (simple protocol), on the pool's only connection.
    const { rows } = await store.driver.query<{ name: string; statement: string }>(
      'SELECT name, statement FROM pg_prepared_statements WHERE NOT from_sql ORDER BY name',
    );
    return rows;
  }

  describe('prepared statements (node-postgres driver)', () => {
    it('hot statements are prepared once per connection and keep answering', async () => {
      const store = await createServerStore({ pool: createPool({ max: 1 }) });
      stores.push(store);
      const client = makeClient();
      await store.createClient(client);
      const pair = makeTokenPair({ accessToken: { clientId: client.id } });
      await store.saveTokens(pair);
      for (let i = 0; i < 3; i++) {
        expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
        expect(await store.findClient(client.id)).toEqual(client);
      }
      const prepared = await preparedOn(store);
      const names = prepared.map((row) => row.name);
      expect(names.every((name) => name.startsWith('passport_'))).toBe(true);
      expect(new Set(names).size).toBe(names.length);
      const find = prepared.filter(
        (row) => row.statement.includes('FROM') && row.statement.includes(store.schema.tables.accessTokens),
      );
      expect(find.some((row) => row.statement.startsWith('SELECT'))).toBe(true);
      // one prepared statement per distinct text: three lookups did not prepare three times
      expect(prepared.filter((row) => row.statement === find[0]?.statement)).toHaveLength(1);
    });

    it('two stores of different schemas share one pool without a name clash', async () => {
      const pool = createPool({ max: 1 });
      const a = createPostgresStore({ pool, schema: randomSchema('prep_a') });
      const b = createPostgresStore({ pool, schema: randomSchema('prep_b') });
      try {
        await a.migrate();
        await b.migrate();
        const pairA = makeTokenPair();
        const pairB = makeTokenPair();
        await a.saveTokens(pairA);
        await b.saveTokens(pairB);
        for (let i = 0; i < 2; i++) {
          expect(await a.findAccessToken(pairA.accessToken.id)).toEqual(pairA.accessToken);
          expect(await a.findAccessToken(pairB.accessToken.id)).toBeNull();
          expect(await b.findAccessToken(pairB.accessToken.id)).toEqual(pairB.accessToken);
          expect(await b.findAccessToken(pairA.accessToken.id)).toBeNull();
        }
      } finally {
        await a.driver.query(`DROP SCHEMA IF EXISTS "${a.schema.schema}" CASCADE`);
        await b.driver.query(`DROP SCHEMA IF EXISTS "${b.schema.schema}" CASCADE`);
        await pool.end();
      }
    });

    it('preparedStatements: false sends every statement unnamed', async () => {
      const store = await createServerStore({ pool: createPool({ max: 1 }), preparedStatements: false });
      stores.push(store);
      const pair = makeTokenPair();
      await store.saveTokens(pair);
      expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      expect(await preparedOn(store)).toEqual([]);
    });
  });
});

describe('prepared statements (PGlite driver)', () => {
  // On PGlite the driver prepares each parameterised statement once, through PGlite's wire
  // protocol (Parse once, then Bind, Describe, Execute and Sync in one message per call).

  const awkward = ['read', 'a "quoted" scope', 'back\\slash', 'comma,brace{}', '', 'NULL', 'é ünï 💡'];

  it('statements are prepared once per instance and values round-trip exactly', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    const store = createPGliteStoreFrom(db);
    try {
      await store.migrate();
      const client = makeClient({ scopes: awkward, name: 'It\'s "odd" \\ here' });
      await store.createClient(client);
      const pair = makeTokenPair({ accessToken: { clientId: client.id, scopes: awkward, name: null } });
      await store.saveTokens(pair);
      for (let i = 0; i < 3; i++) {
        expect(await store.findClient(client.id)).toEqual(client);
        expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
        expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
      }
      expect(await store.revokeAccessToken(pair.accessToken.id)).toBe(true);
      expect(await store.revokeRefreshToken('missing')).toBe(false);
      const { rows } = await db.query<{ name: string }>('SELECT name FROM pg_prepared_statements');
      const names = rows.map((row) => row.name);
      expect(names.length).toBeGreaterThan(0);
      expect(names.every((name) => name.startsWith('passport_'))).toBe(true);
      expect(new Set(names).size).toBe(names.length);
    } finally {
      await store.close();
    }
  });

  it('a PGlite-like object without the protocol members goes through query, with the same answers', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    const plain = {
      query: db.query.bind(db),
      transaction: db.transaction.bind(db),
      close: db.close.bind(db),
    } as unknown as PGliteLike;
    const store = createPGliteStoreFrom(plain);
    try {
      await store.migrate();
      const pair = makeTokenPair({ accessToken: { scopes: awkward } });
      await store.saveTokens(pair);
      expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      const { rows } = await db.query('SELECT name FROM pg_prepared_statements');
      expect(rows).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

function createPGliteStoreFrom(db: PGliteLike): PostgresStore {
  return new PostgresStore(pgliteDriver(db), { schema: randomSchema('pglite_prep') });
}
