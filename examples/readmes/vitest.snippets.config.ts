import { defineConfig } from 'vitest/config';

// Runs a README example that registers vitest suites (the store-testkit README's), written by
// test/readmes.test.ts into .snippets/.
export default defineConfig({
  test: {
    include: ['.snippets/**/*.test.mjs'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
