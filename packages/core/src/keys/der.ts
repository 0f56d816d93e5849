/**
 * Just enough PEM and DER to read the algorithm of a PKCS#8 or SPKI key and to wrap the legacy
 * PKCS#1 RSA forms (`BEGIN RSA PRIVATE KEY`, what older Laravel Passport installs wrote) into the
 * PKCS#8 and SPKI structures Web Crypto imports. Internal.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5208 PKCS#8
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.7 SubjectPublicKeyInfo
 * @see https://www.rfc-editor.org/rfc/rfc8017#appendix-A.1 PKCS#1 key syntax
 */
import { PassportError } from '../errors/passport-error.js';

/**
 * A `Uint8Array` over a plain, non-shared backing store: the kind Web Crypto accepts as key data
 * (what `new Uint8Array(n)` and `TextEncoder.encode` return).
 */
export type Bytes = ReturnType<TextEncoder['encode']>;

/** A decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, e.g. `PRIVATE KEY`. */
  label: string;
  der: Bytes;
}

/** Key algorithm families Passport can sign with, as read from an AlgorithmIdentifier. */
export type KeyKind = 'RSA' | 'EC-P256' | 'Ed25519';

const pemPattern = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/;

/** Parses the first PEM block of `text` (already normalised); throws ERR_KEY_IMPORT when none. */
export function decodePem(text: string): PemBlock {
  const match = pemPattern.exec(text);
  if (!match) {
    throw new PassportError(
      'ERR_KEY_IMPORT',
      'The key is not PEM: expected "-----BEGIN PRIVATE KEY-----" (PKCS#8) or "-----BEGIN PUBLIC KEY-----" (SPKI) ' +
        'with a matching END line. In an environment variable, write line breaks as a literal \\n.',
    );
  }
  const label = match[1] as string;
  const body = (match[2] as string).replace(/\s+/g, '');
  let binary: string;
  try {
    binary = atob(body);
  } catch (cause) {
    throw new PassportError('ERR_KEY_IMPORT', `The body of the PEM block "${label}" is not valid base64`, {
      cause,
    });
  }
  const der = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) der[i] = binary.charCodeAt(i);
  return { label, der };
}

/** Encodes DER bytes as a PEM block with 64-character lines and a trailing newline. */
export function encodePem(label: string, der: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < der.length; i += 0x8000) {
    binary += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const b64 = btoa(binary);
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}

interface Tlv {
  tag: number;
  /** Offset of the first content byte. */
  start: number;
  /** Offset just past the last content byte. */
  end: number;
}

function malformed(): PassportError {
  return new PassportError(
    'ERR_KEY_IMPORT',
    'The key is not valid DER (the PEM body is truncated or corrupt)',
  );
}

function readTlv(der: Uint8Array, offset: number, limit: number): Tlv {
  if (offset + 2 > limit) throw malformed();
  const tag = der[offset] as number;
  let length = der[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw malformed();
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[start + i] as number);
    start += count;
  }
  const end = start + length;
  if (end > limit) throw malformed();
  return { tag, start, end };
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OID = 0x06;

const oids = {
  rsaEncryption: '2a864886f70d010101',
  rsaPss: '2a864886f70d01010a',
  ecPublicKey: '2a8648ce3d0201',
  p256: '2a8648ce3d030107',
  p384: '2b81040022',
  p521: '2b81040023',
  ed25519: '2b6570',
  ed448: '2b6571',
} as const;

function hexOf(der: Uint8Array, tlv: Tlv): string {
  let out = '';
  for (let i = tlv.start; i < tlv.end; i++) out += (der[i] as number).toString(16).padStart(2, '0');
  return out;
}

/** Reads an AlgorithmIdentifier SEQUENCE and names the key family. */
function readAlgorithm(der: Uint8Array, algorithm: Tlv): KeyKind {
  if (algorithm.tag !== SEQUENCE) throw malformed();
  const oid = readTlv(der, algorithm.start, algorithm.end);
  if (oid.tag !== OID) throw malformed();
  const id = hexOf(der, oid);
  switch (id) {
    case oids.rsaEncryption:
      return 'RSA';
    case oids.ed25519:
      return 'Ed25519';
    case oids.ecPublicKey: {
      const curve = oid.end < algorithm.end ? readTlv(der, oid.end, algorithm.end) : null;
      const curveId = curve && curve.tag === OID ? hexOf(der, curve) : '';
      if (curveId === oids.p256) return 'EC-P256';
      const name = curveId === oids.p384 ? 'P-384' : curveId === oids.p521 ? 'P-521' : 'an unknown curve';
      throw new PassportError(
        'ERR_KEY_IMPORT',
        `The EC key uses ${name}; Passport signs ES256, which needs a P-256 key (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256)`,
      );
    }
    case oids.rsaPss:
      throw new PassportError(
        'ERR_KEY_IMPORT',
        'RSA-PSS keys are not supported; use a plain RSA key (openssl genpkey -algorithm RSA) for RS256',
      );
    case oids.ed448:
      throw new PassportError('ERR_KEY_IMPORT', 'Ed448 keys are not supported; use an Ed25519 key for EdDSA');
    default:
      throw new PassportError(
        'ERR_KEY_IMPORT',
        'The key algorithm is not supported; use an RSA, P-256 EC or Ed25519 key',
      );
  }
}

/** The key family of a PKCS#8 PrivateKeyInfo. */
export function pkcs8KeyKind(der: Uint8Array): KeyKind {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== SEQUENCE) throw malformed();
  const version = readTlv(der, outer.start, outer.end);
  if (version.tag !== INTEGER) throw malformed();
  return readAlgorithm(der, readTlv(der, version.end, outer.end));
}

/** The key family of a SubjectPublicKeyInfo. */
export function spkiKeyKind(der: Uint8Array): KeyKind {
  const outer = readTlv(der, 0, der.length);
  if (outer.tag !== SEQUENCE) throw malformed();
  return readAlgorithm(der, readTlv(der, outer.start, outer.end));
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, ...parts: Uint8Array[]): Bytes {
  let length = 0;
  for (const part of parts) length += part.length;
  const head = [tag, ...encodeLength(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head, 0);
  let offset = head.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const rsaAlgorithmIdentifier = Uint8Array.from([
  0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
]);

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo. */
export function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Bytes {
  return tlv(SEQUENCE, Uint8Array.from([0x02, 0x01, 0x00]), rsaAlgorithmIdentifier, tlv(0x04, pkcs1));
}

/** Wraps a PKCS#1 RSAPublicKey in a SubjectPublicKeyInfo. */
export function pkcs1PublicToSpki(pkcs1: Uint8Array): Bytes {
  return tlv(SEQUENCE, rsaAlgorithmIdentifier, tlv(0x03, Uint8Array.from([0]), pkcs1));
}
