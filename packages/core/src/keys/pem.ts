import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { buildSigningKey, derivePublicKey, importParams, isSigningAlgorithm } from './algorithms.js';
import {
  type Bytes,
  decodePem,
  encodePem,
  type KeyKind,
  type PemBlock,
  pkcs1PrivateToPkcs8,
  pkcs1PublicToSpki,
  pkcs8KeyKind,
  spkiKeyKind,
} from './der.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

const pemLine = /-----(BEGIN|END) ([A-Z0-9 ]+)-----/g;

/**
 * Cleans a PEM string as it arrives from an environment variable or a secrets manager:
 * trims whitespace, removes one pair of surrounding quotes, turns a literal `\n` (backslash, n)
 * and CRLF into newlines, and re-wraps the base64 body at 64 columns (so a key flattened onto one
 * line, with spaces instead of newlines, works too). A value without PEM markers is returned
 * trimmed and unescaped; importing it then fails with `ERR_KEY_IMPORT`.
 *
 * @example
 * ```ts
 * normalizePem('"-----BEGIN PUBLIC KEY-----\\nMFkw...\\n-----END PUBLIC KEY-----\\n"');
 * // '-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----\n'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7468 Textual encodings of PKIX structures
 */
export function normalizePem(value: string): string {
  const { blocks, text } = readPemBlocks(value);
  return blocks.length > 0 ? blocks.join('') : text;
}

/**
 * The PEM blocks of `value`, each cleaned as {@link normalizePem} does, in order; `text` is the
 * cleaned input (for a value without PEM markers). Internal: key sets read several keys from one
 * string with it.
 */
export function readPemBlocks(value: string): { blocks: string[]; text: string } {
  let text = value.trim();
  const first = text[0];
  if (text.length >= 2 && (first === '"' || first === "'") && text[text.length - 1] === first) {
    text = text.slice(1, -1).trim();
  }
  text = text.replace(/\\r\\n|\\n|\\r/g, '\n').replace(/\r\n?/g, '\n');
  const blocks: string[] = [];
  let label: string | null = null;
  let bodyStart = 0;
  for (const match of text.matchAll(pemLine)) {
    const kind = match[1];
    const name = match[2] as string;
    if (kind === 'BEGIN') {
      label = name;
      bodyStart = match.index + match[0].length;
    } else if (label === name) {
      const body = text.slice(bodyStart, match.index).replace(/\s+/g, '');
      let block = `-----BEGIN ${name}-----\n`;
      for (let i = 0; i < body.length; i += 64) block += `${body.slice(i, i + 64)}\n`;
      blocks.push(`${block}-----END ${name}-----\n`);
      label = null;
    }
  }
  return { blocks, text: text.trim() };
}

const kindToAlgorithm: Record<KeyKind, SigningAlgorithm> = {
  RSA: 'RS256',
  'EC-P256': 'ES256',
  Ed25519: 'EdDSA',
};

function resolveAlgorithm(kind: KeyKind, alg: SigningAlgorithm | undefined): SigningAlgorithm {
  const inferred = kindToAlgorithm[kind];
  if (alg !== undefined && alg !== inferred) {
    if (!isSigningAlgorithm(alg)) {
      throw new PassportOptionsError(
        `Unsupported algorithm ${JSON.stringify(alg)}; use "RS256", "ES256" or "EdDSA"`,
      );
    }
    throw new PassportError(
      'ERR_KEY_IMPORT',
      `The PEM holds ${kind === 'RSA' ? 'an RSA' : kind === 'Ed25519' ? 'an Ed25519' : 'a P-256 EC'} key, which signs ${inferred}, not ${alg}`,
    );
  }
  return inferred;
}

function readPem(pem: string): PemBlock {
  if (typeof pem !== 'string') {
    throw new PassportOptionsError(`Expected the key as a PEM string, got ${typeof pem}`);
  }
  return decodePem(normalizePem(pem));
}

async function importOrThrow(
  format: 'pkcs8' | 'spki',
  der: Bytes,
  alg: SigningAlgorithm,
  usage: KeyUsage,
): Promise<CryptoKey> {
  try {
    return await crypto.subtle.importKey(format, der, importParams(alg), true, [usage]);
  } catch (cause) {
    throw new PassportError(
      'ERR_KEY_IMPORT',
      `The ${format === 'pkcs8' ? 'private' : 'public'} key could not be imported as ${alg}: the key data is corrupt or does not match its algorithm`,
      { cause },
    );
  }
}

/**
 * Imports a private key from PEM and derives its public key. Accepts PKCS#8
 * (`BEGIN PRIVATE KEY`) and PKCS#1 RSA (`BEGIN RSA PRIVATE KEY`, older Passport installs), with
 * the env-string clean-up of {@link normalizePem}. Both CryptoKeys are extractable, so the key can
 * be exported again and published in the JWKS.
 *
 * @param alg the algorithm to sign with; inferred from the key when omitted (RSA: RS256, P-256:
 *   ES256, Ed25519: EdDSA). A mismatch throws.
 * @throws PassportError `ERR_KEY_IMPORT` when the PEM is not a usable private key.
 * @example
 * ```ts
 * const key = await importPrivateKeyPem(env.PASSPORT_PRIVATE_KEY);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5208 PKCS#8
 */
export async function importPrivateKeyPem(pem: string, alg?: SigningAlgorithm): Promise<SigningKey> {
  const block = readPem(pem);
  let der: Bytes;
  if (block.label === 'PRIVATE KEY') der = block.der;
  else if (block.label === 'RSA PRIVATE KEY') der = pkcs1PrivateToPkcs8(block.der);
  else throw wrongPemLabel(block.label, 'private');
  const resolved = resolveAlgorithm(pkcs8KeyKind(der), alg);
  const privateKey = await importOrThrow('pkcs8', der, resolved, 'sign');
  const publicKey = await derivePublicKey(privateKey, resolved);
  return buildSigningKey(resolved, privateKey, publicKey);
}

/**
 * Imports a public key from PEM as a verify-only {@link SigningKey} (`privateKey: null`), for
 * keys that are retired or published before they sign. Accepts SPKI (`BEGIN PUBLIC KEY`) and
 * PKCS#1 RSA (`BEGIN RSA PUBLIC KEY`).
 *
 * @param alg inferred from the key when omitted.
 * @throws PassportError `ERR_KEY_IMPORT` when the PEM is not a usable public key.
 * @example
 * ```ts
 * const old = await importPublicKeyPem(await readFile('oauth-public.old.key', 'utf8'));
 * const keys = KeySet.from([active, old]);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.7
 */
export async function importPublicKeyPem(pem: string, alg?: SigningAlgorithm): Promise<SigningKey> {
  const block = readPem(pem);
  let der: Bytes;
  if (block.label === 'PUBLIC KEY') der = block.der;
  else if (block.label === 'RSA PUBLIC KEY') der = pkcs1PublicToSpki(block.der);
  else throw wrongPemLabel(block.label, 'public');
  const resolved = resolveAlgorithm(spkiKeyKind(der), alg);
  const publicKey = await importOrThrow('spki', der, resolved, 'verify');
  return buildSigningKey(resolved, null, publicKey);
}

function wrongPemLabel(label: string, expected: 'private' | 'public'): PassportError {
  let hint: string;
  if (label === 'ENCRYPTED PRIVATE KEY') {
    hint = 'encrypted keys are not supported; decrypt it with: openssl pkcs8 -topk8 -nocrypt -in key.pem';
  } else if (label === 'EC PRIVATE KEY') {
    hint = 'convert the SEC1 key to PKCS#8 with: openssl pkcs8 -topk8 -nocrypt -in key.pem';
  } else if (label === 'CERTIFICATE') {
    hint = 'extract its public key with: openssl x509 -pubkey -noout -in cert.pem';
  } else if (expected === 'private' && label.includes('PUBLIC KEY')) {
    hint = 'this is a public key; use importPublicKeyPem for a verify-only key';
  } else if (expected === 'public' && label.includes('PRIVATE KEY')) {
    hint = 'this is a private key; use importPrivateKeyPem (the public key is derived from it)';
  } else {
    hint = `expected "-----BEGIN ${expected === 'private' ? 'PRIVATE' : 'PUBLIC'} KEY-----"`;
  }
  return new PassportError(
    'ERR_KEY_IMPORT',
    `Cannot import a PEM "${label}" block as a ${expected} key: ${hint}`,
  );
}

async function exportDer(format: 'pkcs8' | 'spki', key: CryptoKey): Promise<Uint8Array> {
  try {
    return new Uint8Array(await crypto.subtle.exportKey(format, key));
  } catch (cause) {
    throw new PassportOptionsError(
      'The key is not extractable; create it with generateSigningKey or importPrivateKeyPem, which keep it extractable',
      { cause },
    );
  }
}

/**
 * Exports the private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), e.g. to write `oauth-private.key`.
 *
 * @throws PassportError `ERR_NO_SIGNING_KEY` for a verify-only key.
 * @example
 * ```ts
 * await writeFile('oauth-private.key', await exportPrivateKeyPem(key), { mode: 0o600 });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5208
 */
export async function exportPrivateKeyPem(key: SigningKey): Promise<string> {
  if (key.privateKey === null) {
    throw new PassportError(
      'ERR_NO_SIGNING_KEY',
      `Key ${key.kid} is verify-only: it has no private key to export`,
    );
  }
  return encodePem('PRIVATE KEY', await exportDer('pkcs8', key.privateKey));
}

/**
 * Exports the public key as SPKI PEM (`BEGIN PUBLIC KEY`), e.g. to write `oauth-public.key`.
 *
 * @example
 * ```ts
 * await writeFile('oauth-public.key', await exportPublicKeyPem(key));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.7
 */
export async function exportPublicKeyPem(key: SigningKey): Promise<string> {
  return encodePem('PUBLIC KEY', await exportDer('spki', key.publicKey));
}
