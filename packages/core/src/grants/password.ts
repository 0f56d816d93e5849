import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { finalizeScopes } from '../scopes/finalize.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord } from '../stores/records.js';
import { issueTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';
import { mayRefresh } from './refresh-token.js';

/** The part of a user provider the password grant uses (see `UserProvider` in the options). */
export interface PasswordGrantUserProvider<User extends { id: string } = { id: string }> {
  /** Finds the user for the `username` parameter (Passport's `findForPassport`). */
  findForPassport?(username: string): Promise<User | null>;
  /** Checks the password (Passport's `validateForPassportPasswordGrant`). */
  validateForPassportPasswordGrant?(user: User, password: string): Promise<boolean>;
}

/** Context of the password grant: the grant context plus the configured user providers. */
export type PasswordGrantContext = GrantContext & {
  userProviders: Readonly<Record<string, PasswordGrantUserProvider>>;
};

/** Name of the user provider used by clients whose `provider` is `null`. */
export const defaultUserProvider = 'users';

/** The rate-limit subject of a username that matched no user: case and width folded. */
function usernameSubject(username: string): string {
  return `name:${username.normalize('NFKC').toLowerCase()}`;
}

function requiredParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw OAuthError.invalidRequest(`The "${name}" parameter is required`);
  return value;
}

/**
 * The resource owner password credentials grant (RFC 6749 section 4.3), for a client
 * the token endpoint already authenticated and allowed this grant. Off unless
 * `grants.password` is enabled (`unsupported_grant_type`).
 *
 * The user provider is the client's (`client.provider`, or `users` when `null`). Its
 * `findForPassport(username)` and `validateForPassportPasswordGrant(user, password)` hooks are
 * Laravel Passport's methods of the same names on the user model; unlike Laravel there is no user
 * table to fall back on, so the host provides both. `createPassport` refuses the password grant
 * when no provider has them (or a provider has one of the two); a client whose provider has
 * neither gets `unauthorized_client`, and a provider name that is not configured is a
 * `server_error`, as it is a configuration mistake.
 *
 * Errors: `invalid_request` when `username` or `password` is missing or repeated;
 * `invalid_grant` for an unknown user or a wrong password (the same message, so it does not
 * reveal which); `invalid_scope` from scope finalization (`*` is allowed); `too_many_requests`
 * (429) once a user is over the `passwordFailures` rate limit (failures only are counted, so a
 * correct password costs no store call for the limiter). A refresh token is issued when the
 * refresh grant is enabled and the client may use it.
 *
 * @example
 * ```ts
 * createPassport({
 *   ...,
 *   grants: { password: true },
 *   userProviders: {
 *     users: {
 *       findById: (id) => db.users.find(id),
 *       findForPassport: (username) => db.users.findByEmail(username),
 *       validateForPassportPasswordGrant: (user, password) => verifyPassword(password, user.passwordHash),
 *     },
 *   },
 * });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.3
 */
export async function handlePasswordGrant(
  ctx: PasswordGrantContext,
  params: URLSearchParams,
  client: ClientRecord,
): Promise<TokenResponse> {
  if (!ctx.grants.password) throw OAuthError.unsupportedGrantType('The password grant is not enabled');
  const username = requiredParam(params, 'username');
  const password = requiredParam(params, 'password');
  const scopes = finalizeScopes(ctx, {
    requested: ScopeRegistry.parse(params.get('scope')),
    client,
    grantType: 'password',
  });

  const providerName = client.provider ?? defaultUserProvider;
  const provider = ctx.userProviders[providerName];
  if (provider === undefined) {
    throw OAuthError.serverError(`The client's user provider "${providerName}" is not configured`);
  }
  const wrongCredentials = () => OAuthError.invalidGrant('The user credentials were incorrect');
  if (provider.findForPassport === undefined || provider.validateForPassportPasswordGrant === undefined) {
    throw OAuthError.unauthorizedClient(`The client's user provider "${providerName}" has no password login`);
  }
  // Failures count per user (by id once the user is known, so spellings of one username share a
  // count); a user over the limit is refused before the password is even checked.
  const nowMs = ctx.now();
  const named = usernameSubject(username);
  ctx.rateLimiter.assertOpen('passwordFailures', named, nowMs);
  const user = await provider.findForPassport(username);
  const subject = user === null ? named : `user:${user.id}`;
  if (user !== null) ctx.rateLimiter.assertOpen('passwordFailures', subject, nowMs);
  if (user === null || !(await provider.validateForPassportPasswordGrant(user, password))) {
    await ctx.rateLimiter.hit('passwordFailures', subject, nowMs);
    throw wrongCredentials();
  }

  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: user.id,
    scopes,
    grantType: 'password',
    withRefreshToken: mayRefresh(ctx, client),
  });
  return toTokenResponse(issued, scopes);
}
