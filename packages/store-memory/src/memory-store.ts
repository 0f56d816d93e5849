import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
  type IssuedTokens,
  type PassportStore,
  type PurgeOptions,
  type PurgeResult,
  type RateLimitHit,
  type RefreshTokenRecord,
  type StoreChangeEvent,
  type StoreChangeListener,
  StoreConflictError,
  StoreUnavailableError,
} from '@passport/core';
import { copyAccessToken, copyAuthCode, copyClient, copyDeviceCode, copyRefreshToken } from './copy.js';
import { MultiIndex } from './multi-index.js';

/** The name of a {@link PassportStore} method that can fail in {@link MemoryStore.simulateOutage}. */
export type StoreMethodName = Exclude<keyof PassportStore, 'close' | 'subscribeChanges' | 'nextClientId'>;

/** Options of {@link MemoryStore.simulateOutage}. */
export interface SimulateOutageOptions {
  /**
   * Only these methods fail; the others keep working (for example `['saveTokens']` to exercise a
   * failed write in the middle of a grant).
   *
   * @default every method
   */
  methods?: readonly StoreMethodName[];
  /**
   * Message of the thrown {@link StoreUnavailableError}.
   *
   * @default 'Simulated outage of the memory store'
   */
  message?: string;
}

const isLiveRefreshToken = (token: RefreshTokenRecord, nowMs: number): boolean =>
  !token.revoked && token.consumedAt === null && token.expiresAt.getTime() > nowMs;

const byCreatedAtAscending = (a: { createdAt: Date }, b: { createdAt: Date }): number =>
  a.createdAt.getTime() - b.createdAt.getTime();

/**
 * The reference {@link PassportStore}: everything in `Map`s inside one process. Use it in tests,
 * examples, benchmarks and single-process demos; nothing survives a restart.
 *
 * Guarantees beyond the contract in `@passport/core`:
 *
 * - **Atomicity.** Every check-and-set (`redeemAuthCode`, `redeemDeviceCode`,
 *   `rotateRefreshToken`, `decideDeviceCode`, `touchDeviceCode`, `useNonce`, `hitRateLimit`,
 *   `saveTokens`) runs synchronously inside its `async` method, so no other call can interleave:
 *   of concurrent callers for one id exactly one wins. The steps that write tokens check the code
 *   or token and the ids of the tokens before they change anything, so a conflict leaves the code
 *   or old token as it was and nothing new stored.
 * - **O(1) hot paths.** `findAccessToken`, `saveTokens`, `redeemAuthCode` and
 *   `rotateRefreshToken` are a few `Map` operations; revocation walks secondary indexes (refresh
 *   tokens by access token, by family and by client; tokens by user and by client; codes by
 *   client; device codes by user code), never the whole table. Only `purge` and the client listings scan.
 * - **Copies.** Records are copied on the way in and on the way out.
 * - **Change feed.** `subscribeChanges` is an in-process emitter: every passport sharing one
 *   `MemoryStore` drops a revoked token or changed client from its read-through cache at once.
 * - **Device code revocation.** `revokeClientTokens` moves every pending or approved, unconsumed
 *   device code of the client to `denied` (the record has no `revoked` flag), so it can no longer
 *   be approved or redeemed and a polling device receives `access_denied`.
 *
 * @example
 * ```ts
 * import { MemoryStore } from '@passport/store-memory';
 *
 * const store = new MemoryStore();
 * await store.useNonce('form-123', new Date(Date.now() + 60_000)); // true
 * await store.useNonce('form-123', new Date(Date.now() + 60_000)); // false
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14 refresh token rotation and reuse detection
 */
export class MemoryStore implements PassportStore {
  readonly #clients = new Map<string, ClientRecord>();
  readonly #clientsByOwner = new MultiIndex();

  readonly #accessTokens = new Map<string, AccessTokenRecord>();
  readonly #accessTokensByUser = new MultiIndex();
  readonly #accessTokensByClient = new MultiIndex();
  readonly #accessTokensByFamily = new MultiIndex();

  readonly #refreshTokens = new Map<string, RefreshTokenRecord>();
  readonly #refreshTokensByAccessToken = new MultiIndex();
  readonly #refreshTokensByFamily = new MultiIndex();
  readonly #refreshTokensByClient = new MultiIndex();

  readonly #authCodes = new Map<string, AuthCodeRecord>();
  readonly #authCodesByClient = new MultiIndex();

  readonly #deviceCodes = new Map<string, DeviceCodeRecord>();
  readonly #deviceCodesByClient = new MultiIndex();
  readonly #deviceCodesByUserCode = new MultiIndex();

  /** Nonce id to its expiry in ms since the epoch. */
  readonly #nonces = new Map<string, number>();

  /** Rate-limit key to its open window. */
  readonly #rateLimits = new Map<string, { count: number; resetAtMs: number }>();

  readonly #listeners = new Set<StoreChangeListener>();

  #outage: { methods: ReadonlySet<StoreMethodName> | null; message: string } | null = null;

  // ---------------------------------------------------------------------------------------------
  // Testing aids

  /**
   * **Testing aid.** Makes every method (or only `options.methods`) reject with
   * {@link StoreUnavailableError} until {@link MemoryStore.endOutage} is called, as a real store
   * does when its database is down. Use it to test that the HTTP layer answers
   * `503 temporarily_unavailable` and that nothing half-written is left behind.
   *
   * @example
   * ```ts
   * store.simulateOutage({ methods: ['saveTokens'] });
   * const response = await handler(tokenRequest); // 503 temporarily_unavailable
   * store.endOutage();
   * ```
   */
  simulateOutage(options: SimulateOutageOptions = {}): void {
    this.#outage = {
      methods: options.methods === undefined ? null : new Set(options.methods),
      message: options.message ?? 'Simulated outage of the memory store',
    };
  }

  /** **Testing aid.** Ends a {@link MemoryStore.simulateOutage}: every method works again. */
  endOutage(): void {
    this.#outage = null;
  }

  /** `false` while {@link MemoryStore.simulateOutage} is in effect. */
  get available(): boolean {
    return this.#outage === null;
  }

  /**
   * **Testing aid.** Deletes every record, as if the store had just been created. Pass it as
   * `reset` to `runStoreConformance` to reuse one store across tests.
   */
  clear(): void {
    for (const map of [
      this.#clients,
      this.#accessTokens,
      this.#refreshTokens,
      this.#authCodes,
      this.#deviceCodes,
      this.#nonces,
      this.#rateLimits,
    ]) {
      map.clear();
    }
    for (const index of [
      this.#clientsByOwner,
      this.#accessTokensByUser,
      this.#accessTokensByClient,
      this.#accessTokensByFamily,
      this.#refreshTokensByAccessToken,
      this.#refreshTokensByFamily,
      this.#refreshTokensByClient,
      this.#authCodesByClient,
      this.#deviceCodesByClient,
      this.#deviceCodesByUserCode,
    ]) {
      index.clear();
    }
  }

  #guard(method: StoreMethodName): void {
    const outage = this.#outage;
    if (outage !== null && (outage.methods === null || outage.methods.has(method))) {
      throw new StoreUnavailableError(`${outage.message} (${method})`);
    }
  }

  /** Delivers `event` to every subscriber; a subscriber that throws never fails the write. */
  #publish(event: StoreChangeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener.changed(event);
      } catch {
        // A cache that cannot take an event falls back on its time bound.
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Change feed

  /**
   * An in-process feed: every revoking change made through this store (by any passport using it)
   * reaches `listener.changed` synchronously, before the revoking call returns. `connected` is
   * called once at once; the feed never disconnects.
   */
  async subscribeChanges(listener: StoreChangeListener): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    listener.connected?.();
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Clients

  async createClient(client: ClientRecord): Promise<void> {
    this.#guard('createClient');
    if (this.#clients.has(client.id)) {
      throw new StoreConflictError(`A client with id "${client.id}" already exists`);
    }
    this.#clients.set(client.id, copyClient(client));
    if (client.ownerId !== null) this.#clientsByOwner.add(client.ownerId, client.id);
  }

  async findClient(id: string): Promise<ClientRecord | null> {
    this.#guard('findClient');
    const client = this.#clients.get(id);
    return client === undefined ? null : copyClient(client);
  }

  async updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null> {
    this.#guard('updateClient');
    const client = this.#clients.get(id);
    if (client === undefined) return null;
    if (update.name !== undefined) client.name = update.name;
    if (update.secretHash !== undefined) client.secretHash = update.secretHash;
    if (update.provider !== undefined) client.provider = update.provider;
    if (update.redirectUris !== undefined) client.redirectUris = [...update.redirectUris];
    if (update.grantTypes !== undefined) client.grantTypes = [...update.grantTypes];
    if (update.scopes !== undefined) client.scopes = update.scopes === null ? null : [...update.scopes];
    if (update.firstParty !== undefined) client.firstParty = update.firstParty;
    if (update.resourceServer !== undefined) client.resourceServer = update.resourceServer;
    if (update.revoked !== undefined) client.revoked = update.revoked;
    client.updatedAt = new Date(update.updatedAt.getTime());
    this.#publish({ type: 'client', clientId: id });
    return copyClient(client);
  }

  async deleteClient(id: string): Promise<boolean> {
    this.#guard('deleteClient');
    const client = this.#clients.get(id);
    if (client === undefined) return false;
    this.#removeClient(client);
    this.#publish({ type: 'client', clientId: id });
    return true;
  }

  #removeClient(client: ClientRecord): void {
    this.#clients.delete(client.id);
    if (client.ownerId !== null) this.#clientsByOwner.delete(client.ownerId, client.id);
  }

  async listClientsByOwner(ownerId: string): Promise<ClientRecord[]> {
    this.#guard('listClientsByOwner');
    const clients: ClientRecord[] = [];
    for (const id of this.#clientsByOwner.get(ownerId)) {
      const client = this.#clients.get(id);
      if (client !== undefined) clients.push(client);
    }
    return clients.sort(byCreatedAtAscending).map(copyClient);
  }

  async listClients(): Promise<ClientRecord[]> {
    this.#guard('listClients');
    return [...this.#clients.values()].sort(byCreatedAtAscending).map(copyClient);
  }

  // ---------------------------------------------------------------------------------------------
  // Access and refresh tokens

  async saveTokens(tokens: IssuedTokens): Promise<void> {
    this.#guard('saveTokens');
    // Validate everything first, then write everything: a conflict leaves no trace.
    this.#assertNewTokens(tokens);
    this.#insertTokens(tokens);
  }

  /** Throws {@link StoreConflictError} when an id of `tokens` is taken; changes nothing. */
  #assertNewTokens({ accessToken, refreshToken }: IssuedTokens): void {
    if (this.#accessTokens.has(accessToken.id)) {
      throw new StoreConflictError(`An access token with id "${accessToken.id}" already exists`);
    }
    if (refreshToken !== null && this.#refreshTokens.has(refreshToken.id)) {
      throw new StoreConflictError('A refresh token with this id already exists');
    }
  }

  /** Writes copies of `tokens` and indexes them; call `#assertNewTokens` first. */
  #insertTokens({ accessToken, refreshToken }: IssuedTokens): void {
    const access = copyAccessToken(accessToken);
    const refresh = refreshToken === null ? null : copyRefreshToken(refreshToken);

    this.#accessTokens.set(access.id, access);
    if (access.userId !== null) this.#accessTokensByUser.add(access.userId, access.id);
    this.#accessTokensByClient.add(access.clientId, access.id);
    if (access.familyId !== null) this.#accessTokensByFamily.add(access.familyId, access.id);

    if (refresh !== null) {
      this.#refreshTokens.set(refresh.id, refresh);
      this.#refreshTokensByAccessToken.add(refresh.accessTokenId, refresh.id);
      this.#refreshTokensByFamily.add(refresh.familyId, refresh.id);
      this.#refreshTokensByClient.add(refresh.clientId, refresh.id);
    }
  }

  async findAccessToken(id: string): Promise<AccessTokenRecord | null> {
    this.#guard('findAccessToken');
    const token = this.#accessTokens.get(id);
    return token === undefined ? null : copyAccessToken(token);
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    this.#guard('findRefreshToken');
    const token = this.#refreshTokens.get(id);
    return token === undefined ? null : copyRefreshToken(token);
  }

  async rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null> {
    this.#guard('rotateRefreshToken');
    // One synchronous section: check, validate, then write; no await in between.
    const token = this.#refreshTokens.get(id);
    if (token === undefined || !isLiveRefreshToken(token, now.getTime())) return null;
    this.#assertNewTokens(next);
    token.consumedAt = new Date(now.getTime());
    token.replacedBy = next.refreshToken?.id ?? null;
    const access = this.#accessTokens.get(token.accessTokenId);
    if (access !== undefined) access.revoked = true;
    this.#insertTokens(next);
    this.#publish({ type: 'accessTokens', ids: [token.accessTokenId] });
    return copyRefreshToken(token);
  }

  async revokeAccessToken(id: string): Promise<boolean> {
    this.#guard('revokeAccessToken');
    const token = this.#accessTokens.get(id);
    if (token === undefined) return false;
    token.revoked = true;
    for (const refreshId of this.#refreshTokensByAccessToken.get(id)) {
      const refresh = this.#refreshTokens.get(refreshId);
      if (refresh !== undefined) refresh.revoked = true;
    }
    this.#publish({ type: 'accessTokens', ids: [id] });
    return true;
  }

  async revokeRefreshToken(id: string): Promise<boolean> {
    this.#guard('revokeRefreshToken');
    const token = this.#refreshTokens.get(id);
    if (token === undefined) return false;
    token.revoked = true;
    return true;
  }

  async revokeFamily(familyId: string): Promise<number> {
    this.#guard('revokeFamily');
    const changed =
      this.#revokeAll(this.#accessTokens, this.#accessTokensByFamily.get(familyId)) +
      this.#revokeAll(this.#refreshTokens, this.#refreshTokensByFamily.get(familyId));
    this.#publish({ type: 'family', familyId });
    return changed;
  }

  async revokeClientTokens(clientId: string): Promise<number> {
    this.#guard('revokeClientTokens');
    let changed =
      this.#revokeAll(this.#accessTokens, this.#accessTokensByClient.get(clientId)) +
      this.#revokeAll(this.#refreshTokens, this.#refreshTokensByClient.get(clientId)) +
      this.#revokeAll(this.#authCodes, this.#authCodesByClient.get(clientId));
    for (const id of this.#deviceCodesByClient.get(clientId)) {
      const code = this.#deviceCodes.get(id);
      if (code !== undefined && code.consumedAt === null && code.status !== 'denied') {
        code.status = 'denied';
        changed += 1;
      }
    }
    this.#publish({ type: 'client', clientId });
    return changed;
  }

  /** Sets `revoked` on the rows of `ids` that were not revoked yet; returns how many changed. */
  #revokeAll(rows: ReadonlyMap<string, { revoked: boolean }>, ids: readonly string[]): number {
    let changed = 0;
    for (const id of ids) {
      const row = rows.get(id);
      if (row !== undefined && !row.revoked) {
        row.revoked = true;
        changed += 1;
      }
    }
    return changed;
  }

  async listUserTokens(
    userId: string,
    options: { now: Date; clientId?: string },
  ): Promise<AccessTokenRecord[]> {
    this.#guard('listUserTokens');
    const nowMs = options.now.getTime();
    const live: AccessTokenRecord[] = [];
    // Newest inserted first, so equal creation times keep a stable newest-first order.
    for (const id of this.#accessTokensByUser.get(userId).reverse()) {
      const token = this.#accessTokens.get(id);
      if (token === undefined || token.revoked || token.expiresAt.getTime() <= nowMs) continue;
      if (options.clientId !== undefined && token.clientId !== options.clientId) continue;
      live.push(token);
    }
    return live.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map(copyAccessToken);
  }

  async purge(options: PurgeOptions): Promise<PurgeResult> {
    this.#guard('purge');
    const nowMs = options.now.getTime();
    const cutoffMs = options.expiredBefore === null ? null : options.expiredBefore.getTime();
    const expired = (row: { expiresAt: Date }): boolean =>
      cutoffMs !== null && row.expiresAt.getTime() < cutoffMs;
    const result: PurgeResult = {
      accessTokens: 0,
      refreshTokens: 0,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    };

    // Revoked clients past the retention go first, with every row of theirs.
    const goneClients = new Set<string>();
    if (options.revokedClientsBefore !== null) {
      const beforeMs = options.revokedClientsBefore.getTime();
      for (const client of [...this.#clients.values()]) {
        if (client.revoked && client.updatedAt.getTime() < beforeMs) {
          this.#removeClient(client);
          goneClients.add(client.id);
          result.clients += 1;
        }
      }
    }

    // What live refresh tokens need: the access token each was issued with, and the consumed
    // members of their family (reuse detection).
    const neededAccessTokens = new Set<string>();
    const liveFamilies = new Set<string>();
    for (const token of this.#refreshTokens.values()) {
      if (isLiveRefreshToken(token, nowMs) && !goneClients.has(token.clientId)) {
        neededAccessTokens.add(token.accessTokenId);
        liveFamilies.add(token.familyId);
      }
    }

    for (const token of [...this.#accessTokens.values()]) {
      const gone = goneClients.has(token.clientId);
      if (!gone && neededAccessTokens.has(token.id)) continue;
      if (gone || (options.revoked && token.revoked) || expired(token)) {
        this.#deleteAccessToken(token);
        result.accessTokens += 1;
      }
    }

    for (const token of [...this.#refreshTokens.values()]) {
      const gone = goneClients.has(token.clientId);
      if (!gone && isLiveRefreshToken(token, nowMs)) continue;
      if (!gone && token.consumedAt !== null && liveFamilies.has(token.familyId)) continue;
      if (gone || (options.revoked && (token.revoked || token.consumedAt !== null)) || expired(token)) {
        this.#deleteRefreshToken(token);
        result.refreshTokens += 1;
      }
    }

    // A code is kept until it expires, spent or not: a replay of a consumed code must still find
    // it to revoke the tokens it issued.
    for (const code of [...this.#authCodes.values()]) {
      const over = code.expiresAt.getTime() <= nowMs;
      const spent = code.revoked || code.consumedAt !== null;
      if (goneClients.has(code.clientId) || (over && ((options.revoked && spent) || expired(code)))) {
        this.#authCodes.delete(code.id);
        this.#authCodesByClient.delete(code.clientId, code.id);
        result.authCodes += 1;
      }
    }

    for (const code of [...this.#deviceCodes.values()]) {
      const over = code.expiresAt.getTime() <= nowMs;
      if (
        goneClients.has(code.clientId) ||
        (over && ((options.revoked && code.consumedAt !== null) || expired(code)))
      ) {
        this.#deviceCodes.delete(code.id);
        this.#deviceCodesByClient.delete(code.clientId, code.id);
        this.#deviceCodesByUserCode.delete(code.userCode, code.id);
        result.deviceCodes += 1;
      }
    }

    for (const [id, expiresAtMs] of [...this.#nonces]) {
      if (expiresAtMs <= nowMs) {
        this.#nonces.delete(id);
        result.nonces += 1;
      }
    }

    for (const [key, window] of [...this.#rateLimits]) {
      if (window.resetAtMs <= nowMs) {
        this.#rateLimits.delete(key);
        result.rateLimits += 1;
      }
    }

    return result;
  }

  #deleteAccessToken(token: AccessTokenRecord): void {
    this.#accessTokens.delete(token.id);
    if (token.userId !== null) this.#accessTokensByUser.delete(token.userId, token.id);
    this.#accessTokensByClient.delete(token.clientId, token.id);
    if (token.familyId !== null) this.#accessTokensByFamily.delete(token.familyId, token.id);
  }

  #deleteRefreshToken(token: RefreshTokenRecord): void {
    this.#refreshTokens.delete(token.id);
    this.#refreshTokensByAccessToken.delete(token.accessTokenId, token.id);
    this.#refreshTokensByFamily.delete(token.familyId, token.id);
    this.#refreshTokensByClient.delete(token.clientId, token.id);
  }

  // ---------------------------------------------------------------------------------------------
  // Authorization codes

  async saveAuthCode(code: AuthCodeRecord): Promise<void> {
    this.#guard('saveAuthCode');
    if (this.#authCodes.has(code.id)) {
      throw new StoreConflictError('An authorization code with this id already exists');
    }
    this.#authCodes.set(code.id, copyAuthCode(code));
    this.#authCodesByClient.add(code.clientId, code.id);
  }

  async findAuthCode(id: string): Promise<AuthCodeRecord | null> {
    this.#guard('findAuthCode');
    const code = this.#authCodes.get(id);
    return code === undefined ? null : copyAuthCode(code);
  }

  async redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null> {
    this.#guard('redeemAuthCode');
    // One synchronous section: check the code and the token ids, then write both.
    const code = this.#authCodes.get(id);
    if (code === undefined || code.revoked || code.consumedAt !== null) return null;
    if (code.expiresAt.getTime() <= now.getTime()) return null;
    this.#assertNewTokens(tokens);
    code.consumedAt = new Date(now.getTime());
    this.#insertTokens(tokens);
    return copyAuthCode(code);
  }

  // ---------------------------------------------------------------------------------------------
  // Device codes

  async saveDeviceCode(code: DeviceCodeRecord): Promise<void> {
    this.#guard('saveDeviceCode');
    if (this.#deviceCodes.has(code.id)) {
      throw new StoreConflictError('A device code with this id already exists');
    }
    // Stores never read a clock: "live" is judged at the new code's creation time.
    const createdAtMs = code.createdAt.getTime();
    for (const otherId of this.#deviceCodesByUserCode.get(code.userCode)) {
      const other = this.#deviceCodes.get(otherId);
      if (other !== undefined && other.consumedAt === null && other.expiresAt.getTime() > createdAtMs) {
        throw new StoreConflictError(`The user code "${code.userCode}" is already in use`);
      }
    }
    this.#deviceCodes.set(code.id, copyDeviceCode(code));
    this.#deviceCodesByClient.add(code.clientId, code.id);
    this.#deviceCodesByUserCode.add(code.userCode, code.id);
  }

  async findDeviceCode(id: string): Promise<DeviceCodeRecord | null> {
    this.#guard('findDeviceCode');
    const code = this.#deviceCodes.get(id);
    return code === undefined ? null : copyDeviceCode(code);
  }

  async findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null> {
    this.#guard('findDeviceCodeByUserCode');
    const nowMs = now.getTime();
    let found: DeviceCodeRecord | null = null;
    for (const id of this.#deviceCodesByUserCode.get(userCode)) {
      const code = this.#deviceCodes.get(id);
      if (code === undefined || code.consumedAt !== null || code.expiresAt.getTime() <= nowMs) continue;
      if (found === null || code.createdAt.getTime() >= found.createdAt.getTime()) found = code;
    }
    return found === null ? null : copyDeviceCode(found);
  }

  async decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null> {
    this.#guard('decideDeviceCode');
    const code = this.#deviceCodes.get(id);
    if (code === undefined || code.status !== 'pending' || code.consumedAt !== null) return null;
    if (code.expiresAt.getTime() <= decision.now.getTime()) return null;
    code.status = decision.status;
    code.userId = decision.userId;
    return copyDeviceCode(code);
  }

  async touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null> {
    this.#guard('touchDeviceCode');
    const code = this.#deviceCodes.get(id);
    if (code === undefined) return null;
    const before = copyDeviceCode(code);
    code.lastPolledAt = new Date(now.getTime());
    if (interval !== undefined) code.interval = interval;
    return before;
  }

  async redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null> {
    this.#guard('redeemDeviceCode');
    // One synchronous section: check the code and the token ids, then write both.
    const code = this.#deviceCodes.get(id);
    if (code === undefined || code.status !== 'approved' || code.consumedAt !== null) return null;
    if (code.expiresAt.getTime() <= now.getTime()) return null;
    this.#assertNewTokens(tokens);
    code.consumedAt = new Date(now.getTime());
    this.#insertTokens(tokens);
    return copyDeviceCode(code);
  }

  // ---------------------------------------------------------------------------------------------
  // Nonces

  async useNonce(id: string, expiresAt: Date): Promise<boolean> {
    this.#guard('useNonce');
    if (this.#nonces.has(id)) return false;
    this.#nonces.set(id, expiresAt.getTime());
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Rate limits

  async hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit> {
    this.#guard('hitRateLimit');
    const nowMs = now.getTime();
    let window = this.#rateLimits.get(key);
    if (window === undefined || window.resetAtMs <= nowMs) {
      window = { count: 0, resetAtMs: nowMs + windowMs };
      this.#rateLimits.set(key, window);
    }
    window.count += 1;
    return { count: window.count, resetAt: new Date(window.resetAtMs) };
  }

  /**
   * Nothing to release. Never fails, not even during a simulated outage, so teardown code always
   * runs.
   */
  async close(): Promise<void> {}
}

/**
 * Creates an empty {@link MemoryStore}.
 *
 * @example
 * ```ts
 * import { createMemoryStore } from '@passport/store-memory';
 *
 * const store = createMemoryStore();
 * console.log(await store.findClient('nope')); // null
 * ```
 */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
