import { PassThrough } from 'node:stream';
import { hashSecret } from '@passport/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import type { CliIo } from '../src/io.js';
import { isOneLine, runBin, tempDir, withPGliteStore } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let db: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  db = `${dir}/data`;
  const migrated = await runBin(['migrate', '--database-url', db], { cwd: dir, timeoutMs: 60_000 });
  expect(migrated.code).toBe(0);
});
afterAll(async () => {
  await cleanup();
});

interface ClientJson {
  id: string;
  secret: string | null;
  name: string;
  confidential: boolean;
  grantTypes: string[];
  redirectUris: string[];
  provider: string | null;
  resourceServer: boolean;
}

async function createJson(args: string[]): Promise<ClientJson> {
  const result = await runBin(['client', '--json', '--database-url', db, ...args], { cwd: dir });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ClientJson;
}

describe('passport client (flags, stdin closed)', () => {
  it.each([
    [[], ['authorization_code', 'refresh_token'], true],
    [['--public'], ['authorization_code', 'refresh_token'], false],
    [['--client'], ['client_credentials'], true],
    [['--password'], ['password', 'refresh_token'], true],
    [['--password', '--public'], ['password', 'refresh_token'], false],
    [['--personal'], ['personal_access'], true],
    [['--implicit'], ['implicit'], false],
    [['--device'], ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], true],
    [['--device', '--public'], ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], false],
  ])(
    '%j creates a client with grants %j (confidential: %s) and stores only the secret hash',
    async (flags, grants, confidential) => {
      const created = await createJson([
        ...flags,
        '--name',
        'App',
        '--redirect-uri',
        'https://app.example/cb',
      ]);
      expect(created.grantTypes).toEqual(grants);
      expect(created.confidential).toBe(confidential);
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      const stored = await withPGliteStore(db, (store) => store.findClient(created.id));
      expect(stored?.grantTypes).toEqual(grants);
      if (confidential) {
        expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(stored?.secretHash).toBe(hashSecret(created.secret ?? ''));
      } else {
        expect(created.secret).toBeNull();
        expect(stored?.secretHash).toBeNull();
      }
    },
  );

  it('splits --redirect-uri on commas and keeps an encoded comma inside a URL', async () => {
    const created = await createJson([
      '--name',
      'Multi',
      '--redirect-uri',
      'https://a.example/cb, https://b.example/cb?x=1%2C2,http://127.0.0.1/cb',
    ]);
    expect(created.redirectUris).toEqual([
      'https://a.example/cb',
      'https://b.example/cb?x=1%2C2',
      'http://127.0.0.1/cb',
    ]);
  });

  it('--resource-server makes a client that may introspect every token; by default a client may not', async () => {
    const server = await createJson(['--client', '--name', 'Orders API', '--resource-server']);
    expect(server.resourceServer).toBe(true);
    expect((await withPGliteStore(db, (store) => store.findClient(server.id)))?.resourceServer).toBe(true);
    const plain = await createJson(['--client', '--name', 'Worker']);
    expect(plain.resourceServer).toBe(false);
  });

  it('stores --provider', async () => {
    const created = await createJson(['--password', '--provider', 'admins']);
    expect(created.provider).toBe('admins');
    expect(created.name).toBe('Password Grant Client');
    expect((await withPGliteStore(db, (store) => store.findClient(created.id)))?.provider).toBe('admins');
  });

  it('gives --personal its default name without asking', async () => {
    expect((await createJson(['--personal'])).name).toBe('Personal Access Client');
  });

  it('prints the id and secret in text form, with the once-only warning', async () => {
    const result = await runBin(['client', '--client', '--name', 'Backend', '--database-url', db], {
      cwd: dir,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Client ID \.+ [0-9a-f-]{36}\n/);
    expect(result.stdout).toMatch(/Client secret \.+ [A-Za-z0-9_-]{43}\n/);
    expect(result.stdout).toContain('cannot be shown again');
  });

  it.each([
    [['--client'], /missing --name \(stdin is not a terminal/],
    [['--name', 'Web'], /missing --redirect-uri \(stdin is not a terminal/],
    [['--implicit', '--name', 'Web'], /missing --redirect-uri/],
  ])(
    'fails with exit code 1 instead of prompting when stdin is not a terminal: %j',
    async (args, message) => {
      for (const input of [undefined, '']) {
        const options = input === undefined ? { cwd: dir } : { cwd: dir, input };
        const result = await runBin(['client', '--database-url', db, ...args], {
          ...options,
          timeoutMs: 10_000,
        });
        expect(result.code).toBe(1);
        expect(result.stdout).toBe('');
        expect(isOneLine(result.stderr)).toBe(true);
        expect(result.stderr).toMatch(message);
      }
    },
  );

  it.each([
    [['--client', '--password'], 2, /choose one kind of client, not --client and --password/],
    [['--client', '--public', '--name', 'x'], 2, /--public cannot be combined with --client/],
    [['--personal', '--public'], 2, /--public cannot be combined with --personal/],
    [['--name'], 2, /--name needs a value/],
    [['--secret', 'x'], 2, /unknown option --secret for passport client/],
    [
      ['--name', 'Bad', '--redirect-uri', 'not a url'],
      1,
      /Invalid client: redirectUris: "not a url" must be an absolute URL/,
    ],
    [['--name', 'Bad', '--redirect-uri', 'https://a.example/cb#frag'], 1, /must not contain a fragment/],
  ])('rejects %j with exit code %i and one line', async (args, code, message) => {
    const before = await withPGliteStore(db, (store) => store.listClients());
    const result = await runBin(['client', '--database-url', db, ...args], { cwd: dir });
    expect(result.code).toBe(code);
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
    expect(await withPGliteStore(db, (store) => store.listClients())).toHaveLength(before.length);
  });
});

/** An io whose stdin answers `lines` as if typed on a terminal. */
function terminalIo(lines: string[], cwd: string): CliIo & { output: () => string; errors: () => string } {
  const stdin = new PassThrough();
  stdin.end(lines.map((line) => `${line}\n`).join(''));
  let out = '';
  let err = '';
  return {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdin,
    interactive: true,
    cwd,
    env: {},
    output: () => out,
    errors: () => err,
  };
}

describe('passport client on a terminal', () => {
  it('asks for the kind, the name and the redirect URIs that are missing', async () => {
    const io = terminalIo(['9', '1', 'Asked App', 'https://asked.example/cb,https://asked.example/cb2'], dir);
    const code = await runCli(['client', '--json', '--database-url', db], io);
    expect(code).toBe(0);
    // The questions go to stderr: stdout is only the JSON.
    expect(io.errors()).toContain('Which kind of client?\n  1) Authorization code');
    expect(io.errors()).toContain('Please answer 1 to 6.');
    expect(io.errors()).toContain('What should we name the client?');
    const json = JSON.parse(io.output()) as ClientJson;
    expect(json.name).toBe('Asked App');
    expect(json.grantTypes).toEqual(['authorization_code', 'refresh_token']);
    expect(json.redirectUris).toEqual(['https://asked.example/cb', 'https://asked.example/cb2']);
  });

  it('offers the default name of a personal access client', async () => {
    const io = terminalIo([''], dir);
    expect(await runCli(['client', '--personal', '--json', '--database-url', db], io)).toBe(0);
    expect(io.errors()).toContain('What should we name the client? [Personal Access Client]');
    expect(io.output()).toContain('"name": "Personal Access Client"');
  });

  it('asks nothing when the flags say everything', async () => {
    const io = terminalIo([], dir);
    expect(await runCli(['client', '--client', '--name', 'Quiet', '--database-url', db], io)).toBe(0);
    expect(io.errors()).toBe('');
  });

  it('fails with one line when the input ends before the answer', async () => {
    const io = terminalIo([], dir);
    expect(await runCli(['client', '--client', '--database-url', db], io)).toBe(1);
    expect(io.errors()).toBe('What should we name the client?: \npassport: missing --name (input ended)\n');
  });
});
