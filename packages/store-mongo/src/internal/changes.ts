import { StoreUnavailableError } from '@passport/core';
import type { ChangeStream, Db, Document } from 'mongodb';
import type { MongoCollectionNames } from '../indexes.js';
import type { StoreChangeEvent, StoreChangeListener } from './contract.js';
import { isNotImplemented } from './errors.js';

/**
 * The revocation feed over a MongoDB change stream.
 *
 * @module
 */

/** The part of a change stream event the feed reads. */
export interface ChangeLike {
  operationType?: string;
  ns?: { coll?: string };
  documentKey?: { _id?: unknown };
  updateDescription?: { updatedFields?: Record<string, unknown> };
}

/**
 * The store event a change stream event means, or `null`. Token documents: an update that sets
 * `revoked: true` (revokeAccessToken, the old access token of a rotation, revokeFamily and
 * revokeClientTokens, one event per document), a replace or a delete → `accessTokens` with the
 * document's `_id` (the jti). Client documents: any update, replace or delete → `client`.
 */
export function toChangeEvent(names: MongoCollectionNames, change: ChangeLike): StoreChangeEvent | null {
  const id = change.documentKey?._id;
  if (typeof id !== 'string') return null;
  const collection = change.ns?.coll;
  const operation = change.operationType;
  if (collection === names.clients) {
    return operation === 'update' || operation === 'replace' || operation === 'delete'
      ? { type: 'client', clientId: id }
      : null;
  }
  if (collection === names.tokens) {
    if (operation === 'delete' || operation === 'replace') return { type: 'accessTokens', ids: [id] };
    if (operation === 'update' && change.updateDescription?.updatedFields?.revoked === true) {
      return { type: 'accessTokens', ids: [id] };
    }
  }
  return null;
}

/** The change stream pipeline: only the events {@link toChangeEvent} can turn into store events. */
export function changePipeline(): Document[] {
  return [
    { $match: { operationType: { $in: ['update', 'replace', 'delete'] } } },
    { $project: { operationType: 1, ns: 1, documentKey: 1, 'updateDescription.updatedFields.revoked': 1 } },
  ];
}

/** Delays between attempts to reopen a broken stream. */
const BACKOFF_MS = [250, 1000, 5000, 15_000];

/**
 * One subscription: a change stream per watched collection (tokens, clients), each read in a
 * loop and reopened after errors it cannot resume. `connected` fires when every stream is live,
 * `disconnected` when one breaks.
 */
export class ChangeFeed {
  readonly #db: Db;
  readonly #names: MongoCollectionNames;
  readonly #listener: StoreChangeListener;
  readonly #enabled: boolean;
  readonly #streams = new Set<ChangeStream>();
  readonly #live = new Set<string>();
  #stopped = false;
  /** What the listener was last told: `true` after `connected`, `false` after `disconnected`. */
  #told: boolean | null = null;
  #loops: Promise<void>[] = [];
  readonly #wakers = new Set<() => void>();

  constructor(
    db: Db,
    names: MongoCollectionNames,
    listener: StoreChangeListener,
    options: { enabled: boolean },
  ) {
    this.#db = db;
    this.#names = names;
    this.#listener = listener;
    this.#enabled = options.enabled;
  }

  /**
   * Opens the streams and resolves once each is live or known to be unavailable. Never rejects:
   * the feed is an optimisation over the cache's time bound.
   */
  async start(): Promise<void> {
    if (!this.#enabled) {
      this.#listener.disconnected?.(
        new StoreUnavailableError('The MongoDB store was created with changeStreams: false'),
      );
      return;
    }
    const firsts: Promise<void>[] = [];
    for (const collection of [this.#names.tokens, this.#names.clients]) {
      let opened: () => void = () => undefined;
      firsts.push(
        new Promise<void>((resolve) => {
          opened = resolve;
        }),
      );
      this.#loops.push(this.#run(collection, opened));
    }
    await Promise.all(firsts);
  }

  /** Closes the streams and ends the loops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const wake of this.#wakers) wake();
    await Promise.all([...this.#streams].map((stream) => stream.close().catch(() => undefined)));
    await Promise.all(this.#loops);
  }

  async #run(collection: string, opened: () => void): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const stream = this.#db.collection(collection).watch(changePipeline());
      this.#streams.add(stream);
      try {
        // tryNext runs the aggregate: a server without change streams refuses it here.
        const first = await stream.tryNext();
        failures = 0;
        this.#live.add(collection);
        if (this.#live.size === 2 && this.#told !== true) {
          this.#told = true;
          this.#listener.connected?.();
        }
        opened();
        if (first !== null) this.#deliver(first);
        while (!this.#stopped) this.#deliver(await stream.next());
      } catch (error) {
        if (this.#stopped) break;
        const unsupported = isNotImplemented(error);
        this.#live.delete(collection);
        // One report per outage of the feed, whichever stream noticed first.
        if (this.#told !== false) {
          this.#told = false;
          this.#listener.disconnected?.(
            unsupported
              ? new StoreUnavailableError(
                  'This server has no change streams (FerretDB, or MongoDB without a replica set): revocations made by other instances reach this instance within the cache time bound',
                  { cause: error },
                )
              : error,
          );
        }
        opened();
        if (unsupported) return;
        await this.#sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 15_000);
        failures += 1;
      } finally {
        this.#streams.delete(stream);
        await stream.close().catch(() => undefined);
      }
    }
  }

  #deliver(change: Document): void {
    const event = toChangeEvent(this.#names, change as ChangeLike);
    if (event !== null) this.#listener.changed(event);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }
}
