import { MemoryStore } from '@passport/store-memory';
import { jwtVerify, SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { PassportError } from '../errors/passport-error.js';
import { encodeBase64url, utf8 } from '../internal/encoding.js';
import { generateSigningKey } from '../keys/generate.js';
import { KeySet } from '../keys/key-set.js';
import type { SigningAlgorithm, SigningKey } from '../keys/types.js';
import type { AccessTokenRecord } from '../stores/records.js';
import {
  type AccessTokenClaims,
  signAccessToken,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './access-token.js';

const issuer = 'https://auth.example.com';
const nowSeconds = 1_800_000_000;
const clock = () => nowSeconds * 1000;

const keySets = {
  RS256: await KeySet.generate('RS256'),
  ES256: await KeySet.generate('ES256'),
  EdDSA: await KeySet.generate('EdDSA'),
};
const algs = Object.keys(keySets) as SigningAlgorithm[];

let store: MemoryStore;
let counter = 0;

beforeEach(() => {
  store = new MemoryStore();
});

function claimsFor(overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims {
  counter += 1;
  return {
    iss: issuer,
    sub: 'user-1',
    aud: 'client-1',
    client_id: 'client-1',
    jti: `jti-${counter}`,
    iat: nowSeconds,
    nbf: nowSeconds,
    exp: nowSeconds + 3600,
    scope: 'orders:read profile',
    scopes: ['orders:read', 'profile'],
    ...overrides,
  };
}

async function save(claims: AccessTokenClaims, record: Partial<AccessTokenRecord> = {}): Promise<void> {
  await store.saveTokens({
    accessToken: {
      id: claims.jti,
      userId: claims.sub,
      clientId: claims.client_id,
      name: null,
      scopes: claims.scopes,
      familyId: null,
      revoked: false,
      createdAt: new Date(claims.iat * 1000),
      expiresAt: new Date(claims.exp * 1000),
      ...record,
    },
    refreshToken: null,
  });
}

/** Signs and stores a token with `keys`' active key. */
async function mint(
  keys: KeySet,
  overrides: Partial<AccessTokenClaims> = {},
  record: Partial<AccessTokenRecord> = {},
): Promise<{ token: string; claims: AccessTokenClaims }> {
  const claims = claimsFor(overrides);
  await save(claims, record);
  return { token: await signAccessToken(keys, claims), claims };
}

function options(keys: KeySet, extra: Partial<VerifyAccessTokenOptions> = {}): VerifyAccessTokenOptions {
  return { keys, issuer, store, now: clock, ...extra };
}

/** A JWS with an arbitrary protected header, signed with Web Crypto (no library checks). */
async function signWithHeader(key: SigningKey, header: Record<string, unknown>, claims: AccessTokenClaims) {
  const input = `${encodeBase64url(utf8(JSON.stringify({ alg: key.alg, ...header })))}.${encodeBase64url(utf8(JSON.stringify(claims)))}`;
  const params =
    key.alg === 'RS256'
      ? { name: 'RSASSA-PKCS1-v1_5' }
      : key.alg === 'ES256'
        ? { name: 'ECDSA', hash: 'SHA-256' }
        : { name: 'Ed25519' };
  const signature = await crypto.subtle.sign(
    params,
    key.privateKey as CryptoKey,
    utf8(input) as Uint8Array<ArrayBuffer>,
  );
  return `${input}.${encodeBase64url(new Uint8Array(signature))}`;
}

async function rejection(promise: Promise<unknown>): Promise<PassportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PassportError);
  return error as PassportError;
}

describe.each(algs)('access tokens with %s', (alg) => {
  const keys = keySets[alg];

  it('signs an RFC 9068 JWT that jose verifies, and verifies it', async () => {
    const { token, claims } = await mint(keys);
    const { protectedHeader, payload } = await jwtVerify(token, keys.active.publicKey, {
      typ: 'at+jwt',
      issuer,
      audience: 'client-1',
      algorithms: [alg],
      currentDate: new Date(clock()),
    });
    expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: keys.active.kid });
    expect(payload).toEqual(claims);

    const verified = await verifyAccessToken(token, options(keys));
    expect(verified.token).toBe(token);
    expect(verified.claims).toEqual(claims);
    expect(verified.userId).toBe('user-1');
    expect(verified.clientId).toBe('client-1');
    expect(verified.scopes).toEqual(['orders:read', 'profile']);
    expect(verified.record.id).toBe(claims.jti);
  });

  it('verifies a token that jose signed with the same header and claims', async () => {
    const claims = claimsFor();
    await save(claims);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: keys.active.kid })
      .sign(keys.active.privateKey as CryptoKey);
    expect((await verifyAccessToken(token, options(keys))).claims.jti).toBe(claims.jti);
  });

  it('rejects a bad signature and a tampered payload, also once the header is cached', async () => {
    const { token } = await mint(keys);
    await verifyAccessToken(token, options(keys)); // caches the header
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    const bad = await rejection(verifyAccessToken(`${header}.${payload}.${flipped}`, options(keys)));
    expect(bad.code).toBe('ERR_TOKEN_INVALID');
    expect(bad.message).toMatch(/signature/);
    const elevated = encodeBase64url(utf8(JSON.stringify({ ...claimsFor(), scope: '*', scopes: ['*'] })));
    const tampered = await rejection(verifyAccessToken(`${header}.${elevated}.${signature}`, options(keys)));
    expect(tampered.code).toBe('ERR_TOKEN_INVALID');
  });
});

describe('verifyAccessToken', () => {
  const keys = keySets.RS256;

  it('rejects alg "none" and HS256 tokens crafted with the public key (algorithm confusion)', async () => {
    const claims = claimsFor();
    await save(claims);
    const payload = encodeBase64url(utf8(JSON.stringify(claims)));
    const none = `${encodeBase64url(utf8(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: keys.active.kid })))}.${payload}.`;
    expect((await rejection(verifyAccessToken(none, options(keys)))).code).toBe('ERR_TOKEN_INVALID');

    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', keys.active.publicKey));
    const hmacKey = await crypto.subtle.importKey('raw', spki, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    const input = `${encodeBase64url(utf8(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: keys.active.kid })))}.${payload}`;
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(input)));
    const hs256 = `${input}.${encodeBase64url(mac)}`;
    const error = await rejection(verifyAccessToken(hs256, options(keys)));
    expect(error.code).toBe('ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/alg/);
  });

  it('rejects an algorithm outside the allow-list even when the key exists', async () => {
    const mixed = keySets.ES256.withKey(keys.active);
    const { token } = await mint(mixed.activate(keys.active.kid));
    await expect(verifyAccessToken(token, options(mixed))).resolves.toBeTruthy();
    const error = await rejection(verifyAccessToken(token, options(mixed, { algorithms: ['ES256'] })));
    expect(error.code).toBe('ERR_TOKEN_INVALID');
    expect(error.message).toMatch(/RS256 is not allowed/);
  });

  it('rejects a token whose header alg does not match the key of its kid', async () => {
    const claims = claimsFor();
    await save(claims);
    // an ES256 signature presented under the kid of an RS256 key
    const es = keySets.ES256.active;
    const token = await signWithHeader(es, { typ: 'at+jwt', kid: keys.active.kid }, claims);
    const both = keys.withKey(es);
    expect((await rejection(verifyAccessToken(token, options(both)))).message).toMatch(/does not match key/);
  });

  it('rejects an unknown kid and a missing kid', async () => {
    const other = await generateSigningKey('RS256');
    const claims = claimsFor();
    await save(claims);
    const unknown = await signWithHeader(other, { typ: 'at+jwt', kid: other.kid }, claims);
    expect((await rejection(verifyAccessToken(unknown, options(keys)))).message).toMatch(/unknown key/);
    const missing = await signWithHeader(keys.active, { typ: 'at+jwt' }, claims);
    expect((await rejection(verifyAccessToken(missing, options(keys)))).code).toBe('ERR_TOKEN_INVALID');
  });

  it('requires typ at+jwt (or application/at+jwt) and no crit parameters', async () => {
    const claims = claimsFor();
    await save(claims);
    for (const typ of ['JWT', undefined, 'at+jwt2']) {
      const header = typ === undefined ? { kid: keys.active.kid } : { typ, kid: keys.active.kid };
      const token = await signWithHeader(keys.active, header, claims);
      const error = await rejection(verifyAccessToken(token, options(keys)));
      expect(error.code).toBe('ERR_TOKEN_INVALID');
      expect(error.message).toMatch(/typ/);
    }
    const media = await signWithHeader(
      keys.active,
      { typ: 'application/at+jwt', kid: keys.active.kid },
      claims,
    );
    await expect(verifyAccessToken(media, options(keys))).resolves.toBeTruthy();
    const crit = await signWithHeader(
      keys.active,
      { typ: 'at+jwt', kid: keys.active.kid, crit: ['x'], x: 1 },
      claims,
    );
    expect((await rejection(verifyAccessToken(crit, options(keys)))).message).toMatch(/critical/);
  });

  it('applies the leeway (5 s by default) to exp, nbf and iat', async () => {
    const expired = await mint(keys, { exp: nowSeconds - 6 });
    expect((await rejection(verifyAccessToken(expired.token, options(keys)))).code).toBe('ERR_TOKEN_EXPIRED');
    const justExpired = await mint(keys, { exp: nowSeconds - 4 });
    await expect(verifyAccessToken(justExpired.token, options(keys))).resolves.toBeTruthy();
    expect(
      (await rejection(verifyAccessToken(justExpired.token, options(keys, { leewaySeconds: 0 })))).code,
    ).toBe('ERR_TOKEN_EXPIRED');

    const future = await mint(keys, { nbf: nowSeconds + 60 });
    const notYet = await rejection(verifyAccessToken(future.token, options(keys)));
    expect(notYet.code).toBe('ERR_TOKEN_INVALID');
    expect(notYet.message).toMatch(/nbf/);
    const slightlyAhead = await mint(keys, { nbf: nowSeconds + 4, iat: nowSeconds + 4 });
    await expect(verifyAccessToken(slightlyAhead.token, options(keys))).resolves.toBeTruthy();
    const issuedLater = await mint(keys, { iat: nowSeconds + 60 });
    expect((await rejection(verifyAccessToken(issuedLater.token, options(keys)))).message).toMatch(/iat/);

    // the injected clock decides: the same token expires when time moves on
    const fresh = await mint(keys);
    const later = () => (nowSeconds + 3600 + 5) * 1000;
    expect((await rejection(verifyAccessToken(fresh.token, options(keys, { now: later })))).code).toBe(
      'ERR_TOKEN_EXPIRED',
    );
  });

  it('checks iss, and aud when an audience is given', async () => {
    const foreign = await mint(keys, { iss: 'https://evil.example.com' });
    expect((await rejection(verifyAccessToken(foreign.token, options(keys)))).message).toMatch(/issuer/);
    const { token } = await mint(keys);
    await expect(verifyAccessToken(token, options(keys), { audience: 'client-1' })).resolves.toBeTruthy();
    expect(
      (await rejection(verifyAccessToken(token, options(keys), { audience: 'client-2' }))).message,
    ).toMatch(/audience/);
  });

  it('accepts a token whose aud is one of a list of audiences, and refuses one that is in none', async () => {
    const { token } = await mint(keys);
    const accepted = await verifyAccessToken(token, options(keys), { audience: ['client-0', 'client-1'] });
    expect(accepted.clientId).toBe('client-1');
    const refused = await rejection(verifyAccessToken(token, options(keys), { audience: ['client-2'] }));
    expect(refused.code).toBe('ERR_TOKEN_AUDIENCE');
    expect(refused.message).toMatch(/audience/);
    expect((await rejection(verifyAccessToken(token, options(keys), { audience: [] }))).code).toBe(
      'ERR_TOKEN_AUDIENCE',
    );
  });

  it('treats a revoked, missing or expired row as revoked', async () => {
    const revoked = await mint(keys, {}, { revoked: true });
    expect((await rejection(verifyAccessToken(revoked.token, options(keys)))).code).toBe('ERR_TOKEN_REVOKED');

    const claims = claimsFor();
    const unsaved = await signAccessToken(keys, claims);
    expect((await rejection(verifyAccessToken(unsaved, options(keys)))).code).toBe('ERR_TOKEN_REVOKED');

    const rowExpired = await mint(keys, {}, { expiresAt: new Date(clock() - 60_000) });
    expect((await rejection(verifyAccessToken(rowExpired.token, options(keys)))).code).toBe(
      'ERR_TOKEN_REVOKED',
    );

    const live = await mint(keys);
    await verifyAccessToken(live.token, options(keys));
    await store.revokeAccessToken(live.claims.jti);
    expect((await rejection(verifyAccessToken(live.token, options(keys)))).code).toBe('ERR_TOKEN_REVOKED');
  });

  it('gives userId null for a client-credentials token whatever sub says', async () => {
    const client = await mint(keys, { sub: 'client-1' }, { userId: null });
    const verified = await verifyAccessToken(client.token, options(keys));
    expect(verified.userId).toBeNull();
    expect(verified.clientId).toBe('client-1');
    const spoofed = await mint(keys, { sub: 'user-1' }, { userId: null });
    expect((await verifyAccessToken(spoofed.token, options(keys))).userId).toBeNull();
  });

  it('rejects a token that does not match its stored row', async () => {
    const otherUser = await mint(keys, {}, { userId: 'user-2' });
    expect((await rejection(verifyAccessToken(otherUser.token, options(keys)))).code).toBe(
      'ERR_TOKEN_INVALID',
    );
    const otherClient = await mint(keys, {}, { clientId: 'client-2' });
    expect((await rejection(verifyAccessToken(otherClient.token, options(keys)))).code).toBe(
      'ERR_TOKEN_INVALID',
    );
  });

  it('rejects malformed tokens without calling the store', async () => {
    let calls = 0;
    const counting = {
      findAccessToken: async (id: string) => {
        calls += 1;
        return store.findAccessToken(id);
      },
    };
    const { token } = await mint(keys);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const malformed = [
      '',
      'abc',
      'a.b',
      `${token}.x`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.!${signature.slice(1)}`,
      `e30.${payload}.${signature}`,
      `${encodeBase64url(utf8('[]'))}.${payload}.${signature}`,
      `!!.${payload}.${signature}`,
      42 as unknown as string,
    ];
    for (const bad of malformed) {
      const error = await rejection(verifyAccessToken(bad, options(keys, { store: counting })));
      expect(error.code).toBe('ERR_TOKEN_INVALID');
    }
    // a validly signed token whose payload lacks required claims
    const partial = await signWithHeader(keys.active, { typ: 'at+jwt', kid: keys.active.kid }, {
      iss: issuer,
    } as AccessTokenClaims);
    expect((await rejection(verifyAccessToken(partial, options(keys, { store: counting })))).code).toBe(
      'ERR_TOKEN_INVALID',
    );
    expect(calls).toBe(0);
    await verifyAccessToken(token, options(keys, { store: counting }));
    expect(calls).toBe(1);
  });

  it('keeps verifying tokens of a rotated-out active key while it stays in the set', async () => {
    const next = await generateSigningKey('EdDSA');
    const before = await mint(keys);
    const rotated = keys.withKey(next, { activate: true });
    const after = await mint(rotated);
    expect(after.token.split('.')[0]).not.toBe(before.token.split('.')[0]);
    await expect(verifyAccessToken(before.token, options(rotated))).resolves.toBeTruthy();
    await expect(verifyAccessToken(after.token, options(rotated))).resolves.toBeTruthy();
    // the new key's tokens are unknown to the old set; the old key's stop verifying once retired
    expect((await rejection(verifyAccessToken(after.token, options(keys)))).message).toMatch(/unknown key/);
    const retired = rotated.withoutKey(keys.active.kid);
    expect((await rejection(verifyAccessToken(before.token, options(retired)))).message).toMatch(
      /unknown key/,
    );
  });
});
