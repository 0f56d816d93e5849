import { OAuthError } from '../errors/oauth-error.js';
import type { PassportContext } from '../internal/context.js';
import type { ClientRecord, GrantType } from '../stores/records.js';

/** Grants that may carry the `*` (all scopes) scope. */
const wildcardGrants: ReadonlySet<GrantType> = new Set<GrantType>([
  'password',
  'client_credentials',
  'personal_access',
]);

/** Input of {@link finalizeScopes}. */
export interface FinalizeScopesInput {
  /** Scopes the client asked for, already split (see `ScopeRegistry.parse`). */
  requested: readonly string[];
  client: ClientRecord;
  grantType: GrantType;
}

/**
 * Decides the scopes a token or code gets:
 *
 * - nothing requested: the registry's default scopes, keeping those the client may use;
 * - every requested scope must be defined, and allowed for the client when `client.scopes` is
 *   not `null`; otherwise `invalid_scope`;
 * - `*` only for the password, client_credentials and personal access grants.
 *
 * Returns the scopes deduplicated, in request order.
 *
 * @example
 * ```ts
 * const scopes = finalizeScopes(ctx, { requested: ScopeRegistry.parse(params.get('scope')), client, grantType: 'authorization_code' });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export function finalizeScopes(ctx: Pick<PassportContext, 'scopes'>, input: FinalizeScopesInput): string[] {
  const { client, grantType } = input;
  const clientAllows = (scope: string): boolean => client.scopes === null || client.scopes.includes(scope);

  if (input.requested.length === 0) {
    return [...new Set(ctx.scopes.defaultScopes)].filter(clientAllows);
  }

  const scopes: string[] = [];
  for (const scope of input.requested) {
    if (scope === '' || scopes.includes(scope)) continue;
    if (scope === '*') {
      if (!wildcardGrants.has(grantType)) {
        throw OAuthError.invalidScope(`The "*" scope cannot be requested with the ${grantType} grant`);
      }
    } else if (!ctx.scopes.hasScope(scope)) {
      throw OAuthError.invalidScope(`The requested scope "${scope}" is not defined`);
    }
    if (!clientAllows(scope)) {
      throw OAuthError.invalidScope(`The client is not allowed the scope "${scope}"`);
    }
    scopes.push(scope);
  }
  return scopes;
}
