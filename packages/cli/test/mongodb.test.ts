import { hashSecret } from '@passport/core';
import { createMongoStore, type MongoStore } from '@passport/store-mongo';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOneLine, runBin, tempDir } from './helpers.js';

// The passport command on the MongoDB store (the test bed's FerretDB, or MONGODB_URL), through
// --mongodb-url and a mongodb:// URL anywhere a database URL is accepted.

const hasServer = await requireService('ferretdb');

describe.skipIf(!hasServer)('passport on MongoDB (--mongodb-url)', () => {
  const dbName = `passport_cli_${crypto.getRandomValues(new Uint32Array(2)).join('_')}`;
  const url = `${services.mongo.url.replace(/\/+$/, '')}/${dbName}`;
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: MongoStore;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await createMongoStore({ url, clientOptions: { serverSelectionTimeoutMS: 5000 } });
  });
  afterAll(async () => {
    await store.db.dropDatabase();
    await store.close();
    await cleanup();
  });

  it('migrate creates the store indexes (idempotent) and says how expired markers go', async () => {
    for (let run = 0; run < 2; run++) {
      const result = await runBin(['migrate', '--mongodb-url', url], { cwd: dir, timeoutMs: 30_000 });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^Ensured \\d+ indexes in ${url.replaceAll('/', '\\/')} \\(`));
    }
    const indexes = await store.db.collection(store.collectionNames.tokens).listIndexes().toArray();
    expect(indexes.map((index) => index.name)).toEqual(expect.arrayContaining(['rt_id', 'family']));
  });

  it('client stores the client in MongoDB, with only the secret hash', async () => {
    const result = await runBin(['client', '--client', '--name', 'Backend', '--json', '--mongodb-url', url], {
      cwd: dir,
      timeoutMs: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout) as { id: string; secret: string };
    const stored = await store.findClient(created.id);
    expect(stored).toMatchObject({ name: 'Backend', grantTypes: ['client_credentials'] });
    expect(stored?.secretHash).toBe(hashSecret(created.secret));
  });

  it('purge deletes a revoked token, and a mongodb:// DATABASE_URL works like --mongodb-url', async () => {
    const now = new Date();
    const accessToken = {
      id: crypto.randomUUID(),
      userId: 'u1',
      clientId: crypto.randomUUID(),
      name: null,
      scopes: [],
      familyId: null,
      revoked: true,
      createdAt: now,
      expiresAt: new Date(now.getTime() + 3_600_000),
    };
    await store.saveTokens({ accessToken, refreshToken: null });
    const result = await runBin(['purge', '--revoked'], {
      cwd: dir,
      env: { DATABASE_URL: url },
      timeoutMs: 30_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await store.findAccessToken(accessToken.id)).toBeNull();
  });

  it('refuses --mongodb-url that is not a mongodb:// URL, and both database flags, as usage errors', async () => {
    const wrong = await runBin(['migrate', '--mongodb-url', 'postgres://localhost/x'], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--mongodb-url must be a mongodb://');
    const both = await runBin(['migrate', '--mongodb-url', url, '--database-url', dir], { cwd: dir });
    expect(both.code).toBe(2);
    expect(isOneLine(both.stderr)).toBe(true);
  });

  it('a server that does not answer fails in one line with the password masked', async () => {
    const down = 'mongodb://admin:s3cret@127.0.0.1:1/passport';
    const result = await runBin(['migrate', '--mongodb-url', down], { cwd: dir, timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toContain('cannot connect to mongodb://admin:***@127.0.0.1:1/passport');
    expect(result.stderr).not.toContain('s3cret');
  });
});
