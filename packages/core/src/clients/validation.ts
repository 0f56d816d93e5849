import { PassportError, type PassportErrorOptions } from '../errors/passport-error.js';
import type { GrantType } from '../stores/records.js';

/**
 * Client input failed validation. `fields` maps each offending field to its messages, ready for a
 * `422` JSON response.
 *
 * @example
 * ```ts
 * try { await passport.clients.create({ name: '', redirectUris: ['not a url'] }) }
 * catch (e) { if (e instanceof ClientValidationError) console.log(e.fields.redirectUris) }
 * ```
 */
export class ClientValidationError extends PassportError {
  /** Messages per field (`name`, `redirectUris`, `grantTypes`, `scopes`, ...). */
  readonly fields: Record<string, string[]>;

  constructor(fields: Record<string, string[]>, options?: PassportErrorOptions) {
    const summary = Object.entries(fields)
      .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
      .join('; ');
    super('ERR_VALIDATION', `Invalid client: ${summary}`, options);
    this.fields = fields;
  }
}

/** Every grant type a client can be allowed. */
export const clientGrantTypes: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'implicit',
  'personal_access',
  'urn:ietf:params:oauth:grant-type:device_code',
];

/** Grants that send the user back through a redirect URI, so need at least one registered. */
const redirectGrants: readonly GrantType[] = ['authorization_code', 'implicit'];

/** Schemes that can run code or read local files in a browser: never a redirect target. */
const forbiddenSchemes = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:']);

/**
 * Why a redirect URI is unacceptable, or `null` when it is fine. A redirect URI must be an
 * absolute URL without a fragment (RFC 6749 section 3.1.2); `http`/`https` need a host, and
 * private-use schemes such as `com.example.app:/callback` are allowed for native apps
 * (RFC 8252 section 7.1).
 *
 * @example
 * ```ts
 * redirectUriProblem('https://app.example/cb'); // null
 * redirectUriProblem('com.example.app:/callback'); // null
 * redirectUriProblem('https://app.example/cb#x'); // 'must not contain a fragment'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2
 */
export function redirectUriProblem(uri: string): string | null {
  if (uri.trim() !== uri || uri === '') return 'must be an absolute URL without surrounding spaces';
  if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) return 'must be an absolute URL';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URL';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (forbiddenSchemes.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
  // WHATWG URL parsing repairs `http:/x` and `https:///x` into URLs with a host: insist on `//host`.
  if ((url.protocol === 'http:' || url.protocol === 'https:') && !/^https?:\/\/[^/?#]/i.test(uri)) {
    return 'must have a host';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  return null;
}

/** The fields {@link validateClientFields} checks. */
export interface ClientFieldsInput {
  name?: unknown;
  redirectUris?: unknown;
  grantTypes?: unknown;
  scopes?: unknown;
  provider?: unknown;
  confidential: boolean;
}

/**
 * Checks client fields and returns per-field messages (empty when valid). Only fields present in
 * `input` are checked, so it serves both create and update; `confidential` and the effective
 * grant types decide the cross-field rules.
 *
 * @internal
 */
export function validateClientFields(
  input: ClientFieldsInput,
  effective: { grantTypes: readonly GrantType[]; redirectUris: readonly string[] },
  isScopeDefined: (scope: string) => boolean,
): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  const add = (field: string, message: string) => {
    const list = fields[field] ?? [];
    list.push(message);
    fields[field] = list;
  };

  if (input.name !== undefined) {
    if (typeof input.name !== 'string' || input.name.trim() === '') add('name', 'The name is required.');
    else if (input.name.length > 255) add('name', 'The name must not be longer than 255 characters.');
  }

  if (input.redirectUris !== undefined) {
    if (!Array.isArray(input.redirectUris) || input.redirectUris.some((u) => typeof u !== 'string')) {
      add('redirectUris', 'The redirect URIs must be a list of strings.');
    } else {
      for (const uri of input.redirectUris as string[]) {
        const problem = redirectUriProblem(uri);
        if (problem) add('redirectUris', `${JSON.stringify(uri)} ${problem}.`);
      }
    }
  }

  if (input.grantTypes !== undefined) {
    if (!Array.isArray(input.grantTypes) || input.grantTypes.length === 0) {
      add('grantTypes', 'At least one grant type is required.');
    } else {
      for (const grant of input.grantTypes) {
        if (typeof grant !== 'string' || !clientGrantTypes.includes(grant as GrantType)) {
          add('grantTypes', `${JSON.stringify(grant)} is not a grant type.`);
        }
      }
    }
  }

  if (input.scopes !== undefined && input.scopes !== null) {
    if (!Array.isArray(input.scopes) || input.scopes.some((s) => typeof s !== 'string')) {
      add('scopes', 'The scopes must be a list of scope ids, or null for any scope.');
    } else {
      for (const scope of input.scopes as string[]) {
        if (scope !== '*' && !isScopeDefined(scope))
          add('scopes', `${JSON.stringify(scope)} is not a defined scope.`);
      }
    }
  }

  if (input.provider !== undefined && input.provider !== null) {
    if (typeof input.provider !== 'string' || input.provider === '') {
      add('provider', 'The provider must be a non-empty string, or null for the default provider.');
    }
  }

  if (!fields.grantTypes && !fields.redirectUris) {
    if (effective.redirectUris.length === 0 && effective.grantTypes.some((g) => redirectGrants.includes(g))) {
      add(
        'redirectUris',
        'At least one redirect URI is required for the authorization code and implicit grants.',
      );
    }
    if (!input.confidential && effective.grantTypes.includes('client_credentials')) {
      add('grantTypes', 'A public client cannot use the client credentials grant.');
    }
  }

  return fields;
}
