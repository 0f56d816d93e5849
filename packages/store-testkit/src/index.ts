/**
 * @passport/store-testkit: the conformance suites every `PassportStore` runs, and record builders
 * for tests.
 *
 * @packageDocumentation
 */
export {
  runStoreConformance,
  type StoreConformanceOptions,
  type StoreConformanceReport,
} from './conformance.js';
export {
  type ClientIdType,
  FIXTURE_LIFETIMES,
  makeAccessToken,
  makeAuthCode,
  makeClient,
  makeDeviceCode,
  makeRefreshToken,
  makeTokenPair,
  makeUserCode,
  newClientId,
  randomHex,
  type TokenPairOverrides,
  uniqueId,
  useClientIdType,
} from './fixtures.js';
export { type FlowSuiteContext, registerFlowSuites } from './flows/index.js';
export type { DescribeFn, SkipEntry, SuiteApi, TestBody, TestFn } from './internal/registry.js';
