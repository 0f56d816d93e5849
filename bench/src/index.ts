/**
 * @passport/bench: the benchmark harness as a library, for its own tests.
 * The command is `pnpm bench` (see cli.ts).
 *
 * @packageDocumentation
 */
export { type BenchOptions, generateSharedKeys, type RunRecord, runBench } from './harness.js';
export type { Flow, LoadPlan, ServerConfig, StoreKind, TargetName } from './protocol.js';
export {
  evaluateTargets,
  renderMarkdown,
  type ScenarioSummary,
  summarize,
  type TargetResult,
} from './report.js';
export { passOrder, SCENARIOS, type Scenario, selectScenarios } from './scenarios.js';
export {
  runWorstCase,
  WORST_CASE_LIMIT,
  type WorstCaseOptions,
  type WorstCaseReport,
  type WorstCaseRow,
} from './worst-case.js';
