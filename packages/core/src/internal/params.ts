import { OAuthError } from '../errors/oauth-error.js';

/**
 * The first parameter name that appears more than once in `params`, or `null`. RFC 6749
 * section 3.1: request parameters "MUST NOT be included more than once".
 */
export function repeatedParameter(params: URLSearchParams): string | null {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}

/** The `invalid_request` error for a parameter sent more than once. */
export function repeatedParameterError(name: string): OAuthError {
  return OAuthError.invalidRequest(`The "${name}" parameter is repeated`);
}

/**
 * Throws `invalid_request` naming the first parameter sent more than once (RFC 6749 section 3.1).
 * Every endpoint of `Passport` that takes form parameters (token, revocation, introspection,
 * device authorization, authorization) applies it before reading any parameter, so grants and
 * client authentication read single values with `params.get`. `@passport/http` applies it to the
 * form bodies of the JSON API and the approval forms.
 *
 * @example
 * ```ts
 * rejectRepeatedParameters(new URLSearchParams('scope=a&scope=b')); // throws OAuthError invalid_request
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function rejectRepeatedParameters(params: URLSearchParams): void {
  const name = repeatedParameter(params);
  if (name !== null) throw repeatedParameterError(name);
}
