interface Waiting<V> {
  id: string;
  resolve(value: V | null): void;
  reject(error: unknown): void;
}

/** How a {@link ReadCoalescer} reads: one row by id, or the rows of several ids in one statement. */
export interface CoalescedReads<V> {
  /** Reads one row by its id (`WHERE id = $1`). */
  one(id: string): Promise<V | null>;
  /** Reads the rows of every id in ONE statement (`WHERE id = ANY($1)`), keyed by id. */
  many(ids: readonly string[]): Promise<Map<string, V>>;
}

/**
 * Coalesced primary-key reads. A read that finds no read of its kind in flight is sent at once,
 * alone (never delayed); reads that arrive while one is in flight wait for it and then go together,
 * at most `maxBatch` distinct ids per statement, as the next one. Under load, many requests share
 * one round trip; a lone request costs what it did.
 *
 * A read is sent only after it was asked for, so it sees every write that completed before it was
 * asked (read-your-writes holds as without coalescing). A failed statement fails every read of its
 * batch with the same error, as it would have failed each alone.
 */
export class ReadCoalescer<V> {
  readonly #reads: CoalescedReads<V>;
  readonly #maxBatch: number;
  #waiting: Waiting<V>[] = [];
  #inFlight = false;

  constructor(reads: CoalescedReads<V>, maxBatch: number) {
    this.#reads = reads;
    this.#maxBatch = maxBatch;
  }

  /** Reads the row of `id`: alone at once when nothing is in flight, else with the next batch. */
  read(id: string): Promise<V | null> {
    if (!this.#inFlight) {
      this.#inFlight = true;
      const alone = this.#reads.one(id);
      void alone.then(this.#next, this.#next);
      return alone;
    }
    return new Promise<V | null>((resolve, reject) => {
      this.#waiting.push({ id, resolve, reject });
    });
  }

  /** Sends what waited meanwhile as one statement, or marks the coalescer idle. */
  readonly #next = (): void => {
    if (this.#waiting.length === 0) {
      this.#inFlight = false;
      return;
    }
    const batch: Waiting<V>[] = [];
    const ids = new Set<string>();
    let taken = 0;
    for (const waiting of this.#waiting) {
      if (!ids.has(waiting.id)) {
        if (ids.size === this.#maxBatch) break;
        ids.add(waiting.id);
      }
      batch.push(waiting);
      taken += 1;
    }
    this.#waiting.splice(0, taken);
    const sent =
      ids.size === 1
        ? this.#reads.one(batch[0]?.id as string).then((row) => {
            for (const waiting of batch) waiting.resolve(row);
          })
        : this.#reads.many([...ids]).then((rows) => {
            for (const waiting of batch) waiting.resolve(rows.get(waiting.id) ?? null);
          });
    void sent
      .catch((error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      })
      .then(this.#next);
  };
}
