// workerd entry (bundled with esbuild, run through miniflare): the keys are the Worker's bindings.
import { createApp } from './app.mjs';

let app = null;

export default {
  fetch(request, env) {
    app ??= createApp(env);
    return app(request);
  },
};
