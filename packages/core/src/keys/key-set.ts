import { PassportError, PassportOptionsError } from '../errors/passport-error.js';
import { isSigningAlgorithm, signingAlgorithms } from './algorithms.js';
import { type GenerateSigningKeyOptions, generateSigningKey } from './generate.js';
import type { SigningAlgorithm, SigningKey } from './types.js';

/** Options of {@link KeySet.from}. */
export interface KeySetOptions {
  /**
   * `kid` of the key that signs until a scheduled key activates. It must hold a private key and
   * have no activation time.
   * @default the first key that has a private key and no activation time
   */
  activeKid?: string;
  /**
   * Scheduled activations, by `kid`: the time (a `Date`, or milliseconds since the epoch) from
   * which that key signs. Before it the key is only published and verifies; from it on it signs,
   * until a key with a later time activates. A key without a time signs from the start, behind
   * every scheduled key. Each scheduled key must hold a private key.
   *
   * This is how a new key is published before it signs: every instance that loaded the set signs
   * with the new key from the same moment, so none signs with a key the others do not publish.
   * @default {} (no scheduled key)
   */
  activatesAt?: Readonly<Record<string, Date | number>>;
}

/** A scheduled activation: `key` signs from `at` (ms since the epoch) on. */
interface Activation {
  readonly at: number;
  readonly key: SigningKey;
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
 * The keys Passport signs and verifies access tokens with. Immutable: every change returns a new
 * set, and a running server takes a new set with `passport.setKeys(keys)`, without a restart. One
 * key signs at any moment (see {@link KeySet.activeAt}); every key verifies and is published in
 * the JWKS, so a new key can be published before it signs (an activation time, or `withKey`
 * without `activate`) and an old one keeps verifying until it is removed.
 *
 * @example
 * ```ts
 * // rotation: publish, then activate, then retire the old key once its tokens have expired
 * let keys = await KeySet.generate('ES256');
 * const next = await generateSigningKey('ES256');
 * keys = keys.withKey(next);          // published, not signing yet
 * keys = keys.activate(next.kid);     // signs from now on
 * keys = keys.withoutKey(oldKid);     // retired
 * // or in one step that every instance applies at the same moment
 * keys = keys.withKey(next, { activateAt: Date.now() + 3_600_000 });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7517#section-5
 */
export class KeySet {
  /** Every key, in insertion order. */
  readonly keys: readonly SigningKey[];
  /** The algorithms of the keys in the set: the default verification allow-list. */
  readonly algorithms: readonly SigningAlgorithm[];
  readonly #byKid: ReadonlyMap<string, SigningKey>;
  /** The key that signs before any scheduled activation (`undefined` when every signer is scheduled). */
  readonly #base: SigningKey | undefined;
  /** Scheduled activations, earliest first. */
  readonly #schedule: readonly Activation[];

  private constructor(
    keys: readonly SigningKey[],
    activeKid: string | undefined,
    activatesAt: Readonly<Record<string, Date | number>> | undefined,
  ) {
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
    const schedule = scheduleOf(byKid, activatesAt);
    const scheduled = new Set(schedule.map((entry) => entry.key.kid));
    let base: SigningKey | undefined;
    if (activeKid === undefined) {
      base = keys.find((key) => key.privateKey !== null && !scheduled.has(key.kid));
      if (!base && schedule.length === 0) {
        throw new PassportOptionsError(
          keys.length === 0
            ? 'KeySet needs at least one key: use KeySet.generate() or import a private key with importPrivateKeyPem'
            : 'KeySet has only verify-only keys: add a private key (importPrivateKeyPem) to sign tokens',
        );
      }
    } else {
      base = byKid.get(activeKid);
      if (!base) {
        throw new PassportOptionsError(
          `KeySet: activeKid ${JSON.stringify(activeKid)} is not in the set; use one of ${[...byKid.keys()].join(', ')}`,
        );
      }
      if (base.privateKey === null) {
        throw new PassportOptionsError(
          `KeySet: activeKid ${activeKid} is verify-only; the active key needs a private key (importPrivateKeyPem)`,
        );
      }
      if (scheduled.has(activeKid)) {
        throw new PassportOptionsError(
          `KeySet: activeKid ${activeKid} also has an activation time; give a key one or the other`,
        );
      }
    }
    this.keys = Object.freeze([...keys]);
    this.algorithms = Object.freeze(signingAlgorithms.filter((alg) => keys.some((key) => key.alg === alg)));
    this.#byKid = byKid;
    this.#base = base;
    this.#schedule = schedule;
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
    return new KeySet(keys, options?.activeKid, options?.activatesAt);
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
    return new KeySet([await generateSigningKey(alg, options)], undefined, undefined);
  }

  /**
   * The key that signs tokens issued at `time` (milliseconds since the epoch): the key with the
   * latest activation time at or before `time`, else the key without one (`activeKid`). When no
   * key has activated yet and none is unscheduled, the earliest scheduled key (a set built only of
   * future keys signs rather than fails). Passport signs each token with the key active at its
   * `iat`, so an injected clock moves activations too.
   *
   * @example
   * ```ts
   * keys.activeAt(Date.now()).kid; // the kid new tokens carry
   * ```
   */
  activeAt(time: number): SigningKey {
    const schedule = this.#schedule;
    let signer = this.#base;
    for (let i = 0; i < schedule.length; i++) {
      const entry = schedule[i] as Activation;
      if (entry.at > time) break;
      signer = entry.key;
    }
    return signer ?? (schedule[0] as Activation).key;
  }

  /** The key that signs now, by the system clock: `activeAt(Date.now())`. Always has a private key. */
  get active(): SigningKey {
    return this.activeAt(Date.now());
  }

  /**
   * When the key `kid` starts signing (milliseconds since the epoch), or `null` for a key without
   * an activation time (or not in the set).
   */
  activationOf(kid: string): number | null {
    for (const entry of this.#schedule) if (entry.key.kid === kid) return entry.at;
    return null;
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
   * A new set with `key` added (replacing a key with the same kid, which keeps its activation
   * time). Published and verifying only, unless `activate` (it signs from now on, and scheduled
   * activations are cancelled) or `activateAt` (it signs from that time on) is given.
   *
   * @throws PassportError `ERR_NO_SIGNING_KEY` when a verify-only key would replace the key that
   *   signs or a scheduled key, or is given `activate` / `activateAt`.
   */
  withKey(key: SigningKey, options?: { activate?: boolean; activateAt?: Date | number }): KeySet {
    if (options?.activate && options.activateAt !== undefined) {
      throw new PassportOptionsError('KeySet.withKey: pass activate or activateAt, not both');
    }
    const replaced = this.#byKid.has(key.kid);
    const keys = replaced ? this.keys.map((k) => (k.kid === key.kid ? key : k)) : [...this.keys, key];
    if (key.privateKey === null) {
      if (options?.activate || options?.activateAt !== undefined) {
        throw new PassportError('ERR_NO_SIGNING_KEY', `Key ${key.kid} is verify-only and cannot sign`);
      }
      if (replaced && (key.kid === this.#base?.kid || this.activationOf(key.kid) !== null)) {
        throw new PassportError(
          'ERR_NO_SIGNING_KEY',
          `Key ${key.kid} signs (or is scheduled to): replacing it with a verify-only key would leave nothing to sign with; activate another key first`,
        );
      }
    }
    if (options?.activate) return new KeySet(keys, key.kid, undefined);
    const activatesAt = this.#activations();
    if (options?.activateAt !== undefined) activatesAt[key.kid] = options.activateAt;
    const base = this.#base?.kid === key.kid && options?.activateAt !== undefined ? undefined : this.#base;
    return new KeySet(keys, base?.kid, activatesAt);
  }

  /**
   * A new set without the key `kid`. Tokens signed by it stop verifying. Removing a scheduled key
   * cancels its activation.
   *
   * @throws PassportError `ERR_KEY_NOT_FOUND` for an unknown kid, `ERR_NO_SIGNING_KEY` for the key
   *   that signs without a scheduled activation, or the last key that can sign (activate another
   *   key first).
   */
  withoutKey(kid: string): KeySet {
    if (!this.#byKid.has(kid)) {
      throw new PassportError('ERR_KEY_NOT_FOUND', `No key ${JSON.stringify(kid)} in the key set`);
    }
    const keys = this.keys.filter((key) => key.kid !== kid);
    if (kid === this.#base?.kid || !keys.some((key) => key.privateKey !== null)) {
      throw new PassportError(
        'ERR_NO_SIGNING_KEY',
        `Key ${kid} is the active signing key; activate another key before removing it`,
      );
    }
    const activatesAt = this.#activations();
    delete activatesAt[kid];
    return new KeySet(keys, this.#base?.kid, activatesAt);
  }

  /**
   * A new set in which `kid` signs new tokens from now on; the previous active key keeps
   * verifying. Scheduled activations are cancelled.
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
    return new KeySet(this.keys, kid, undefined);
  }

  /** The scheduled activations as a fresh `kid -> ms` record. */
  #activations(): Record<string, Date | number> {
    const record: Record<string, Date | number> = {};
    for (const entry of this.#schedule) record[entry.key.kid] = entry.at;
    return record;
  }
}

/** Checks `activatesAt` against the keys and sorts it, earliest first. */
function scheduleOf(
  byKid: ReadonlyMap<string, SigningKey>,
  activatesAt: Readonly<Record<string, Date | number>> | undefined,
): readonly Activation[] {
  if (activatesAt === undefined) return Object.freeze([]);
  if (typeof activatesAt !== 'object' || activatesAt === null) {
    throw new PassportOptionsError('KeySet: activatesAt must be an object of { kid: Date | milliseconds }');
  }
  const schedule: Activation[] = [];
  for (const [kid, value] of Object.entries(activatesAt)) {
    const key = byKid.get(kid);
    if (!key) {
      throw new PassportOptionsError(
        `KeySet: activatesAt names ${JSON.stringify(kid)}, which is not in the set`,
      );
    }
    if (key.privateKey === null) {
      throw new PassportOptionsError(
        `KeySet: activatesAt names the verify-only key ${kid}; only a key with a private key can be scheduled to sign`,
      );
    }
    const at = value instanceof Date ? value.getTime() : value;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw new PassportOptionsError(
        `KeySet: the activation time of ${kid} must be a valid Date or milliseconds since the epoch`,
      );
    }
    schedule.push(Object.freeze({ at, key }));
  }
  schedule.sort((a, b) => a.at - b.at);
  return Object.freeze(schedule);
}
