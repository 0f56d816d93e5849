import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOneLine, runBin, tempDir } from './helpers.js';

// The commands against the Redis store (`--redis-url`), on the test bed's Redis under a prefix of
// their own, whose keys are deleted afterwards.
describe.skipIf(!(await requireService('redis')))('passport ... --redis-url', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const prefix = `passport-cli-test-${process.pid}-${Date.now()}:`;
  const url = `${services.redis.url}?prefix=${encodeURIComponent(prefix)}`;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    const { createRedisStore } = await import('@passport/store-redis');
    const { deleteStoreKeys } = await import('@passport/store-redis/testing');
    const store = await createRedisStore({ url: services.redis.url, prefix });
    await deleteStoreKeys(store);
    await store.close();
    await cleanup();
  });

  it('creates a client in Redis under the prefix of the URL, and purges there', async () => {
    const created = await runBin(
      ['client', '--json', '--client', '--name', 'Reporting job', '--redis-url', url],
      { cwd: dir },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const client = JSON.parse(created.stdout) as { id: string; secret: string; grantTypes: string[] };
    expect(client.grantTypes).toEqual(['client_credentials']);

    const { createRedisStore } = await import('@passport/store-redis');
    const store = await createRedisStore({ url: services.redis.url, prefix });
    try {
      const stored = await store.findClient(client.id);
      expect(stored).toMatchObject({ name: 'Reporting job', confidential: true, revoked: false });
      expect(stored?.secretHash).not.toBe(client.secret);
    } finally {
      await store.close();
    }

    const purged = await runBin(['purge', '--redis-url', url], { cwd: dir });
    expect(purged.stderr).toBe('');
    expect(purged.code).toBe(0);
  });

  it('migrate has nothing to apply on Redis', async () => {
    const result = await runBin(['migrate', '--redis-url', url], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`keys under ${prefix}`);
    expect(result.stdout).toContain('up to date');
  });

  it('a redis:// URL in DATABASE_URL selects the Redis store too', async () => {
    const result = await runBin(['client', '--json', '--client', '--name', 'From env'], {
      cwd: dir,
      env: { DATABASE_URL: url },
    });
    expect(result.code).toBe(0);
    const { createRedisStore } = await import('@passport/store-redis');
    const store = await createRedisStore({ url: services.redis.url, prefix });
    try {
      expect((await store.listClients()).map((client) => client.name)).toContain('From env');
    } finally {
      await store.close();
    }
  });

  it('refuses both flags, and a --redis-url that is not a Redis URL, with one line', async () => {
    const both = await runBin(['migrate', '--redis-url', url, '--database-url', 'postgres://x/y'], {
      cwd: dir,
    });
    expect(both.code).toBe(2);
    expect(isOneLine(both.stderr)).toBe(true);
    expect(both.stderr).toContain('either --database-url or --redis-url');
    const wrong = await runBin(['migrate', '--redis-url', 'postgres://x/y'], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--redis-url needs a redis:// or rediss:// URL');
  });

  it('a Redis server that is down fails with one line naming it, password masked', async () => {
    const result = await runBin(
      ['client', '--client', '--name', 'x', '--redis-url', 'redis://:s3cret@127.0.0.1:1'],
      {
        cwd: dir,
        timeoutMs: 30_000,
      },
    );
    expect(result.code).toBe(1);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toContain('cannot connect to redis://:***@127.0.0.1:1');
    expect(result.stderr).not.toContain('s3cret');
  });
});
