/** JWS algorithms Passport signs access tokens with. */
export type SigningAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** A key in a {@link KeySet}. */
export interface SigningKey {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** `null` for a verify-only key (published in the JWKS, never signs). */
  readonly privateKey: CryptoKey | null;
  readonly publicKey: CryptoKey;
  /** The public key as a JWK with `kid`, `alg` and `use: "sig"`. */
  readonly publicJwk: JsonWebKey & { kid: string; alg: SigningAlgorithm; use: 'sig' };
}
