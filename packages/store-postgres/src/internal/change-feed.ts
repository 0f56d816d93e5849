import {
  formatStoreChange,
  parseStoreChange,
  type StoreChangeEvent,
  type StoreChangeListener,
} from '@passport/core';
import type { NotificationHandlers, SqlDriver } from '../driver.js';

/** PostgreSQL refuses a `NOTIFY` payload of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7999;
const encoder = new TextEncoder();
const RESET = formatStoreChange({ type: 'reset' });

/**
 * The `NOTIFY` payload of `event`: its JSON, or a `reset` event when the JSON is too long for a
 * notification (an id of thousands of characters), so the change still reaches every cache.
 */
export function notificationPayload(event: StoreChangeEvent): string {
  const text = formatStoreChange(event);
  // A UTF-16 code unit takes at most 3 UTF-8 bytes: most payloads skip the encoding.
  if (text.length * 3 <= MAX_PAYLOAD_BYTES || encoder.encode(text).length <= MAX_PAYLOAD_BYTES) return text;
  return RESET;
}

/**
 * The revocation feed of a {@link PostgresStore}: one `LISTEN` (through the driver's own
 * connection) shared by every listener of the store, opened with the first and closed with the
 * last. Each notification is parsed once and handed to every listener; a payload that is not an
 * event is read as `reset` (drop everything), the safe reading. The feed's state reaches the
 * listeners (`connected`, `disconnected`) and the log, one line when the connection is lost (or
 * cannot be opened) and one when it listens again.
 */
export class PostgresChangeFeed {
  readonly #driver: SqlDriver & Required<Pick<SqlDriver, 'listen'>>;
  readonly #channel: string;
  readonly #log: (message: string) => void;
  readonly #listeners = new Set<StoreChangeListener>();
  #stop: Promise<() => Promise<void>> | null = null;
  #live = false;
  #lastError: unknown = null;
  /** When the connection was lost (ms since the epoch), or `null` while live or never lost. */
  #downSince: number | null = null;

  constructor(
    driver: SqlDriver & Required<Pick<SqlDriver, 'listen'>>,
    channel: string,
    log: (message: string) => void,
  ) {
    this.#driver = driver;
    this.#channel = channel;
    this.#log = log;
  }

  /** Adds a listener; resolves once the first `LISTEN` succeeded or failed (then it keeps trying). */
  async subscribe(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    if (this.#stop === null) {
      this.#stop = this.#driver.listen(this.#channel, this.#handlers);
      this.#stop.catch(() => undefined);
    } else if (this.#live) {
      listener.connected?.();
    } else if (this.#downSince !== null) {
      listener.disconnected?.(this.#lastError);
    }
    try {
      await this.#stop;
    } catch (error) {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop = null;
      throw error;
    }
    return async () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      await this.close();
    };
  }

  /** Stops listening and closes the feed's connection. */
  async close(): Promise<void> {
    const stopping = this.#stop;
    this.#stop = null;
    this.#live = false;
    this.#downSince = null;
    this.#listeners.clear();
    if (stopping === null) return;
    try {
      await (await stopping)();
    } catch {
      // A feed that never started has nothing to close.
    }
  }

  readonly #handlers: NotificationHandlers = {
    notification: (payload) => {
      const event = parseStoreChange(payload) ?? { type: 'reset' };
      for (const listener of this.#listeners) {
        try {
          listener.changed(event);
        } catch {
          // A listener's failure must not stop the others, nor the feed.
        }
      }
    },
    connected: () => {
      this.#live = true;
      if (this.#downSince !== null) {
        const seconds = ((Date.now() - this.#downSince) / 1000).toFixed(1);
        this.#log(
          `passport: the PostgreSQL change feed listens again on "${this.#channel}" after ${seconds} s; the read-through cache starts over`,
        );
      }
      this.#downSince = null;
      this.#lastError = null;
      for (const listener of this.#listeners) listener.connected?.();
    },
    disconnected: (error) => {
      this.#live = false;
      this.#lastError = error;
      if (this.#downSince === null) {
        this.#downSince = Date.now();
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        this.#log(
          `passport: the PostgreSQL change feed cannot listen on "${this.#channel}" (${reason}); reconnecting, and until then revocations made by other instances reach this one within revocationCacheSeconds`,
        );
      }
      for (const listener of this.#listeners) listener.disconnected?.(error);
    },
  };
}
