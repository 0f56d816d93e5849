/**
 * Stable string codes of {@link PassportError}. Codes never change meaning between releases;
 * match on `error.code`, not on messages.
 */
export type PassportErrorCode =
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_KEY_IMPORT'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_NO_SIGNING_KEY'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_STORE_CONFLICT'
  | 'ERR_VALIDATION'
  | 'ERR_OAUTH';

/** Options accepted by every {@link PassportError} constructor. */
export interface PassportErrorOptions {
  /** The underlying error, kept for diagnostics (never shown to HTTP clients). */
  cause?: unknown;
}

/**
 * Base class of every error Passport throws on purpose.
 *
 * @example
 * ```ts
 * try { await verifyAccessToken(token, options) }
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
 * Programmer misuse: invalid options passed to a constructor or factory. Thrown at construction
 * time with a message that says how to fix the call.
 */
export class PassportOptionsError extends TypeError {
  /** Always `ERR_INVALID_OPTIONS`. */
  readonly code = 'ERR_INVALID_OPTIONS' as const;

  constructor(message: string, options?: PassportErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
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
