import { StoreConflictError, StoreInvalidInputError, StoreUnavailableError } from '@passport/core';

/**
 * Error replies that mean the server cannot serve now, although it answered: still loading its
 * data set, a cluster without a quorum or resharding, a replica after a failover, a script
 * running too long, out of memory (nothing was written).
 */
const UNAVAILABLE_REPLIES =
  /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|OOM|NOREPLICAS|MISCONF)\b/;

/** True for an error reply of the Redis server (as opposed to a connection failure). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Maps an error of an ioredis call to the store contract: connection failures, timeouts, an
 * offline or resharding server become {@link StoreUnavailableError}. Other error replies are bugs
 * (a wrong type, a script error) and are returned unchanged.
 */
export function toStoreError(error: unknown): unknown {
  if (
    error instanceof StoreUnavailableError ||
    error instanceof StoreConflictError ||
    error instanceof StoreInvalidInputError
  ) {
    return error;
  }
  if (isReplyError(error) && !UNAVAILABLE_REPLIES.test(error.message)) return error;
  const reason = error instanceof Error && error.message !== '' ? `: ${error.message}` : '';
  return new StoreUnavailableError(`The Redis store is unavailable${reason}`, { cause: error });
}
