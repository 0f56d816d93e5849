import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireService } from '@passport/test-bed';
import { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { MONGODB_URL, randomDatabase } from './helpers.js';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

describe.skipIf(!(await requireService('ferretdb')))('the README', () => {
  // The snippet imports '@passport/core' and '@passport/store-mongo': written into this package's
  // folder they resolve to the built packages exactly as they would for a user. MONGODB_URL points
  // it at a database of its own.
  it('opens with a snippet that runs: a token minted and verified on the Mongo store', async () => {
    const block = /```js\n([\s\S]*?)```/.exec(readFileSync(here('../README.md'), 'utf8'))?.[1];
    if (!block) throw new Error('README.md has no ```js block');
    const script = here(`../.readme-snippet-${Math.random().toString(36).slice(2)}.mjs`);
    const dbName = randomDatabase('readme');
    writeFileSync(script, block);
    try {
      const { stdout } = await run(process.execPath, [script], {
        timeout: 30_000,
        env: { ...process.env, MONGODB_URL: `${MONGODB_URL.replace(/\/+$/, '')}/${dbName}` },
      });
      expect(stdout.trim()).toBe('true');
    } finally {
      rmSync(script, { force: true });
      const client = new MongoClient(MONGODB_URL);
      await client.db(dbName).dropDatabase();
      await client.close();
    }
  });
});
