// Deno entry: node_modules/.bin/deno run --allow-net --allow-read --allow-env test/runtime/server-deno.mjs
import { createApp } from './app.mjs';

Deno.serve(
  { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`LISTENING ${port}`) },
  createApp(Deno.env.toObject()),
);
