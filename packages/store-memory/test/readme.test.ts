import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The first ```js block of a markdown file: the runnable snippet a README opens with. */
function firstJsBlock(file: string): string {
  const match = /```js\n([\s\S]*?)```/.exec(readFileSync(file, 'utf8'));
  if (!match?.[1]) throw new Error(`${file} has no \`\`\`js block`);
  return match[1];
}

// The snippets import '@passport/core' and '@passport/store-memory': written into this package's
// folder they resolve to the built packages exactly as they would for a user.
describe.each([
  ['the root README', '../../../README.md'],
  ['the core README', '../../core/README.md'],
])('quick start in %s', (_name, path) => {
  it('runs and mints and verifies a token', async () => {
    const script = here(`../.readme-snippet-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(script, firstJsBlock(here(path)));
    try {
      const { stdout } = await run(process.execPath, [script], { timeout: 20_000 });
      expect(stdout).toMatch(/true/);
    } finally {
      rmSync(script, { force: true });
    }
  });
});
