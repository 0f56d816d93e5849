import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { PassportError } from '../errors/passport-error.js';
import { decodeBase64url, encodeBase64url, utf8 } from '../internal/encoding.js';
import { buildSigningKey, importParams, signParams } from '../keys/algorithms.js';
import { KeySet } from '../keys/key-set.js';
import type { SigningAlgorithm, SigningKey } from '../keys/types.js';
import { verifyJws, verifySignature } from './jws.js';

// The JOSE test vectors of the algorithms Passport signs with, as published in the RFCs and used
// by jose's own test suite (panva/jose test/cookbook): RS256 from RFC 7520 section 4.1, ES256
// from RFC 7515 appendix A.3, EdDSA (Ed25519) from RFC 8037 appendix A.4.
interface Vector {
  alg: SigningAlgorithm;
  source: string;
  jwk: JsonWebKey;
  compact: string;
}

const vectors: Vector[] = [
  {
    alg: 'RS256',
    source: 'RFC 7520 section 4.1',
    jwk: {
      kty: 'RSA',
      n: 'n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_AJmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tpe-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vniUFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw',
      e: 'AQAB',
      d: 'bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMSMkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYwkHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWTBnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ',
      p: '3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjDAWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxOrvRJlsPp6Zv8bUq0k',
      q: 'uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI95HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqAZ192zB3pVFJ0s7pFc',
      dp: 'B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-TanevuRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009Qf1HvChixRX59ehik',
      dq: 'CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9AqC2yeL6kdKT1cYF8',
      qi: '3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6h6ZEpMF6xmujs4qMpPz8aaI4',
    },
    compact:
      'eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9.SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4.MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-ZnmKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg',
  },
  {
    alg: 'ES256',
    source: 'RFC 7515 appendix A.3',
    jwk: {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI',
    },
    compact:
      'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q',
  },
  {
    alg: 'EdDSA',
    source: 'RFC 8037 appendix A.4',
    jwk: {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
    },
    compact:
      'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg',
  },
];

function publicJwk(jwk: JsonWebKey): JsonWebKey {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}

/** The vector's key pair as a Passport signing key (kid: its RFC 7638 thumbprint). */
async function vectorKey(vector: Vector): Promise<SigningKey> {
  const params = importParams(vector.alg);
  const privateKey = await crypto.subtle.importKey('jwk', vector.jwk, params, true, ['sign']);
  const publicKey = await crypto.subtle.importKey('jwk', publicJwk(vector.jwk), params, true, ['verify']);
  return buildSigningKey(vector.alg, privateKey, publicKey);
}

function segments(compact: string): { input: string; signature: Uint8Array } {
  const dot = compact.lastIndexOf('.');
  return { input: compact.slice(0, dot), signature: decodeBase64url(compact, dot + 1) as Uint8Array };
}

/** A compact JWS with any header, signed with `key` the way Passport signs access tokens. */
async function sign(key: SigningKey, header: object, payload: object): Promise<string> {
  const input = `${encodeBase64url(utf8(JSON.stringify(header)))}.${encodeBase64url(utf8(JSON.stringify(payload)))}`;
  const mac = await crypto.subtle.sign(
    signParams(key.alg),
    key.privateKey as CryptoKey,
    utf8(input) as Uint8Array<ArrayBuffer>,
  );
  return `${input}.${encodeBase64url(new Uint8Array(mac))}`;
}

function flipLastByte(compact: string): string {
  const { input, signature } = segments(compact);
  const tampered = Uint8Array.from(signature);
  tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
  return `${input}.${encodeBase64url(tampered)}`;
}

async function invalidReason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PassportError);
  expect((error as PassportError).code).toBe('ERR_TOKEN_INVALID');
  return (error as PassportError).message;
}

describe.each(vectors)('JWS $alg: the $source test vector', (vector) => {
  it('verifies the published signature and refuses it once a bit is flipped or the input changes', async () => {
    const key = await vectorKey(vector);
    expect(decodeProtectedHeader(vector.compact).alg).toBe(vector.alg);
    const { input, signature } = segments(vector.compact);
    expect(await verifySignature(key, input, signature)).toBe(true);
    const flipped = segments(flipLastByte(vector.compact));
    expect(await verifySignature(key, flipped.input, flipped.signature)).toBe(false);
    expect(await verifySignature(key, `${input}x`, signature)).toBe(false);
    expect(await verifySignature(key, input, signature.subarray(1))).toBe(false);
    expect(await verifySignature(key, input, new Uint8Array(0))).toBe(false);
  });

  it('verifies access tokens signed with the vector key, and agrees with jose in both directions', async () => {
    const key = await vectorKey(vector);
    const keys = KeySet.from([key]);
    const claims = { iss: 'https://auth.example', jti: 'j1', sub: 'u1' };
    const header = { alg: vector.alg, typ: 'at+jwt', kid: key.kid };
    const token = await sign(key, header, claims);
    expect((await verifyJws(token, keys)).payload).toEqual(claims);
    // jose verifies what this module accepts ...
    const joseKey = await importJWK(publicJwk(vector.jwk) as JWK, vector.alg);
    const verified = await compactVerify(token, joseKey, { algorithms: [vector.alg] });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(claims);
    // ... and refuses what it refuses
    await expect(compactVerify(flipLastByte(token), joseKey)).rejects.toThrow();
    expect(await invalidReason(verifyJws(flipLastByte(token), keys))).toMatch(/signature is invalid/);
  });
});

describe('verifyJws header rules', () => {
  it('requires typ at+jwt, no crit, a known kid and its alg, an allowed alg, and a JSON object payload', async () => {
    const rsa = await vectorKey(vectors[0] as Vector);
    const ec = await vectorKey(vectors[1] as Vector);
    const keys = KeySet.from([rsa, ec]);
    const good = { alg: 'ES256', typ: 'at+jwt', kid: ec.kid };
    const claims = { jti: 'j1' };

    expect((await verifyJws(await sign(ec, good, claims), keys)).key).toBe(ec);
    expect((await verifyJws(await sign(ec, { ...good, typ: 'application/AT+JWT' }, claims), keys)).key).toBe(
      ec,
    );
    const reasons = {
      noTyp: await invalidReason(verifyJws(await sign(ec, { alg: 'ES256', kid: ec.kid }, claims), keys)),
      jwt: await invalidReason(verifyJws(await sign(ec, { ...good, typ: 'JWT' }, claims), keys)),
      crit: await invalidReason(verifyJws(await sign(ec, { ...good, crit: ['exp'] }, claims), keys)),
      noKid: await invalidReason(verifyJws(await sign(ec, { alg: 'ES256', typ: 'at+jwt' }, claims), keys)),
      unknownKid: await invalidReason(verifyJws(await sign(ec, { ...good, kid: 'nope' }, claims), keys)),
      // the RSA key's kid with an ES256 header: the algorithm comes from the key, never the token
      algMismatch: await invalidReason(verifyJws(await sign(ec, { ...good, kid: rsa.kid }, claims), keys)),
      notAllowed: await invalidReason(verifyJws(await sign(ec, good, claims), keys, ['RS256'])),
      arrayPayload: await invalidReason(verifyJws(await sign(ec, good, [1, 2]), keys)),
      notCompact: await invalidReason(verifyJws('a.b', keys)),
      fourSegments: await invalidReason(verifyJws(`${await sign(ec, good, claims)}.x`, keys)),
      badBase64: await invalidReason(verifyJws('***.e30.e30', keys)),
    };
    expect(reasons).toEqual({
      noTyp: 'The token is not an access token (typ must be "at+jwt")',
      jwt: 'The token is not an access token (typ must be "at+jwt")',
      crit: 'The access token header has unsupported critical parameters',
      noKid: 'The access token header has no kid',
      unknownKid: 'The access token was signed by an unknown key',
      algMismatch: `The access token alg does not match key ${rsa.kid}`,
      notAllowed: 'The access token alg ES256 is not allowed',
      arrayPayload: 'The access token payload is not a JSON object',
      notCompact: 'The access token is not a compact JWS',
      fourSegments: 'The access token is not a compact JWS',
      badBase64: 'The access token header is not a JSON object',
    });
  });

  it('applies the signature check to a remembered header too', async () => {
    const ec = await vectorKey(vectors[1] as Vector);
    const keys = KeySet.from([ec]);
    const token = await sign(ec, { alg: 'ES256', typ: 'at+jwt', kid: ec.kid }, { jti: 'j1' });
    await verifyJws(token, keys); // remembers the header segment
    expect(await invalidReason(verifyJws(flipLastByte(token), keys))).toMatch(/signature is invalid/);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${encodeBase64url(utf8('{"jti":"j2"}'))}.${signature}`;
    expect(await invalidReason(verifyJws(forged, keys))).toMatch(/signature is invalid/);
  });
});
