#!/usr/bin/env node
// @ts-check
/**
 * Starts the Passport demo: `node examples/demo/server.mjs` (or `pnpm demo` at the repository
 * root). Environment: PORT (8000), HOST (127.0.0.1), PASSPORT_DEMO_DATA (./.passport-demo),
 * DATABASE_URL (postgres://... to use PostgreSQL instead of the embedded PGlite), MONGODB_URL
 * (mongodb://... to use MongoDB or FerretDB instead), PUBLIC_URL (the origin users reach the demo
 * at, e.g. https://demo.example behind a TLS-terminating proxy).
 */
import { resolve } from 'node:path';
import { startDemo } from './src/app.mjs';
import { demoUsers } from './src/users.mjs';

const port = Number(process.env.PORT ?? 8000);
const dataDir = resolve(process.env.PASSPORT_DEMO_DATA ?? '.passport-demo');
const databaseUrl = process.env.DATABASE_URL || undefined;
const publicUrl = process.env.PUBLIC_URL || undefined;
const mongodbUrl = process.env.MONGODB_URL || undefined;

let demo;
try {
  demo = await startDemo({
    dataDir,
    port,
    host: process.env.HOST ?? '127.0.0.1',
    ...(databaseUrl ? { databaseUrl } : {}),
    ...(publicUrl ? { publicUrl } : {}),
    ...(mongodbUrl ? { mongodbUrl } : {}),
  });
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
  demo.migrations.length > 0
    ? `  schema: applied migration(s) ${demo.migrations.join(', ')}`
    : '  schema: up to date',
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
