import { runStoreConformance } from '@passport/store-testkit';
import { MemoryStore } from '../src/index.js';

// A fresh store for every test.
runStoreConformance({ name: 'memory', createStore: () => new MemoryStore() });

// One store for the whole run, emptied before each test: exercises `clear()` and the kit's
// shared-store lifecycle.
runStoreConformance({
  name: 'memory (shared, reset with clear)',
  createStore: () => new MemoryStore(),
  reset: (store) => store.clear(),
});
