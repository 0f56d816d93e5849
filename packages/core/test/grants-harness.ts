/**
 * Shared set-up of the grant tests: a real memory store, a fixed injectable clock and a passport.
 * Not a test file itself.
 */
import { createMemoryStore, type MemoryStore } from '@passport/store-memory';
import { KeySet } from '../src/keys/key-set.js';
import type { PassportOptions, ServerContext } from '../src/options.js';
import { contextOf, createPassport, type Passport } from '../src/passport.js';
import type { ClientRecord, GrantType } from '../src/stores/records.js';

let sharedKeys: Promise<KeySet> | undefined;

/** One ES256 key set for the whole run (key generation is the slow part). */
export function testKeys(): Promise<KeySet> {
  sharedKeys ??= KeySet.generate('ES256');
  return sharedKeys;
}

export const ISSUER = 'https://auth.example';
export const START = Date.UTC(2026, 0, 1, 12, 0, 0);

export interface Harness {
  passport: Passport;
  /** The passport's internal context, for calling grant and endpoint functions directly. */
  ctx: ServerContext;
  store: MemoryStore;
  /** Current fake time (ms). */
  now(): number;
  /** Moves the fake clock forward. */
  advance(seconds: number): void;
}

/** Options of {@link setup} that shape the harness rather than the passport. */
export interface HarnessOptions {
  /**
   * Let the passport subscribe to the memory store's change feed. Off, the passport sees what is
   * done directly on `store` as it would see another instance's writes without a feed: within
   * its `revocationCacheSeconds` bound.
   * @default true
   */
  changeFeed?: boolean;
}

export async function setup(
  overrides: Partial<PassportOptions> = {},
  harness: HarnessOptions = {},
): Promise<Harness> {
  const store = createMemoryStore();
  let now = START;
  const passport = createPassport({
    issuer: ISSUER,
    store: harness.changeFeed === false ? withoutChangeFeed(store) : store,
    keys: await testKeys(),
    scopes: { read: 'Read things', write: 'Write things', admin: 'Administer' },
    clock: () => now,
    ...overrides,
  });
  return {
    passport,
    ctx: contextOf(passport),
    store,
    now: () => now,
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
}

/** `store` as a store without a change feed (every other method forwards to it). */
export function withoutChangeFeed(store: MemoryStore): MemoryStore {
  return new Proxy(store, {
    get: (target, property) => {
      if (property === 'subscribeChanges') return undefined;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export interface ClientOptions {
  confidential?: boolean;
  redirectUris?: string[];
  grantTypes?: GrantType[];
  scopes?: string[] | null;
  firstParty?: boolean;
}

export async function makeClient(
  h: Harness,
  options: ClientOptions = {},
): Promise<{ client: ClientRecord; secret: string | null }> {
  const { client, plainSecret } = await h.passport.clients.create({
    name: 'Test client',
    redirectUris: options.redirectUris ?? ['https://app.example/callback'],
    grantTypes: options.grantTypes ?? ['authorization_code', 'refresh_token'],
    confidential: options.confidential ?? true,
    scopes: options.scopes ?? null,
    firstParty: options.firstParty ?? false,
  });
  return { client, secret: plainSecret };
}

/** `Authorization: Basic` header value per RFC 6749 2.3.1 (form-urlencoded, then base64). */
export function basic(id: string, secret: string): string {
  const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, '+');
  return `Basic ${btoa(`${enc(id)}:${enc(secret)}`)}`;
}

export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
/** S256 challenge of {@link VERIFIER}: BASE64URL(SHA256(verifier)). */
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** Query of a redirect URL as an object. */
export function query(url: string): Record<string, string> {
  return Object.fromEntries(new URL(url).searchParams);
}

/** Fragment of a redirect URL as an object. */
export function fragment(url: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(new URL(url).hash.slice(1)));
}

/** Runs the authorize step for `user` and returns the code. */
export async function authorize(
  h: Harness,
  client: ClientRecord,
  extra: Record<string, string> = {},
  user = { id: 'user-1' },
): Promise<string> {
  const request = await h.passport.validateAuthorizationRequest(
    new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...extra,
    }),
  );
  const url = await h.passport.approveAuthorizationRequest(request, user);
  const code = query(url).code;
  if (code === undefined) throw new Error(`no code in ${url}`);
  return code;
}

/** Catches the rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
