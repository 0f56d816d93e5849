// workerd entry (bundled with esbuild, run through miniflare).
import { createApp } from './app.mjs';

const app = createApp();

export default {
  fetch(request) {
    return app(request);
  },
};
