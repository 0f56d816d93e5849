import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The demo's entry point. */
export const SERVER = fileURLToPath(new URL('../server.mjs', import.meta.url));

/** A demo server started as its own process, the way a user starts it. */
export interface RunningDemo {
  /** The issuer (the public origin: PASSPORT_ISSUER when set). */
  url: string;
  /** Where the server listens: what a test connects to. */
  listening: string;
  /** The process id. */
  pid: number;
  /** Everything it printed on stdout. */
  output: string;
  /** Everything it printed on stderr. */
  errors: string;
  /** Sends `signal` to the process (SIGHUP reloads the keys). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * Starts `node server.mjs` on a free port with `dataDir` and resolves once it prints its URL.
 * `DATABASE_URL`, `REDIS_URL`, `MONGODB_URL` and the `PASSPORT_*` settings are removed from the environment unless given in
 * `env`: the demo under test never picks up the settings of the machine running the tests.
 */
export function startDemoProcess(dataDir: string, env: Record<string, string> = {}): Promise<RunningDemo> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      value !== undefined &&
      key !== 'DATABASE_URL' &&
      key !== 'REDIS_URL' &&
      key !== 'MONGODB_URL' &&
      !key.startsWith('PASSPORT_')
    )
      childEnv[key] = value;
  }
  Object.assign(childEnv, { PORT: '0', PASSPORT_DEMO_DATA: dataDir }, env);
  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the demo did not start within 90 s:\n${output}${errors}`));
    }, 90_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      errors += chunk;
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /Passport demo server: (https?:\/\/\S+)(?: \(listening on (http:\/\/\S+)\))?/.exec(
        output,
      );
      if (match?.[1] && output.includes('Press Ctrl+C to stop.')) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          listening: match[2] ?? match[1],
          pid: child.pid as number,
          get output() {
            return output;
          },
          get errors() {
            return errors;
          },
          signal: (signal) => {
            child.kill(signal);
          },
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with code ${code}:\n${output}${errors}`));
    });
  });
}
