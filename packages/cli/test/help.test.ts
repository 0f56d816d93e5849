import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../src/cli.js';
import { isOneLine, runBin, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  await cleanup();
});

describe('passport --help', () => {
  it('lists every command and the configuration precedence', async () => {
    const result = await runBin(['--help'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
    const order = ['1. --database-url', '2. the config file', '3. the DATABASE_URL'].map((s) =>
      result.stdout.indexOf(s),
    );
    expect(order.every((index) => index > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(result.stdout).toContain('passport.config.ts');
    expect(result.stdout).toContain('on Node 20 name it passport.config.mjs');
  });

  it('prints the same help with no arguments and with "help"', async () => {
    const full = (await runBin(['--help'], { cwd: dir })).stdout;
    expect((await runBin([], { cwd: dir })).stdout).toBe(full);
    expect((await runBin(['help'], { cwd: dir })).stdout).toBe(full);
  });

  it('prints the version', async () => {
    const result = await runBin(['--version'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('rejects an unknown command with exit code 2 and one line', async () => {
    const result = await runBin(['instal'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toContain('unknown command "instal"');
    const option = await runBin(['--verbose'], { cwd: dir });
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('unknown option --verbose');
  });
});

describe.each(commands.map((command) => [command.name, command] as const))(
  'passport %s --help',
  (name, command) => {
    it('documents exactly the options the command accepts', async () => {
      const result = await runBin([name, '--help'], { cwd: dir });
      expect(result.code).toBe(0);
      expect(result.stdout.startsWith(`Usage: passport ${name}`)).toBe(true);
      const accepted = Object.keys(command.options).map((option) => `--${option}`);
      for (const option of accepted) expect(result.stdout).toMatch(new RegExp(`${option}\\b`));
      const mentioned = new Set(result.stdout.match(/--[a-z][a-z-]*/g) ?? []);
      mentioned.delete('--help');
      for (const option of mentioned) expect(accepted).toContain(option);
      expect((await runBin(['help', name], { cwd: dir })).stdout).toBe(result.stdout);
      expect((await runBin([name, '-h'], { cwd: dir })).stdout).toBe(result.stdout);
    });
  },
);
