/**
 * A secondary index: one key to many ids, in insertion order. Empty buckets are removed so the
 * index never grows beyond the rows it points to.
 */
export class MultiIndex {
  readonly #buckets = new Map<string, Set<string>>();

  /** Adds `id` under `key`. */
  add(key: string, id: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) this.#buckets.set(key, new Set([id]));
    else bucket.add(id);
  }

  /** Removes `id` from under `key`. */
  delete(key: string, id: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return;
    bucket.delete(id);
    if (bucket.size === 0) this.#buckets.delete(key);
  }

  /** The ids under `key`, in insertion order (a snapshot, safe to iterate while mutating). */
  get(key: string): string[] {
    const bucket = this.#buckets.get(key);
    return bucket === undefined ? [] : [...bucket];
  }

  /** Whether any id is stored under `key`. */
  has(key: string): boolean {
    return this.#buckets.has(key);
  }

  /** Drops every entry. */
  clear(): void {
    this.#buckets.clear();
  }
}
