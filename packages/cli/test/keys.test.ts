import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importPrivateKeyPem } from '@passport/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isOneLine, runBin, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('passport keys', () => {
  it('writes an RS256 2048-bit pair into ./storage, the private key with mode 0600', async () => {
    const result = await runBin(['keys'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('storage/oauth-private.key');
    const privatePem = await readFile(join(dir, 'storage/oauth-private.key'), 'utf8');
    const publicPem = await readFile(join(dir, 'storage/oauth-public.key'), 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(await mode(join(dir, 'storage/oauth-private.key'))).toBe(0o600);
    expect(await mode(join(dir, 'storage/oauth-public.key'))).toBe(0o644);
    const details = createPrivateKey(privatePem).asymmetricKeyDetails;
    expect(details?.modulusLength).toBe(2048);
    // The public file is the private key's own public half.
    expect(createPublicKey(privatePem).export({ format: 'pem', type: 'spki' })).toBe(publicPem);
    const key = await importPrivateKeyPem(privatePem);
    expect(key.alg).toBe('RS256');
    expect(result.stdout).toContain(key.kid);
  });

  it('refuses to overwrite existing keys without --force: exit 1, one line, files untouched', async () => {
    expect((await runBin(['keys'], { cwd: dir })).code).toBe(0);
    const before = await readFile(join(dir, 'storage/oauth-private.key'), 'utf8');
    const result = await runBin(['keys'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(
      /^passport: .*oauth-private\.key already exists; use --rotate to add a new key without invalidating tokens, or --force/,
    );
    expect(await readFile(join(dir, 'storage/oauth-private.key'), 'utf8')).toBe(before);
  });

  it('refuses when only the public key exists', async () => {
    await runBin(['keys', '--path', 'k'], { cwd: dir });
    await rm(join(dir, 'k/oauth-private.key'));
    const result = await runBin(['keys', '--path', 'k'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('oauth-public.key already exists');
  });

  it('--force replaces the pair and restores mode 0600 on the private key', async () => {
    await runBin(['keys'], { cwd: dir });
    const privatePath = join(dir, 'storage/oauth-private.key');
    const before = await readFile(privatePath, 'utf8');
    await chmod(privatePath, 0o644);
    const result = await runBin(['keys', '--force'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(await readFile(privatePath, 'utf8')).not.toBe(before);
    expect(await mode(privatePath)).toBe(0o600);
  });

  it('--length 4096 writes a 4096-bit RSA key', async () => {
    const result = await runBin(['keys', '--length', '4096'], { cwd: dir, timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    const pem = await readFile(join(dir, 'storage/oauth-private.key'), 'utf8');
    expect(createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBe(4096);
  });

  it.each([
    ['ES256', 'ec', 'ES256'],
    ['EdDSA', 'ed25519', 'EdDSA'],
    ['es256', 'ec', 'ES256'],
  ])('--alg %s writes a %s key', async (flag, type, alg) => {
    const result = await runBin(['keys', '--alg', flag], { cwd: dir });
    expect(result.code).toBe(0);
    const pem = await readFile(join(dir, 'storage/oauth-private.key'), 'utf8');
    expect(createPrivateKey(pem).asymmetricKeyType).toBe(type);
    expect((await importPrivateKeyPem(pem)).alg).toBe(alg);
    expect(await mode(join(dir, 'storage/oauth-private.key'))).toBe(0o600);
  });

  it('--path writes into the given directory, creating it', async () => {
    const result = await runBin(['keys', '--path', 'a/b/keys'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(await mode(join(dir, 'a/b/keys/oauth-private.key'))).toBe(0o600);
    await expect(stat(join(dir, 'storage'))).rejects.toThrow();
  });

  it("uses the config file's keysPath, relative to the config file, when --path is absent", async () => {
    await writeFile(join(dir, 'passport.config.mjs'), "export default { keysPath: 'secrets' };\n");
    const result = await runBin(['keys'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(await mode(join(dir, 'secrets/oauth-private.key'))).toBe(0o600);
  });

  it.each([
    [['--length', '1024'], /--length must be 2048 or 4096, not "1024"/],
    [['--alg', 'HS256'], /--alg must be RS256, ES256 or EdDSA, not "HS256"/],
    [['--alg', 'ES256', '--length', '4096'], /--length applies to RS256 keys only/],
    [['--length'], /--length needs a value/],
    [['--bits', '4096'], /unknown option --bits for passport keys/],
    [['extra'], /unexpected argument "extra" for passport keys/],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    const result = await runBin(['keys', ...args], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
    await expect(stat(join(dir, 'storage'))).rejects.toThrow();
  });
});
