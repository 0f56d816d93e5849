/**
 * Stable string codes of {@link PassportError}. Codes never change meaning between releases;
 * match on `error.code`, not on messages.
 *
 * | code | class | meaning |
 * | --- | --- | --- |
 * | `ERR_INVALID_OPTIONS` | {@link PassportOptionsError} | programmer misuse: bad options to a factory or method |
 * | `ERR_KEY_IMPORT`, `ERR_KEY_NOT_FOUND`, `ERR_NO_SIGNING_KEY` | `PassportError` | a key cannot be imported, found, or used to sign |
 * | `ERR_TOKEN_INVALID`, `ERR_TOKEN_EXPIRED`, `ERR_TOKEN_REVOKED` | `PassportError` | an access token failed verification |
 * | `ERR_TOKEN_AUDIENCE` | `PassportError` | a sound access token whose `aud` is not one the verifier accepts (RFC 9068 section 4) |
 * | `ERR_STORE_UNAVAILABLE` | {@link StoreUnavailableError} | the store is down or timed out (HTTP 503) |
 * | `ERR_STORE_CONFLICT` | {@link StoreConflictError} | a write hit an existing id |
 * | `ERR_STORE_LOCKED` | `PGliteLockedError` (`@passport/store-postgres`) | an embedded database's files are held by another live process |
 * | `ERR_VALIDATION` | `ClientValidationError` | client input failed validation, with per-field messages |
 * | `ERR_OAUTH` | `OAuthError` (and `AuthorizationError`) | an RFC 6749 protocol error with its `error` code and HTTP status |
 */
export type PassportErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_KEY_IMPORT'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_NO_SIGNING_KEY'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_TOKEN_AUDIENCE'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_CONFLICT'
  | 'ERR_STORE_INVALID_INPUT'
  | 'ERR_STORE_LOCKED'
  | 'ERR_VALIDATION'
  | 'ERR_OAUTH';

/** Options accepted by every {@link PassportError} constructor. */
export interface PassportErrorOptions {
  /** The underlying error, kept for diagnostics (never shown to HTTP clients). */
  cause?: unknown;
}

/**
 * Base class of every error Passport throws on purpose: one hierarchy, each error with a stable
 * string `code` (see {@link PassportErrorCode} for the table of codes and subclasses), `name`
 * set to its class name, and the underlying error in `cause`. Anything else that escapes
 * Passport is a bug (or a host callback's own error, passed through).
 *
 * @example
 * ```ts
 * try { await passport.verifyAccessToken(token) }
 * catch (e) { if (e instanceof PassportError && e.code === 'ERR_TOKEN_EXPIRED') ... }
 * ```
 */
export class PassportError extends Error {
  /** Stable machine-readable code. */
  readonly code: PassportErrorCode;

  constructor(code: PassportErrorCode, message: string, options?: PassportErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    (Error as { captureStackTrace?: (target: object, ctor: unknown) => void }).captureStackTrace?.(
      this,
      new.target,
    );
  }
}

/**
 * Programmer misuse (code `ERR_INVALID_OPTIONS`): invalid options passed to a factory or method
 * (`createPassport`, `createPassportHandler`, `createGuard`, `KeySet.from`, `passport.purge`,
 * the store factories). Thrown at construction time, with a message that names the option and
 * says how to fix the call.
 *
 * @example
 * ```ts
 * createPassport({ issuer: 'auth.example.com', store, keys });
 * // PassportOptionsError: Invalid Passport options: issuer must be an absolute https or http URL ...
 * ```
 */
export class PassportOptionsError extends PassportError {
  declare readonly code: 'ERR_INVALID_OPTIONS';

  constructor(message: string, options?: PassportErrorOptions) {
    super('ERR_INVALID_OPTIONS', message, options);
  }
}

/**
 * The store could not be reached or timed out. HTTP maps it to `503 temporarily_unavailable`.
 * Store adapters throw it for connection failures; nothing was written when it is thrown from a
 * write that is documented as atomic.
 */
export class StoreUnavailableError extends PassportError {
  constructor(message = 'The token store is unavailable', options?: PassportErrorOptions) {
    super('ERR_STORE_UNAVAILABLE', message, options);
  }
}

/**
 * A write conflicted with existing data (duplicate id, unique constraint). Nothing was written.
 */
export class StoreConflictError extends PassportError {
  constructor(message = 'The record conflicts with an existing one', options?: PassportErrorOptions) {
    super('ERR_STORE_CONFLICT', message, options);
  }
}

/**
 * A write carried a value the store cannot hold (a NUL byte in a text column, a value over a
 * column's or an index's size limit, an id of the wrong type for the column). Nothing was written.
 * Core and the HTTP layer validate input before it reaches a store, so this is a last line of
 * defence: HTTP answers it `400 invalid_request`, never 500. Reads never throw it: an id a store
 * cannot represent simply matches nothing.
 */
export class StoreInvalidInputError extends PassportError {
  constructor(message = 'The store cannot hold a value of this request', options?: PassportErrorOptions) {
    super('ERR_STORE_INVALID_INPUT', message, options);
  }
}
