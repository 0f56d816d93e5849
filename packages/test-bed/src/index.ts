/**
 * The test bed as the suites see it: where each server of `scripts/services.sh` listens, and
 * {@link requireService}, the one gate every suite that needs a server goes through.
 *
 * Locally a missing server skips its suites with one printed line naming it and the command that
 * starts it. Under `CI=true` a missing server is a failure: the gate registers a failing test
 * carrying the same message, so the summary counts it and the reason is in the report.
 *
 * @example
 * ```ts
 * import { requireService, services } from '@passport/test-bed';
 * const hasPostgres = await requireService('postgres');
 * describe.skipIf(!hasPostgres)('on PostgreSQL', () => { ... services.postgres.url ... });
 * ```
 */
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { it } from 'vitest';

/** The services `scripts/services.sh` manages. */
export type ServiceName = 'postgres' | 'redis' | 'redis-cluster' | 'ferretdb' | 'chromium';

const env = process.env;

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : defaultPort };
}

/** Addresses of the test bed's servers, each overridable by the environment variable named. */
export const services = {
  /** PostgreSQL: `DATABASE_URL`, default `postgres://postgres@127.0.0.1:5432/test`. */
  postgres: { url: env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  /** Redis: `REDIS_URL`, default `redis://127.0.0.1:6379`. */
  redis: { url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
  /** Redis Cluster seed nodes: `REDIS_CLUSTER_NODES` (comma-separated host:port), default 7000-7002. */
  redisCluster: {
    nodes: (env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002').split(',').map((n) => {
      const [host = '127.0.0.1', port = '7000'] = n.trim().split(':');
      return { host, port: Number(port) };
    }),
  },
  /** The MongoDB wire-protocol server (FerretDB here): `MONGODB_URL`, default `mongodb://127.0.0.1:27017`. */
  mongo: { url: env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017' },
  /** Chromium: `CHROMIUM_PATH`, default `/usr/bin/chromium`. */
  chromium: { path: env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
} as const;

/** True when `CI=true` (or `1`): then a missing service fails instead of skipping. */
export const inCI = env.CI === 'true' || env.CI === '1';

function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Where a service is expected, for messages. */
export function describeService(name: ServiceName): string {
  switch (name) {
    case 'postgres':
      return `PostgreSQL at ${services.postgres.url}`;
    case 'redis':
      return `Redis at ${services.redis.url}`;
    case 'redis-cluster':
      return `the Redis Cluster at ${services.redisCluster.nodes.map((n) => `${n.host}:${n.port}`).join(', ')}`;
    case 'ferretdb':
      return `the MongoDB wire-protocol server at ${services.mongo.url}`;
    case 'chromium':
      return `Chromium at ${services.chromium.path}`;
  }
}

/** Whether a service answers (a TCP connect, or the browser binary exists). */
export async function isServiceUp(name: ServiceName): Promise<boolean> {
  switch (name) {
    case 'postgres': {
      const { host, port } = hostPort(services.postgres.url, 5432);
      return canConnect(host, port);
    }
    case 'redis': {
      const { host, port } = hostPort(services.redis.url, 6379);
      return canConnect(host, port);
    }
    case 'redis-cluster': {
      const up = await Promise.all(services.redisCluster.nodes.map((n) => canConnect(n.host, n.port)));
      return up.every(Boolean);
    }
    case 'ferretdb': {
      // A mongodb+srv:// URL names no port to probe: trust it and let the driver report.
      if (services.mongo.url.startsWith('mongodb+srv://')) return true;
      const first = services.mongo.url.replace(/^mongodb:\/\/([^@/]*@)?/, '').split(/[,/?]/)[0] ?? '';
      const [host = '127.0.0.1', port = '27017'] = first.split(':');
      return canConnect(host, Number(port));
    }
    case 'chromium':
      return existsSync(services.chromium.path);
  }
}

const reported = new Set<ServiceName>();

/**
 * Gates a test file on a service. Returns `true` when the service answers. Otherwise, locally,
 * prints one line (which service, how to start it) and returns `false` so the caller skips;
 * under `CI=true` it registers a failing test with that message and returns `false`, so the
 * run fails with the reason in the report rather than skipping.
 */
export async function requireService(name: ServiceName): Promise<boolean> {
  if (await isServiceUp(name)) return true;
  const message = `${describeService(name)} is not reachable; start it with: scripts/services.sh start ${name}`;
  if (inCI) {
    it(`test bed: ${name} is running`, () => {
      throw new Error(`${message} (CI=true: a missing service is a failure, not a skip)`);
    });
  } else if (!reported.has(name)) {
    reported.add(name);
    console.warn(`Skipping the suites that need ${name}: ${message}`);
  }
  return false;
}

export { TcpProxy } from './tcp-proxy.js';
