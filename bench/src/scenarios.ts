import type { Flow, StoreKind, TargetName } from './protocol.js';

/** One thing the harness measures: a server program, a request flow, a store and an algorithm. */
export interface Scenario {
  /** Stable id used on the command line and in RESULTS.md, e.g. `passport-memory-cc-rs256`. */
  id: string;
  /** Human label for tables. */
  label: string;
  /** `diagnostic` scenarios isolate one cost (the Fetch adapter) to explain the others. */
  family: 'floor' | 'passport' | 'peer' | 'diagnostic' | 'worst-case';
  target: TargetName;
  flow: Flow;
  store: StoreKind | null;
  alg: 'RS256' | 'ES256';
  /** The floor scenario this one is compared with: what the same work costs without any library. */
  floor: 'floor-token' | 'floor-verify' | 'diag-bare-http' | 'diag-floor-token-es256';
}

/** The peer servers, in table order. */
const PEERS = ['oidc-provider', 'node-oauth2-server', 'jmondi-oauth2-server'] as const;

/** Stores Passport is measured on, in table order. */
export const STORES: readonly StoreKind[] = ['memory', 'postgres', 'pglite', 'redis', 'mongo'];

/**
 * The flows measured on the Mongo store (on the test bed that is FerretDB, whose numbers say
 * little about MongoDB's): the token endpoint, refresh, code redemption and the bearer guard.
 */
const MONGO_FLOWS = new Set(['cc-rs256', 'authcode-pkce', 'refresh', 'guard']);

/** How a store is named in scenario labels. */
const STORE_LABELS: Readonly<Record<StoreKind, string>> = {
  memory: 'memory',
  postgres: 'postgres',
  pglite: 'pglite',
  redis: 'redis',
  mongo: 'mongo, measured on FerretDB',
};

const passportFlows: readonly {
  suffix: string;
  label: string;
  flow: Flow;
  alg: 'RS256' | 'ES256';
  floor: Scenario['floor'];
}[] = [
  {
    suffix: 'cc-rs256',
    label: 'token, client_credentials, RS256',
    flow: 'client-credentials',
    alg: 'RS256',
    floor: 'floor-token',
  },
  {
    suffix: 'cc-es256',
    label: 'token, client_credentials, ES256',
    flow: 'client-credentials',
    alg: 'ES256',
    floor: 'diag-floor-token-es256',
  },
  {
    suffix: 'authcode-pkce',
    label: 'token, authorization_code + PKCE, RS256',
    flow: 'authorization-code',
    alg: 'RS256',
    floor: 'floor-token',
  },
  {
    suffix: 'refresh',
    label: 'token, refresh_token rotation, RS256',
    flow: 'refresh-token',
    alg: 'RS256',
    floor: 'floor-token',
  },
  {
    suffix: 'introspect',
    label: 'introspection (RFC 7662), RS256',
    flow: 'introspection',
    alg: 'RS256',
    floor: 'floor-verify',
  },
  {
    suffix: 'guard',
    label: 'bearer guard, RS256',
    flow: 'bearer-guard',
    alg: 'RS256',
    floor: 'floor-verify',
  },
];

/**
 * Every scenario, in catalogue order: floors, Passport by store, the diagnostics (Fetch adapter,
 * ES256 floor and peers), the peers.
 */
export const SCENARIOS: readonly Scenario[] = [
  {
    id: 'floor-token',
    label: 'floor: node:http + form + SHA-256 secret + jose RS256 sign',
    family: 'floor',
    target: 'floor-token',
    flow: 'client-credentials',
    store: null,
    alg: 'RS256',
    floor: 'floor-token',
  },
  {
    id: 'floor-verify',
    label: 'floor: node:http + jose RS256 verify',
    family: 'floor',
    target: 'floor-verify',
    flow: 'bearer-guard',
    store: null,
    alg: 'RS256',
    floor: 'floor-verify',
  },
  ...STORES.flatMap((store) =>
    passportFlows
      .filter((f) => store !== 'mongo' || MONGO_FLOWS.has(f.suffix))
      .map(
        (f): Scenario => ({
          id: `passport-${store}-${f.suffix}`,
          label: `Passport (${STORE_LABELS[store]}): ${f.label}`,
          family: 'passport',
          target: 'passport',
          flow: f.flow,
          store,
          alg: f.alg,
          floor: f.floor,
        }),
      ),
  ),
  {
    id: 'diag-bare-http',
    label: 'diagnostic: node:http + form parse + JSON answer, no crypto',
    family: 'diagnostic',
    target: 'diag-bare-http',
    flow: 'client-credentials',
    store: null,
    alg: 'RS256',
    floor: 'diag-bare-http',
  },
  {
    id: 'diag-fetch-adapter',
    label: "diagnostic: the same through @passport/http/node's toNodeListener and a Fetch handler",
    family: 'diagnostic',
    target: 'diag-fetch-adapter',
    flow: 'client-credentials',
    store: null,
    alg: 'RS256',
    floor: 'diag-bare-http',
  },
  {
    id: 'diag-passport-memory-guard-fetch',
    label:
      'diagnostic: Passport (memory): bearer guard as a Fetch handler (requireClient) through toNodeListener',
    family: 'diagnostic',
    target: 'passport',
    flow: 'bearer-guard-fetch',
    store: 'memory',
    alg: 'RS256',
    floor: 'floor-verify',
  },
  {
    id: 'diag-floor-token-es256',
    label: 'diagnostic: floor-token signing ES256',
    family: 'diagnostic',
    target: 'floor-token',
    flow: 'client-credentials',
    store: null,
    alg: 'ES256',
    floor: 'diag-floor-token-es256',
  },
  ...PEERS.map(
    (target): Scenario => ({
      id: `diag-peer-${target}-es256`,
      label: `diagnostic: ${peerPackage(target)} signing ES256`,
      family: 'diagnostic',
      target,
      flow: 'client-credentials',
      store: null,
      alg: 'ES256',
      floor: 'diag-floor-token-es256',
    }),
  ),
  {
    id: 'worst-case',
    label:
      'worst case: a corpus of hostile requests to every endpoint, the costliest CPU per request against its endpoint median',
    family: 'worst-case',
    target: 'passport',
    flow: 'worst-case',
    store: 'memory',
    alg: 'ES256',
    floor: 'diag-floor-token-es256',
  },
  ...PEERS.map(
    (target): Scenario => ({
      id: `peer-${target}`,
      label: `${peerPackage(target)}: token, client_credentials, RS256`,
      family: 'peer',
      target,
      flow: 'client-credentials',
      store: null,
      alg: 'RS256',
      floor: 'floor-token',
    }),
  ),
];

/** The npm package behind a peer target. */
export function peerPackage(target: TargetName): string {
  switch (target) {
    case 'oidc-provider':
      return 'oidc-provider';
    case 'node-oauth2-server':
      return '@node-oauth/oauth2-server';
    case 'jmondi-oauth2-server':
      return '@jmondi/oauth2-server';
    default:
      return target;
  }
}

/**
 * Selects scenarios by id. Each pattern is an exact id or a prefix ending in `*`
 * (`passport-memory-*`). Unknown patterns throw, so a typo never silently measures nothing.
 *
 * @example
 * selectScenarios(['floor-*', 'passport-memory-cc-rs256']);
 */
export function selectScenarios(patterns: readonly string[] | null): Scenario[] {
  if (patterns === null || patterns.length === 0) return [...SCENARIOS];
  const chosen = new Set<string>();
  for (const pattern of patterns) {
    const matches = pattern.endsWith('*')
      ? SCENARIOS.filter((s) => s.id.startsWith(pattern.slice(0, -1)))
      : SCENARIOS.filter((s) => s.id === pattern);
    if (matches.length === 0) {
      throw new TypeError(
        `No scenario matches "${pattern}". Known ids: ${SCENARIOS.map((s) => s.id).join(', ')}`,
      );
    }
    for (const s of matches) chosen.add(s.id);
  }
  return SCENARIOS.filter((s) => chosen.has(s.id));
}

/**
 * The order of pass `pass` (0-based): the catalogue order on even passes, reversed on odd ones, so
 * a scenario measured early in one pass is measured late in the next and slow drift of the
 * machine (thermal, other load) falls on every contender alike.
 */
export function passOrder<T>(items: readonly T[], pass: number): T[] {
  return pass % 2 === 0 ? [...items] : [...items].reverse();
}
