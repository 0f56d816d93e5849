import { PassportError, type PassportErrorOptions } from './passport-error.js';

/**
 * Error codes defined by RFC 6749 (sections 4.1.2.1, 5.2), RFC 6750 (3.1), RFC 8628 (3.5) and
 * RFC 7009 (2.2.1), plus `too_many_requests`: Passport's rate limiter refused the request (HTTP
 * 429 with `Retry-After`; no RFC defines a code for it, the name is HTTP's).
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  | 'unsupported_token_type'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'too_many_requests';

/** Options of {@link OAuthError}. */
export interface OAuthErrorOptions extends PassportErrorOptions {
  /** HTTP status; defaults to the status RFC 6749 gives the code. */
  status?: number;
  /** `error_uri` to include in the response. */
  errorUri?: string;
  /**
   * For `invalid_client`: the client sent its credentials in the `Authorization` header, so the
   * HTTP layer must answer 401 with `WWW-Authenticate` (RFC 6749 section 5.2).
   */
  usedAuthorizationHeader?: boolean;
  /** For `insufficient_scope`: the scopes the resource needs (RFC 6750 section 3). */
  scope?: string;
  /** For `too_many_requests`: seconds until the client may try again (`Retry-After`). */
  retryAfter?: number;
}

const defaultStatus: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  unsupported_response_type: 400,
  invalid_scope: 400,
  access_denied: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  authorization_pending: 400,
  slow_down: 400,
  expired_token: 400,
  unsupported_token_type: 400,
  login_required: 400,
  consent_required: 400,
  interaction_required: 400,
  too_many_requests: 429,
};

/**
 * An OAuth 2 protocol error, carrying the RFC 6749 `error` code, a human `error_description`
 * and the HTTP status. Build them with the static factories.
 *
 * @example
 * ```ts
 * throw OAuthError.invalidGrant('Authorization code has expired');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2
 */
export class OAuthError extends PassportError {
  /** RFC 6749 `error`. */
  readonly error: OAuthErrorCode;
  /** RFC 6749 `error_description`. */
  readonly errorDescription: string;
  /** RFC 6749 `error_uri`. */
  readonly errorUri: string | undefined;
  /** HTTP status the error maps to. */
  readonly status: number;
  /** The client authenticated with the Authorization header (answer with `WWW-Authenticate`). */
  readonly usedAuthorizationHeader: boolean;
  /** Scope attribute for `insufficient_scope` (RFC 6750). */
  readonly scope: string | undefined;
  /** Seconds until a rate-limited client may try again (the HTTP `Retry-After`), if any. */
  readonly retryAfter: number | undefined;

  constructor(error: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    super('ERR_OAUTH', description, options);
    this.error = error;
    this.errorDescription = description;
    this.errorUri = options.errorUri;
    this.status = options.status ?? defaultStatus[error];
    this.usedAuthorizationHeader = options.usedAuthorizationHeader ?? false;
    this.scope = options.scope;
    this.retryAfter = options.retryAfter;
  }

  /** The JSON body of the error response (RFC 6749 section 5.2). */
  toJSON(): { error: OAuthErrorCode; error_description: string; error_uri?: string } {
    return this.errorUri === undefined
      ? { error: this.error, error_description: this.errorDescription }
      : { error: this.error, error_description: this.errorDescription, error_uri: this.errorUri };
  }

  /** `invalid_request` (400): a parameter is missing, repeated or malformed. */
  static invalidRequest(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_request', description, options);
  }
  /** `invalid_client` (401): client authentication failed. */
  static invalidClient(
    description = 'Client authentication failed',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('invalid_client', description, options);
  }
  /** `invalid_grant` (400): the code, refresh token or credentials are invalid, expired or revoked. */
  static invalidGrant(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_grant', description, options);
  }
  /** `unauthorized_client` (400): the client may not use this grant or response type. */
  static unauthorizedClient(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('unauthorized_client', description, options);
  }
  /** `unsupported_grant_type` (400). */
  static unsupportedGrantType(
    description = 'The grant type is not supported',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('unsupported_grant_type', description, options);
  }
  /** `unsupported_response_type` (400). */
  static unsupportedResponseType(
    description = 'The response type is not supported',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('unsupported_response_type', description, options);
  }
  /** `invalid_scope` (400). */
  static invalidScope(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_scope', description, options);
  }
  /** `access_denied` (400): the resource owner denied the request. */
  static accessDenied(
    description = 'The resource owner denied the request',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('access_denied', description, options);
  }
  /** `server_error` (500). */
  static serverError(
    description = 'The server encountered an unexpected condition',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('server_error', description, options);
  }
  /** `temporarily_unavailable` (503): the store is down. */
  static temporarilyUnavailable(
    description = 'The service is temporarily unavailable, try again later',
    options?: OAuthErrorOptions,
  ): OAuthError {
    return new OAuthError('temporarily_unavailable', description, options);
  }
  /** `invalid_token` (401, RFC 6750). */
  static invalidToken(description: string, options?: OAuthErrorOptions): OAuthError {
    return new OAuthError('invalid_token', description, options);
  }
  /**
   * `too_many_requests` (429): a rate limit of Passport's limiter was exceeded; `retryAfter` is
   * the number of seconds until the window ends (HTTP sends it as `Retry-After`).
   *
   * @example
   * ```ts
   * throw OAuthError.tooManyRequests('Too many failed attempts', 42);
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6585#section-4
   */
  static tooManyRequests(description: string, retryAfter: number): OAuthError {
    return new OAuthError('too_many_requests', description, { retryAfter });
  }
  /** `insufficient_scope` (403, RFC 6750); `scope` lists what the resource needs. */
  static insufficientScope(scope: string, description = 'The token lacks a required scope'): OAuthError {
    return new OAuthError('insufficient_scope', description, { scope });
  }
}
