import { type StoreChangeEvent, type StoreChangeListener, StoreUnavailableError } from '@passport/core';
import type { ChangeStream, Collection, Db } from 'mongodb';
import { isNotImplemented } from './errors.js';

/**
 * The revocation feed. Every revoking operation inserts one event document into the `changes`
 * collection, stamped with the writing instance's clock (one insert: an upsert stamped by the
 * server's `$currentDate` would first look for its `_id`, which FerretDB answers by reading the
 * whole collection); subscribers read that collection through a change stream where the server has
 * one (a replica set or sharded cluster), and by polling it otherwise (FerretDB, a standalone
 * MongoDB). A poll looks back {@link POLL_OVERLAP_MS} before the newest event it saw, so instances'
 * clocks may differ by that much; an event missed beyond it only leaves the cache's time bound
 * (`revocationCacheSeconds`) in charge, as without a feed.
 *
 * @module
 */

/** One published event. */
export interface ChangeDoc {
  /** A random UUID. */
  _id: string;
  /** When the event was written, by the writer's clock. */
  at: Date;
  event: StoreChangeEvent;
}

/** Writes one event: one insert. */
export async function publishChange(changes: Collection<ChangeDoc>, event: StoreChangeEvent): Promise<void> {
  await changes.insertOne({ _id: globalThis.crypto.randomUUID(), at: new Date(), event });
}

/**
 * How far back each poll looks again, in ms. Events of other writers may become visible a little
 * after their `at`; an event is delivered once (the feed remembers what it delivered in this span).
 */
const POLL_OVERLAP_MS = 5000;

/**
 * How often (in polls) a polling subscriber also deletes events older than the retention: a server
 * without TTL indexes (FerretDB) would otherwise keep them until `purge`, and every poll reads the
 * collection.
 */
const PRUNE_EVERY_POLLS = 20;

/** Delays between attempts after an error. */
const BACKOFF_MS = [250, 1000, 5000, 15_000];

/** How the feed reads the events. */
export type ChangeFeedMode = 'change stream' | 'polling';

/** One subscription to the `changes` collection. */
export class ChangeFeed {
  readonly #db: Db;
  readonly #changes: Collection<ChangeDoc>;
  readonly #listener: StoreChangeListener;
  readonly #pollMs: number;
  readonly #retentionMs: number;
  #stream: ChangeStream<ChangeDoc> | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** What the listener was last told: `true` after `connected`, `false` after `disconnected`. */
  #told: boolean | null = null;
  /** Set once the server refused a change stream: the feed polls from then on. */
  mode: ChangeFeedMode = 'change stream';

  constructor(
    db: Db,
    changes: Collection<ChangeDoc>,
    listener: StoreChangeListener,
    options: { pollMs: number; retentionMs: number },
  ) {
    this.#db = db;
    this.#changes = changes;
    this.#listener = listener;
    this.#pollMs = options.pollMs;
    this.#retentionMs = options.retentionMs;
  }

  /** Starts reading; resolves once the feed is live or has reported why it is not. Never rejects. */
  async start(): Promise<void> {
    let settled: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      settled = resolve;
    });
    this.#loop = this.#run(settled);
    await first;
  }

  /** Stops reading (the current read, if any, is abandoned). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#stream?.close().catch(() => undefined);
    await this.#loop;
  }

  #connected(): void {
    if (this.#told === true) return;
    this.#told = true;
    this.#listener.connected?.();
  }

  #disconnected(error: unknown): void {
    if (this.#told === false) return;
    this.#told = false;
    this.#listener.disconnected?.(error);
  }

  async #run(settled: () => void): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        if (this.mode === 'change stream') await this.#readStream(settled);
        else await this.#poll(settled);
        failures = 0;
      } catch (error) {
        if (this.#stopped) break;
        if (this.mode === 'change stream' && isNotImplemented(error)) {
          this.mode = 'polling';
          continue;
        }
        this.#disconnected(error);
        settled();
        await this.#sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 15_000);
        failures += 1;
      }
    }
    settled();
  }

  async #readStream(settled: () => void): Promise<void> {
    const stream = this.#changes.watch<ChangeDoc>([{ $match: { operationType: 'insert' } }]);
    this.#stream = stream;
    try {
      // tryNext runs the aggregate: a server without change streams refuses it here.
      let change = await stream.tryNext();
      this.#connected();
      settled();
      while (!this.#stopped) {
        if (change !== null && change.operationType === 'insert')
          this.#listener.changed(change.fullDocument.event);
        change = await stream.next();
      }
    } finally {
      this.#stream = null;
      await stream.close().catch(() => undefined);
    }
  }

  async #poll(settled: () => void): Promise<void> {
    const hello = await this.#db.admin().command({ hello: 1 });
    let cursor = hello.localTime instanceof Date ? hello.localTime.getTime() : 0;
    const delivered = new Map<string, number>();
    this.#connected();
    settled();
    for (let polls = 1; !this.#stopped; polls++) {
      if (polls % PRUNE_EVERY_POLLS === 0) {
        await this.#changes.deleteMany({ at: { $lt: new Date(cursor - this.#retentionMs) } });
      }
      const docs = await this.#changes
        .find({ at: { $gt: new Date(cursor - POLL_OVERLAP_MS) } })
        .sort({ at: 1 })
        .toArray();
      this.#connected();
      for (const doc of docs) {
        if (delivered.has(doc._id)) continue;
        const at = doc.at.getTime();
        delivered.set(doc._id, at);
        cursor = Math.max(cursor, at);
        this.#listener.changed(doc.event);
      }
      for (const [id, at] of delivered) if (at < cursor - POLL_OVERLAP_MS) delivered.delete(id);
      await this.#sleep(this.#pollMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** The error a listener gets when the store was created with `changeFeed: false`. */
export const FEED_OFF = new StoreUnavailableError('The MongoDB store was created with changeFeed: false');
