import type { AccessTokenRecord, ClientRecord } from './records.js';
import type { PassportStore, StoreChangeEvent, StoreChangeListener } from './store.js';

/** Options of {@link ReadThroughCache}. */
export interface ReadThroughCacheOptions {
  /**
   * Longest time, in seconds, a live lookup is reused. `0` disables the cache.
   * @default 5
   */
  seconds: number;
  /** Current time in milliseconds since the epoch (the passport's clock). */
  now: () => number;
  /**
   * Most entries kept per kind (access tokens, clients); the oldest entry is dropped first.
   * @default 10000
   */
  maxEntries?: number;
}

interface Entry<T> {
  record: T;
  /** Milliseconds since the epoch after which the entry is not used. */
  until: number;
}

/**
 * A read-through cache of the store: a short-lived, bounded, in-process cache of the rows the hot
 * paths read (the bearer path and client authentication), namely access token rows that were live
 * (found, not revoked, unexpired) and client rows that were not revoked. Missing or revoked rows
 * are never cached, so a refusal is always fresh.
 *
 * Correctness bound: an entry is reused for at most `seconds` (and never past the token's own
 * expiry). Revocations made through the {@link ReadThroughCache.wrap | wrapped store} (every
 * revocation a passport instance makes: `revokeAccessToken`, `revokeUserToken`, the revocation
 * endpoint, family revocation on code or refresh-token reuse, refresh rotation, client update,
 * secret regeneration, revocation and deletion) evict the affected entries when they complete,
 * and a lookup that overlaps such a revocation is not cached, so one instance is exact. A revocation
 * made elsewhere (another process, or directly on the store) is seen within `seconds`, or at once
 * when the store offers a change feed ({@link PassportStore.subscribeChanges}): the cache then
 * drops what each event names ({@link ReadThroughCache.apply}).
 *
 * Internal: `createPassport` builds one per instance from its `revocationCacheSeconds` option.
 */
export class ReadThroughCache {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #tokens = new Map<string, Entry<AccessTokenRecord>>();
  readonly #clients = new Map<string, Entry<ClientRecord>>();
  /** Incremented before and after every revoking write: a lookup that overlaps one is not cached. */
  #epoch = 0;

  constructor(options: ReadThroughCacheOptions) {
    this.#ttlMs = options.seconds * 1000;
    this.#max = options.maxEntries ?? 10_000;
    this.#now = options.now;
  }

  /** The bound in seconds (`0` when disabled). */
  get seconds(): number {
    return this.#ttlMs / 1000;
  }

  /** Whether anything is cached at all. */
  get enabled(): boolean {
    return this.#ttlMs > 0;
  }

  /** Number of cached access token and client entries (for tests and metrics). */
  get size(): { accessTokens: number; clients: number } {
    return { accessTokens: this.#tokens.size, clients: this.#clients.size };
  }

  /** The current write epoch; pass it back to `remember*` after the lookup. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The cached live access token row for `jti`, if one is still within its bound. */
  accessToken(jti: string, nowMs: number): AccessTokenRecord | undefined {
    return read(this.#tokens, jti, nowMs);
  }

  /**
   * Caches a live access token row looked up while the epoch was `epoch`, for the bound but never
   * past `expiresAtMs`. Ignored when the cache is off, the row is not live, or a revoking write
   * overlapped the lookup.
   */
  rememberAccessToken(record: AccessTokenRecord, epoch: number, nowMs: number): void {
    if (this.#ttlMs <= 0 || epoch !== this.#epoch || record.revoked) return;
    const until = Math.min(nowMs + this.#ttlMs, record.expiresAt.getTime());
    if (until <= nowMs) return;
    write(this.#tokens, record.id, { record, until }, this.#max);
  }

  /** The cached client row for `id`, if one is still within its bound. */
  client(id: string, nowMs: number): ClientRecord | undefined {
    return read(this.#clients, id, nowMs);
  }

  /**
   * Reads the client row `id` from `store` and caches it when it is live and no revoking write
   * overlapped the read: the miss path of every cached client lookup.
   */
  async loadClient(
    store: Pick<PassportStore, 'findClient'>,
    id: string,
    nowMs: number,
  ): Promise<ClientRecord | null> {
    const epoch = this.#epoch;
    const client = await store.findClient(id);
    if (client !== null) this.rememberClient(client, epoch, nowMs);
    return client;
  }

  /** Caches a client row that is not revoked (same rules as {@link rememberAccessToken}). */
  rememberClient(record: ClientRecord, epoch: number, nowMs: number): void {
    if (this.#ttlMs <= 0 || epoch !== this.#epoch || record.revoked) return;
    write(this.#clients, record.id, { record, until: nowMs + this.#ttlMs }, this.#max);
  }

  /** Drops every entry. */
  clear(): void {
    this.#epoch++;
    this.#tokens.clear();
    this.#clients.clear();
  }

  /**
   * Drops what a change names: access tokens by id, every cached token of a family, a client row
   * with every cached token of that client, or everything (`reset`). A lookup that overlaps the
   * change is not cached.
   */
  apply(event: StoreChangeEvent): void {
    this.#epoch++;
    if (event.type === 'accessTokens') {
      for (const id of event.ids) this.#tokens.delete(id);
    } else if (event.type === 'family') {
      this.#evictTokensWhere((record) => record.familyId === event.familyId);
    } else if (event.type === 'client') {
      this.#clients.delete(event.clientId);
      this.#evictTokensWhere((record) => record.clientId === event.clientId);
    } else {
      this.clear();
    }
  }

  #evictTokensWhere(matches: (record: AccessTokenRecord) => boolean): void {
    for (const [jti, entry] of this.#tokens) if (matches(entry.record)) this.#tokens.delete(jti);
  }

  /**
   * Subscribes to the store's change feed when it has one (and the cache is on), so revocations
   * made by other instances drop entries at once. The listener holds the cache weakly: a cache
   * nobody uses any more is collected, and its listener unsubscribes on the next event. After the
   * feed reconnects, events may have been missed: the cache is cleared.
   */
  follow(store: PassportStore): void {
    if (!this.enabled || store.subscribeChanges === undefined) return;
    const cache = new WeakRef<ReadThroughCache>(this);
    let unsubscribe: (() => Promise<void>) | null = null;
    let stale = false;
    let lost = false;
    const listener: StoreChangeListener = {
      changed(event) {
        const target = cache.deref();
        if (target === undefined) {
          stale = true;
          void unsubscribe?.().catch(() => {});
          return;
        }
        target.apply(event);
      },
      connected() {
        if (lost) cache.deref()?.clear();
        lost = false;
      },
      disconnected() {
        lost = true;
      },
    };
    store.subscribeChanges(listener).then(
      (stop) => {
        unsubscribe = stop;
        if (stale) void stop().catch(() => {});
      },
      // A feed that cannot start leaves the cache on its time bound, as without a feed.
      () => {},
    );
  }

  /**
   * A store that forwards every call to `store` and, around each write that can revoke an access
   * token or change a client, evicts what it affects (see the class description). Reads are not
   * cached here: the bearer path and client authentication consult the cache themselves.
   */
  wrap(store: PassportStore): PassportStore {
    /** Runs a revoking write: epoch bumped before and after, `evict` after (even on failure). */
    const revoking = async <T>(
      write: () => Promise<T>,
      evict: (result: T | undefined) => void,
    ): Promise<T> => {
      this.#epoch++;
      let result: T | undefined;
      try {
        result = await write();
        return result;
      } finally {
        evict(result);
        this.#epoch++;
      }
    };
    const evictToken = (jti: string | null | undefined): void => {
      if (jti !== null && jti !== undefined) this.#tokens.delete(jti);
    };
    const evictClient = (id: string, withTokens: boolean): void => {
      this.#clients.delete(id);
      if (withTokens) this.#evictTokensWhere((record) => record.clientId === id);
    };

    const wrapped: PassportStore = {
      createClient: (client) => store.createClient(client),
      findClient: (id) => store.findClient(id),
      updateClient: (id, update) =>
        revoking(
          () => store.updateClient(id, update),
          () => evictClient(id, false),
        ),
      deleteClient: (id) =>
        revoking(
          () => store.deleteClient(id),
          () => evictClient(id, true),
        ),
      listClientsByOwner: (ownerId) => store.listClientsByOwner(ownerId),
      listClients: () => store.listClients(),
      saveTokens: (tokens) => store.saveTokens(tokens),
      findAccessToken: (id) => store.findAccessToken(id),
      findRefreshToken: (id) => store.findRefreshToken(id),
      rotateRefreshToken: (id, now, next) =>
        revoking(
          () => store.rotateRefreshToken(id, now, next),
          (consumed) => evictToken(consumed?.accessTokenId),
        ),
      revokeAccessToken: (id) =>
        revoking(
          () => store.revokeAccessToken(id),
          () => evictToken(id),
        ),
      revokeRefreshToken: (id) => store.revokeRefreshToken(id),
      revokeFamily: (familyId) =>
        revoking(
          () => store.revokeFamily(familyId),
          () => this.#evictTokensWhere((record) => record.familyId === familyId),
        ),
      revokeClientTokens: (clientId) =>
        revoking(
          () => store.revokeClientTokens(clientId),
          () => evictClient(clientId, true),
        ),
      listUserTokens: (userId, options) => store.listUserTokens(userId, options),
      purge: (options) => store.purge(options),
      saveAuthCode: (code) => store.saveAuthCode(code),
      findAuthCode: (id) => store.findAuthCode(id),
      redeemAuthCode: (id, now, tokens) => store.redeemAuthCode(id, now, tokens),
      saveDeviceCode: (code) => store.saveDeviceCode(code),
      findDeviceCode: (id) => store.findDeviceCode(id),
      findDeviceCodeByUserCode: (userCode, now) => store.findDeviceCodeByUserCode(userCode, now),
      decideDeviceCode: (id, decision) => store.decideDeviceCode(id, decision),
      touchDeviceCode: (id, now, interval) =>
        interval === undefined ? store.touchDeviceCode(id, now) : store.touchDeviceCode(id, now, interval),
      redeemDeviceCode: (id, now, tokens) => store.redeemDeviceCode(id, now, tokens),
      useNonce: (id, expiresAt) => store.useNonce(id, expiresAt),
      hitRateLimit: (key, windowMs, now) => store.hitRateLimit(key, windowMs, now),
    };
    const { nextClientId, subscribeChanges, close } = store;
    if (nextClientId !== undefined) wrapped.nextClientId = () => nextClientId.call(store);
    if (subscribeChanges !== undefined) {
      wrapped.subscribeChanges = (listener) => subscribeChanges.call(store, listener);
    }
    if (close !== undefined) wrapped.close = () => close.call(store);
    return wrapped;
  }

  /** The clock the cache was built with (milliseconds since the epoch). */
  now(): number {
    return this.#now();
  }
}

function read<T>(map: Map<string, Entry<T>>, key: string, nowMs: number): T | undefined {
  const entry = map.get(key);
  if (entry === undefined) return undefined;
  if (entry.until <= nowMs) {
    map.delete(key);
    return undefined;
  }
  return entry.record;
}

function write<T>(map: Map<string, Entry<T>>, key: string, entry: Entry<T>, max: number): void {
  map.delete(key);
  if (map.size >= max) {
    // Maps iterate in insertion order: the first key is the oldest entry.
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, entry);
}
