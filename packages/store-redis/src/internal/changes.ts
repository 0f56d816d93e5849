import { parseStoreChange, type StoreChangeListener } from '@passport/core';
import type { Cluster, Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../connection.js';

/**
 * The revocation feed over Redis pub/sub: one dedicated subscriber connection per store (a
 * connection in subscriber mode cannot run other commands), opened with the first listener and
 * closed with the last. ioredis reconnects it and subscribes again by itself; listeners hear
 * `disconnected` when it drops and `connected` once it listens again (events published in
 * between are lost, which is what `disconnected` tells the cache).
 */
export class ChangeFeed {
  readonly #client: RedisClient;
  readonly #channel: string;
  readonly #listeners = new Set<StoreChangeListener>();
  #subscriber: Redis | Cluster | null = null;
  #live = false;
  #lastError: unknown = null;

  constructor(client: RedisClient, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  /**
   * Adds a listener; resolves once the subscription is live, or after `waitMs` without a server
   * (the listener then hears `connected` when it comes).
   */
  async subscribe(listener: StoreChangeListener, waitMs: number): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    if (this.#subscriber === null) this.#open();
    else if (this.#live) listener.connected?.();
    if (!this.#live) await this.#whenLive(waitMs);
    return async () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      await this.close();
    };
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = null;
    this.#live = false;
    this.#listeners.clear();
    if (subscriber === null) return;
    subscriber.removeAllListeners();
    subscriber.on('error', () => undefined);
    subscriber.disconnect();
  }

  #open(): void {
    // A subscriber waits for its server: its SUBSCRIBE may queue while (re)connecting.
    const subscriber = isCluster(this.#client)
      ? this.#client.duplicate(undefined, {
          enableOfflineQueue: true,
          redisOptions: { ...this.#client.options.redisOptions, maxRetriesPerRequest: null },
        })
      : this.#client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, lazyConnect: false });
    this.#subscriber = subscriber;
    subscriber.on('error', (error: unknown) => {
      this.#lastError = error;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      const event = parseStoreChange(message);
      if (event === null) return;
      for (const listener of this.#listeners) {
        try {
          listener.changed(event);
        } catch {
          // A listener's failure must not stop the others.
        }
      }
    });
    subscriber.on('ready', () => {
      void this.#listen(subscriber);
    });
    subscriber.on('close', () => {
      if (!this.#live || this.#subscriber !== subscriber) return;
      this.#live = false;
      const error = this.#lastError ?? new Error('The Redis subscriber connection closed');
      for (const listener of this.#listeners) listener.disconnected?.(error);
    });
    if (subscriber.status === 'ready') void this.#listen(subscriber);
  }

  #waiting: Array<() => void> = [];

  #whenLive(waitMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#waiting.push(done);
    });
  }

  /** Subscribes (again: idempotent after ioredis's own resubscription) and reports the feed live. */
  async #listen(subscriber: Redis | Cluster): Promise<void> {
    try {
      await subscriber.subscribe(this.#channel);
    } catch (error) {
      this.#lastError = error;
      return;
    }
    if (this.#subscriber !== subscriber || this.#live) return;
    this.#live = true;
    this.#lastError = null;
    for (const listener of this.#listeners) listener.connected?.();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const done of waiting) done();
  }
}
