import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createPassport,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  type PassportError,
  type SigningKey,
} from '@passport/core';
import { createMemoryStore } from '@passport/store-memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  formatActivationStamp,
  loadKeysFrom,
  pruneKeyFiles,
  rotateKeyFiles,
  writeKeyFiles,
} from '../src/keys.js';
import { isOneLine, runBin, tempDir } from './helpers.js';

let dir: string;
let storage: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  storage = join(dir, 'storage');
});
afterEach(async () => {
  await cleanup();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

function kidOf(token: string): string {
  const segment = token.split('.')[0] ?? '';
  return (JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { kid: string }).kid;
}

function kids(keys: { toJWKS(): { keys: JsonWebKey[] } }): string[] {
  return keys.toJWKS().keys.map((jwk) => (jwk as { kid: string }).kid);
}

async function load() {
  const keys = await loadKeysFrom(storage);
  if (keys === null) throw new Error(`no keys in ${storage}`);
  return keys;
}

/** Writes a key as `passport keys --rotate` would, activating at `activatesAt` (null: the first key). */
async function writeKey(key: SigningKey, activatesAt: number | null, parts: 'both' | 'public' = 'both') {
  const suffix = activatesAt === null ? '' : `.${formatActivationStamp(activatesAt)}`;
  if (parts === 'both') {
    await writeFile(join(storage, `oauth-private${suffix}.key`), await exportPrivateKeyPem(key), {
      mode: 0o600,
    });
  }
  await writeFile(join(storage, `oauth-public${suffix}.key`), await exportPublicKeyPem(key), { mode: 0o644 });
}

describe('passport keys --rotate', () => {
  it('keeps a personal access token of the old key verifiable: published first, signing after the delay', async () => {
    await writeKeyFiles(storage, { alg: 'ES256' });
    let now = Date.now();
    const passport = createPassport({
      issuer: 'https://auth.example',
      store: createMemoryStore(),
      keys: await load(),
      clock: () => now,
    });
    const oldKid = passport.keys.activeAt(now).kid;
    const pat = await passport.createPersonalAccessToken({ id: 'alice' }, 'CLI');
    expect(kidOf(pat.accessToken)).toBe(oldKid);

    const rotated = await runBin(['keys', '--rotate'], { cwd: dir });
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toBe('');
    const newKid = /New signing key \(ES256, kid (\S+)\)/.exec(rotated.stdout)?.[1] ?? '';
    expect(rotated.stdout).toContain('signs from');
    expect(rotated.stdout).toContain('(in 1 hour)');
    const names = (await readdir(storage)).sort();
    expect(names).toHaveLength(4);
    const stamped = names.find((name) => name.startsWith('oauth-private.2')) ?? '';
    expect((await stat(join(storage, stamped))).mode & 0o777).toBe(0o600);

    // the running server takes the new directory without a restart
    passport.setKeys(await load());
    expect(kids(passport.keys)).toEqual([oldKid, newKid]);
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');
    // published, but the old key signs until the activation time
    expect(kidOf((await passport.createPersonalAccessToken({ id: 'bob' }, 'before')).accessToken)).toBe(
      oldKid,
    );
    const activation = passport.keys.activationOf(newKid) ?? 0;
    expect(activation).toBeGreaterThanOrEqual(now + HOUR);
    now = activation;
    const after = await passport.createPersonalAccessToken({ id: 'bob' }, 'after');
    expect(kidOf(after.accessToken)).toBe(newKid);
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');
    expect((await passport.verifyAccessToken(after.accessToken)).userId).toBe('bob');
  });

  it('drops the private half of the replaced key, then the key itself once its longest lifetime has passed', async () => {
    await writeKeyFiles(storage, { alg: 'ES256' });
    const start = Date.now();
    const first = await rotateKeyFiles(storage, { now: start, delaySeconds: 3600 });
    const oldKid = first.keys.find((key) => key.state === 'active')?.kid ?? '';
    const activation = first.activatesAt.getTime();
    expect(activation).toBeGreaterThanOrEqual(start + HOUR);
    expect(first.removed).toEqual([]);
    expect(first.madeVerifyOnly).toEqual([]);

    let now = start;
    const passport = createPassport({
      issuer: 'https://auth.example',
      store: createMemoryStore(),
      keys: await load(),
      clock: () => now,
    });
    const pat = await passport.createPersonalAccessToken({ id: 'alice' }, 'CLI');
    expect(kidOf(pat.accessToken)).toBe(oldKid);

    // within five minutes of the activation the old private key stays (instances' clocks differ)
    expect((await pruneKeyFiles(storage, { now: activation + 60_000 })).madeVerifyOnly).toEqual([]);
    expect(await readdir(storage)).toContain('oauth-private.key');
    // later it is only a verifying key
    const stripped = await pruneKeyFiles(storage, { now: activation + 301_000 });
    expect(stripped.madeVerifyOnly).toEqual([oldKid]);
    expect(await readdir(storage)).not.toContain('oauth-private.key');
    expect(await readdir(storage)).toContain('oauth-public.key');
    const previous = stripped.keys.find((key) => key.kid === oldKid);
    expect(previous).toMatchObject({ state: 'previous', hasPrivateKey: false });
    expect(previous?.retiredAt?.getTime()).toBe(activation);
    expect(previous?.removableAt?.getTime()).toBe(activation + YEAR + 300_000);
    now = activation + 301_000;
    passport.setKeys(await load());
    expect((await load()).get(oldKid)?.privateKey).toBeNull();
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');

    // one year after the activation (the personal access token lifetime), plus the margin
    expect((await pruneKeyFiles(storage, { now: activation + YEAR })).removed).toEqual([]);
    const removed = await pruneKeyFiles(storage, { now: activation + YEAR + 300_000 });
    expect(removed.removed).toEqual([oldKid]);
    expect(removed.keys.map((key) => key.state)).toEqual(['active']);
    expect(await readdir(storage)).not.toContain('oauth-public.key');
    passport.setKeys(await load());
    expect(kids(passport.keys)).not.toContain(oldKid);
  });

  it('prunes with the config lifetimes: --prune removes and strips what the retention allows', async () => {
    await writeFile(
      join(dir, 'passport.config.mjs'),
      'export default { options: { lifetimes: { accessToken: 3600, personalAccessToken: 86400 } } };\n',
    );
    const [first, second, third] = await Promise.all([
      generateSigningKey('ES256'),
      generateSigningKey('ES256'),
      generateSigningKey('EdDSA'),
    ]);
    await writeKeyFiles(storage, { alg: 'ES256' });
    const now = Date.now();
    await writeFile(join(storage, 'oauth-private.key'), await exportPrivateKeyPem(first!), { mode: 0o600 });
    await writeFile(join(storage, 'oauth-public.key'), await exportPublicKeyPem(first!));
    await writeKey(second!, now - 2 * DAY); // replaced the first key two days ago
    await writeKey(third!, now - 12 * HOUR); // replaced the second twelve hours ago

    const listed = await runBin(['keys', '--list'], { cwd: dir });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('retired keys stay 1 day');
    expect(listed.stdout).toMatch(new RegExp(`active +EdDSA +${third!.kid} +signs since`));
    expect(listed.stdout).toMatch(new RegExp(`previous +ES256 +${second!.kid} +verifies only; retired`));

    const pruned = await runBin(['keys', '--prune'], { cwd: dir });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`Removed retired key ${first!.kid}: every token it signed has expired.`);
    expect(pruned.stdout).toContain(`Deleted the private key of retired key ${second!.kid}`);
    const names = (await readdir(storage)).sort();
    expect(names).toEqual([
      `oauth-private.${formatActivationStamp(now - 12 * HOUR)}.key`,
      `oauth-public.${formatActivationStamp(now - 2 * DAY)}.key`,
      `oauth-public.${formatActivationStamp(now - 12 * HOUR)}.key`,
    ]);
    const keys = await load();
    expect(kids(keys)).toEqual([second!.kid, third!.kid]);
    expect(keys.activeAt(Date.now()).kid).toBe(third!.kid);

    const again = await runBin(['keys', '--prune'], { cwd: dir });
    expect(again.stdout).toMatch(/^Nothing to prune\./);
  });

  it('refuses a second rotation while the first key waits to sign; --force starts over', async () => {
    await writeKeyFiles(storage, { alg: 'EdDSA' });
    await rotateKeyFiles(storage, { env: {}, delaySeconds: 600 });
    const second = await runBin(['keys', '--rotate'], { cwd: dir });
    expect(second.code).toBe(1);
    expect(isOneLine(second.stderr)).toBe(true);
    expect(second.stderr).toMatch(/from an earlier rotation signs from \S+; rotate again after that/);
    expect(await readdir(storage)).toHaveLength(4);

    // the plain command refuses too, pointing at --rotate
    const plain = await runBin(['keys'], { cwd: dir });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('use --rotate');

    const forced = await runBin(['keys', '--force', '--alg', 'ES256'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect((await readdir(storage)).sort()).toEqual(['oauth-private.key', 'oauth-public.key']);
    expect((await load()).keys).toHaveLength(1);
  });

  it('rotates at once with --delay 0, keeping the algorithm unless --alg changes it', async () => {
    await writeKeyFiles(storage, { alg: 'EdDSA' });
    const rotated = await runBin(['keys', '--rotate', '--delay', '0', '--alg', 'RS256'], { cwd: dir });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(
      /New signing key \(RS256, kid \S+\), published now, signs from \S+ \(at once\)/,
    );
    const keys = await load();
    expect(keys.algorithms).toEqual(['RS256', 'EdDSA']);
    expect(keys.activeAt(Date.now() + 1000).alg).toBe('RS256');
    await writeKeyFiles(join(dir, 'other'), { alg: 'EdDSA' });
    const kept = await runBin(['keys', '--path', 'other', '--rotate'], { cwd: dir });
    expect(kept.stdout).toMatch(/New signing key \(EdDSA,/);
  });

  it.each([
    [['--rotate', '--prune'], /--rotate and --prune cannot be combined/],
    [['--force', '--list'], /--list and --force cannot be combined/],
    [['--delay', '60'], /--delay applies to --rotate only/],
    [['--rotate', '--delay=-1'], /--delay must be a whole number of seconds, not "-1"/],
    [['--rotate', '--delay', '1h'], /--delay must be a whole number of seconds, not "1h"/],
    [['--list', '--alg', 'ES256'], /--alg and --length apply to new keys, not to --list/],
  ])('rejects %j with exit code 2 and one line', async (args, message) => {
    await writeKeyFiles(storage, { alg: 'ES256' });
    const before = (await readdir(storage)).sort();
    const result = await runBin(['keys', ...args], { cwd: dir });
    expect(result.code).toBe(2);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
    expect((await readdir(storage)).sort()).toEqual(before);
  });

  it('--rotate, --prune and --list need existing keys', async () => {
    for (const action of ['--rotate', '--prune', '--list']) {
      const result = await runBin(['keys', action], { cwd: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^passport: no keys in \S+storage; create them with "passport keys" first\n$/,
      );
    }
  });
});

describe('loadKeysFrom', () => {
  it('is null for a missing or keyless directory and ignores files of other names', async () => {
    expect(await loadKeysFrom(storage)).toBeNull();
    await writeKeyFiles(storage, { alg: 'ES256' });
    await writeFile(join(storage, 'README'), 'keys live here\n');
    await writeFile(join(storage, 'oauth-private.key.bak'), 'junk');
    expect((await load()).keys).toHaveLength(1);
  });

  it('loads a rotated key that has lost its private file as verify-only', async () => {
    await writeKeyFiles(storage, { alg: 'ES256' });
    const retired = await generateSigningKey('ES256');
    await writeKey(retired, Date.now() - DAY, 'public');
    const keys = await load();
    expect(keys.get(retired.kid)?.privateKey).toBeNull();
    expect(keys.activeAt(Date.now()).kid).not.toBe(retired.kid);
  });

  it('refuses a public file that is not the half of its private file, and a bad activation time', async () => {
    await writeKeyFiles(storage, { alg: 'ES256' });
    const stranger = await generateSigningKey('ES256');
    const original = await readFile(join(storage, 'oauth-public.key'), 'utf8');
    await writeFile(join(storage, 'oauth-public.key'), await exportPublicKeyPem(stranger));
    await expect(loadKeysFrom(storage)).rejects.toMatchObject({
      code: 'ERR_CLI_KEYS',
      message: expect.stringMatching(/oauth-public\.key is not the public half of .*oauth-private\.key/),
    });
    await writeFile(join(storage, 'oauth-public.key'), original);
    await writeFile(join(storage, 'oauth-public.20301399T000000Z.key'), original);
    const error = (await loadKeysFrom(storage).catch((e: unknown) => e)) as PassportError;
    expect(error.code).toBe('ERR_CLI_KEYS');
    expect(error.message).toMatch(/20301399T000000Z is not a valid UTC time/);
  });
});
