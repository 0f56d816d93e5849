import { OAuthError, type OAuthErrorCode, type OAuthErrorOptions } from '../errors/oauth-error.js';

/** Where an authorization response travels (OAuth 2.0 Multiple Response Type Encoding Practices). */
export type ResponseMode = 'query' | 'fragment';

/** Options of {@link AuthorizationError}. */
export interface AuthorizationErrorOptions extends OAuthErrorOptions {
  /**
   * The validated redirect URI to send the error to, or `null` when the client or the redirect
   * URI could not be trusted: the error must then be shown to the user, never redirected.
   */
  redirectUri: string | null;
  /** The request's `state`, echoed back. */
  state?: string | null;
  /** @default 'query' */
  responseMode?: ResponseMode;
  /** The authorization server's issuer, added as `iss` (RFC 9207) when redirecting. */
  issuer?: string | null;
}

/**
 * Appends `params` to `redirectUri`, in the query (keeping the URI's own query parameters) or in
 * the fragment.
 *
 * @example
 * ```ts
 * appendResponseParams('https://app.example/cb', { code, state }, 'query');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2
 */
export function appendResponseParams(
  redirectUri: string,
  params: Record<string, string>,
  responseMode: ResponseMode,
): string {
  const url = new URL(redirectUri);
  if (responseMode === 'fragment') {
    url.hash = new URLSearchParams(params).toString();
  } else {
    for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value);
  }
  return url.toString();
}

/**
 * An error at the authorization endpoint. When `redirectUri` is set, the error goes back to the
 * client (`toRedirectUrl()`, with `state` and `iss`); when it is `null` (unknown client, bad
 * redirect URI) the error must be shown to the user and never redirected (RFC 6749 4.1.2.1).
 *
 * @example
 * ```ts
 * try { await passport.validateAuthorizationRequest(params) }
 * catch (e) {
 *   if (e instanceof AuthorizationError) {
 *     const target = e.toRedirectUrl();
 *     return target ? Response.redirect(target, 302) : Response.json(e.toJSON(), { status: e.status });
 *   }
 * }
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1
 * @see https://www.rfc-editor.org/rfc/rfc9207
 */
export class AuthorizationError extends OAuthError {
  /** Where to redirect the error; `null`: never redirect, show it. */
  readonly redirectUri: string | null;
  /** The request's `state`. */
  readonly state: string | null;
  /** Query for the code flow, fragment for the implicit flow. */
  readonly responseMode: ResponseMode;
  /** Issuer sent as `iss`; `null` to omit it. */
  readonly issuer: string | null;

  constructor(error: OAuthErrorCode, description: string, options: AuthorizationErrorOptions) {
    super(error, description, options);
    this.redirectUri = options.redirectUri;
    this.state = options.state ?? null;
    this.responseMode = options.responseMode ?? 'query';
    this.issuer = options.issuer ?? null;
  }

  /**
   * Wraps an {@link OAuthError} (for example `invalid_scope` from scope validation) for the given
   * redirect target.
   */
  static from(error: OAuthError, options: AuthorizationErrorOptions): AuthorizationError {
    return new AuthorizationError(error.error, error.errorDescription, { ...options, cause: error });
  }

  /** The redirect URL carrying `error`, `error_description`, `state` and `iss`; `null` when not redirectable. */
  toRedirectUrl(): string | null {
    if (this.redirectUri === null) return null;
    const params: Record<string, string> = { error: this.error, error_description: this.errorDescription };
    if (this.errorUri !== undefined) params.error_uri = this.errorUri;
    if (this.state !== null) params.state = this.state;
    if (this.issuer !== null) params.iss = this.issuer;
    return appendResponseParams(this.redirectUri, params, this.responseMode);
  }
}
