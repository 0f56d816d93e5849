import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createPassport, exportPublicKeyPem, type Passport } from '@passport/core';
import { createMemoryStore } from '@passport/store-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type KeyReloader, startKeyReloader } from '../src/key-reloader.js';
import { loadKeysFrom, rotateKeyFiles, writeKeyFiles } from '../src/keys.js';
import { runBin, tempDir } from './helpers.js';

let dir: string;
let storage: string;
let cleanup: () => Promise<void>;
let passport: Passport;
let reloader: KeyReloader | undefined;
let logged: string[];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  storage = join(dir, 'storage');
  await writeKeyFiles(storage, { alg: 'ES256' });
  const keys = await loadKeysFrom(storage, { env: {} });
  if (keys === null) throw new Error('no keys');
  passport = createPassport({ issuer: 'https://auth.example', store: createMemoryStore(), keys });
  logged = [];
});
afterEach(async () => {
  reloader?.close();
  reloader = undefined;
  await cleanup();
});

function kids(): string[] {
  return passport.keys.toJWKS().keys.map((jwk) => (jwk as { kid: string }).kid);
}

function start(options: { intervalSeconds?: number; signal?: NodeJS.Signals | null } = {}): KeyReloader {
  reloader = startKeyReloader({
    passport,
    path: storage,
    env: {},
    intervalSeconds: 0,
    signal: null,
    log: (message) => logged.push(message),
    ...options,
  });
  return reloader;
}

describe('startKeyReloader', () => {
  it('picks up a rotation on its timer, without a restart, and keeps the old key verifying', async () => {
    const pat = await passport.createPersonalAccessToken({ id: 'alice' }, 'CLI');
    const before = kids();
    start({ intervalSeconds: 0.05 });
    const rotated = await runBin(['keys', '--rotate'], { cwd: dir });
    expect(rotated.code).toBe(0);
    await vi.waitFor(() => expect(kids()).toHaveLength(2), { timeout: 5_000, interval: 20 });
    expect(kids()[0]).toBe(before[0]);
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');
    expect(logged).toEqual([`passport: keys reloaded from ${storage}: 2 published, ${before[0]} signs`]);
  });

  it('reloads at once on its signal, and stops listening when closed', async () => {
    const listeners = process.listenerCount('SIGHUP');
    start({ signal: 'SIGHUP' });
    expect(process.listenerCount('SIGHUP')).toBe(listeners + 1);
    await rotateKeyFiles(storage, { env: {}, delaySeconds: 0 });
    process.emit('SIGHUP', 'SIGHUP');
    await vi.waitFor(() => expect(kids()).toHaveLength(2), { timeout: 5_000, interval: 20 });
    reloader?.close();
    expect(process.listenerCount('SIGHUP')).toBe(listeners);
  });

  it('leaves the keys alone when nothing changed', async () => {
    const keys = passport.keys;
    const reloads = start();
    expect(await reloads.reload()).toBe(false);
    expect(passport.keys).toBe(keys);
    expect(logged).toEqual([]);
  });

  it('keeps the keys in use while the directory is unusable, logs the failure once, and recovers', async () => {
    const keys = passport.keys;
    const reloads = start();
    const privateKey = join(storage, 'oauth-private.key');
    await chmod(privateKey, 0o644);
    expect(await reloads.reload()).toBe(false);
    expect(await reloads.reload()).toBe(false);
    expect(passport.keys).toBe(keys);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(
      /^passport: cannot reload the keys from \S+ \(the keys in use stay\): \S+oauth-private\.key is readable by group and others/,
    );
    // a second kind of failure is reported too
    await chmod(privateKey, 0o600);
    await writeFile(join(storage, 'oauth-public.key'), 'not a key');
    expect(await reloads.reload()).toBe(false);
    expect(logged).toHaveLength(2);
    expect(logged[1]).toMatch(/oauth-public\.key is not a usable public key/);

    // fixed, and rotated meanwhile
    await writeFile(join(storage, 'oauth-public.key'), await exportPublicKeyPem(keys.keys[0]!));
    await rotateKeyFiles(storage, { env: {} });
    expect(await reloads.reload()).toBe(true);
    expect(kids()).toHaveLength(2);
    expect(logged[2]).toBe(`passport: the keys in ${storage} load again`);
    expect(logged[3]).toMatch(/^passport: keys reloaded from /);
  });

  it('runs one reload at a time', async () => {
    const reloads = start();
    await rotateKeyFiles(storage, { env: {} });
    const first = reloads.reload();
    expect(reloads.reload()).toBe(first);
    expect(await first).toBe(true);
  });
});
