/**
 * Entry point of one benchmark server, run as its own child process by the harness
 * (`child_process.fork`). It builds the contender named in `BENCH_SERVER_CONFIG`, listens on
 * 127.0.0.1 (a random port), and measures itself between the parent's `start` and `stop`
 * messages: CPU time from `process.cpuUsage()` (user + system, every thread of the process, so
 * the libuv pool where WebCrypto signs is counted), responses finished, and peak RSS.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ParentMessage, ServerConfig, ServerMessage } from './protocol.js';
import type { BenchTarget } from './servers/common.js';

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function createTarget(config: ServerConfig): Promise<BenchTarget> {
  switch (config.target) {
    case 'floor-token':
      return (await import('./servers/floor.js')).createFloorTokenTarget(config);
    case 'floor-verify':
      return (await import('./servers/floor.js')).createFloorVerifyTarget(config);
    case 'passport':
      if (config.flow === 'worst-case') {
        return (await import('./servers/worst-case.js')).createWorstCaseTarget(config);
      }
      return (await import('./servers/passport.js')).createPassportTarget(config);
    case 'oidc-provider':
      return (await import('./servers/oidc-provider.js')).createOidcProviderTarget(config);
    case 'node-oauth2-server':
      return (await import('./servers/node-oauth2-server.js')).createNodeOAuth2ServerTarget(config);
    case 'jmondi-oauth2-server':
      return (await import('./servers/jmondi-oauth2-server.js')).createJmondiTarget(config);
    case 'diag-bare-http':
      return (await import('./servers/diagnostic.js')).createBareHttpTarget(config);
    case 'diag-fetch-adapter':
      return (await import('./servers/diagnostic.js')).createFetchAdapterTarget(config);
  }
}

async function main(): Promise<void> {
  const raw = process.env.BENCH_SERVER_CONFIG;
  if (raw === undefined) throw new Error('BENCH_SERVER_CONFIG is not set: run this through the harness');
  const config = JSON.parse(raw) as ServerConfig;
  const setupStarted = performance.now();
  const target = await createTarget(config);

  let responses = 0;
  let failures = 0;
  const server = createServer((request, response) => {
    response.on('finish', () => {
      responses += 1;
      if (response.statusCode >= 400) failures += 1;
    });
    target.listener(request, response);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let window: {
    helperStart: number | null;
    cpu: NodeJS.CpuUsage;
    responses: number;
    failures: number;
    peakRss: number;
    started: number;
    sampler: NodeJS.Timeout;
  } | null = null;

  process.on('message', (message: ParentMessage) => {
    void onMessage(message);
  });
  async function onMessage(message: ParentMessage): Promise<void> {
    if (message.type === 'start') {
      const helperStart = (await target.helperCpuMicros?.()) ?? null;
      const state = {
        helperStart,
        cpu: process.cpuUsage(),
        responses,
        failures,
        peakRss: process.memoryUsage.rss(),
        started: performance.now(),
        sampler: setInterval(() => {
          state.peakRss = Math.max(state.peakRss, process.memoryUsage.rss());
        }, 25),
      };
      window = state;
      send({ type: 'started' });
    } else if (message.type === 'stop' && window !== null) {
      const cpu = process.cpuUsage(window.cpu);
      const current = window;
      window = null;
      clearInterval(current.sampler);
      const helperEnd = current.helperStart === null ? null : ((await target.helperCpuMicros?.()) ?? null);
      send({
        type: 'measured',
        cpuMicros: cpu.user + cpu.system,
        responses: responses - current.responses,
        failures: failures - current.failures,
        peakRss: Math.max(current.peakRss, process.memoryUsage.rss()),
        helperCpuMicros:
          helperEnd === null || current.helperStart === null ? null : helperEnd - current.helperStart,
        elapsedMs: performance.now() - current.started,
      });
    }
  }
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
    void target.close().finally(() => process.exit(0));
  });
  send({
    type: 'ready',
    port,
    plan: target.plan,
    setupMs: performance.now() - setupStarted,
    ...(target.cases === undefined ? {} : { cases: target.cases }),
  });
}

main().catch((error: unknown) => {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
});
