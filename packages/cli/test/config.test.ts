import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOneLine, runBin, tempDir, withPGliteStore } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

/** Creates a client named `name` and returns the exit code. */
async function createClient(name: string, extra: string[] = [], env: Record<string, string> = {}) {
  return runBin(['client', '--client', '--name', name, ...extra], { cwd: dir, env, timeoutMs: 60_000 });
}

async function clientNames(dataDir: string): Promise<string[]> {
  return withPGliteStore(dataDir, async (store) => (await store.listClients()).map((client) => client.name));
}

describe('configuration precedence', () => {
  it('fails with one line when no database is configured', async () => {
    const result = await createClient('x');
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toBe(
      'passport: no database configured: pass --database-url (postgres://... or a PGlite directory), --redis-url (redis://...) or --mongodb-url (mongodb://...), add passport.config.mjs, or set DATABASE_URL\n',
    );
  });

  it('uses DATABASE_URL when there is no flag and no config file', async () => {
    expect(
      (await runBin(['migrate'], { cwd: dir, env: { DATABASE_URL: 'env-db' }, timeoutMs: 60_000 })).code,
    ).toBe(0);
    expect((await createClient('from env', [], { DATABASE_URL: 'env-db' })).code).toBe(0);
    expect(await clientNames(join(dir, 'env-db'))).toEqual(['from env']);
  });

  it('prefers the config file over DATABASE_URL, and --database-url over both', async () => {
    await writeFile(join(dir, 'passport.config.mjs'), "export default { database: 'config-db' };\n");
    const env = { DATABASE_URL: 'env-db' };
    for (const db of ['config-db', 'flag-db']) {
      expect((await runBin(['migrate', '--database-url', db], { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
    }
    expect((await createClient('from config', [], env)).code).toBe(0);
    expect((await createClient('from flag', ['--database-url', 'flag-db'], env)).code).toBe(0);
    expect(await clientNames(join(dir, 'config-db'))).toEqual(['from config']);
    expect(await clientNames(join(dir, 'flag-db'))).toEqual(['from flag']);
    // DATABASE_URL was never even opened.
    await expect(stat(join(dir, 'env-db'))).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('finds passport.config.mjs before passport.config.js, and honours --config', async () => {
    await writeFile(join(dir, 'passport.config.mjs'), "export default { database: 'mjs-db' };\n");
    await writeFile(join(dir, 'passport.config.js'), "export default { database: 'js-db' };\n");
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf/other.mjs'), "export default { database: 'other-db' };\n");
    expect((await runBin(['migrate'], { cwd: dir, timeoutMs: 60_000 })).stdout).toContain(
      join(dir, 'mjs-db'),
    );
    // Paths in a config file are relative to the file.
    const other = await runBin(['migrate', '--config', 'conf/other.mjs'], { cwd: dir, timeoutMs: 60_000 });
    expect(other.stdout).toContain(join(dir, 'conf/other-db'));
  });

  it('explains that Node 20 cannot import passport.config.ts', async () => {
    await writeFile(join(dir, 'passport.config.ts'), "export default { database: 'ts-db' as string };\n");
    const result = await runBin(['migrate'], { cwd: dir });
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 23) {
      expect(result.code).toBe(0);
      return;
    }
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(
      /cannot load passport\.config\.ts: Node v\d+.* cannot import TypeScript; use Node 22\.18\+/,
    );
  });

  it.each([
    ['export default {', /^passport: cannot load passport\.config\.mjs: /],
    ['export default 42;', /passport\.config\.mjs must export default an object/],
    ["export default { databse: 'x' };", /passport\.config\.mjs: unknown setting "databse"/],
    ['export default { database: 5 };', /"database" must be a string/],
    ["throw new Error('boom\\nsecond line');", /cannot load passport\.config\.mjs: boom second line$/m],
  ])('reports a broken config file %j in one line', async (source, message) => {
    await writeFile(join(dir, 'passport.config.mjs'), `${source}\n`);
    const result = await runBin(['migrate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
  });

  it('reports a missing --config file', async () => {
    const result = await runBin(['migrate', '--config', 'nope.mjs'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('passport: config file nope.mjs does not exist\n');
  });

  it('reports a database server that is down in one line, with the password masked', async () => {
    const result = await runBin(['migrate', '--database-url', 'postgres://app:s3cret@127.0.0.1:1/app'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(
      /^passport: cannot connect to postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/app: .*ECONNREFUSED/,
    );
    expect(result.stderr).not.toContain('s3cret');
  });

  it('accepts a custom store exported by the config file', async () => {
    await writeFile(
      join(dir, 'passport.config.mjs'),
      `import { PGlite } from '@electric-sql/pglite';
import { PostgresStore, migrate, pgliteDriver } from '@passport/store-postgres';
const db = await PGlite.create({ dataDir: new URL('./custom-db', import.meta.url).pathname });
const driver = pgliteDriver(db);
export default {
  store: () => new PostgresStore(driver),
  migrate: async () => { await migrate(driver); },
};
`,
    );
    // The config imports packages: resolve them from this package's node_modules.
    await mkdir(join(dir, 'node_modules/@passport'), { recursive: true });
    await mkdir(join(dir, 'node_modules/@electric-sql'), { recursive: true });
    const { symlink } = await import('node:fs/promises');
    const here = new URL('..', import.meta.url).pathname;
    await symlink(
      join(here, 'node_modules/@passport/store-postgres'),
      join(dir, 'node_modules/@passport/store-postgres'),
    );
    await symlink(
      join(here, 'node_modules/@electric-sql/pglite'),
      join(dir, 'node_modules/@electric-sql/pglite'),
    );
    expect((await runBin(['migrate'], { cwd: dir, timeoutMs: 60_000 })).code).toBe(0);
    const created = await createClient('custom');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(await clientNames(join(dir, 'custom-db'))).toEqual(['custom']);
  });
  it('reports a store that becomes unavailable mid-command in one line', async () => {
    await writeFile(
      join(dir, 'passport.config.mjs'),
      `const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
const down = Object.assign(new Error('The token store is unavailable', { cause }), { code: 'ERR_STORE_UNAVAILABLE' });
export default { store: { listClients: async () => { throw down; }, close: async () => {} } };
`,
    );
    const result = await runBin(['hash'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'passport: the database is unavailable: connect ECONNREFUSED 127.0.0.1:5432\n',
    );
  });

  it('reports an unexpected error in one line, with the stack only under PASSPORT_DEBUG', async () => {
    await writeFile(
      join(dir, 'passport.config.mjs'),
      "export default { store: { listClients: async () => { throw new TypeError('boom'); } } };\n",
    );
    const result = await runBin(['hash'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('passport: boom (set PASSPORT_DEBUG=1 for the stack trace)\n');
    const debug = await runBin(['hash'], { cwd: dir, env: { PASSPORT_DEBUG: '1' } });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^TypeError: boom\n\s+at /);
    expect(debug.stderr).toMatch(/\npassport: boom\n$/);
  });

  it('says a custom store without migrate() cannot be migrated', async () => {
    await writeFile(
      join(dir, 'passport.config.mjs'),
      'export default { store: { listClients: async () => [] } };\n',
    );
    const result = await runBin(['migrate'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'passport: the config exports a custom store without migrate(); apply its schema yourself\n',
    );
  });
});
