/**
 * Messages between the harness (parent) and one benchmark server (a child process), over the
 * `child_process.fork` IPC channel. The server measures itself: its own CPU time and RSS over the
 * window between `start` and `stop`, so the load generator's work never counts against it.
 *
 * @module
 */

/** Key material shared by every server of a run, so every contender signs with the same key. */
export interface SharedKeys {
  /** RSA 2048 private key, PKCS#8 PEM. */
  rsaPrivatePem: string;
  /** P-256 private key, PKCS#8 PEM (ES256 scenarios). */
  ecPrivatePem: string;
  /** Key id placed in every JWT header. */
  kid: string;
}

/** Where the server keeps its state. `null` for contenders that have no store choice. */
export type StoreKind = 'memory' | 'postgres' | 'pglite' | 'redis' | 'mongo';

/** Which server program a scenario runs. */
export type TargetName =
  | 'floor-token'
  | 'floor-verify'
  | 'passport'
  | 'oidc-provider'
  | 'node-oauth2-server'
  | 'jmondi-oauth2-server'
  | 'diag-bare-http'
  | 'diag-fetch-adapter';

/** What the request stream exercises. */
export type Flow =
  | 'client-credentials'
  | 'authorization-code'
  | 'refresh-token'
  | 'introspection'
  | 'bearer-guard'
  | 'bearer-guard-fetch'
  | 'worst-case';

/** Everything a server child needs, passed as JSON in the `BENCH_SERVER_CONFIG` variable. */
export interface ServerConfig {
  target: TargetName;
  flow: Flow;
  store: StoreKind | null;
  alg: 'RS256' | 'ES256';
  keys: SharedKeys;
  /** The OAuth client every contender knows (one in-memory or seeded client). */
  client: { id: string; secret: string };
  /** Issuer URL used in tokens (the server's real port is unknown until it listens). */
  issuer: string;
  /** How many single-use credentials (codes, refresh tokens) to create before the run. */
  singleUseCount: number;
  /** node-postgres connection string (store `postgres`). */
  databaseUrl: string;
  /**
   * Schema the PostgreSQL store uses; created before and dropped after the run. The Redis store
   * uses it as its key prefix (`<schema>:`), whose keys are deleted after the run; the Mongo store
   * as its database name, dropped after the run.
   */
  schema: string;
  /** Redis URL (store `redis`). */
  redisUrl: string;
  /** MongoDB wire-protocol server (store `mongo`): the test bed's FerretDB unless told otherwise. */
  mongodbUrl: string;
}

/**
 * One request shape for the load generator. When `unique` is set, every request replaces the
 * `{unique}` placeholder in `body` with `${unique.prefix}${n}` for n = 0, 1, 2 ... so single-use
 * credentials are each presented once.
 */
export interface LoadPlan {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  unique?: { prefix: string; count: number };
}

/**
 * One request of the worst-case corpus: the normal request of an endpoint, or a hostile one. The
 * parent sends it a number of times and takes the server's CPU per request.
 */
export interface HostileCase {
  /** The endpoint it goes to, e.g. `POST /oauth/token (client_credentials)`. */
  endpoint: string;
  /** `normal`, or what is hostile about it. */
  name: string;
  normal: boolean;
  /** A reference endpoint outside Passport (bare `node:http`): reported, not held to the target. */
  reference?: boolean;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** Child to parent. */
export type ServerMessage =
  | { type: 'ready'; port: number; plan: LoadPlan; setupMs: number; cases?: HostileCase[] }
  | {
      type: 'measured';
      /** User plus system CPU time of the whole server process in the window, microseconds. */
      cpuMicros: number;
      /** Responses the server finished in the window (any status). */
      responses: number;
      /** Responses with a status of 400 or more in the window. */
      failures: number;
      /** Highest RSS sampled in the window (every 25 ms, plus both ends), bytes. */
      peakRss: number;
      /** CPU time of helper processes (PostgreSQL backends, the Redis server, the Mongo server) in the window; `null` when none. */
      helperCpuMicros: number | null;
      elapsedMs: number;
    }
  /** The measurement window is open (answers `start`; the worst-case runner waits for it). */
  | { type: 'started' }
  | { type: 'failed'; message: string };

/** Parent to child. */
export type ParentMessage = { type: 'start' } | { type: 'stop' };

/** Placeholder replaced by the per-request unique value in {@link LoadPlan.body}. */
export const UNIQUE_PLACEHOLDER = '{unique}';
