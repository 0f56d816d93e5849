import { sha256 } from '@noble/hashes/sha2.js';
import { OAuthError } from '../errors/oauth-error.js';
import { encodeBase64url, utf8 } from '../internal/encoding.js';
import { timingSafeEqual } from '../internal/secrets.js';

/** PKCE transformation methods (RFC 7636 section 4.2). */
export type CodeChallengeMethod = 'S256' | 'plain';

/** 43 to 128 characters of `[A-Za-z0-9-._~]`: both the challenge and the verifier (RFC 7636 4.1, 4.2). */
const pkcePattern = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Options of {@link parseCodeChallenge}. */
export interface CodeChallengeOptions {
  /**
   * Accept `code_challenge_method=plain`.
   * @default false
   */
  allowPlain?: boolean;
}

/**
 * Validates `code_challenge` and `code_challenge_method` of an authorization request.
 *
 * The challenge must be 43 to 128 characters of `[A-Za-z0-9-._~]`. The method is `S256` unless
 * `plain` is enabled; when the method is omitted it means `plain` if plain is enabled (RFC 7636
 * section 4.3) and `S256` otherwise, so a client that meant plain fails closed at the token
 * endpoint. Throws `invalid_request`.
 *
 * @example
 * ```ts
 * const method = parseCodeChallenge(challenge, params.get('code_challenge_method'), { allowPlain: false });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.3
 */
export function parseCodeChallenge(
  challenge: string,
  method: string | null,
  options: CodeChallengeOptions = {},
): CodeChallengeMethod {
  if (!pkcePattern.test(challenge)) {
    throw OAuthError.invalidRequest('code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]');
  }
  const resolved = method ?? (options.allowPlain ? 'plain' : 'S256');
  if (resolved === 'S256') return 'S256';
  if (resolved === 'plain') {
    if (options.allowPlain) return 'plain';
    throw OAuthError.invalidRequest('code_challenge_method "plain" is not allowed; use S256');
  }
  throw OAuthError.invalidRequest(`Unsupported code_challenge_method "${resolved}"; use S256`);
}

/**
 * `true` when `verifier` has the form RFC 7636 section 4.1 requires (43 to 128 characters of
 * `[A-Za-z0-9-._~]`).
 */
export function isValidCodeVerifier(verifier: string): boolean {
  return pkcePattern.test(verifier);
}

/**
 * The S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`.
 *
 * @example
 * ```ts
 * const challenge = computeS256Challenge(verifier);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export function computeS256Challenge(verifier: string): string {
  return encodeBase64url(sha256(utf8(verifier)));
}

/**
 * `true` when `verifier` matches the stored challenge. Compared in constant time.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.6
 */
export function verifyCodeVerifier(
  verifier: string,
  challenge: string,
  method: CodeChallengeMethod,
): boolean {
  const derived = method === 'S256' ? computeS256Challenge(verifier) : verifier;
  return timingSafeEqual(derived, challenge);
}
