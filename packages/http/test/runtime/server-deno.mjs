// Deno entry: the matrix bundles a cell's entry (`start(openStore)` with the cell's store module)
// and runs it with node_modules/.bin/deno. Prints `LISTENING <port>` once it serves.
import { createApp } from './app.mjs';

/** Serves the app on the store `openStore` opens, on a free port of 127.0.0.1. */
export function start(openStore) {
  Deno.serve(
    { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`LISTENING ${port}`) },
    createApp(Deno.env.toObject(), openStore),
  );
}
