import { StoreConflictError, StoreInvalidInputError, StoreUnavailableError } from '@passport/core';
import type { SqlDriver } from '../driver.js';

/** Node socket error codes that mean "the database cannot be reached". */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATE codes of a lost session: connection exceptions (class 08) and operator intervention
 * (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
 */
const LOST_SESSION_SQLSTATE = /^08|^57P0/;

/**
 * SQLSTATE codes that are transient although the session survives: insufficient resources (class
 * 53), statement timeout (57014), lock timeout (55P03), serialization failure and deadlock (40).
 */
const TRANSIENT_SQLSTATE = /^53|^40|^57014$|^55P03$/;

/** Messages node-postgres and PGlite use for dead, closed or stuck connections (they carry no code). */
const LOST_SESSION_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended|pool after calling end|PGlite is closed|Database is closed|Store connection timed out/i;

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `error` means the connection itself failed, closed or timed out: the client must be
 * discarded, never returned to a pool.
 */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (NETWORK_CODES.has(code) || LOST_SESSION_SQLSTATE.test(code))) return true;
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  return error instanceof Error && LOST_SESSION_MESSAGE.test(error.message);
}

/**
 * SQLSTATE codes of a value the database cannot hold: data exceptions (class 22: 22021 a NUL byte
 * or an invalid byte sequence, 22001 a string too long, 22P02 invalid text for the type, 22003 a
 * number out of range...) and 54000, an index row over its size limit (a huge id).
 */
const INVALID_INPUT_SQLSTATE = /^22|^54000$/;

/**
 * Maps a driver error to the store contract: connection failures and timeouts become
 * {@link StoreUnavailableError}, integrity constraint violations (SQLSTATE class 23)
 * {@link StoreConflictError}, values the database cannot hold (class 22, 54000)
 * {@link StoreInvalidInputError}. Anything else (a bug: a syntax error) is returned unchanged.
 */
export function toStoreError(error: unknown): unknown {
  if (
    error instanceof StoreUnavailableError ||
    error instanceof StoreConflictError ||
    error instanceof StoreInvalidInputError
  ) {
    return error;
  }
  const code = codeOf(error);
  if (code !== undefined && INVALID_INPUT_SQLSTATE.test(code)) {
    const reason = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
    return new StoreInvalidInputError(`The PostgreSQL store cannot hold a value of this write${reason}`, {
      cause: error,
    });
  }
  if (code?.startsWith('23')) {
    const constraint = (error as { constraint?: unknown }).constraint;
    const detail = typeof constraint === 'string' ? ` (${constraint})` : '';
    return new StoreConflictError(`The record conflicts with an existing one${detail}`, { cause: error });
  }
  if (isConnectionError(error) || (code !== undefined && TRANSIENT_SQLSTATE.test(code))) {
    const reason = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
    return new StoreUnavailableError(`The PostgreSQL store is unavailable${reason}`, { cause: error });
  }
  return error;
}

/**
 * Wraps a driver so every error leaving it goes through {@link toStoreError}: a custom
 * {@link SqlDriver} gets the store's error contract without mapping errors itself.
 */
export function withStoreErrors(driver: SqlDriver): SqlDriver {
  const wrapped: SqlDriver = {
    async query(sql, params) {
      try {
        return await driver.query(sql, params);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async transaction(fn) {
      try {
        return await driver.transaction(fn);
      } catch (error) {
        throw toStoreError(error);
      }
    },
    close: () => driver.close(),
  };
  const { listen } = driver;
  if (listen !== undefined) wrapped.listen = (channel, handlers) => listen.call(driver, channel, handlers);
  return wrapped;
}
