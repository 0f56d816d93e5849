import { runStoreConformance } from '@passport/store-testkit';
import { MemoryStore } from '../src/index.js';

// A fresh store for every test.
runStoreConformance({ name: 'memory', createStore: () => new MemoryStore() });

// One store for the whole run, emptied before each test: exercises `clear()` and the kit's
// shared-store lifecycle. The memory store keeps client ids as given, whatever their kind: this
// run uses free-text ids.
runStoreConformance({
  name: 'memory (shared, reset with clear, text client ids)',
  createStore: () => new MemoryStore(),
  reset: (store) => store.clear(),
  clientIdType: 'text',
});

// Integer client ids as decimal strings, as a store with an integer identity hands them out.
runStoreConformance({
  name: 'memory (integer client ids)',
  createStore: () => new MemoryStore(),
  clientIdType: 'bigint',
});
