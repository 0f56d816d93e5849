// Bun entry: node_modules/.bin/bun test/runtime/server-bun.mjs
import { createApp } from './app.mjs';

const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: createApp(Bun.env) });
console.log(`LISTENING ${server.port}`);
