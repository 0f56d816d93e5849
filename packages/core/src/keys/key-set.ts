import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { isSigningAlgorithm, signingAlgorithms } from './algorithms.js';
import { type GenerateSigningKeyOptions, generateSigningKey } from './generate.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

/** Options of {@link KeySet.from}. */
export interface KeySetOptions {
  /**
   * `kid` of the key that signs. It must hold a private key.
   * @default the first key that has a private key
   */
  activeKid?: string;
}

/** A JSON Web Key Set as served at the JWKS endpoint (RFC 7517 section 5). */
export interface JsonWebKeySet {
  keys: JsonWebKey[];
}

function isSigningKey(value: unknown): value is SigningKey {
  if (typeof value !== 'object' || value === null) return false;
  const key = value as Partial<SigningKey>;
  return (
    typeof key.kid === 'string' &&
    isSigningAlgorithm(key.alg) &&
    typeof key.publicKey === 'object' &&
    key.publicKey !== null &&
    (key.privateKey === null || (typeof key.privateKey === 'object' && key.privateKey !== undefined)) &&
    typeof key.publicJwk === 'object' &&
    key.publicJwk !== null
  );
}

/**
 * The keys Passport signs and verifies access tokens with (PARITY K4). Immutable: every change
 * returns a new set, so a running server rotates keys by swapping in the new set, without a
 * restart. Exactly one key is active (signs new tokens); every key verifies and is published in
 * the JWKS, so a new key can be published before it signs and an old one keeps verifying until it
 * is removed.
 *
 * @example
 * ```ts
 * // rotation: publish, then activate, then retire the old key once its tokens have expired
 * let keys = await KeySet.generate('ES256');
 * const next = await generateSigningKey('ES256');
 * keys = keys.withKey(next);          // published, not signing yet
 * keys = keys.activate(next.kid);     // signs from now on
 * keys = keys.withoutKey(oldKid);     // retired
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export class KeySet {
  /** Every key, in insertion order. */
  readonly keys: readonly SigningKey[];
  /** The key that signs new tokens (always has a private key). */
  readonly active: SigningKey;
  /** The algorithms of the keys in the set: the default verification allow-list. */
  readonly algorithms: readonly SigningAlgorithm[];
  readonly #byKid: ReadonlyMap<string, SigningKey>;

  private constructor(keys: readonly SigningKey[], activeKid: string | undefined) {
    const byKid = new Map<string, SigningKey>();
    for (const key of keys) {
      if (!isSigningKey(key)) {
        throw new PassportOptionsError(
          'KeySet.from: every key must be a SigningKey from generateSigningKey, importPrivateKeyPem or importPublicKeyPem',
        );
      }
      if (byKid.has(key.kid)) {
        throw new PassportOptionsError(
          `KeySet.from: the key ${key.kid} appears twice; pass each key once (withKey replaces a key with the same kid)`,
        );
      }
      byKid.set(key.kid, key);
    }
    let active: SigningKey | undefined;
    if (activeKid === undefined) {
      active = keys.find((key) => key.privateKey !== null);
      if (!active) {
        throw new PassportOptionsError(
          keys.length === 0
            ? 'KeySet needs at least one key: use KeySet.generate() or import a private key with importPrivateKeyPem'
            : 'KeySet has only verify-only keys: add a private key (importPrivateKeyPem) to sign tokens',
        );
      }
    } else {
      active = byKid.get(activeKid);
      if (!active) {
        throw new PassportOptionsError(
          `KeySet: activeKid ${JSON.stringify(activeKid)} is not in the set; use one of ${[...byKid.keys()].join(', ')}`,
        );
      }
      if (active.privateKey === null) {
        throw new PassportOptionsError(
          `KeySet: activeKid ${activeKid} is verify-only; the active key needs a private key (importPrivateKeyPem)`,
        );
      }
    }
    this.keys = Object.freeze([...keys]);
    this.active = active;
    this.algorithms = Object.freeze(signingAlgorithms.filter((alg) => keys.some((key) => key.alg === alg)));
    this.#byKid = byKid;
    Object.freeze(this);
  }

  /**
   * A key set from existing keys.
   *
   * @throws PassportOptionsError when no key can sign, `activeKid` is unknown or verify-only, or a
   *   kid appears twice.
   * @example
   * ```ts
   * const keys = KeySet.from([await importPrivateKeyPem(env.PASSPORT_PRIVATE_KEY)]);
   * ```
   */
  static from(keys: readonly SigningKey[], options?: KeySetOptions): KeySet {
    if (!Array.isArray(keys)) {
      throw new PassportOptionsError('KeySet.from expects an array of SigningKey');
    }
    return new KeySet(keys, options?.activeKid);
  }

  /**
   * A key set holding one freshly generated key (development, tests, ephemeral deployments).
   *
   * @param alg @default 'RS256'
   * @example
   * ```ts
   * const keys = await KeySet.generate('EdDSA');
   * ```
   */
  static async generate(
    alg: SigningAlgorithm = 'RS256',
    options?: GenerateSigningKeyOptions,
  ): Promise<KeySet> {
    return new KeySet([await generateSigningKey(alg, options)], undefined);
  }

  /** The key with this `kid` (a JWT header's `kid`), or `undefined`. */
  get(kid: string): SigningKey | undefined {
    return this.#byKid.get(kid);
  }

  /**
   * The public keys as a JWKS document, each with `kid`, `alg` and `use: "sig"`: what the
   * `/.well-known/jwks.json` endpoint serves. Private key material never appears.
   *
   * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
   */
  toJWKS(): JsonWebKeySet {
    return { keys: this.keys.map((key) => ({ ...key.publicJwk })) };
  }

  /**
   * A new set with `key` added (replacing a key with the same kid), verify-and-publish only unless
   * `activate` is set.
   */
  withKey(key: SigningKey, options?: { activate?: boolean }): KeySet {
    const replaced = this.#byKid.has(key.kid);
    const keys = replaced ? this.keys.map((k) => (k.kid === key.kid ? key : k)) : [...this.keys, key];
    const activeKid = options?.activate ? key.kid : this.active.kid;
    if (replaced && key.kid === this.active.kid && key.privateKey === null) {
      throw new PassportError(
        'ERR_NO_SIGNING_KEY',
        `Key ${key.kid} is active: replacing it with a verify-only key would leave nothing to sign with; activate another key first`,
      );
    }
    return new KeySet(keys, activeKid);
  }

  /**
   * A new set without the key `kid`. Tokens signed by it stop verifying.
   *
   * @throws PassportError `ERR_KEY_NOT_FOUND` for an unknown kid, `ERR_NO_SIGNING_KEY` for the
   *   active key (activate another key first).
   */
  withoutKey(kid: string): KeySet {
    if (!this.#byKid.has(kid)) {
      throw new PassportError('ERR_KEY_NOT_FOUND', `No key ${JSON.stringify(kid)} in the key set`);
    }
    if (kid === this.active.kid) {
      throw new PassportError(
        'ERR_NO_SIGNING_KEY',
        `Key ${kid} is the active signing key; activate another key before removing it`,
      );
    }
    return new KeySet(
      this.keys.filter((key) => key.kid !== kid),
      this.active.kid,
    );
  }

  /**
   * A new set in which `kid` signs new tokens; the previous active key keeps verifying.
   *
   * @throws PassportError `ERR_KEY_NOT_FOUND` for an unknown kid, `ERR_NO_SIGNING_KEY` for a
   *   verify-only key.
   */
  activate(kid: string): KeySet {
    const key = this.#byKid.get(kid);
    if (!key) throw new PassportError('ERR_KEY_NOT_FOUND', `No key ${JSON.stringify(kid)} in the key set`);
    if (key.privateKey === null) {
      throw new PassportError(
        'ERR_NO_SIGNING_KEY',
        `Key ${kid} is verify-only and cannot become the active key`,
      );
    }
    return new KeySet(this.keys, kid);
  }
}
