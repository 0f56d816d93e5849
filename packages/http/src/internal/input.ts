/**
 * The checks every identifier and text field of a request passes at the HTTP boundary, before it
 * reaches core or a store: one rule (`textProblem` from core: a length limit, no NUL or other
 * control character), applied to form and query parameters, path ids and the JSON API's fields.
 * PostgreSQL refuses NUL in text outright, and no OAuth parameter, id or name legitimately carries a
 * control character (RFC 6749 Appendix A).
 */
import { OAuthError, type TextProblem, textProblem } from '@passport/core';

/** Longest value of an OAuth form or query parameter (an access token to revoke fits easily). */
export const maxParameterLength = 8192;

/** Longest parameter name. */
const maxParameterNameLength = 128;

/** Longest id in a path (`/oauth/clients/{id}`, `/oauth/tokens/{id}`...). */
export const maxIdLength = 255;

/** Parameters that RFC 6749 Appendix A lets carry a tab (UNICODECHARNOCRLF). */
const tabAllowed = new Set(['username', 'password']);

function describe(what: string, problem: TextProblem, maxLength: number): string {
  return problem === 'too-long'
    ? `${what} must not be longer than ${maxLength} characters`
    : `${what} must not contain control characters`;
}

/**
 * Why a set of form or query parameters is refused, or `null` when it is fine: a repeated
 * parameter (RFC 6749 section 3.1), or a name or value that is too long or holds a control
 * character. One pass over the parameters.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function parameterProblem(params: URLSearchParams): string | null {
  const seen = new Set<string>();
  for (const [name, value] of params) {
    const nameProblem = textProblem(name, { maxLength: maxParameterNameLength });
    if (nameProblem !== null) return describe('A parameter name', nameProblem, maxParameterNameLength);
    if (seen.has(name)) return `The "${name}" parameter must not be repeated`;
    seen.add(name);
    const problem = textProblem(value, { maxLength: maxParameterLength, allowTab: tabAllowed.has(name) });
    if (problem !== null) return describe(`The "${name}" parameter`, problem, maxParameterLength);
  }
  return null;
}

/** Throws `invalid_request` with the {@link parameterProblem} of `params`, if any. */
export function checkParameters(params: URLSearchParams): void {
  const problem = parameterProblem(params);
  if (problem !== null) throw OAuthError.invalidRequest(problem);
}

/** `true` when an id taken from a path may be looked up: not empty, not too long, no control character. */
export function isValidId(id: string): boolean {
  return id !== '' && textProblem(id, { maxLength: maxIdLength }) === null;
}

/**
 * The message of a JSON API text field that is too long or holds a control character, or `null`:
 * `The name field must not contain control characters.`
 */
export function fieldProblem(field: string, value: string, maxLength: number): string | null {
  const problem = textProblem(value, { maxLength });
  if (problem === null) return null;
  return problem === 'too-long'
    ? `The ${field} field may not be longer than ${maxLength} characters.`
    : `The ${field} field must not contain control characters.`;
}
