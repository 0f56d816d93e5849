// One smoke test per server of the test bed: connect, write, read back. They run first in the
// package order (this package has no dependencies), so a broken bed fails early and clearly.
import { Cluster, Redis } from 'ioredis';
import { MongoClient, MongoServerError } from 'mongodb';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { requireService, services } from '../src/index.js';

const suffix = `${process.pid}_${Date.now()}`;

describe.skipIf(!(await requireService('postgres')))('PostgreSQL', () => {
  it('creates a table, writes a row and reads it back', async () => {
    const client = new pg.Client({ connectionString: services.postgres.url });
    await client.connect();
    try {
      const table = `smoke_${suffix}`;
      await client.query(`CREATE TEMP TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
      await client.query(`INSERT INTO ${table} VALUES (1, $1)`, ['written']);
      const { rows } = await client.query(`SELECT note FROM ${table} WHERE id = 1`);
      expect(rows).toEqual([{ note: 'written' }]);
      const { rows: ext } = await client.query(
        `SELECT extname FROM pg_extension WHERE extname = 'pg_stat_statements'`,
      );
      expect(ext).toHaveLength(1);
    } finally {
      await client.end();
    }
  });
});

describe.skipIf(!(await requireService('redis')))('Redis', () => {
  it('sets a key with a TTL and reads it back', async () => {
    const redis = new Redis(services.redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const key = `passport:smoke:${suffix}`;
      await redis.set(key, 'written', 'PX', 10_000);
      expect(await redis.get(key)).toBe('written');
      expect(await redis.pttl(key)).toBeGreaterThan(0);
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});

describe.skipIf(!(await requireService('redis-cluster')))('Redis Cluster', () => {
  it('is a healthy 3-master cluster that routes keys of different slots', async () => {
    const cluster = new Cluster(services.redisCluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      const info = await cluster.cluster('INFO');
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_size:3');
      // Keys spread over the slots land on different masters; each reads back.
      const keys = Array.from({ length: 12 }, (_, i) => `passport:smoke:${suffix}:${i}`);
      for (const key of keys) await cluster.set(key, key, 'PX', 10_000);
      for (const key of keys) expect(await cluster.get(key)).toBe(key);
      // A hash tag keeps keys in one slot, so a multi-key command works across them.
      await cluster.mset(`{smoke${suffix}}:a`, '1', `{smoke${suffix}}:b`, '2');
      expect(await cluster.mget(`{smoke${suffix}}:a`, `{smoke${suffix}}:b`)).toEqual(['1', '2']);
      await cluster.del(`{smoke${suffix}}:a`, `{smoke${suffix}}:b`);
    } finally {
      cluster.disconnect();
    }
  });
});

describe.skipIf(!(await requireService('ferretdb')))('MongoDB wire-protocol server', () => {
  it('inserts, updates with a condition, enforces a unique index (code 11000)', async () => {
    const client = new MongoClient(services.mongo.url, { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    const db = client.db(`smoke_${suffix}`);
    try {
      const things = db.collection<{ _id: string; n: number; code: string }>('things');
      await things.insertOne({ _id: 'a', n: 1, code: 'x' });
      const updated = await things.findOneAndUpdate(
        { _id: 'a', n: 1 },
        { $set: { n: 2 } },
        { returnDocument: 'after' },
      );
      expect(updated).toEqual({ _id: 'a', n: 2, code: 'x' });
      // The same condition again matches nothing: the update was conditional.
      expect(await things.findOneAndUpdate({ _id: 'a', n: 1 }, { $set: { n: 3 } })).toBeNull();

      await things.createIndex({ code: 1 }, { unique: true });
      const duplicate = await things.insertOne({ _id: 'b', n: 1, code: 'x' }).catch((e: unknown) => e);
      expect(duplicate).toBeInstanceOf(MongoServerError);
      expect((duplicate as MongoServerError).code).toBe(11000);
      expect(await things.countDocuments()).toBe(1);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });
});

describe.skipIf(!(await requireService('chromium')))('Chromium', () => {
  it('starts headless and renders a page', async () => {
    const browser = await chromium.launch({
      executablePath: services.chromium.path,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.setContent('<h1 id="t">test bed</h1>');
      expect(await page.textContent('#t')).toBe('test bed');
    } finally {
      await browser.close();
    }
  });
});
