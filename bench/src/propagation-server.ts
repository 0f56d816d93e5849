/**
 * One instance of the propagation scenario, run as its own process by `propagation.ts`: a passport
 * on the shared store (PostgreSQL, Redis or MongoDB) with its default read-through cache (5 s), Passport's
 * handler, and a route behind the bearer guard (`GET /api/resource`, client-credentials tokens).
 * The first instance creates the schema and the client; every instance says `ready` with its port
 * over IPC and closes on `stop`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPassport, hashSecret, importPrivateKeyPem, KeySet, type PassportStore } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { authenticateNode, toNodeListener } from '@passport/http/node';

/** What the parent passes in `BENCH_PROPAGATION_CONFIG`. */
export interface PropagationInstanceConfig {
  store: 'postgres' | 'redis' | 'mongo';
  /** The first instance migrates the schema and creates the client. */
  first: boolean;
  databaseUrl: string;
  redisUrl: string;
  mongodbUrl: string;
  /** PostgreSQL schema, the Redis key prefix (`<schema>:`), or the Mongo database. */
  schema: string;
  issuer: string;
  ecPrivatePem: string;
  client: { id: string; secret: string };
}

/** Messages from an instance to the parent. */
export type PropagationInstanceMessage = { type: 'ready'; port: number } | { type: 'stopped' };

async function openStore(config: PropagationInstanceConfig): Promise<{
  store: PassportStore & { close(): Promise<void> };
  cleanUp: () => Promise<void>;
}> {
  if (config.store === 'postgres') {
    const [{ default: pg }, { createPostgresStore }] = await Promise.all([
      import('pg'),
      import('@passport/store-postgres'),
    ]);
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 4 });
    const store = createPostgresStore({ pool, schema: config.schema });
    if (config.first) await store.migrate();
    return { store, cleanUp: async () => {} };
  }
  if (config.store === 'mongo') {
    const { createMongoStore } = await import('@passport/store-mongo');
    const store = await createMongoStore({
      url: config.mongodbUrl,
      dbName: config.schema,
      ensureIndexes: config.first,
    });
    return {
      store,
      cleanUp: async () => {
        if (config.first) await store.db.dropDatabase();
      },
    };
  }
  const [{ createRedisStore }, { deleteStoreKeys }] = await Promise.all([
    import('@passport/store-redis'),
    import('@passport/store-redis/testing'),
  ]);
  const store = await createRedisStore({ url: config.redisUrl, prefix: `${config.schema}:` });
  return {
    store,
    cleanUp: async () => {
      await deleteStoreKeys(store);
    },
  };
}

async function main(): Promise<void> {
  const raw = process.env.BENCH_PROPAGATION_CONFIG;
  if (raw === undefined) throw new Error('BENCH_PROPAGATION_CONFIG is not set: run this through pnpm bench');
  const config = JSON.parse(raw) as PropagationInstanceConfig;
  const { store, cleanUp } = await openStore(config);
  const passport = createPassport({
    issuer: config.issuer,
    store,
    keys: KeySet.from([await importPrivateKeyPem(config.ecPrivatePem, 'ES256')]),
    scopes: { read: 'Read the bench API' },
  });
  if (config.first) {
    const now = new Date();
    await store.createClient({
      id: config.client.id,
      ownerId: null,
      name: 'propagation',
      secretHash: hashSecret(config.client.secret),
      provider: null,
      redirectUris: [],
      grantTypes: ['client_credentials'],
      scopes: null,
      confidential: true,
      firstParty: true,
      resourceServer: false,
      revoked: false,
      createdAt: now,
      updatedAt: now,
    });
  }
  const handler = toNodeListener(
    createPassportHandler({
      passport,
      authenticateUser: () => null,
      secret: randomBytes(32).toString('base64url'),
    }),
  );
  const guard = createGuard({ passport });
  const server = createServer((request, response) => {
    if (!(request.url ?? '/').startsWith('/api/')) {
      handler(request, response);
      return;
    }
    void authenticateNode(guard, request, response, { accept: 'client' }).then((auth) => {
      if (auth === null) return;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ client: auth.client.id }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (config.first) await cleanUp().catch(() => undefined);
      await store.close();
      process.send?.({ type: 'stopped' } satisfies PropagationInstanceMessage);
      process.exit(0);
    })();
  });
  process.send?.({
    type: 'ready',
    port: (server.address() as AddressInfo).port,
  } satisfies PropagationInstanceMessage);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
