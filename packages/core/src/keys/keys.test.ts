import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { generateSigningKey } from './generate.js';
import { KeySet } from './key-set.js';
import {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  importPrivateKeyPem,
  importPublicKeyPem,
  normalizePem,
} from './pem.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

const data = new TextEncoder().encode('payload');

function signParams(alg: SigningAlgorithm): AlgorithmIdentifier | EcdsaParams {
  return alg === 'RS256'
    ? { name: 'RSASSA-PKCS1-v1_5' }
    : alg === 'ES256'
      ? { name: 'ECDSA', hash: 'SHA-256' }
      : { name: 'Ed25519' };
}

async function signsAndVerifies(signer: SigningKey, verifier: SigningKey): Promise<boolean> {
  const signature = await crypto.subtle.sign(signParams(signer.alg), signer.privateKey as CryptoKey, data);
  return crypto.subtle.verify(signParams(verifier.alg), verifier.publicKey, signature, data);
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<PassportError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PassportError);
  expect((error as PassportError).code).toBe(code);
  return error as PassportError;
}

/** RFC 7638 section 3.1 example key and its thumbprint. */
const rfc7638Jwk = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
};
const rfc7638Thumbprint = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('generateSigningKey', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'generates a %s pair that round-trips through PEM',
    async (alg) => {
      const key = await generateSigningKey(alg);
      expect(key.alg).toBe(alg);
      expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await signsAndVerifies(key, key)).toBe(true);

      const privatePem = await exportPrivateKeyPem(key);
      const publicPem = await exportPublicKeyPem(key);
      expect(privatePem).toMatch(
        /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
      );
      expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);

      const imported = await importPrivateKeyPem(privatePem);
      expect(imported.alg).toBe(alg);
      expect(imported.kid).toBe(key.kid);
      const publicOnly = await importPublicKeyPem(publicPem);
      expect(publicOnly.kid).toBe(key.kid);
      expect(publicOnly.privateKey).toBeNull();
      // the imported private key signs what the original public key verifies, and vice versa
      expect(await signsAndVerifies(imported, key)).toBe(true);
      expect(await signsAndVerifies(key, publicOnly)).toBe(true);
    },
  );

  it('generates a 4096-bit RSA key on request, 2048 by default', async () => {
    const big = await generateSigningKey('RS256', { modulusLength: 4096 });
    expect((big.publicKey.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(4096);
    const imported = await importPrivateKeyPem(await exportPrivateKeyPem(big));
    expect(imported.kid).toBe(big.kid);
    expect(await signsAndVerifies(imported, big)).toBe(true);
    const small = await generateSigningKey();
    expect((small.publicKey.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(2048);
  });

  it('rejects unknown algorithms and sizes with PassportOptionsError', async () => {
    await expect(generateSigningKey('HS256' as SigningAlgorithm)).rejects.toBeInstanceOf(
      PassportOptionsError,
    );
    await expect(generateSigningKey('RS256', { modulusLength: 1024 as 2048 })).rejects.toThrow(
      /2048 or 4096/,
    );
  });
});

describe('PEM import', () => {
  it('computes kid as the RFC 7638 thumbprint (RFC example vector)', async () => {
    const publicKey = await crypto.subtle.importKey(
      'jwk',
      rfc7638Jwk,
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      true,
      ['verify'],
    );
    const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
    const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki))}\n-----END PUBLIC KEY-----`;
    const key = await importPublicKeyPem(pem);
    expect(key.kid).toBe(rfc7638Thumbprint);
    expect(key.publicJwk).toEqual({ ...rfc7638Jwk, kid: rfc7638Thumbprint, alg: 'RS256', use: 'sig' });
  });

  it('accepts a PEM from an env string with literal \\n, quotes and surrounding whitespace', async () => {
    const key = await generateSigningKey('RS256');
    const pem = await exportPrivateKeyPem(key);
    const env = `  "${pem.trimEnd().replace(/\n/g, '\\n')}"\n`;
    expect(env).not.toContain('\n-----');
    const imported = await importPrivateKeyPem(env);
    expect(imported.kid).toBe(key.kid);
    expect(normalizePem(env)).toBe(pem);
    // single quotes, CRLF, and a key flattened onto one line with spaces
    expect(normalizePem(`'${pem.replace(/\n/g, '\r\n')}'`)).toBe(pem);
    expect(normalizePem(pem.replace(/\n/g, ' '))).toBe(pem);
    expect((await importPublicKeyPem((await exportPublicKeyPem(key)).replace(/\n/g, '\\n'))).kid).toBe(
      key.kid,
    );
  });

  it('derives an extractable public key from an RSA private key, so the JWKS can publish it', async () => {
    const key = await importPrivateKeyPem(await exportPrivateKeyPem(await generateSigningKey('RS256')));
    expect(key.publicKey.extractable).toBe(true);
    expect(key.publicKey.type).toBe('public');
    const jwks = KeySet.from([key]).toJWKS();
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', kid: key.kid, alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('imports legacy PKCS#1 RSA keys (BEGIN RSA PRIVATE KEY / RSA PUBLIC KEY)', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spkiPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const expected = await importPublicKeyPem(spkiPem);
    const privateKey = await importPrivateKeyPem(
      pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    );
    expect(privateKey.kid).toBe(expected.kid);
    const publicKey = await importPublicKeyPem(
      pair.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    );
    expect(publicKey.kid).toBe(expected.kid);
    expect(await signsAndVerifies(privateKey, publicKey)).toBe(true);
  });

  it('infers the algorithm from the key and rejects a mismatching alg', async () => {
    const ec = await exportPrivateKeyPem(await generateSigningKey('ES256'));
    expect((await importPrivateKeyPem(ec)).alg).toBe('ES256');
    const error = await expectCode(importPrivateKeyPem(ec, 'RS256'), 'ERR_KEY_IMPORT');
    expect(error.message).toMatch(/P-256 EC key, which signs ES256, not RS256/);
  });

  it('throws ERR_KEY_IMPORT with a clear message for garbage and unsupported keys', async () => {
    expect((await expectCode(importPrivateKeyPem('not a key'), 'ERR_KEY_IMPORT')).message).toMatch(
      /not PEM.*BEGIN PRIVATE KEY/,
    );
    await expectCode(importPrivateKeyPem(''), 'ERR_KEY_IMPORT');
    expect(
      (
        await expectCode(
          importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----'),
          'ERR_KEY_IMPORT',
        )
      ).message,
    ).toMatch(/not valid base64/);
    await expectCode(
      importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'),
      'ERR_KEY_IMPORT',
    );
    // a structurally valid RSA PKCS#8 header followed by garbage key data
    const rsaPem = await exportPrivateKeyPem(await generateSigningKey('RS256'));
    const corrupt = rsaPem.replace(
      /\n([A-Za-z0-9+/]{64})\n/,
      (_, line: string) => `\n${'A'.repeat(line.length)}\n`,
    );
    await expectCode(importPrivateKeyPem(corrupt), 'ERR_KEY_IMPORT');

    const publicPem = await exportPublicKeyPem(await generateSigningKey('EdDSA'));
    expect((await expectCode(importPrivateKeyPem(publicPem), 'ERR_KEY_IMPORT')).message).toMatch(
      /importPublicKeyPem/,
    );
    expect((await expectCode(importPublicKeyPem(rsaPem), 'ERR_KEY_IMPORT')).message).toMatch(
      /importPrivateKeyPem/,
    );

    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const p384Pem = p384.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect((await expectCode(importPrivateKeyPem(p384Pem), 'ERR_KEY_IMPORT')).message).toMatch(
      /P-384.*P-256/,
    );
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'sec1',
      format: 'pem',
    });
    expect((await expectCode(importPrivateKeyPem(sec1.toString()), 'ERR_KEY_IMPORT')).message).toMatch(
      /openssl pkcs8/,
    );
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect((await expectCode(importPrivateKeyPem(weak.toString()), 'ERR_KEY_IMPORT')).message).toMatch(
      /1024 bits/,
    );
  });

  it('refuses to export the private key of a verify-only key', async () => {
    const key = await importPublicKeyPem(await exportPublicKeyPem(await generateSigningKey('ES256')));
    await expectCode(exportPrivateKeyPem(key), 'ERR_NO_SIGNING_KEY');
  });
});

describe('KeySet', () => {
  it('publishes every key as a JWKS with kid, alg and use and no private members', async () => {
    const rsa = await generateSigningKey('RS256');
    const ec = await generateSigningKey('ES256');
    const ed = await generateSigningKey('EdDSA');
    const keys = KeySet.from([rsa, ec, ed]);
    expect(keys.active).toBe(rsa);
    expect(keys.algorithms).toEqual(['RS256', 'ES256', 'EdDSA']);
    const jwks = keys.toJWKS();
    expect(jwks.keys.map((k) => [k.kty, k.alg, k.use, (k as { kid: string }).kid])).toEqual([
      ['RSA', 'RS256', 'sig', rsa.kid],
      ['EC', 'ES256', 'sig', ec.kid],
      ['OKP', 'EdDSA', 'sig', ed.kid],
    ]);
    expect(Object.keys(jwks.keys[1] as object).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(Object.keys(jwks.keys[2] as object).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"|"p"|"q"|"dp"|"dq"|"qi"/);
    // jose accepts the published keys
    for (const jwk of jwks.keys)
      await expect(importJWK(jwk as Parameters<typeof importJWK>[0])).resolves.toBeTruthy();
    // mutating the output does not change the set
    (jwks.keys[0] as { kid: string }).kid = 'changed';
    expect(keys.toJWKS().keys[0]).toHaveProperty('kid', rsa.kid);
  });

  it('rotates without restart: publish, activate, retire; the old key keeps verifying', async () => {
    const old = await generateSigningKey('ES256');
    const next = await generateSigningKey('EdDSA');
    const v1 = KeySet.from([old]);
    const v2 = v1.withKey(next);
    expect(v2.active.kid).toBe(old.kid);
    expect(v2.toJWKS().keys.map((k) => (k as { kid: string }).kid)).toEqual([old.kid, next.kid]);
    const v3 = v2.activate(next.kid);
    expect(v3.active.kid).toBe(next.kid);
    expect(v3.get(old.kid)).toBe(old);
    expect(await signsAndVerifies(v3.active, next)).toBe(true);
    const v4 = v3.withoutKey(old.kid);
    expect(v4.get(old.kid)).toBeUndefined();
    expect(v4.keys).toHaveLength(1);
    // earlier sets are unchanged (immutable)
    expect(v1.keys).toHaveLength(1);
    expect(v2.active.kid).toBe(old.kid);
    expect(Object.isFrozen(v3)).toBe(true);
    expect(Object.isFrozen(v3.keys)).toBe(true);
    // withKey can activate at once
    expect(v1.withKey(next, { activate: true }).active.kid).toBe(next.kid);
  });

  it('a verify-only key verifies old signatures but never becomes active', async () => {
    const retiring = await generateSigningKey('RS256');
    const verifyOnly = await importPublicKeyPem(await exportPublicKeyPem(retiring));
    const active = await generateSigningKey('ES256');
    const keys = KeySet.from([verifyOnly, active]);
    expect(keys.active.kid).toBe(active.kid);
    expect(await signsAndVerifies(retiring, keys.get(retiring.kid) as SigningKey)).toBe(true);
    await expectCode(
      Promise.resolve().then(() => keys.activate(verifyOnly.kid)),
      'ERR_NO_SIGNING_KEY',
    );
    expect(() => KeySet.from([verifyOnly], { activeKid: verifyOnly.kid })).toThrow(PassportOptionsError);
  });

  it('throws typed errors for sets that cannot sign and unknown kids', async () => {
    const key = await generateSigningKey('ES256');
    const verifyOnly = await importPublicKeyPem(await exportPublicKeyPem(key));
    expect(() => KeySet.from([])).toThrow(PassportOptionsError);
    expect(() => KeySet.from([verifyOnly])).toThrow(/only verify-only keys/);
    expect(() => KeySet.from([key], { activeKid: 'nope' })).toThrow(/activeKid "nope" is not in the set/);
    expect(() => KeySet.from([key, key])).toThrow(/appears twice/);
    const keys = KeySet.from([key]);
    await expectCode(
      Promise.resolve().then(() => keys.activate('nope')),
      'ERR_KEY_NOT_FOUND',
    );
    await expectCode(
      Promise.resolve().then(() => keys.withoutKey('nope')),
      'ERR_KEY_NOT_FOUND',
    );
    await expectCode(
      Promise.resolve().then(() => keys.withoutKey(key.kid)),
      'ERR_NO_SIGNING_KEY',
    );
    await expectCode(
      Promise.resolve().then(() => keys.withKey(verifyOnly)),
      'ERR_NO_SIGNING_KEY',
    );
  });

  it('KeySet.generate makes a one-key set that signs JWS jose can verify', async () => {
    const keys = await KeySet.generate('EdDSA');
    expect(keys.active.alg).toBe('EdDSA');
    const header = btoa(JSON.stringify({ alg: 'EdDSA' }))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
    const payload = 'cGF5bG9hZA';
    const input = new TextEncoder().encode(`${header}.${payload}`);
    const signature = new Uint8Array(
      await crypto.subtle.sign({ name: 'Ed25519' }, keys.active.privateKey as CryptoKey, input),
    );
    const jws = `${header}.${payload}.${btoa(String.fromCharCode(...signature))
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_')}`;
    const result = await compactVerify(jws, keys.active.publicKey);
    expect(new TextDecoder().decode(result.payload)).toBe('payload');
  });
});
