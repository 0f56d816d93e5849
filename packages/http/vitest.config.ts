import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: [
      // The runtime suite's plain-JS app imports the package by name; tests run against the sources.
      {
        find: /^@passport\/http\/node$/,
        replacement: fileURLToPath(new URL('./src/adapter/node/index.ts', import.meta.url)),
      },
      {
        find: /^@passport\/http\/testing$/,
        replacement: fileURLToPath(new URL('./src/testing.ts', import.meta.url)),
      },
      { find: /^@passport\/http$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
