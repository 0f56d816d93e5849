/**
 * The checks every identifier and text field of a request passes at the HTTP boundary, before it
 * reaches core or a store: one rule (`textProblem` from core: a length limit, no NUL or other
 * control character), applied to form and query parameters, path ids and the JSON API's fields.
 * PostgreSQL refuses NUL in text outright, and no OAuth parameter, id or name legitimately carries a
 * control character (RFC 6749 Appendix A).
 */
import { OAuthError, rejectRepeatedParameters, type TextProblem, textProblem } from '@passport/core';

/** Longest value of an OAuth form or query parameter (an access token to revoke fits easily). */
export const maxParameterLength = 8192;

/** Longest parameter name. */
const maxParameterNameLength = 128;

/** Longest id in a path (`/oauth/clients/{id}`, `/oauth/tokens/{id}`...). */
export const maxIdLength = 255;

/**
 * Most parameters one form body or query string may carry. OAuth requests have about ten; parsing
 * 8,000 of them (a 64 KiB body) cost some 20 times a normal request, so more are refused unparsed.
 */
export const maxParameters = 64;

/** Deepest nesting of `[` and `{` a JSON body may have (the JSON API's bodies are flat objects). */
export const maxJsonDepth = 16;

/** Parameters that RFC 6749 Appendix A lets carry a tab (UNICODECHARNOCRLF). */
const tabAllowed = new Set(['username', 'password']);

function describe(what: string, problem: TextProblem, maxLength: number): string {
  return problem === 'too-long'
    ? `${what} must not be longer than ${maxLength} characters`
    : `${what} must not contain control characters`;
}

/**
 * Why a set of form or query parameters is refused, or `null` when it is fine: a name or value
 * that is too long or holds a control character, or a repeated parameter (RFC 6749 section 3.1,
 * core's one rule and message: `rejectRepeatedParameters`).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1
 */
export function parameterProblem(params: URLSearchParams): string | null {
  for (const [name, value] of params) {
    const nameProblem = textProblem(name, { maxLength: maxParameterNameLength });
    if (nameProblem !== null) return describe('A parameter name', nameProblem, maxParameterNameLength);
    const problem = textProblem(value, { maxLength: maxParameterLength, allowTab: tabAllowed.has(name) });
    if (problem !== null) return describe(`The "${name}" parameter`, problem, maxParameterLength);
  }
  try {
    rejectRepeatedParameters(params);
  } catch (error) {
    if (error instanceof OAuthError) return error.errorDescription;
    throw error;
  }
  return null;
}

/**
 * Why an encoded form body or query string is refused before it is parsed, or `null`: more than
 * {@link maxParameters} parameters, or a parameter that decodes to more than the longest name and
 * value allowed. One scan of the text: parsing 64 KiB of parameters costs milliseconds, which a
 * request that will be refused anyway should not get to spend.
 */
export function encodedParametersProblem(encoded: string): string | null {
  const longest = maxParameterLength + maxParameterNameLength + 1;
  let parameters = 1;
  let length = 0;
  let escapes = 0;
  for (let i = 0; i < encoded.length; i++) {
    const code = encoded.charCodeAt(i);
    if (code === 38) {
      if (++parameters > maxParameters) return tooManyParameters;
      length = 0;
      escapes = 0;
      continue;
    }
    length++;
    if (code === 37) escapes++;
    // Each "%XX" decodes to one character and everything else to one: at least this many.
    if (length - 2 * escapes > longest) {
      return `A parameter must not be longer than ${maxParameterLength} characters`;
    }
  }
  return null;
}

/** The message for a form or query over {@link maxParameters}. */
export const tooManyParameters = `The request must not have more than ${maxParameters} parameters`;

/** Most members (array items and object properties) a JSON body may have in all. */
const maxJsonMembers = 512;

/**
 * Why a JSON body is refused before `JSON.parse`, or `null`: arrays and objects nested deeper than
 * {@link maxJsonDepth}, or more than 512 members in all (the JSON API's bodies are small flat
 * objects; parsing 30,000 levels or 5,000 keys costs milliseconds). One scan that skips strings.
 */
export function jsonShapeProblem(text: string): string | null {
  let depth = 0;
  let members = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92)
        i++; // backslash: skip the escaped character
      else if (code === 34) inString = false;
    } else if (code === 34) {
      inString = true;
    } else if (code === 91 || code === 123) {
      if (++depth > maxJsonDepth) return 'The request body is nested too deeply';
    } else if (code === 93 || code === 125) {
      depth--;
    } else if (code === 44 && ++members > maxJsonMembers) {
      return `The request body must not have more than ${maxJsonMembers} members`;
    }
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
