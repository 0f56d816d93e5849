// The memory store: the baseline column of the runtime matrix (no driver, no server).
import { MemoryStore } from '@passport/store-memory';

/** A fresh in-memory store. */
export async function openStore() {
  return new MemoryStore();
}
