import { cp, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashSecret, type PassportStore } from '@passport/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, isOneLine, runBin, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const postgres = await createTestDatabase();
if (postgres.url === null) console.warn(`Skipping the PostgreSQL runs: ${postgres.reason}`);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  // Creating a PGlite cluster (initdb) is the slow part of every PGlite run: do it once, then copy
  // the cleanly closed directory for each test.
  const { PGlite } = await import('@electric-sql/pglite');
  const empty = await PGlite.create({ dataDir: join(dir, 'template-empty') });
  await empty.close();
  await cp(join(dir, 'template-empty'), join(dir, 'template-migrated'), { recursive: true });
  const migrated = await runBin(['migrate', '--database-url', join(dir, 'template-migrated')], {
    cwd: dir,
    timeoutMs: 60_000,
  });
  expect(migrated.code).toBe(0);
});
afterAll(async () => {
  if (postgres.url !== null) await postgres.drop();
  await cleanup();
});

let counter = 0;
/**
 * A fresh database of the given backend (a PGlite directory, or a new schema on the server),
 * without tables, or with the schema applied when `migrated`.
 */
async function freshTarget(
  backend: 'pglite' | 'postgres',
  options: { migrated?: boolean } = {},
): Promise<string> {
  counter += 1;
  if (backend === 'pglite') {
    const target = join(dir, `db${counter}`);
    await cp(join(dir, options.migrated ? 'template-migrated' : 'template-empty'), target, {
      recursive: true,
    });
    return target;
  }
  const url = new URL(postgres.url ?? '');
  url.searchParams.set('schema', `cli_${counter}`);
  const target = url.toString();
  if (options.migrated)
    expect((await runBin(['migrate', '--database-url', target], { cwd: dir })).code).toBe(0);
  return target;
}

/** Opens `target` in the test process (after the CLI exited) and hands its store to `fn`. */
async function withStore<T>(target: string, fn: (store: PassportStore) => Promise<T>): Promise<T> {
  const { PostgresStore, nodePostgresDriver, pgliteDriver } = await import('@passport/store-postgres');
  if (target.startsWith('postgres')) {
    const url = new URL(target);
    const schema = url.searchParams.get('schema') ?? 'public';
    const idType = (url.searchParams.get('id_type') ?? 'uuid') as 'uuid' | 'bigint';
    url.searchParams.delete('schema');
    url.searchParams.delete('id_type');
    const pool = new pg.Pool({ connectionString: url.toString() });
    try {
      return await fn(new PostgresStore(nodePostgresDriver(pool), { schema, idType }));
    } finally {
      await pool.end();
    }
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir: target });
  try {
    return await fn(new PostgresStore(pgliteDriver(db)));
  } finally {
    await db.close();
  }
}

const HOUR = 3_600_000;

async function seedTokens(target: string, now: number): Promise<void> {
  await withStore(target, async (store) => {
    const at = new Date(now - 400 * HOUR);
    await store.createClient({
      id: '00000000-0000-4000-8000-000000000001',
      ownerId: null,
      name: 'seed',
      secretHash: null,
      provider: null,
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: null,
      confidential: false,
      firstParty: false,
      resourceServer: false,
      revoked: false,
      createdAt: at,
      updatedAt: at,
    });
    const token = (id: string, revoked: boolean, expiresInHours: number) =>
      store.saveTokens({
        accessToken: {
          id,
          userId: 'u1',
          clientId: '00000000-0000-4000-8000-000000000001',
          name: null,
          scopes: [],
          familyId: null,
          revoked,
          createdAt: at,
          expiresAt: new Date(now + expiresInHours * HOUR),
        },
        refreshToken: null,
      });
    await token('revoked-live', true, 1);
    await token('expired-200h', false, -200);
    await token('expired-100h', false, -100);
    await token('live', false, 1);
  });
}

async function remaining(target: string): Promise<string[]> {
  return withStore(target, async (store) => {
    const ids = ['revoked-live', 'expired-200h', 'expired-100h', 'live'];
    const found = await Promise.all(ids.map((id) => store.findAccessToken(id)));
    return ids.filter((_, index) => found[index] !== null);
  });
}

const backends = (['pglite', 'postgres'] as const).filter(
  (backend) => backend === 'pglite' || postgres.url !== null,
);

describe.each(backends)('database commands on %s', (backend) => {
  const run = (args: string[], target: string, extra: { cwd?: string } = {}) =>
    runBin([...args, '--database-url', target], { cwd: extra.cwd ?? dir, timeoutMs: 60_000 });

  it('a command on a database without the schema says, in one line, to run passport migrate', async () => {
    const target = await freshTarget(backend);
    const result = await run(['client', '--client', '--name', 'Svc'], target);
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(
      /^passport: the database has no Passport schema \(.*oauth_clients.*\); run "passport migrate"/,
    );
  });

  it('migrate applies the schema once, then reports it up to date', async () => {
    const target = await freshTarget(backend);
    const first = await run(['migrate'], target);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^Applied 3 migrations to .*: 0001, 0002, 0003\n$/);
    const second = await run(['migrate'], target);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/is up to date\.\n$/);
    expect(await withStore(target, (store) => store.listClients())).toEqual([]);
  });

  it.each([
    [['--revoked'], ['expired-200h', 'expired-100h', 'live'], 'Purged 1 access tokens'],
    [['--expired'], ['revoked-live', 'expired-100h', 'live'], 'Purged 1 access tokens'],
    [[], ['expired-100h', 'live'], 'Purged 2 access tokens'],
    [['--expired', '--hours', '50'], ['revoked-live', 'live'], 'expired more than 50 hours ago'],
    [['--revoked', '--expired', '--hours', '0'], ['live'], 'Purged 3 access tokens'],
  ])('purge %j leaves %j', async (flags, left, message) => {
    const target = await freshTarget(backend, { migrated: true });
    await seedTokens(target, Date.now());
    const result = await run(['purge', ...flags], target);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(message);
    expect(await remaining(target)).toEqual(left);
  });

  it('purge --json prints the counts per kind', async () => {
    const target = await freshTarget(backend, { migrated: true });
    await seedTokens(target, Date.now());
    const result = await run(['purge', '--json'], target);
    expect(JSON.parse(result.stdout)).toEqual({
      accessTokens: 2,
      refreshTokens: 0,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    });
  });

  it('purge deletes clients deleted (revoked) more than --revoked-client-hours ago, with their tokens', async () => {
    const target = await freshTarget(backend, { migrated: true });
    const now = Date.now();
    const ids = {
      old: '00000000-0000-4000-8000-00000000000a',
      recent: '00000000-0000-4000-8000-00000000000b',
    };
    await withStore(target, async (store) => {
      for (const [id, hoursAgo] of [
        [ids.old, 800],
        [ids.recent, 10],
      ] as const) {
        const revokedAt = new Date(now - hoursAgo * HOUR);
        await store.createClient({
          id,
          ownerId: null,
          name: 'deleted',
          secretHash: null,
          provider: null,
          redirectUris: [],
          grantTypes: ['client_credentials'],
          scopes: null,
          confidential: false,
          firstParty: false,
          resourceServer: false,
          revoked: true,
          createdAt: revokedAt,
          updatedAt: revokedAt,
        });
      }
    });
    const first = await run(['purge', '--json'], target);
    expect(JSON.parse(first.stdout)).toMatchObject({ clients: 1 });
    expect(await withStore(target, (store) => store.findClient(ids.old))).toBeNull();
    expect(await withStore(target, (store) => store.findClient(ids.recent))).not.toBeNull();
    const second = await run(['purge', '--revoked-client-hours', '5'], target);
    expect(second.stdout).toContain('1 revoked clients');
    expect(await withStore(target, (store) => store.findClient(ids.recent))).toBeNull();
  });

  it('hash replaces a plain-text secret by its SHA-256 and leaves hashed ones alone', async () => {
    const target = await freshTarget(backend, { migrated: true });
    const clean = await run(['hash'], target);
    expect(clean.stdout).toBe('All client secrets are already hashed.\n');
    const created = JSON.parse(
      (await run(['client', '--client', '--name', 'hashed', '--json'], target)).stdout,
    ) as {
      id: string;
      secret: string;
    };
    const legacyId = '00000000-0000-4000-8000-0000000000aa';
    await withStore(target, async (store) => {
      const now = new Date();
      await store.createClient({
        id: legacyId,
        ownerId: null,
        name: 'imported from Laravel',
        secretHash: 'LaravelPlainSecret0123456789abcdefghijKL',
        provider: null,
        redirectUris: [],
        grantTypes: ['client_credentials'],
        scopes: null,
        confidential: true,
        firstParty: false,
        resourceServer: false,
        revoked: false,
        createdAt: now,
        updatedAt: now,
      });
    });
    const result = await run(['hash'], target);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`Hashed the secrets of 1 client: ${legacyId}\n`);
    await withStore(target, async (store) => {
      expect((await store.findClient(legacyId))?.secretHash).toBe(
        hashSecret('LaravelPlainSecret0123456789abcdefghijKL'),
      );
      expect((await store.findClient(created.id))?.secretHash).toBe(hashSecret(created.secret));
    });
    expect((await run(['hash', '--json'], target)).stdout).toBe('{"hashed":[]}\n');
  });

  it('install writes keys, migrates, creates a personal access client, and is safe to rerun', async () => {
    const target = await freshTarget(backend);
    const cwd = join(dir, `install-${backend}`);
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd));
    const first = await run(['install', '--json'], target, { cwd });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout) as {
      keys: { path: string; created: boolean };
      migrations: string[];
      personalAccessClient: { id: string; secret: string; created: boolean; grantTypes: string[] };
      passwordClient: null;
    };
    expect(summary.keys).toEqual({ path: join(cwd, 'storage'), created: true });
    expect(summary.migrations).toEqual(['0001', '0002', '0003']);
    expect(summary.personalAccessClient.created).toBe(true);
    expect(summary.personalAccessClient.grantTypes).toEqual(['personal_access']);
    expect(summary.passwordClient).toBeNull();
    expect((await stat(join(cwd, 'storage/oauth-private.key'))).mode & 0o777).toBe(0o600);
    await withStore(target, async (store) => {
      const stored = await store.findClient(summary.personalAccessClient.id);
      expect(stored?.secretHash).toBe(hashSecret(summary.personalAccessClient.secret));
    });

    const again = await run(['install'], target, { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Encryption keys already exist in storage; kept them.');
    expect(again.stdout).toContain('is up to date');
    expect(again.stdout).toContain(
      `Personal access client already exists: ${summary.personalAccessClient.id}`,
    );
    expect(await withStore(target, (store) => store.listClients())).toHaveLength(1);

    const withPassword = await run(['install', '--password'], target, { cwd });
    expect(withPassword.code).toBe(0);
    expect(withPassword.stdout).toMatch(/Password grant client created\.\n {2}Client ID \.+ [0-9a-f-]{36}\n/);
    const clients = await withStore(target, (store) => store.listClients());
    expect(clients.map((client) => client.grantTypes[0])).toEqual(['personal_access', 'password']);
  });

  it('install creates the password client when the config enables the password grant', async () => {
    const target = await freshTarget(backend);
    const cwd = join(dir, `install-config-${backend}`);
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd));
    await writeFile(
      join(cwd, 'passport.config.mjs'),
      "export default { keysPath: 'keys', options: { grants: { password: true } } };\n",
    );
    const result = await run(['install', '--alg', 'EdDSA'], target, { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Encryption keys written to keys.');
    expect(result.stdout).toContain('Personal access client created.');
    expect(result.stdout).toContain('Password grant client created.');
    expect(result.stdout).toContain('cannot be shown again');
  });
});

describe.skipIf(postgres.url === null)('integer client ids (?id_type=bigint) end to end', () => {
  it('migrate creates bigint client ids; passport client prints an integer id the store finds', async () => {
    const url = new URL(postgres.url ?? '');
    url.searchParams.set('schema', 'cli_bigint');
    url.searchParams.set('id_type', 'bigint');
    const target = url.toString();
    const run = (args: string[]) =>
      runBin([...args, '--database-url', target], { cwd: dir, timeoutMs: 60_000 });
    expect((await run(['migrate'])).code).toBe(0);
    const result = await run(['client', '--client', '--name', 'Integer app', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout) as { id: string; secret: string };
    expect(created.id).toMatch(/^\d+$/);
    const second = JSON.parse((await run(['client', '--client', '--name', 'Next', '--json'])).stdout) as {
      id: string;
    };
    expect(BigInt(second.id)).toBe(BigInt(created.id) + 1n);
    await withStore(target, async (store) => {
      expect((await store.findClient(created.id))?.secretHash).toBe(hashSecret(created.secret));
    });
  });
});

describe('migrate --print', () => {
  it('prints the schema SQL without any database configured', async () => {
    const result = await runBin(['migrate', '--print'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('CREATE TABLE "public"."oauth_clients"');
    expect(result.stdout).toContain('CREATE TABLE "public"."oauth_refresh_tokens"');
    expect(result.stdout).not.toContain('{{');
  });

  it("uses the schema named by --database-url's ?schema=, still without connecting", async () => {
    const result = await runBin(
      ['migrate', '--print', '--database-url', 'postgres://nobody@127.0.0.1:1/x?schema=auth'],
      {
        cwd: dir,
      },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('CREATE SCHEMA IF NOT EXISTS "auth"');
    expect(result.stdout).toContain('CREATE TABLE "auth"."oauth_clients"');
    const bad = await runBin(['migrate', '--print', '--database-url', 'postgres://h/x?schema=no-dash'], {
      cwd: dir,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^passport: Invalid schema "no-dash": use letters, digits and underscores/);
  });

  it('fails in one line on a bad --hours or a database that cannot be opened', async () => {
    const hours = await runBin(['purge', '--hours', 'abc', '--database-url', join(dir, 'x')], { cwd: dir });
    expect(hours.code).toBe(2);
    expect(hours.stderr).toBe('passport: --hours must be a whole number of hours, not "abc"\n');
    await writeFile(join(dir, 'a-file'), 'not a directory');
    const file = await runBin(['migrate', '--database-url', join(dir, 'a-file')], { cwd: dir });
    expect(file.code).toBe(1);
    expect(isOneLine(file.stderr)).toBe(true);
    expect(file.stderr).toMatch(/^passport: cannot open the PGlite database in .*a-file: /);
  });
});
