import { StoreConflictError, StoreInvalidInputError } from '@passport/core';

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

/** How a {@link WriteCoalescer} writes: one item alone, or several in one statement. */
export interface CoalescedWrites<T> {
  /** Writes one item with its own statement (also the retry of a batch that failed on one item). */
  one(item: T): Promise<void>;
  /** Writes every item in ONE statement: all of them, or none when it fails. */
  many(items: readonly T[]): Promise<void>;
}

/**
 * Group commit for independent inserts. A write that finds nothing in flight is sent at once, alone
 * (never delayed); writes that arrive while a statement is in flight wait for it and then go
 * together, at most `maxBatch` per statement, as the next one. So a lone request costs what it did,
 * and under load many requests share one round trip and one commit.
 *
 * Every write keeps its own outcome. A batch is one statement, so it stores all of its writes or
 * none. When it fails on a value (`StoreConflictError`: a taken id; `StoreInvalidInputError`: a
 * value a column cannot hold), each of its writes is retried alone, so only the write at fault
 * fails; any other failure (`StoreUnavailableError`: the outcome is unknown) reaches every write of
 * the batch, as it would have reached each alone.
 */
export class WriteCoalescer<T> {
  readonly #writes: CoalescedWrites<T>;
  readonly #maxBatch: number;
  #waiting: Waiting<T>[] = [];
  #inFlight = false;
  #idle: (() => void)[] = [];

  constructor(writes: CoalescedWrites<T>, maxBatch: number) {
    this.#writes = writes;
    this.#maxBatch = maxBatch;
  }

  /** Writes `item`, alone at once when nothing is in flight, else with the next batch. */
  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#inFlight) this.#flush();
    });
  }

  /** Resolves once nothing is waiting or in flight (before the store closes its connections). */
  drained(): Promise<void> {
    if (!this.#inFlight && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #flush(): void {
    const batch = this.#waiting.splice(0, this.#maxBatch);
    if (batch.length === 0) {
      this.#inFlight = false;
      for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#inFlight = true;
    void this.#send(batch).then(() => this.#flush());
  }

  async #send(batch: Waiting<T>[]): Promise<void> {
    const first = batch[0] as Waiting<T>;
    if (batch.length === 1) {
      await this.#writes.one(first.item).then(first.resolve, first.reject);
      return;
    }
    try {
      await this.#writes.many(batch.map((waiting) => waiting.item));
    } catch (error) {
      if (error instanceof StoreConflictError || error instanceof StoreInvalidInputError) {
        // Nothing of the batch was written: each write alone, in the order they were made (of two
        // writes with one id the first wins, as without coalescing), so only the one at fault fails.
        for (const waiting of batch)
          await this.#writes.one(waiting.item).then(waiting.resolve, waiting.reject);
      } else {
        for (const waiting of batch) waiting.reject(error);
      }
      return;
    }
    for (const waiting of batch) waiting.resolve();
  }
}
