// workerd entry (bundled with esbuild, run through miniflare): the keys and the store's address
// are the Worker's bindings. A Worker may not use an I/O object (a TCP socket) that another
// request opened, so the store is opened and closed per request (`perRequest`); the memory
// store, which holds no socket, lives as long as the isolate.

import { createApp } from './app.mjs';

/** The Worker's module export for the store `openStore` opens. */
export function createWorker(openStore, options = {}) {
  let app = null;
  return {
    fetch(request, env, ctx) {
      app ??= createApp(env, openStore, options);
      return app(request, ctx);
    },
  };
}
