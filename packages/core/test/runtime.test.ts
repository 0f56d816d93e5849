/// <reference types="node" />
/**
 * Core runs everywhere: the built package mints and verifies an access token through its facade
 * under Node, Bun and
 * Deno, and builds key sets from PEM strings and environment variables (active, previous and a
 * scheduled next key). Each runtime runs `test/runtime/smoke.mjs`, which imports `dist/index.js`;
 * build first with `npx tsup` (turbo's test task depends on build).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const smoke = join(packageDir, 'test', 'runtime', 'smoke.mjs');

const runtimes: { name: string; command: string; args: string[] }[] = [
  { name: 'node', command: process.execPath, args: [smoke] },
  { name: 'bun', command: join(packageDir, 'node_modules', '.bin', 'bun'), args: [smoke] },
  {
    name: 'deno',
    command: join(packageDir, 'node_modules', '.bin', 'deno'),
    args: ['run', '--allow-read', '--no-lock', smoke],
  },
];

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: packageDir, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({
          code,
          stdout,
          stderr: error && typeof error.code !== 'number' ? `${error.message}\n${stderr}` : stderr,
        });
      },
    );
  });
}

describe('core on every runtime', () => {
  it('finds the built package (run `npx tsup` in packages/core first)', () => {
    expect(existsSync(join(packageDir, 'dist', 'index.js'))).toBe(true);
  });

  it.each(runtimes)(
    'mints and verifies an access token and loads PEM key sets under $name',
    async ({ command, args }) => {
      const result = await run(command, args);
      expect({ code: result.code, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({
        code: 0,
        stdout: 'ok',
        stderr: expect.any(String),
      });
    },
  );
});
