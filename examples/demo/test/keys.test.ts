import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningDemo, startDemoProcess } from './demo-process.js';

/** The `passport` command of @passport/cli, as the demo's dependency. */
const passportBin = join(
  dirname(createRequire(import.meta.url).resolve('@passport/cli/package.json')),
  'dist',
  'bin.js',
);

function passport(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [passportBin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function kidOf(token: string): string {
  const segment = token.split('.')[0] ?? '';
  return (JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as { kid: string }).kid;
}

let dataDir: string;
let demo: RunningDemo;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'passport-demo-keys-'));
  demo = await startDemoProcess(dataDir);
});
afterAll(async () => {
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function backendToken(): Promise<string> {
  // the demo keeps its confidential client's secret here: the backend service is the only one
  const secrets = JSON.parse(await readFile(join(dataDir, 'demo-secrets.json'), 'utf8')) as Record<
    string,
    string
  >;
  const [id, secret] = Object.entries(secrets)[0] ?? [];
  const response = await fetch(`${demo.url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${id}:${secret}`)}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'profile' }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function jwksKids(): Promise<string[]> {
  const jwks = (await (await fetch(`${demo.url}/oauth/jwks`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((key) => key.kid);
}

describe('rotating the demo keys', () => {
  it('passport keys --rotate, then SIGHUP: the new key is published at once, old tokens keep working', async () => {
    const before = await backendToken();
    const oldKid = kidOf(before);
    expect(await jwksKids()).toEqual([oldKid]);

    const rotated = await passport(['keys', '--rotate', '--path', join(dataDir, 'keys')]);
    expect(rotated.stderr).toBe('');
    expect(rotated.code).toBe(0);
    const newKid = /kid (\S+)\)/.exec(rotated.stdout)?.[1];
    expect((await readdir(join(dataDir, 'keys'))).length).toBe(4);

    demo.signal('SIGHUP');
    await vi.waitFor(async () => expect(await jwksKids()).toEqual([oldKid, newKid]), {
      timeout: 10_000,
      interval: 100,
    });
    expect(demo.errors).toContain(
      `keys reloaded from ${join(dataDir, 'keys')}: 2 published, ${oldKid} signs`,
    );

    // published an hour before it signs: new tokens still carry the old key, old ones still pass
    const after = await backendToken();
    expect(kidOf(after)).toBe(oldKid);
    for (const token of [before, after]) {
      const api = await fetch(`${demo.url}/api/client`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
    }
  });
});
