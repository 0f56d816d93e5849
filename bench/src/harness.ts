import { type ChildProcess, fork } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import {
  type LoadPlan,
  type ParentMessage,
  type ServerConfig,
  type ServerMessage,
  type SharedKeys,
  type StoreKind,
  UNIQUE_PLACEHOLDER,
} from './protocol.js';
import { passOrder, type Scenario } from './scenarios.js';

/** Options of {@link runBench}. */
export interface BenchOptions {
  scenarios: readonly Scenario[];
  /** Seconds of measured load per run. @default 10 */
  durationSeconds: number;
  /** Seconds of unmeasured load before each run (JIT, pools, caches). @default 3 */
  warmupSeconds: number;
  /** How many times every scenario runs; odd passes go in reverse order. @default 2 */
  passes: number;
  /** Concurrent keep-alive connections of the load generator. @default 16 */
  connections: number;
  /** node-postgres connection string for the `postgres` store. */
  databaseUrl: string;
  /** Redis URL for the `redis` store. */
  redisUrl: string;
  /** The MongoDB wire-protocol server of the `mongo` scenarios. */
  mongodbUrl: string;
  /**
   * Upper bound on the request rate a single-use scenario can reach; with the run's length it sizes
   * how many codes or refresh tokens are created beforehand. `null`: per store, see
   * {@link DEFAULT_SINGLE_USE_RATE}.
   */
  singleUseRate: number | null;
  /** Directory for `node --cpu-prof` profiles of every server, or `null` for none. */
  cpuProfileDir: string | null;
  /** Progress lines (stderr by default). */
  log: (line: string) => void;
}

/** One measured run of one scenario. */
export interface RunRecord {
  scenarioId: string;
  /** 1-based pass number. */
  pass: number;
  /** Position of the run within its pass, 1-based. */
  position: number;
  /** Set when the run could not be measured; the numbers are then zero. */
  error: string | null;
  /** Successful (status below 400) responses the server finished per second of the window. */
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Server CPU time (user + system) divided by the responses it finished, in the window. */
  cpuMicrosPerRequest: number;
  /** Highest RSS of the server process during the window, bytes. */
  peakRssBytes: number;
  /**
   * CPU of the PostgreSQL backends serving the server's pool, or of the local Mongo server
   * (FerretDB), per request (stores `postgres` and `mongo` only;
   * not part of `cpuMicrosPerRequest`). `null` when not applicable. Resolution: one clock tick
   * (10 ms) per backend over the whole window.
   */
  databaseCpuMicrosPerRequest: number | null;
  /** Responses the server finished in the window. */
  responses: number;
  /** Responses of status 400 or more the server sent in the window, plus load generator timeouts. */
  failures: number;
  /** First non-2xx answer seen, for diagnosing a failing contender. */
  firstFailure: string | null;
  /** Time the server took to start and seed its data, ms. */
  setupMs: number;
  /**
   * What one request before the warm-up returned: status, and for a token response the JWT
   * header's `alg`/`typ` and claim names, proof that every contender issues the token it claims to.
   */
  sample: string | null;
  /** Why the measured window ended before `durationSeconds`, or `null` when it did not. */
  stoppedEarly: string | null;
  /**
   * PostgreSQL store only: scans of each index of the run's schema (`pg_stat_user_indexes.idx_scan`,
   * keyed `table.index`), read after every run, so an index no hot query uses shows as 0.
   * Absent for other stores, or when the statistics could not be read.
   */
  indexScans?: Record<string, number>;
}

/** Generates the run's shared keys: every contender signs with these. */
export function generateSharedKeys(): SharedKeys {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    rsaPrivatePem: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ecPrivatePem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    kid: `bench-${randomBytes(4).toString('hex')}`,
  };
}

/**
 * Request rates the single-use scenarios (authorization code, refresh) are sized for, per store:
 * about twice what each reached on the 2-core reference machine. Too few credentials fail the run
 * with a message; too many only slow the seeding (and, in memory and PGlite, add to the RSS). On
 * FerretDB every read costs in proportion to its collection (it uses no index to find documents),
 * so the Mongo store is seeded with few: more would only measure longer reads.
 */
export const DEFAULT_SINGLE_USE_RATE: Readonly<Record<StoreKind, number>> = {
  memory: 6000,
  postgres: 2000,
  pglite: 800,
  redis: 3000,
  mongo: 60,
};

/** The benchmark server's entry point, forked once per run. */
export const SERVER_ENTRY = fileURLToPath(new URL('./server.js', import.meta.url));
const READY_TIMEOUT_MS = 300_000;

/**
 * Runs every scenario `passes` times, each in a fresh server process, and returns one record per
 * run. A run that fails (the contender cannot start, PostgreSQL is down, every request errors) is
 * recorded with its error and the harness goes on: one broken contender never hides the others.
 */
export async function runBench(options: BenchOptions): Promise<RunRecord[]> {
  const keys = generateSharedKeys();
  // A UUID: the PostgreSQL store types client ids as uuid by default.
  const client = { id: randomUUID(), secret: randomBytes(32).toString('base64url') };
  const records: RunRecord[] = [];
  const schemas: string[] = [];
  const databases: string[] = [];
  /** The schema each PostgreSQL run used, to read its index statistics at the end. */
  const pgRuns: { schema: string; record: RunRecord }[] = [];
  let runNumber = 0;
  const measured = options.scenarios.filter((s) => s.family !== 'worst-case');
  for (let pass = 0; pass < options.passes; pass++) {
    const order = passOrder(measured, pass);
    for (const [index, scenario] of order.entries()) {
      runNumber += 1;
      const schema = `passport_bench_${process.pid}_${runNumber}`;
      if (scenario.store === 'postgres') schemas.push(schema);
      if (scenario.store === 'mongo') databases.push(schema);
      const config: ServerConfig = {
        target: scenario.target,
        flow: scenario.flow,
        store: scenario.store,
        alg: scenario.alg,
        keys,
        client,
        issuer: 'https://bench.passport.test',
        singleUseCount:
          scenario.flow === 'authorization-code' || scenario.flow === 'refresh-token'
            ? Math.ceil(
                (options.warmupSeconds + options.durationSeconds + 2) *
                  (options.singleUseRate ?? DEFAULT_SINGLE_USE_RATE[scenario.store ?? 'memory']),
              )
            : 0,
        databaseUrl: options.databaseUrl,
        schema,
        redisUrl: options.redisUrl,
        mongodbUrl: options.mongodbUrl,
      };
      options.log(`pass ${pass + 1}/${options.passes}  ${index + 1}/${order.length}  ${scenario.id} ...`);
      let record = await measureOne(scenario, config, options, pass + 1, index + 1);
      let usedSchema = schema;
      if (record.error !== null && record.responses === 0) {
        // Failed before any load (e.g. a workspace package's dist/ was being rebuilt): retry once.
        options.log(`  failed to start (${record.error.split('\n')[0]}), retrying in 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 10_000));
        const retry = { ...config, schema: `${schema}_retry` };
        if (scenario.store === 'postgres') schemas.push(retry.schema);
        if (scenario.store === 'mongo') databases.push(retry.schema);
        record = await measureOne(scenario, retry, options, pass + 1, index + 1);
        usedSchema = retry.schema;
      }
      records.push(record);
      if (scenario.store === 'postgres' && record.error === null) pgRuns.push({ schema: usedSchema, record });
      if (record.sample !== null && pass === 0) options.log(`  probe: ${record.sample}`);
      options.log(
        record.error === null
          ? `  setup ${(record.setupMs / 1000).toFixed(1)} s  ${record.requestsPerSecond.toFixed(0)} req/s  p50 ${record.latencyP50Ms} ms  p99 ${record.latencyP99Ms} ms  ${record.cpuMicrosPerRequest.toFixed(0)} us CPU/req${record.databaseCpuMicrosPerRequest === null ? '' : ` (+${record.databaseCpuMicrosPerRequest.toFixed(0)} us in ${helperName(scenario.store)})`}  ${(record.peakRssBytes / 2 ** 20).toFixed(0)} MiB`
          : `  FAILED: ${record.error}`,
      );
      if (record.stoppedEarly !== null && record.error === null)
        options.log(`  note: ${record.stoppedEarly}`);
    }
  }
  if (pgRuns.length > 0) await readIndexScans(options.databaseUrl, pgRuns);
  if (schemas.length > 0) await dropSchemas(options.databaseUrl, schemas);
  if (databases.length > 0) await dropMongoDatabases(options.mongodbUrl, databases);
  return records;
}

/** How the helper process whose CPU is reported as "DB CPU" is named in the progress log. */
function helperName(store: StoreKind | null): string {
  if (store === 'redis') return 'Redis';
  if (store === 'mongo') return 'the Mongo server';
  return 'PostgreSQL';
}

async function dropMongoDatabases(url: string, names: readonly string[]): Promise<void> {
  try {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
    try {
      for (const name of names) await client.db(name).dropDatabase();
    } finally {
      await client.close();
    }
  } catch {
    // The server is unreachable: those runs already failed and created nothing.
  }
}

/**
 * Reads `pg_stat_user_indexes` for every PostgreSQL run's schema into its record. Read once at the
 * end: each run's server process has exited by then, and a backend flushes its statistics when its
 * connection closes.
 */
async function readIndexScans(
  databaseUrl: string,
  runs: readonly { schema: string; record: RunRecord }[],
): Promise<void> {
  try {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{
        schemaname: string;
        relname: string;
        indexrelname: string;
        idx_scan: string;
      }>(
        'SELECT schemaname, relname, indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = ANY($1)',
        [runs.map((r) => r.schema)],
      );
      for (const { schema, record } of runs) {
        const scans: Record<string, number> = {};
        for (const row of rows) {
          if (row.schemaname === schema) scans[`${row.relname}.${row.indexrelname}`] = Number(row.idx_scan);
        }
        record.indexScans = scans;
      }
    } finally {
      await client.end();
    }
  } catch {
    // Statistics unreadable (PostgreSQL gone): the report says the index use was not measured.
  }
}

async function dropSchemas(databaseUrl: string, schemas: readonly string[]): Promise<void> {
  try {
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  } catch {
    // PostgreSQL unreachable: those runs already failed and created nothing.
  }
}

function emptyRecord(scenario: Scenario, pass: number, position: number, error: string): RunRecord {
  return {
    scenarioId: scenario.id,
    pass,
    position,
    error,
    requestsPerSecond: 0,
    latencyP50Ms: 0,
    latencyP99Ms: 0,
    cpuMicrosPerRequest: 0,
    peakRssBytes: 0,
    databaseCpuMicrosPerRequest: null,
    responses: 0,
    failures: 0,
    firstFailure: null,
    setupMs: 0,
    sample: null,
    stoppedEarly: null,
  };
}

/** Waits for the next message of `type` from the child, or fails when it dies or errors. */
export function nextMessage<T extends ServerMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
): Promise<Extract<ServerMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`no "${type}" from the server in ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message: ServerMessage) => {
      if (message.type === type) finish(null, message as Extract<ServerMessage, { type: T }>);
      else if (message.type === 'failed') finish(new Error(message.message));
    };
    const onExit = (code: number | null) => finish(new Error(`server exited with code ${code}`));
    function finish(error: Error | null, message?: Extract<ServerMessage, { type: T }>): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error !== null || message === undefined) reject(error ?? new Error('no message'));
      else resolve(message);
    }
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Disconnects a server child and waits for it to exit (killing it after 15 s). */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface LoadState {
  next: number;
  firstFailure: string | null;
  /** Stops the running load generator (set while one runs). */
  stop: (() => void) | null;
  /** Set when the single-use credentials ran out and the run was stopped early. */
  exhausted: boolean;
  /** Called once when they run out during the measured window. */
  onExhausted: (() => void) | null;
}

/** Runs autocannon and lets `state.stop` end it early. */
function runLoad(options: autocannon.Options, state: LoadState): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) => {
      state.stop = null;
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(result);
    });
    state.stop = () => instance.stop();
  });
}

function loadOptions(
  port: number,
  plan: LoadPlan,
  state: LoadState,
  connections: number,
  duration: number,
): autocannon.Options {
  const onResponse = (status: number, body: string) => {
    if (status >= 300 && state.firstFailure === null) state.firstFailure = `${status} ${body.slice(0, 300)}`;
  };
  const unique = plan.unique;
  const template = plan.body;
  const request: autocannon.Request = { onResponse };
  if (unique !== undefined && template !== undefined) {
    request.setupRequest = (req) => {
      const n = state.next++;
      if (n >= unique.count && !state.exhausted) {
        // Out of single-use credentials: end the server's window now (the load generator only
        // stops at its next one-second tick) so failures are not measured.
        state.exhausted = true;
        state.onExhausted?.();
        state.stop?.();
      }
      return { ...req, body: template.replace(UNIQUE_PLACEHOLDER, `${unique.prefix}${n}`) };
    };
  }
  return {
    url: `http://127.0.0.1:${port}${plan.path}`,
    method: plan.method,
    headers: plan.headers,
    ...(template !== undefined ? { body: template } : {}),
    connections,
    pipelining: 1,
    duration,
    timeout: 10,
    requests: [request],
  };
}

async function measureOne(
  scenario: Scenario,
  config: ServerConfig,
  options: BenchOptions,
  pass: number,
  position: number,
): Promise<RunRecord> {
  const execArgv =
    options.cpuProfileDir === null
      ? []
      : [
          '--cpu-prof',
          '--cpu-prof-dir',
          options.cpuProfileDir,
          '--cpu-prof-name',
          `${scenario.id}-pass${pass}.cpuprofile`,
        ];
  const child = fork(SERVER_ENTRY, [], {
    env: { ...process.env, BENCH_SERVER_CONFIG: JSON.stringify(config) },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  try {
    const ready = await nextMessage(child, 'ready', READY_TIMEOUT_MS);
    const state: LoadState = { next: 0, firstFailure: null, stop: null, exhausted: false, onExhausted: null };
    const sample = await probe(ready.port, ready.plan, state);
    if (options.warmupSeconds > 0) {
      await runLoad(
        loadOptions(ready.port, ready.plan, state, options.connections, options.warmupSeconds),
        state,
      );
      if (state.exhausted)
        throw new Error('single-use credentials ran out during the warm-up: raise --single-use-rate');
    }
    const measured = nextMessage(child, 'measured', (options.durationSeconds + 60) * 1000);
    let windowOpen = true;
    const closeWindow = () => {
      if (!windowOpen) return;
      windowOpen = false;
      child.send({ type: 'stop' } satisfies ParentMessage);
    };
    state.onExhausted = closeWindow;
    child.send({ type: 'start' } satisfies ParentMessage);
    const result = await runLoad(
      loadOptions(ready.port, ready.plan, state, options.connections, options.durationSeconds),
      state,
    );
    closeWindow();
    const server = await measured;
    const windowSeconds = server.elapsedMs / 1000;
    const failures = server.failures + result.timeouts;
    const record: RunRecord = {
      scenarioId: scenario.id,
      pass,
      position,
      error: null,
      requestsPerSecond: windowSeconds > 0 ? (server.responses - server.failures) / windowSeconds : 0,
      latencyP50Ms: result.latency.p50,
      latencyP99Ms: result.latency.p99,
      cpuMicrosPerRequest: server.responses > 0 ? server.cpuMicros / server.responses : 0,
      peakRssBytes: server.peakRss,
      databaseCpuMicrosPerRequest:
        server.helperCpuMicros === null || server.responses === 0
          ? null
          : server.helperCpuMicros / server.responses,
      responses: server.responses,
      failures,
      firstFailure: state.firstFailure,
      setupMs: ready.setupMs,
      sample,
      stoppedEarly: state.exhausted
        ? `single-use credentials ran out after ${windowSeconds.toFixed(1)} s`
        : null,
    };
    if (result['2xx'] === 0) {
      record.error = `no successful response (${state.firstFailure ?? `${result.errors} connection errors`})`;
    } else if (state.exhausted && windowSeconds < options.durationSeconds / 2) {
      record.error = `${record.stoppedEarly}, less than half the window: raise --single-use-rate`;
    }
    return record;
  } catch (error) {
    return emptyRecord(scenario, pass, position, error instanceof Error ? error.message : String(error));
  } finally {
    await stopChild(child);
  }
}

/** Decodes one base64url JSON segment of a JWT. */
function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Sends one request of the plan (consuming one single-use value) and describes the answer. Throws
 * when it is not 2xx: a contender that cannot answer is not measured.
 */
async function probe(port: number, plan: LoadPlan, state: LoadState): Promise<string> {
  const body =
    plan.body === undefined
      ? undefined
      : plan.unique === undefined
        ? plan.body
        : plan.body.replace(UNIQUE_PLACEHOLDER, `${plan.unique.prefix}${state.next++}`);
  const response = await fetch(`http://127.0.0.1:${port}${plan.path}`, {
    method: plan.method,
    headers: plan.headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`probe request answered ${response.status}: ${text.slice(0, 300)}`);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return `${response.status} (not JSON)`;
  }
  const token = json.access_token;
  if (typeof token !== 'string') return `${response.status} ${Object.keys(json).join(',')}`;
  const parts = token.split('.');
  if (parts.length !== 3) return `${response.status} opaque access token`;
  const header = decodeSegment(parts[0]);
  const claims = decodeSegment(parts[1]);
  return `${response.status} JWT alg=${String(header.alg)} typ=${String(header.typ)} claims=${Object.keys(claims).join(',')}`;
}
