import type { StoreChangeEvent } from './store.js';

/**
 * The text a store's change feed carries for `event` (JSON), for stores whose feed is a text
 * channel (PostgreSQL `NOTIFY`, Redis pub/sub). {@link parseStoreChange} reads it back.
 *
 * @example
 * ```ts
 * formatStoreChange({ type: 'family', familyId: 'f1' }); // '{"type":"family","familyId":"f1"}'
 * ```
 */
export function formatStoreChange(event: StoreChangeEvent): string {
  return JSON.stringify(event);
}

/**
 * The change event in a feed message written by {@link formatStoreChange}, or `null` for text
 * that is not one (a stranger's message on the channel, a kind this version does not know).
 *
 * @example
 * ```ts
 * parseStoreChange('{"type":"accessTokens","ids":["jti-1"]}'); // { type: 'accessTokens', ids: ['jti-1'] }
 * parseStoreChange('hello'); // null
 * ```
 */
export function parseStoreChange(message: string): StoreChangeEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const event = value as Record<string, unknown>;
  if (
    event.type === 'accessTokens' &&
    Array.isArray(event.ids) &&
    event.ids.every((id) => typeof id === 'string')
  ) {
    return { type: 'accessTokens', ids: [...(event.ids as string[])] };
  }
  if (event.type === 'family' && typeof event.familyId === 'string') {
    return { type: 'family', familyId: event.familyId };
  }
  if (event.type === 'client' && typeof event.clientId === 'string') {
    return { type: 'client', clientId: event.clientId };
  }
  if (event.type === 'reset') return { type: 'reset' };
  return null;
}
