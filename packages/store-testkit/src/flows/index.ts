import type { PassportStore } from '@passport/core';
import type { DescribeFn, TestFn } from '../internal/registry.js';
import { registerAuthorizationCodeFlow } from './authorization-code.js';
import { registerClientCredentialsFlow } from './client-credentials.js';
import { registerDeviceFlow } from './device.js';
import { registerImplicitFlow } from './implicit.js';
import { registerIntrospectionFlow } from './introspection.js';
import { registerPasswordFlow } from './password.js';
import { registerPersonalAccessFlow } from './personal-access.js';
import { registerRateLimitFlow } from './rate-limits.js';
import { registerRefreshFlow } from './refresh.js';
import { registerRequestValidationFlow } from './requests.js';
import { registerRevocationFlow } from './revocation.js';

/** What {@link registerFlowSuites} receives from `runStoreConformance`. */
export interface FlowSuiteContext {
  /** The store's name, as given to `runStoreConformance`. */
  name: string;
  /**
   * The store under test, fresh (or reset) for every test. Only callable inside a test body, not
   * while suites are being registered.
   */
  getStore: () => PassportStore;
  /**
   * Opens a group whose tests honour the `skip` list of `runStoreConformance` (full names start
   * with `'flows > …'` when the flow suites group themselves under `flows`).
   */
  describe: DescribeFn;
  /** Registers a test that honours the `skip` list. */
  it: TestFn;
}

/** The flow suites, in registration order: one `register…` function per `src/flows/*.ts` module. */
const FLOW_SUITES: ReadonlyArray<(context: FlowSuiteContext) => void> = [
  registerAuthorizationCodeFlow,
  registerRefreshFlow,
  registerClientCredentialsFlow,
  registerPasswordFlow,
  registerDeviceFlow,
  registerRevocationFlow,
  registerIntrospectionFlow,
  registerPersonalAccessFlow,
  registerImplicitFlow,
  registerRequestValidationFlow,
  registerRateLimitFlow,
];

/**
 * Registers the end-to-end OAuth flow suites: every grant driven through core's facade against
 * the store under test (authorization code with PKCE and replay detection, refresh rotation and
 * reuse detection, client credentials, password, device code, revocation, introspection,
 * personal access tokens, implicit, and request validation).
 * `runStoreConformance` calls it once per store, after the storage suites, inside the store's
 * top-level group.
 *
 * Each flow suite is a `src/flows/*.ts` module exporting a `register…(context)` function, listed
 * in `FLOW_SUITES` above, that registers its tests through `context.describe` / `context.it` so
 * a store's skip list applies to them too; `fixture.ts` is their shared harness.
 *
 * @example
 * ```ts
 * // src/flows/refresh.ts
 * export function registerRefreshFlow({ describe, getStore }: FlowSuiteContext): void {
 *   describe('flows', (flows) => {
 *     flows.it('rotates the refresh token and revokes the family on reuse', async () => {
 *       const f = await createFlowPassport(getStore());
 *       ...
 *     });
 *   });
 * }
 * ```
 */
export function registerFlowSuites(context: FlowSuiteContext): void {
  for (const register of FLOW_SUITES) register(context);
}
