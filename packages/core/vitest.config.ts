import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Core's own tests use the reference memory store. Both resolve to source here, so core does not
// depend on store-memory in its package graph (store-memory depends on core) and `instanceof`
// sees one copy of every error class.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@passport/core': source('./src/index.ts'),
      '@passport/store-memory': source('../store-memory/src/index.ts'),
    },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
  },
});
