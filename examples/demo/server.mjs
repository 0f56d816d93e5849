#!/usr/bin/env node
// @ts-check
/**
 * Starts the Passport demo: `node examples/demo/server.mjs` (or `pnpm demo` at the repository
 * root). Its environment (PORT, HOST, PASSPORT_DEMO_DATA, DATABASE_URL, REDIS_URL,
 * PASSPORT_DEMO_REDIS_PREFIX, MONGODB_URL, PASSPORT_ISSUER, PASSPORT_ACCESS_TOKEN_TTL,
 * PASSPORT_REFRESH_TOKEN_TTL, PASSPORT_SECRET, PASSPORT_REVOCATION_CACHE_SECONDS and the PASSPORT_*_KEY
 * variables) is described in README.md; a bad value stops it with one line.
 */
import { loadKeysFromEnv } from '@passport/cli';
import { startDemo } from './src/app.mjs';
import { demoSettings } from './src/settings.mjs';
import { demoUsers } from './src/users.mjs';

let demo;
let port = process.env.PORT ?? '8000';
try {
  const settings = demoSettings(process.env, process.cwd());
  port = String(settings.port);
  const keys = await loadKeysFromEnv(process.env);
  demo = await startDemo({ ...settings, ...(keys ? { keys } : {}) });
} catch (error) {
  const code = /** @type {{ code?: string }} */ (error).code;
  const message = error instanceof Error ? error.message : String(error);
  console.error(
    code === 'EADDRINUSE'
      ? `passport demo: port ${port} is in use; start it with PORT=8001 (or stop the other server)`
      : `passport demo: cannot start: ${message.split('\n')[0]}`,
  );
  process.exit(1);
}

const user = demoUsers[0];
const lines = [
  `Passport demo server: ${demo.url}${demo.listening === demo.url ? '' : ` (listening on ${demo.listening})`}`,
  `  data: ${demo.database}${demo.firstStart ? ' (first start: keys generated)' : ' (reused)'}`,
  demo.database.startsWith('Redis')
    ? '  schema: none (Redis keeps records as hashes)'
    : demo.migrations.length > 0
      ? `  schema: applied migration(s) ${demo.migrations.join(', ')}`
      : '  schema: up to date',
  `  tokens: access ${demo.lifetimes.accessToken} s, refresh ${demo.lifetimes.refreshToken} s`,
  `  sign in as ${user?.email} / ${user?.password}`,
  '  clients:',
  ...demo.clients.map(
    (client) =>
      `    ${client.name.padEnd(22)} id ${client.id}${client.secret ? `  secret ${client.secret}` : '  (public)'}`,
  ),
  `  open ${demo.url}/client to walk through authorization code + PKCE, refresh, an API call and revocation`,
  `  home page with the device flow and curl examples: ${demo.url}/`,
  'Press Ctrl+C to stop.',
];
console.log(lines.join('\n'));

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, () => {
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
