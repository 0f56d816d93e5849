import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { hashSecret } from '@passport/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import type { CliIo } from '../src/io.js';
import { holdPGlite, isOneLine, runBin, tempDir, withPGliteStore } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let db: string;
/** A working directory whose passport.config.mjs defines scopes. */
let scopedDir: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  db = `${dir}/data`;
  scopedDir = join(dir, 'scoped');
  await mkdir(scopedDir);
  await writeFile(
    join(scopedDir, 'passport.config.mjs'),
    "export default { options: { scopes: { 'orders:read': 'Read orders', 'orders:write': 'Place orders' } } };\n",
  );
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
  ownerId: string | null;
  provider: string | null;
  redirectUris: string[];
  grantTypes: string[];
  scopes: string[] | null;
  confidential: boolean;
  firstParty: boolean;
  resourceServer: boolean;
  revoked: boolean;
  createdAt: string;
  updatedAt: string;
}

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

async function createJson(args: string[], cwd = dir): Promise<ClientJson> {
  const result = await runBin(['client', '--json', '--database-url', db, ...args], { cwd });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ClientJson;
}

/** The stored client, read through the store after the CLI exited. */
function stored(id: string) {
  return withPGliteStore(db, (store) => store.findClient(id));
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
    [['--device'], [DEVICE, 'refresh_token'], true],
    [['--device', '--public'], [DEVICE, 'refresh_token'], false],
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
      const client = await stored(created.id);
      expect(client?.grantTypes).toEqual(grants);
      expect(client?.confidential).toBe(confidential);
      if (confidential) {
        expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(client?.secretHash).toBe(hashSecret(created.secret ?? ''));
      } else {
        expect(created.secret).toBeNull();
        expect(client?.secretHash).toBeNull();
      }
    },
  );

  it.each([
    [
      ['--grant', 'client_credentials', '--grant', 'password', '--grant', 'refresh_token'],
      ['client_credentials', 'password', 'refresh_token'],
    ],
    [
      ['--grant', 'authorization_code,device_code'],
      ['authorization_code', DEVICE],
    ],
    [
      ['--grant', `refresh_token`, '--grant', DEVICE],
      ['refresh_token', DEVICE],
    ],
    [
      ['--password', '--client'],
      ['client_credentials', 'password', 'refresh_token'],
    ],
    [
      ['--client', '--grant', 'personal_access'],
      ['client_credentials', 'personal_access'],
    ],
    [
      ['--device', '--grant', 'authorization_code', '--grant', 'device_code'],
      [DEVICE, 'refresh_token', 'authorization_code'],
    ],
    [
      ['--implicit', '--grant', 'authorization_code'],
      ['implicit', 'authorization_code'],
    ],
  ])('combines grants in one client: %j gives %j', async (flags, grants) => {
    const created = await createJson([
      ...flags,
      '--name',
      'Combined',
      '--redirect-uri',
      'https://app.example/cb',
    ]);
    expect(created.grantTypes).toEqual(grants);
    expect((await stored(created.id))?.grantTypes).toEqual(grants);
    // a combination with other grants is confidential unless --public
    expect(created.confidential).toBe(true);
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('--grant alone gives only those grants, without the authorization code preset', async () => {
    const created = await createJson(['--grant', 'client_credentials', '--name', 'Only cc']);
    expect(created.grantTypes).toEqual(['client_credentials']);
    expect(created.redirectUris).toEqual([]);
  });

  it('--grant with --public makes a public client of those grants', async () => {
    const created = await createJson([
      '--grant',
      'password',
      '--grant',
      'refresh_token',
      '--public',
      '--name',
      'App',
    ]);
    expect(created).toMatchObject({
      grantTypes: ['password', 'refresh_token'],
      confidential: false,
      secret: null,
    });
  });

  it("stores --owner, and the owner's JSON API listing has the client", async () => {
    const created = await createJson(['--client', '--name', 'Owned', '--owner', 'user-42']);
    expect(created.ownerId).toBe('user-42');
    const owned = await withPGliteStore(db, (store) => store.listClientsByOwner('user-42'));
    expect(owned.map((client) => client.id)).toEqual([created.id]);
  });

  it('stores --first-party (the approval screen is skipped for it)', async () => {
    const created = await createJson([
      '--name',
      'First',
      '--redirect-uri',
      'https://first.example/cb',
      '--first-party',
    ]);
    expect(created.firstParty).toBe(true);
    expect((await stored(created.id))?.firstParty).toBe(true);
    const third = await createJson(['--name', 'Third', '--redirect-uri', 'https://third.example/cb']);
    expect(third.firstParty).toBe(false);
    expect((await stored(third.id))?.firstParty).toBe(false);
  });

  it("stores --scopes separated by blanks or commas, checked against the config's scopes", async () => {
    const created = await createJson(
      ['--client', '--name', 'Scoped', '--scopes', 'orders:read, orders:write orders:read'],
      scopedDir,
    );
    expect(created.scopes).toEqual(['orders:read', 'orders:write']);
    expect((await stored(created.id))?.scopes).toEqual(['orders:read', 'orders:write']);
    // without --scopes: any defined scope
    const any = await createJson(['--client', '--name', 'Any'], scopedDir);
    expect(any.scopes).toBeNull();
    expect((await stored(any.id))?.scopes).toBeNull();
  });

  it('--json carries every field of the stored client, and the secret instead of its hash', async () => {
    const created = await createJson(
      [
        '--grant',
        'authorization_code',
        '--grant',
        'refresh_token',
        '--name',
        'Everything',
        '--redirect-uri',
        'https://all.example/cb,https://all.example/cb2',
        '--owner',
        '7',
        '--first-party',
        '--provider',
        'admins',
        '--scopes',
        'orders:read',
      ],
      scopedDir,
    );
    const client = await stored(created.id);
    expect(client).not.toBeNull();
    const { secretHash, ...fields } = client as NonNullable<typeof client>;
    expect(secretHash).toBe(hashSecret(created.secret ?? ''));
    expect(created).toEqual({
      ...JSON.parse(JSON.stringify(fields)),
      secret: created.secret,
    });
    expect(Object.keys(created).slice(0, 2)).toEqual(['id', 'secret']);
    expect(created).toMatchObject({
      name: 'Everything',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://all.example/cb', 'https://all.example/cb2'],
      ownerId: '7',
      firstParty: true,
      provider: 'admins',
      scopes: ['orders:read'],
      confidential: true,
      revoked: false,
    });
    expect(created).not.toHaveProperty('secretHash');
  });

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
    expect((await stored(created.id))?.provider).toBe('admins');
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
    expect(result.stdout).not.toContain('First party');
  });

  it('prints the owner, first-party flag, scopes and redirect URIs in text form', async () => {
    const result = await runBin(
      [
        'client',
        '--name',
        'Shown',
        '--redirect-uri',
        'https://shown.example/cb',
        '--owner',
        'u1',
        '--first-party',
        '--scopes',
        'orders:read',
        '--database-url',
        db,
      ],
      { cwd: scopedDir },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('  Redirect URIs .... https://shown.example/cb\n');
    expect(result.stdout).toContain('  Owner ............ u1\n');
    expect(result.stdout).toContain('  First party ...... yes');
    expect(result.stdout).toContain('  Scopes ........... orders:read\n');
  });

  it.each([
    [['--client'], /missing --name \(stdin is not a terminal/],
    [
      ['--name', 'Web'],
      /missing --redirect-uri \(the authorization_code grant needs one\) \(stdin is not a terminal/,
    ],
    [['--implicit', '--name', 'Web'], /missing --redirect-uri \(the implicit grant needs one\)/],
    [
      ['--grant', 'authorization_code', '--name', 'Web'],
      /missing --redirect-uri \(the authorization_code grant needs one\)/,
    ],
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
    [
      ['--client', '--public', '--name', 'x'],
      1,
      /a public client cannot have the client_credentials grant \(it has no secret\); drop --public/,
    ],
    [['--personal', '--public'], 1, /a public client cannot have the personal_access grant/],
    [
      ['--grant', 'client_credentials', '--public', '--name', 'x'],
      1,
      /a public client cannot have the client_credentials grant/,
    ],
    [
      ['--implicit', '--client', '--public', '--name', 'x', '--redirect-uri', 'https://a.example/cb'],
      1,
      /a public client cannot have the client_credentials grant/,
    ],
    [
      ['--grant', 'refresh_token', '--name', 'x'],
      1,
      /refresh_token needs a grant that issues refresh tokens/,
    ],
    [
      ['--client', '--grant', 'refresh_token', '--name', 'x'],
      1,
      /refresh_token needs a grant that issues refresh tokens/,
    ],
    [
      ['--client', '--name', 'x', '--scopes', 'orders:read'],
      1,
      /Invalid client: scopes: "orders:read" is not a defined scope\. \(no passport\.config file was found: scopes are defined there\)/,
    ],
    [
      ['--grant', 'bogus'],
      2,
      /--grant bogus is not a grant \(grants: authorization_code, refresh_token, client_credentials, password, implicit, personal_access, device_code\)/,
    ],
    [['--grant'], 2, /--grant needs a value/],
    [['--scopes', ' , '], 2, /--scopes needs at least one scope id/],
    [['--owner', ''], 2, /--owner needs a user id/],
    [['--owner', 'a\tb'], 2, /--owner must not contain control characters/],
    [['--owner', 'x'.repeat(256)], 2, /--owner must not be longer than 255 characters/],
    [['--name'], 2, /--name needs a value/],
    [['--secret', 'x'], 2, /unknown option --secret for passport client/],
    [
      ['--name', 'Bad', '--redirect-uri', 'not a url'],
      1,
      /Invalid client: redirectUris: "not a url" must be an absolute URL/,
    ],
    [['--name', 'Bad', '--redirect-uri', 'https://a.example/cb#frag'], 1, /must not contain a fragment/],
  ])('rejects %j with exit code %i and one line, writing nothing', async (args, code, message) => {
    const before = await withPGliteStore(db, (store) => store.listClients());
    const result = await runBin(['client', '--database-url', db, ...args], { cwd: dir });
    expect(result.code).toBe(code);
    expect(result.stdout).toBe('');
    expect(isOneLine(result.stderr)).toBe(true);
    expect(result.stderr).toMatch(message);
    expect(await withPGliteStore(db, (store) => store.listClients())).toHaveLength(before.length);
  });

  it('names the config file that defines no scopes', async () => {
    const result = await runBin(
      ['client', '--client', '--name', 'x', '--scopes', 'admin', '--database-url', db],
      {
        cwd: scopedDir,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/"admin" is not a defined scope\.\n$/);
    const bare = await tempDir();
    try {
      await writeFile(join(bare.dir, 'passport.config.mjs'), 'export default {};\n');
      const unscoped = await runBin(
        ['client', '--client', '--name', 'x', '--scopes', 'admin', '--database-url', db],
        { cwd: bare.dir },
      );
      expect(unscoped.code).toBe(1);
      expect(unscoped.stderr).toContain(
        'passport.config.mjs defines no options.scopes: scopes are defined there)',
      );
    } finally {
      await bare.cleanup();
    }
  });
});

describe('passport client on a PGlite directory another process holds', () => {
  it('refuses with one line and exit code 1, and the holder keeps its data', async () => {
    const holder = await holdPGlite(db);
    try {
      const result = await runBin(['client', '--client', '--name', 'Lost', '--database-url', db], {
        cwd: dir,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(isOneLine(result.stderr)).toBe(true);
      expect(result.stderr).toContain(
        `passport: the PGlite database in ${db} is in use by process ${holder.pid}`,
      );
      expect(result.stderr).toContain(
        'stop that server and run this again, or make the change through the running server (its JSON API, e.g. POST /oauth/clients',
      );
    } finally {
      await holder.release();
    }
    const names = await withPGliteStore(db, async (store) => (await store.listClients()).map((c) => c.name));
    expect(names).not.toContain('Lost');
    // once the holder is gone, the same command works
    expect((await createJson(['--client', '--name', 'After the holder'])).name).toBe('After the holder');
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
