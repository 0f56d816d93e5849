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
export function changePipeline(names: MongoCollectionNames): Document[] {
  return [
    {
      $match: {
        'ns.coll': { $in: [names.tokens, names.clients] },
        operationType: { $in: ['update', 'replace', 'delete'] },
      },
    },
    { $project: { operationType: 1, ns: 1, documentKey: 1, 'updateDescription.updatedFields.revoked': 1 } },
  ];
}

/** Delays between attempts to reopen a broken stream. */
const BACKOFF_MS = [250, 1000, 5000, 15_000];

/** One subscription: a change stream read in a loop, reopened after errors it cannot resume. */
export class ChangeFeed {
  readonly #db: Db;
  readonly #names: MongoCollectionNames;
  readonly #listener: StoreChangeListener;
  readonly #enabled: boolean;
  #stream: ChangeStream | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

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
   * Opens the stream and resolves once it is live (`connected`) or known to be unavailable
   * (`disconnected`). Never rejects: the feed is an optimisation over the cache's time bound.
   */
  async start(): Promise<void> {
    if (!this.#enabled) {
      this.#disconnected(
        new StoreUnavailableError('The MongoDB store was created with changeStreams: false'),
      );
      return;
    }
    let opened: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      opened = resolve;
    });
    this.#loop = this.#run(opened);
    await first;
  }

  /** Closes the stream and ends the loop. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#stream?.close().catch(() => undefined);
    await this.#loop;
  }

  async #run(opened: () => void): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      try {
        const stream = this.#db.watch(changePipeline(this.#names));
        this.#stream = stream;
        // tryNext runs the aggregate: a server without change streams refuses it here.
        const first = await stream.tryNext();
        failures = 0;
        this.#listener.connected?.();
        opened();
        if (first !== null) this.#deliver(first);
        while (!this.#stopped) {
          const change = await stream.next();
          this.#deliver(change);
        }
      } catch (error) {
        if (this.#stopped) break;
        const unsupported = isNotImplemented(error);
        this.#disconnected(
          unsupported
            ? new StoreUnavailableError(
                'This server has no change streams (FerretDB, or MongoDB without a replica set): revocations made by other instances reach this instance within the cache time bound',
                { cause: error },
              )
            : error,
        );
        opened();
        await this.#stream?.close().catch(() => undefined);
        this.#stream = null;
        if (unsupported) return;
        await this.#sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)] ?? 15_000);
        failures += 1;
      }
    }
  }

  #deliver(change: Document): void {
    const event = toChangeEvent(this.#names, change as ChangeLike);
    if (event !== null) this.#listener.changed(event);
  }

  #disconnected(error: unknown): void {
    this.#listener.disconnected?.(error);
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
