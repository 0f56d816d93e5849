/**
 * @passport/store-memory: the in-memory reference `PassportStore` for tests, examples and
 * benchmarks. It passes the whole `@passport/store-testkit` conformance suite.
 *
 * @packageDocumentation
 */
export {
  createMemoryStore,
  MemoryStore,
  type SimulateOutageOptions,
  type StoreMethodName,
} from './memory-store.js';
