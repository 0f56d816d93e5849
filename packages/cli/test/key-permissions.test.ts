import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { loadKeysFrom, rotateKeyFiles, writeKeyFiles } from '../src/keys.js';
import { isOneLine, runBin, tempDir } from './helpers.js';

let dir: string;
let storage: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  storage = join(dir, 'storage');
  await writeKeyFiles(storage, { alg: 'ES256' });
});
afterEach(async () => {
  await cleanup();
});

async function refusal(options?: Parameters<typeof loadKeysFrom>[1]): Promise<CliError> {
  const error = await loadKeysFrom(storage, { env: {}, ...options }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe.skipIf(process.platform === 'win32')('private key permissions', () => {
  it.each([
    [0o644, 'readable by group and others (mode 0644)'],
    [0o640, 'readable by group (mode 0640)'],
    [0o604, 'readable by others (mode 0604)'],
    [0o620, 'writable by group (mode 0620)'],
    [0o610, 'accessible by group (mode 0610)'],
  ])('refuses a private key with mode %o, naming the file, the mode and the fix', async (mode, what) => {
    const path = join(storage, 'oauth-private.key');
    await chmod(path, mode);
    const error = await refusal();
    expect(error.code).toBe('ERR_CLI_KEY_PERMISSIONS');
    expect(error.message).toBe(
      `${path} is ${what}; a private key must be accessible to its owner only: run "chmod 600 ${path}", or set PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS=1 (option allowInsecurePermissions) to load it anyway`,
    );
  });

  it('loads keys with mode 0600 or 0400, whatever the public key mode', async () => {
    await chmod(join(storage, 'oauth-public.key'), 0o666);
    expect((await loadKeysFrom(storage, { env: {} }))?.keys).toHaveLength(1);
    await chmod(join(storage, 'oauth-private.key'), 0o400);
    expect((await loadKeysFrom(storage, { env: {} }))?.keys).toHaveLength(1);
  });

  it('checks rotated private keys too', async () => {
    await rotateKeyFiles(storage, { env: {} });
    const rotated = (await readdir(storage)).find((name) => name.startsWith('oauth-private.2')) ?? '';
    await chmod(join(storage, rotated), 0o640);
    expect((await refusal()).message).toContain(rotated);
  });

  it('loads them anyway with the option or PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS, with a warning', async () => {
    await chmod(join(storage, 'oauth-private.key'), 0o644);
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      expect((await loadKeysFrom(storage, { env: {}, allowInsecurePermissions: true }))?.keys).toHaveLength(
        1,
      );
      expect(
        (await loadKeysFrom(storage, { env: { PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS: '1' } }))?.keys,
      ).toHaveLength(1);
      expect(
        (await loadKeysFrom(storage, { env: { PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS: 'true' } }))?.keys,
      ).toHaveLength(1);
      // the option wins over the variable
      await refusal({
        env: { PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS: '1' },
        allowInsecurePermissions: false,
      });
      await refusal({ env: { PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS: 'yes please' } });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    // one warning per file and mode, not one per load
    expect(warnings).toEqual([
      `${join(storage, 'oauth-private.key')} is readable by group and others (mode 0644); loaded anyway because of PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS / allowInsecurePermissions`,
    ]);
  });

  it('the passport command refuses in one line, and honours the variable', async () => {
    await chmod(join(storage, 'oauth-private.key'), 0o644);
    const refused = await runBin(['keys', '--list'], { cwd: dir });
    expect(refused.code).toBe(1);
    expect(isOneLine(refused.stderr)).toBe(true);
    expect(refused.stderr).toMatch(
      /^passport: \S+oauth-private\.key is readable by group and others \(mode 0644\).*chmod 600/,
    );
    const allowed = await runBin(['keys', '--list'], {
      cwd: dir,
      env: { PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS: '1' },
    });
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('active');
    expect(allowed.stderr).toContain('Warning: ');
    expect(allowed.stderr).toContain('loaded anyway because of PASSPORT_ALLOW_INSECURE_KEY_PERMISSIONS');
  });
});
