import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireService, services } from '@passport/test-bed';
import { describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/index.js';
import { deleteStoreKeys } from '../src/testing.js';
import { randomPrefix } from './helpers.js';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The README's opening snippet, run as a user would (it imports the built packages), on the test
// bed's Redis under a prefix of its own, which is deleted afterwards.
describe.skipIf(!(await requireService('redis')))('the README', () => {
  it('opening snippet runs: mints and verifies a token on Redis', async () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const snippet = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet).toContain("prefix: 'auth:'");
    const prefix = randomPrefix('readme');
    const script = here(`../.readme-snippet-${crypto.randomUUID().slice(0, 8)}.mjs`);
    writeFileSync(script, (snippet ?? '').replace("prefix: 'auth:'", `prefix: '${prefix}'`));
    try {
      const { stdout } = await run(process.execPath, [script], {
        timeout: 20_000,
        env: { ...process.env, REDIS_URL: services.redis.url },
      });
      expect(stdout.trim()).toBe('true');
    } finally {
      rmSync(script, { force: true });
      const store = await createRedisStore({ url: services.redis.url, prefix });
      expect(await deleteStoreKeys(store)).toBeGreaterThan(0);
      await store.close();
    }
  });
});
