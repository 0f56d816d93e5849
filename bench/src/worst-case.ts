/**
 * The worst-case cost scenario (`worst-case`): a corpus of hostile requests sent to every endpoint
 * of one Passport server, each request's server CPU compared with the median of its endpoint's
 * normal request. It catches the cost classes a throughput run never meets: a regular expression
 * that backtracks on a long blank run, a parser that is quadratic in the number of parameters, a
 * header read many times over. Target: no request costs more than 10 x its endpoint's median.
 *
 * Requests go one at a time over one keep-alive connection; for each case the server measures its
 * own CPU over a window of `repeat` requests (after a short warm-up), in `rounds` rounds whose
 * median is kept, so one descheduling on a busy machine does not make an outlier.
 *
 * @module
 */
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { generateSharedKeys, nextMessage, SERVER_ENTRY, stopChild } from './harness.js';
import type { HostileCase, ParentMessage, ServerConfig } from './protocol.js';

/** The target: the costliest request at most this multiple of its endpoint's median. */
export const WORST_CASE_LIMIT = 10;

/** Options of {@link runWorstCase}. */
export interface WorstCaseOptions {
  /** Rounds over the whole corpus; the median per case is kept. @default 3 */
  rounds: number;
  /** Measured requests per case and round. @default 40 */
  repeat: number;
  log: (line: string) => void;
}

/** One case's result. */
export interface WorstCaseRow {
  endpoint: string;
  name: string;
  normal: boolean;
  /** Outside Passport (bare `node:http`): shown for comparison, not held to the target. */
  reference: boolean;
  /** Status of the last answer. */
  status: number;
  /** Server CPU per request, median over rounds, microseconds. */
  cpuMicrosPerRequest: number;
  /** {@link cpuMicrosPerRequest} divided by the endpoint's normal median. */
  ratio: number;
}

/** The result of a worst-case run. */
export interface WorstCaseReport {
  rows: WorstCaseRow[];
  /** The costliest hostile request of each endpoint (the reference endpoint included). */
  worstPerEndpoint: WorstCaseRow[];
  /** The highest ratio of Passport's endpoints. */
  worst: WorstCaseRow | null;
  error: string | null;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Sends one request and resolves with its status once the whole answer is read. */
function send(agent: Agent, port: number, c: HostileCase): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...c.headers };
    if (c.body !== undefined) headers['content-length'] = String(Buffer.byteLength(c.body));
    const req = httpRequest(
      { host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

/** Runs the corpus against one fresh server child and returns every case's CPU per request. */
export async function runWorstCase(options: WorstCaseOptions): Promise<WorstCaseReport> {
  const config: ServerConfig = {
    target: 'passport',
    flow: 'worst-case',
    store: 'memory',
    alg: 'ES256',
    keys: generateSharedKeys(),
    client: { id: randomUUID(), secret: randomBytes(32).toString('base64url') },
    issuer: 'https://bench.passport.test',
    singleUseCount: 0,
    databaseUrl: '',
    redisUrl: '',
    mongodbUrl: '',
    schema: '',
  };
  const child = fork(SERVER_ENTRY, [], {
    env: { ...process.env, BENCH_SERVER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const ready = await nextMessage(child, 'ready', 120_000);
    const cases = ready.cases ?? [];
    if (cases.length === 0) throw new Error('the worst-case server sent no corpus');
    options.log(
      `worst-case: ${cases.length} requests in the corpus, ${options.rounds} rounds of ${options.repeat} each`,
    );
    const samples = cases.map(() => [] as number[]);
    const statuses = cases.map(() => 0);
    for (let round = 0; round < options.rounds; round++) {
      for (const [index, c] of cases.entries()) {
        for (let i = 0; i < 3; i++) await send(agent, ready.port, c);
        const started = nextMessage(child, 'started', 120_000);
        child.send({ type: 'start' } satisfies ParentMessage);
        await started;
        const measured = nextMessage(child, 'measured', 120_000);
        for (let i = 0; i < options.repeat; i++) statuses[index] = await send(agent, ready.port, c);
        child.send({ type: 'stop' } satisfies ParentMessage);
        const window = await measured;
        samples[index]?.push(window.responses > 0 ? window.cpuMicros / window.responses : 0);
      }
      options.log(`  round ${round + 1}/${options.rounds} done`);
    }
    const cpu = samples.map((values) => median(values));
    const normals = new Map<string, number>();
    for (const [index, c] of cases.entries()) if (c.normal) normals.set(c.endpoint, cpu[index] ?? 0);
    const rows: WorstCaseRow[] = cases.map((c, index) => {
      const own = cpu[index] ?? 0;
      const base = normals.get(c.endpoint) ?? own;
      return {
        endpoint: c.endpoint,
        name: c.name,
        normal: c.normal,
        reference: c.reference === true,
        status: statuses[index] ?? 0,
        cpuMicrosPerRequest: own,
        ratio: base > 0 ? own / base : 0,
      };
    });
    const worstPerEndpoint = [...normals.keys()].flatMap((endpoint) => {
      const hostile = rows.filter((r) => r.endpoint === endpoint && !r.normal);
      const top = hostile.reduce<WorstCaseRow | null>(
        (a, r) => (a === null || r.ratio > a.ratio ? r : a),
        null,
      );
      return top === null ? [] : [top];
    });
    const worst = worstPerEndpoint
      .filter((r) => !r.reference)
      .reduce<WorstCaseRow | null>((a, r) => (a === null || r.ratio > a.ratio ? r : a), null);
    return { rows, worstPerEndpoint, worst, error: null };
  } catch (error) {
    return {
      rows: [],
      worstPerEndpoint: [],
      worst: null,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    agent.destroy();
    await stopChild(child);
  }
}
