import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { createPassport } from '../passport.js';
import { generateSigningKey } from './generate.js';
import { KeySet } from './key-set.js';
import { exportPrivateKeyPem, exportPublicKeyPem } from './pem.js';
import { keySetFromEnv, keySetFromPem } from './pem-set.js';
import type { SigningKey } from './types.js';

const issuer = 'https://auth.example';
const T = Date.UTC(2030, 0, 31, 12, 0, 0);

function kidOf(token: string): string {
  const header = JSON.parse(atob(token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/'))) as {
    kid: string;
  };
  return header.kid;
}

function kids(keys: KeySet): string[] {
  return keys.toJWKS().keys.map((jwk) => (jwk as { kid: string }).kid);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

/** A passport over a real memory store with a movable clock. */
function passportWith(keys: KeySet, start = T - 3_600_000) {
  let now = start;
  const passport = createPassport({ issuer, store: createMemoryStore(), keys, clock: () => now });
  return {
    passport,
    at: (time: number) => {
      now = time;
    },
  };
}

describe('KeySet: scheduled activation', () => {
  it('publishes a scheduled key at once and signs with it from its activation time on', async () => {
    const old = await generateSigningKey('ES256');
    const next = await generateSigningKey('ES256');
    const keys = KeySet.from([old, next], { activatesAt: { [next.kid]: new Date(T) } });
    expect(kids(keys)).toEqual([old.kid, next.kid]);
    expect(keys.activeAt(T - 1).kid).toBe(old.kid);
    expect(keys.activeAt(T).kid).toBe(next.kid);
    expect(keys.activeAt(T + 86_400_000).kid).toBe(next.kid);
    expect(keys.activationOf(next.kid)).toBe(T);
    expect(keys.activationOf(old.kid)).toBeNull();
  });

  it('signs each token with the key active at its iat, by the passport clock, and verifies both', async () => {
    const old = await generateSigningKey('ES256');
    const next = await generateSigningKey('ES256');
    const { passport, at } = passportWith(KeySet.from([old, next], { activatesAt: { [next.kid]: T } }));
    const user = { id: 'alice' };
    const before = await passport.createPersonalAccessToken(user, 'before');
    at(T);
    const after = await passport.createPersonalAccessToken(user, 'after');
    expect(kidOf(before.accessToken)).toBe(old.kid);
    expect(kidOf(after.accessToken)).toBe(next.kid);
    expect((await passport.verifyAccessToken(before.accessToken)).userId).toBe('alice');
    expect((await passport.verifyAccessToken(after.accessToken)).userId).toBe('alice');
  });

  it('applies several activations in time order, whatever order they were given in', async () => {
    const [a, b, c] = await Promise.all([
      generateSigningKey('ES256'),
      generateSigningKey('ES256'),
      generateSigningKey('ES256'),
    ]);
    const keys = KeySet.from([a!, c!, b!], { activatesAt: { [c!.kid]: T + 2000, [b!.kid]: T + 1000 } });
    expect([T, T + 1000, T + 1500, T + 2000].map((time) => keys.activeAt(time).kid)).toEqual([
      a!.kid,
      b!.kid,
      b!.kid,
      c!.kid,
    ]);
  });

  it('a set of scheduled keys only signs with the earliest before any has activated', async () => {
    const retired = await generateSigningKey('ES256');
    const verifyOnly: SigningKey = { ...retired, privateKey: null };
    const first = await generateSigningKey('ES256');
    const second = await generateSigningKey('ES256');
    const keys = KeySet.from([verifyOnly, first, second], {
      activatesAt: { [first.kid]: T, [second.kid]: T + 1000 },
    });
    expect(keys.activeAt(T - 10_000).kid).toBe(first.kid);
    expect(keys.activeAt(T + 1000).kid).toBe(second.kid);
  });

  it('withKey(activateAt) schedules, withoutKey cancels, activate signs at once and clears the schedule', async () => {
    const old = await generateSigningKey('ES256');
    const next = await generateSigningKey('EdDSA');
    const base = KeySet.from([old]);
    const scheduled = base.withKey(next, { activateAt: T });
    expect(scheduled.activeAt(T - 1).kid).toBe(old.kid);
    expect(scheduled.activeAt(T).kid).toBe(next.kid);
    expect(scheduled.algorithms).toEqual(['ES256', 'EdDSA']);
    const cancelled = scheduled.withoutKey(next.kid);
    expect(cancelled.activeAt(T).kid).toBe(old.kid);
    expect(kids(cancelled)).toEqual([old.kid]);
    const now = scheduled.activate(old.kid);
    expect(now.activeAt(T + 1).kid).toBe(old.kid);
    expect(now.activationOf(next.kid)).toBeNull();
    // replacing a scheduled key with the same key keeps its time
    expect(scheduled.withKey(next).activationOf(next.kid)).toBe(T);
    // retiring the first key once the scheduled one signs: activate it, then remove the old one
    expect(() => scheduled.withoutKey(old.kid)).toThrow(/activate another key/);
    const retired = scheduled.activate(next.kid).withoutKey(old.kid);
    expect(kids(retired)).toEqual([next.kid]);
    expect(retired.activeAt(T - 1).kid).toBe(next.kid);
  });

  it('refuses schedules that cannot work, saying what to fix', async () => {
    const key = await generateSigningKey('ES256');
    const other = await generateSigningKey('ES256');
    const verifyOnly: SigningKey = { ...other, privateKey: null };
    expect(() => KeySet.from([key], { activatesAt: { nope: T } })).toThrow(
      /names "nope", which is not in the set/,
    );
    expect(() => KeySet.from([key, verifyOnly], { activatesAt: { [other.kid]: T } })).toThrow(
      /verify-only key .* only a key with a private key can be scheduled/,
    );
    expect(() => KeySet.from([key, other], { activatesAt: { [other.kid]: Number.NaN } })).toThrow(
      PassportOptionsError,
    );
    expect(() => KeySet.from([key, other], { activatesAt: { [other.kid]: new Date('nope') } })).toThrow(
      /valid Date/,
    );
    expect(() =>
      KeySet.from([key, other], { activeKid: other.kid, activatesAt: { [other.kid]: T } }),
    ).toThrow(/also has an activation time/);
    const keys = KeySet.from([key]);
    expect(() => keys.withKey(verifyOnly, { activateAt: T })).toThrow(PassportError);
    expect(() => keys.withKey(other, { activate: true, activateAt: T })).toThrow(/not both/);
    const scheduled = keys.withKey(other, { activateAt: T });
    expect(() => scheduled.withKey(verifyOnly)).toThrow(/signs \(or is scheduled to\)/);
  });
});

describe('keySetFromPem', () => {
  it('builds the active key, verify-only previous keys and the scheduled next key from PEM strings', async () => {
    const active = await generateSigningKey('ES256');
    const previousRsa = await generateSigningKey('RS256');
    const previousEd = await generateSigningKey('EdDSA');
    const next = await generateSigningKey('ES256');
    const keys = await keySetFromPem({
      active: await exportPrivateKeyPem(active),
      // one string with two blocks (a public and a private key), then the active key's public half again
      previous: [
        (await exportPublicKeyPem(previousRsa)) + (await exportPrivateKeyPem(previousEd)),
        await exportPublicKeyPem(active),
      ],
      next: { key: await exportPrivateKeyPem(next), activatesAt: T },
    });
    expect(kids(keys)).toEqual([active.kid, next.kid, previousRsa.kid, previousEd.kid]);
    expect(keys.activeAt(T - 1).kid).toBe(active.kid);
    expect(keys.activeAt(T).kid).toBe(next.kid);
    // of a private key given as previous, only the public half is kept
    expect(keys.get(previousEd.kid)?.privateKey).toBeNull();
    expect(keys.get(previousRsa.kid)?.privateKey).toBeNull();
    expect(keys.algorithms).toEqual(['RS256', 'ES256', 'EdDSA']);
  });

  it('keeps a token signed by the previous key verifiable after the rotation', async () => {
    const old = await generateSigningKey('ES256');
    const current = await generateSigningKey('ES256');
    const oldPem = await exportPrivateKeyPem(old);
    const { passport } = passportWith(await keySetFromPem({ active: oldPem }));
    const pat = await passport.createPersonalAccessToken({ id: 'alice' }, 'CLI');
    passport.setKeys(
      await keySetFromPem({
        active: await exportPrivateKeyPem(current),
        previous: await exportPublicKeyPem(old),
      }),
    );
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');
    expect(kidOf((await passport.createPersonalAccessToken({ id: 'alice' }, 'new')).accessToken)).toBe(
      current.kid,
    );
  });

  it('names the field whose PEM is unusable', async () => {
    const key = await exportPrivateKeyPem(await generateSigningKey('ES256'));
    const noPem = await rejection(keySetFromPem({ active: key, previous: 'not a key' }));
    expect(noPem).toBeInstanceOf(PassportError);
    expect((noPem as PassportError).code).toBe('ERR_KEY_IMPORT');
    expect(noPem.message).toMatch(/^previous: no PEM block found/);
    const publicAsActive = await rejection(
      keySetFromPem({ active: await exportPublicKeyPem(await generateSigningKey('ES256')) }),
    );
    expect(publicAsActive.message).toMatch(
      /^active: Cannot import a PEM "PUBLIC KEY" block as a private key/,
    );
    expect((await rejection(keySetFromPem({ active: '' }))).message).toMatch(
      /active must be the private key PEM/,
    );
    expect((await rejection(keySetFromPem({ active: key, next: { key, activatesAt: T } }))).message).toMatch(
      /next.key is the same key as active/,
    );
    const badTime = await rejection(
      keySetFromPem({ active: key, next: { key, activatesAt: new Date('soon') } }),
    );
    expect(badTime).toBeInstanceOf(PassportOptionsError);
  });
});

describe('keySetFromEnv', () => {
  /** A PEM as it sits in an environment variable: on one line, with literal \n. */
  const flat = (pem: string) => pem.trim().replace(/\n/g, '\\n');

  it('is null when no key variable is set', async () => {
    expect(await keySetFromEnv({})).toBeNull();
    expect(await keySetFromEnv({ PASSPORT_PRIVATE_KEY: '  ' })).toBeNull();
  });

  it('reads the active, previous and next keys with the activation time', async () => {
    const active = await generateSigningKey('ES256');
    const old1 = await generateSigningKey('ES256');
    const old2 = await generateSigningKey('RS256');
    const next = await generateSigningKey('EdDSA');
    const keys = await keySetFromEnv({
      PASSPORT_PRIVATE_KEY: flat(await exportPrivateKeyPem(active)),
      PASSPORT_PREVIOUS_KEYS: flat((await exportPublicKeyPem(old1)) + (await exportPublicKeyPem(old2))),
      PASSPORT_NEXT_KEY: flat(await exportPrivateKeyPem(next)),
      PASSPORT_NEXT_KEY_ACTIVATES_AT: '2030-01-31T13:00:00+01:00',
    });
    expect(keys).not.toBeNull();
    expect(kids(keys!)).toEqual([active.kid, next.kid, old1.kid, old2.kid]);
    expect(keys!.activationOf(next.kid)).toBe(T);
    expect(keys!.activeAt(T - 1).kid).toBe(active.kid);
    expect(keys!.activeAt(T).kid).toBe(next.kid);
  });

  it('names the variable that is wrong or missing', async () => {
    const pem = flat(await exportPrivateKeyPem(await generateSigningKey('ES256')));
    const next = flat(await exportPrivateKeyPem(await generateSigningKey('ES256')));
    const cases: [Record<string, string>, RegExp][] = [
      [{ PASSPORT_PREVIOUS_KEYS: pem }, /PASSPORT_PREVIOUS_KEYS is set but PASSPORT_PRIVATE_KEY is not/],
      [{ PASSPORT_NEXT_KEY: next }, /PASSPORT_NEXT_KEY is set but PASSPORT_PRIVATE_KEY is not/],
      [{ PASSPORT_PRIVATE_KEY: 'garbage' }, /^PASSPORT_PRIVATE_KEY: The key is not PEM/],
      [{ PASSPORT_PRIVATE_KEY: pem, PASSPORT_PREVIOUS_KEYS: 'x' }, /^PASSPORT_PREVIOUS_KEYS: no PEM block/],
      [
        { PASSPORT_PRIVATE_KEY: pem, PASSPORT_NEXT_KEY: next },
        /PASSPORT_NEXT_KEY_ACTIVATES_AT .*; it is not set/,
      ],
      [
        { PASSPORT_PRIVATE_KEY: pem, PASSPORT_NEXT_KEY: next, PASSPORT_NEXT_KEY_ACTIVATES_AT: '2030-01-31' },
        /ISO 8601 date-time with a zone .*not "2030-01-31"/,
      ],
      [
        { PASSPORT_PRIVATE_KEY: pem, PASSPORT_NEXT_KEY: next, PASSPORT_NEXT_KEY_ACTIVATES_AT: '1906000000' },
        /ISO 8601/,
      ],
      [
        { PASSPORT_PRIVATE_KEY: pem, PASSPORT_NEXT_KEY_ACTIVATES_AT: '2030-01-31T12:00:00Z' },
        /PASSPORT_NEXT_KEY_ACTIVATES_AT is set but PASSPORT_NEXT_KEY is not/,
      ],
      [
        {
          PASSPORT_PRIVATE_KEY: pem,
          PASSPORT_NEXT_KEY: 'x',
          PASSPORT_NEXT_KEY_ACTIVATES_AT: '2030-01-31T12:00Z',
        },
        /^PASSPORT_NEXT_KEY: The key is not PEM/,
      ],
    ];
    for (const [env, message] of cases) {
      expect((await rejection(keySetFromEnv(env))).message).toMatch(message);
    }
  });
});

describe('passport.setKeys', () => {
  it('swaps the keys of a running passport: JWKS, signing and verification', async () => {
    const old = await generateSigningKey('ES256');
    const next = await generateSigningKey('ES256');
    const { passport } = passportWith(KeySet.from([old]));
    const pat = await passport.createPersonalAccessToken({ id: 'alice' }, 'old');
    const rotated = KeySet.from([next, { ...old, privateKey: null }]);
    passport.setKeys(rotated);
    expect(passport.keys).toBe(rotated);
    expect(kids(passport.keys)).toEqual([next.kid, old.kid]);
    expect((await passport.verifyAccessToken(pat.accessToken)).userId).toBe('alice');
    // once the old key is gone, its tokens stop verifying
    passport.setKeys(KeySet.from([next]));
    const error = await rejection(passport.verifyAccessToken(pat.accessToken));
    expect((error as PassportError).code).toBe('ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/unknown key/);
  });

  it('refuses anything but a KeySet', async () => {
    const { passport } = passportWith(await KeySet.generate('ES256'));
    const before = passport.keys;
    expect(() => passport.setKeys({} as KeySet)).toThrow(PassportOptionsError);
    expect(passport.keys).toBe(before);
  });
});
