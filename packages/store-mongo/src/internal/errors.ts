import { StoreConflictError, StoreInvalidInputError, StoreUnavailableError } from '@passport/core';

/**
 * Error mapping from the `mongodb` driver to the store contract. The driver's classes are matched
 * by `name` and `code`, never with `instanceof`: the store imports nothing from `mongodb` at run
 * time (it is an optional peer dependency, and a host may load a second copy of it).
 *
 * @module
 */

/** Driver errors that mean the server cannot be reached, or stopped answering in time. */
const UNAVAILABLE_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoOperationTimeoutError',
  'MongoServerClosedError',
  'MongoStalePrimaryError',
]);

/**
 * Server error codes of a server that is shutting down, stepping down, unreachable or out of time
 * (HostUnreachable 6, HostNotFound 7, MaxTimeMSExpired 50, NetworkTimeout 89, ShutdownInProgress
 * 91, PrimarySteppedDown 189, ExceededTimeLimit 262, SocketException 9001, NotWritablePrimary
 * 10107, InterruptedAtShutdown 11600, InterruptedDueToReplStateChange 11602,
 * NotPrimaryNoSecondaryOk 13435, NotPrimaryOrSecondary 13436).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/**
 * Node's socket errors, which the driver sometimes passes on unwrapped (a write to a connection the
 * server closed: "This socket has been ended by the other party", EPIPE).
 */
const UNAVAILABLE_SYSTEM_CODES = new Set([
  'EPIPE',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_SOCKET_CLOSED',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Labels the driver puts on errors that a retry on a healthy connection may cure. */
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'ResetPool', 'SystemOverloadedError'];

/** Duplicate key (11000; 11001 and 12582 on old servers). */
const CONFLICT_CODES = new Set([11000, 11001, 12582]);

/** A value the server cannot hold: BSONObjectTooLarge (10334), document too large (17419, 17420). */
const INVALID_INPUT_CODES = new Set([10334, 17419, 17420]);

function field(error: object, name: string): unknown {
  return (error as Record<string, unknown>)[name];
}

/** True for a duplicate-key error (code 11000) from the server. */
export function isDuplicateKey(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = field(error, 'code');
  return typeof code === 'number' && CONFLICT_CODES.has(code);
}

/** True when `error` means the server is unreachable, closed, or did not answer in time. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // A wrapper (a bulk write's error around a network error) says so through its cause.
  if (depth < 3 && isUnavailable(field(error, 'cause'), depth + 1)) return true;
  if (field(error, 'name') === 'MongoBulkWriteError') {
    // A bulk write cut short by the connection copies the network error's message, not its class.
    const writeErrors = field(error, 'writeErrors');
    const message = field(error, 'message');
    if ((!Array.isArray(writeErrors) || writeErrors.length === 0) && typeof message === 'string') {
      const text = message.toLowerCase();
      const lost =
        (text.includes('connection') && (text.includes('closed') || text.includes('timed out'))) ||
        ['econnrefused', 'econnreset', 'epipe', 'socket'].some((word) => text.includes(word));
      if (lost) return true;
    }
  }
  const name = field(error, 'name');
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  const code = field(error, 'code');
  if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) return true;
  if (typeof code === 'string' && UNAVAILABLE_SYSTEM_CODES.has(code)) return true;
  const labels = field(error, 'errorLabels');
  if (Array.isArray(labels) && labels.some((label) => UNAVAILABLE_LABELS.includes(label))) return true;
  return false;
}

/** True when the driver refused to serialize a value, or the server a document's size. */
function isInvalidInput(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = field(error, 'name');
  if (name === 'BSONError' || name === 'BSONVersionError') return true;
  const code = field(error, 'code');
  return typeof code === 'number' && INVALID_INPUT_CODES.has(code);
}

const reasonOf = (error: unknown): string =>
  error instanceof Error && error.message !== '' ? `: ${error.message}` : '';

/**
 * Maps a driver error to the store contract: unreachable server, closed client and timeouts
 * become `StoreUnavailableError`; a duplicate key `StoreConflictError`; a value the server or the
 * BSON serializer cannot hold `StoreInvalidInputError`. Anything else (a bug) is returned unchanged.
 */
export function toStoreError(error: unknown): unknown {
  if (
    error instanceof StoreUnavailableError ||
    error instanceof StoreConflictError ||
    error instanceof StoreInvalidInputError
  ) {
    return error;
  }
  if (isDuplicateKey(error)) {
    return new StoreConflictError('The record conflicts with an existing one (duplicate key)', {
      cause: error,
    });
  }
  if (isUnavailable(error)) {
    return new StoreUnavailableError(`The MongoDB store is unavailable${reasonOf(error)}`, { cause: error });
  }
  if (isInvalidInput(error)) {
    return new StoreInvalidInputError(`The MongoDB store cannot hold this value${reasonOf(error)}`, {
      cause: error,
    });
  }
  return error;
}

/** True when the server does not implement a command, an option or a stage (FerretDB: 238). */
export function isNotImplemented(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = field(error, 'code');
  // NotImplemented (238), CommandNotFound (59), CommandNotSupported (115), and 40573: "The
  // $changeStream stage is only supported on replica sets".
  return code === 238 || code === 59 || code === 115 || code === 40573;
}
