import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/cli.ts', 'src/server.ts', 'src/propagation-server.ts', 'src/index.ts', 'src/profile.ts'],
  format: ['esm'],
  dts: false,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'node',
  // Contenders run as published: never re-bundle the peers, jose or the Passport packages.
  skipNodeModulesBundle: true,
});
