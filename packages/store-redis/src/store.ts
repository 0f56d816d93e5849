import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
  formatStoreChange,
  type IssuedTokens,
  PassportOptionsError,
  type PassportStore,
  type PurgeOptions,
  type PurgeResult,
  type RateLimitHit,
  type RefreshTokenRecord,
  type StoreChangeEvent,
  type StoreChangeListener,
  StoreConflictError,
  StoreInvalidInputError,
  StoreUnavailableError,
} from '@passport/core';
import { DEFAULT_TIMEOUT_MS, dataNodes, isCluster, type RedisClient } from './connection.js';
import { ChangeFeed } from './internal/changes.js';
import {
  accessTokenFields,
  authCodeFields,
  clientFields,
  clientUpdateFields,
  deviceCodeFields,
  type Hash,
  isStorableId,
  refreshTokenFields,
  toAccessToken,
  toAuthCode,
  toClient,
  toDeviceCode,
  toHash,
  toRefreshToken,
} from './internal/codec.js';
import { isReplyError, toStoreError } from './internal/errors.js';
import { encodeId, KeyLayout } from './internal/keys.js';
import * as scripts from './internal/scripts.js';

/** Options of {@link RedisStore}. */
export interface RedisStoreOptions {
  /**
   * Start of every key (and of the pub/sub channel). Use one prefix per Passport deployment
   * sharing a Redis. It must not contain `{` or `}` (they would break the Cluster hash tags).
   *
   * @default 'passport:'
   */
  prefix?: string;
  /**
   * How long a refresh token, an authorization code and a device code stay stored after their
   * `expiresAt`, in seconds. A consumed one is therefore found for at least this long after its
   * consumption, so a replay within it is recognised and its family revoked (RFC 9700 section
   * 4.14, RFC 6749 section 4.1.2). Larger keeps more memory.
   *
   * @default 604800 (7 days)
   */
  replayWindowSeconds?: number;
  /**
   * Bound on each store call, in milliseconds: a command without a reply, or a first connection
   * not made by then, fails with `StoreUnavailableError`. Connections made by
   * {@link createRedisStore} use it as ioredis's `commandTimeout`; with an instance of your own
   * that has no `commandTimeout`, the store times its calls itself.
   *
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Close the ioredis connection on {@link RedisStore.close}. `createRedisStore` sets it for the
   * connection it opens; an instance you pass stays yours.
   *
   * @default false
   */
  closeClient?: boolean;
}

/** Default {@link RedisStoreOptions.prefix}. */
export const DEFAULT_PREFIX = 'passport:';

/** Default {@link RedisStoreOptions.replayWindowSeconds}: 7 days. */
export const DEFAULT_REPLAY_WINDOW_SECONDS = 604_800;

/** Shortest TTL of any record: even a record saved already expired stays readable a minute. */
const MIN_TTL_MS = 60_000;

/** How many independent commands one call sends at once when it walks an index. */
const BATCH = 500;

/** A key's TTL for a record valid from `from` to `until`, plus `extraMs`. */
function ttlMs(from: Date, until: Date, extraMs = 0): number {
  return Math.max(until.getTime() - from.getTime() + extraMs, MIN_TTL_MS);
}

/** Runs `work` over `items` in batches of {@link BATCH} concurrent calls. */
async function inBatches<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    results.push(...(await Promise.all(items.slice(start, start + BATCH).map(work))));
  }
  return results;
}

/** A token pair laid out for a script: its keys, its token block, its TTLs. */
interface TokenBlock {
  group: string;
  keys: string[];
  args: string[];
  accessTtl: number;
  refreshTtl: number;
}

/** Index entries and pointers written before a script, undone when the script does not write. */
interface Prepared {
  release(): Promise<void>;
}

/**
 * The Redis implementation of core's {@link PassportStore}, on ioredis, for a standalone server
 * (or Sentinel) and for Redis Cluster alike. Create it with {@link createRedisStore} (from a URL or
 * cluster nodes, with safe connection options) or pass your own `Redis` / `Cluster` instance.
 *
 * - **Atomic on the server.** Every check-and-set (code and device code redemption with the
 *   tokens they issue, refresh token rotation, token issuance, revocation of a token, a family or
 *   a client's rows in one family, device decisions, nonces, rate-limit hits) is one Lua script,
 *   sent by SHA (`EVALSHA`, reloaded on `NOSCRIPT`). Nothing is read and then written from here.
 * - **One slot per family.** The tokens of a family and the code or device code they came from
 *   share a hash tag, so each of those scripts runs on one Cluster slot. Lookups by token id go
 *   through a small pointer key. On a cluster, pointers and secondary indexes are written
 *   *before* the records they point to and removed after them, so a failure between two steps can
 *   leave an index entry or pointer to nothing (skipped on read, expired or purged later) but
 *   never a record its indexes miss; on a standalone server one script writes them all.
 * - **Native expiry.** Every key but the clients and their listings carries a TTL (see the
 *   README's key layout); `purge` deletes what TTLs cannot: revoked and consumed rows, rows
 *   expired before a cutoff by the caller's clock, stale index entries, revoked clients.
 * - **Failures** (connection lost, timeout, a cluster without quorum) throw
 *   `StoreUnavailableError` within `timeoutMs`; ioredis reconnects and the store works again.
 * - **Revocation feed.** Revocations are published on `<prefix>changes` from inside the revoking
 *   script; {@link RedisStore.subscribeChanges} listens on a dedicated connection.
 * - Stores never read a clock: `now` comes from the caller. (Only a nonce's TTL backstop uses the
 *   server's clock; purge removes expired nonces by the caller's `now`.)
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisStore, redisStoreConnectionOptions } from '@passport/store-redis';
 *
 * const store = new RedisStore(new Redis(process.env.REDIS_URL, redisStoreConnectionOptions()));
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14 refresh token rotation and reuse detection
 */
export class RedisStore implements PassportStore {
  /** The ioredis connection the store runs on. */
  readonly client: RedisClient;
  /** The key prefix. */
  readonly prefix: string;
  readonly #keys: KeyLayout;
  readonly #replayMs: number;
  readonly #timeoutMs: number;
  readonly #timesCalls: boolean;
  readonly #closeClient: boolean;
  /** Redis Cluster: a script's keys must share a slot. */
  readonly #cluster: boolean;
  readonly #feed: ChangeFeed;
  #everReady: boolean;

  constructor(client: RedisClient, options: RedisStoreOptions = {}) {
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.includes('{') || prefix.includes('}')) {
      throw new PassportOptionsError(
        `Invalid Redis key prefix ${JSON.stringify(prefix)}: braces would break the Cluster hash tags; use e.g. { prefix: 'auth:' }.`,
      );
    }
    const replaySeconds = options.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS;
    if (!Number.isSafeInteger(replaySeconds) || replaySeconds < 0) {
      throw new PassportOptionsError(
        `Invalid replayWindowSeconds ${String(replaySeconds)}: use a whole number of seconds >= 0, e.g. { replayWindowSeconds: 604800 }.`,
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new PassportOptionsError(
        `Invalid timeoutMs ${String(timeoutMs)}: use a positive number of milliseconds, e.g. { timeoutMs: 2000 }.`,
      );
    }
    this.client = client;
    this.prefix = prefix;
    this.#keys = new KeyLayout(prefix);
    this.#replayMs = replaySeconds * 1000;
    this.#timeoutMs = timeoutMs;
    const commandTimeout = isCluster(client)
      ? client.options.redisOptions?.commandTimeout
      : client.options.commandTimeout;
    this.#timesCalls = typeof commandTimeout !== 'number';
    this.#closeClient = options.closeClient ?? false;
    this.#cluster = isCluster(client);
    this.#feed = new ChangeFeed(client, this.#keys.changes);
    this.#everReady = client.status === 'ready';
    if (!this.#everReady) {
      client.once('ready', () => {
        this.#everReady = true;
      });
    }
  }

  // ------------------------------------------------------------------------------ plumbing

  /**
   * Resolves once the connection is ready, or after `timeoutMs` without one (calls then fail
   * with `StoreUnavailableError` until the server is reachable). Never throws.
   */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    try {
      await this.#awaitFirstConnection();
    } catch {
      // Reported by the calls themselves.
    }
  }

  /**
   * Runs one ioredis call under the store's failure rules: fail fast while a connection that
   * worked is down, wait (at most `timeoutMs`) for the first connection, time the call when the
   * connection has no `commandTimeout`, map errors to the store contract.
   */
  async #call<T>(run: (client: RedisClient) => Promise<T>): Promise<T> {
    if (this.client.status !== 'ready') await this.#awaitFirstConnection();
    try {
      return this.#timesCalls ? await this.#timed(run(this.client)) : await run(this.client);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  async #awaitFirstConnection(): Promise<void> {
    const client = this.client;
    if (this.#everReady || client.status === 'end' || client.status === 'close') {
      throw new StoreUnavailableError(`The Redis store is unavailable: the connection is ${client.status}`);
    }
    if (client.status === 'wait') client.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(
          new StoreUnavailableError(
            `The Redis store is unavailable: no connection within ${this.#timeoutMs} ms (${client.status})`,
          ),
        );
      }, this.#timeoutMs);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('ready', onReady);
    });
  }

  #timed<T>(promise: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new StoreUnavailableError(`The Redis store did not answer within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** Runs a script by SHA, loading it when the server does not know it (after a restart). */
  #eval(
    script: scripts.Script,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    return this.#call(async (client) => {
      try {
        return await client.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (isReplyError(error) && error.message.startsWith('NOSCRIPT')) {
          return client.eval(script.lua, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });
  }

  async #hgetall(key: string): Promise<Hash | null> {
    const hash = await this.#call((client) => client.hgetall(key));
    return Object.keys(hash).length === 0 ? null : hash;
  }

  /** Best effort: undoing index entries or pointers nobody can see must never mask the real error. */
  async #quietly(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch {
      // The entries are invisible without their records and expire by themselves.
    }
  }

  #publish(event: StoreChangeEvent): Promise<unknown> {
    return this.#call((client) => client.publish(this.#keys.changes, formatStoreChange(event)));
  }

  // ------------------------------------------------------------------------------ token layout

  /** The family group a pair is written to, checking that the pair stays in one family. */
  #groupOf(tokens: IssuedTokens, group: string | null): string | null {
    const { accessToken, refreshToken } = tokens;
    const target = group ?? refreshToken?.familyId ?? accessToken.familyId;
    if (target === null) return null;
    if (
      (refreshToken !== null && refreshToken.familyId !== target) ||
      (accessToken.familyId !== null && accessToken.familyId !== target)
    ) {
      throw new StoreInvalidInputError(
        `Tokens written together must belong to one family (${target}); got access token family ${String(accessToken.familyId)} and refresh token family ${String(refreshToken?.familyId ?? null)}`,
      );
    }
    return target;
  }

  #tokenBlock(group: string, { accessToken, refreshToken }: IssuedTokens): TokenBlock {
    const keys = this.#keys;
    const refreshTtl =
      refreshToken === null ? 0 : ttlMs(refreshToken.createdAt, refreshToken.expiresAt, this.#replayMs);
    // The access token a live refresh token was issued with lives as long as that refresh token.
    const accessTtl = Math.max(ttlMs(accessToken.createdAt, accessToken.expiresAt), refreshTtl);
    return {
      group,
      accessTtl,
      refreshTtl,
      keys: [
        keys.groupAccessToken(group, accessToken.id),
        refreshToken === null ? `${keys.group(group)}rt:` : keys.groupRefreshToken(group, refreshToken.id),
        keys.groupAccessTokens(group),
        keys.groupRefreshTokens(group),
      ],
      args: [
        JSON.stringify(accessTokenFields(accessToken)),
        String(accessTtl),
        encodeId(accessToken.id),
        String(accessToken.expiresAt.getTime()),
        refreshToken === null ? '' : JSON.stringify(refreshTokenFields(refreshToken)),
        String(refreshTtl),
        refreshToken === null ? '' : encodeId(refreshToken.id),
        refreshToken === null ? '0' : String(refreshToken.expiresAt.getTime()),
      ],
    };
  }

  /** Adds `member` to a client's or user's index: score and TTL only ever grow. */
  #indexAdd(index: string, score: number, member: string, ttl: number): Promise<unknown> {
    return this.#eval(scripts.indexAdd, [index], [score, member, ttl]);
  }

  /**
   * First step of every write of tokens into a family group: the client's and the user's index
   * entries, and the id pointers (claimed, so a taken id is a conflict). Throws
   * {@link StoreConflictError} after undoing its own claims when an id is taken.
   */
  async #prepareGroupTokens(
    block: TokenBlock,
    { accessToken, refreshToken }: IssuedTokens,
  ): Promise<Prepared> {
    const keys = this.#keys;
    const group = block.group;
    const horizon = accessToken.createdAt.getTime() + block.accessTtl;
    const pointer = JSON.stringify(['group', group]);
    const accessPointer = keys.accessToken(accessToken.id);
    const refreshPointer = refreshToken === null ? null : keys.refreshToken(refreshToken.id);
    const userIndex = accessToken.userId === null ? null : keys.userTokens(accessToken.userId);
    const userMember = `${encodeId(accessToken.id)} ${encodeId(group)}`;

    const [, , accessClaimed, refreshClaimed] = await Promise.all([
      this.#indexAdd(
        keys.clientTokens(accessToken.clientId),
        horizon,
        `f:${encodeId(group)}`,
        block.accessTtl,
      ),
      userIndex === null
        ? null
        : this.#indexAdd(userIndex, accessToken.expiresAt.getTime(), userMember, block.accessTtl),
      this.#eval(scripts.claim, [accessPointer], [pointer, block.accessTtl]),
      refreshPointer === null ? 1 : this.#eval(scripts.claim, [refreshPointer], [pointer, block.refreshTtl]),
    ]);
    const release = async (): Promise<void> => {
      await this.#quietly(() =>
        Promise.all([
          accessClaimed === 1 ? this.#call((client) => client.del(accessPointer)) : null,
          refreshPointer !== null && refreshClaimed === 1
            ? this.#call((client) => client.del(refreshPointer))
            : null,
          userIndex === null ? null : this.#call((client) => client.zrem(userIndex, userMember)),
        ]),
      );
    };
    if (accessClaimed !== 1 || refreshClaimed !== 1) {
      await release();
      throw new StoreConflictError(
        accessClaimed !== 1
          ? `An access token with id "${accessToken.id}" already exists`
          : 'A refresh token with this id already exists',
      );
    }
    return { release };
  }

  /** The first step of {@link RedisStore.#prepareGroupTokens} as keys and arguments of a script. */
  #entriesOf(
    block: TokenBlock,
    { accessToken, refreshToken }: IssuedTokens,
  ): { keys: string[]; args: string[] } {
    const keys = this.#keys;
    const group = encodeId(block.group);
    const clientIndex = keys.clientTokens(accessToken.clientId);
    const accessPointer = keys.accessToken(accessToken.id);
    const ttl = String(block.accessTtl);
    return {
      keys: [
        clientIndex,
        accessToken.userId === null ? clientIndex : keys.userTokens(accessToken.userId),
        accessPointer,
        refreshToken === null ? accessPointer : keys.refreshToken(refreshToken.id),
      ],
      args: [
        String(accessToken.createdAt.getTime() + block.accessTtl),
        `f:${group}`,
        ttl,
        String(accessToken.expiresAt.getTime()),
        accessToken.userId === null ? '' : `${encodeId(accessToken.id)} ${group}`,
        ttl,
        JSON.stringify(['group', block.group]),
        ttl,
        refreshToken === null ? '0' : String(block.refreshTtl),
      ],
    };
  }

  /**
   * A write of tokens into a family group (`write`, with `keys` and `args`), with its index
   * entries and id pointers. On a standalone server it is one script (`withEntries`): entries,
   * pointers and records together or nothing. On a cluster the entries and pointers go first
   * ({@link RedisStore.#prepareGroupTokens}), then `write` in the family's slot; `release` takes
   * them back when the write did not happen. A taken id answers as the write's own "taken" reply
   * on a standalone server and throws {@link StoreConflictError} on a cluster.
   */
  async #writeGroupTokens(
    block: TokenBlock,
    tokens: IssuedTokens,
    write: { script: scripts.Script; withEntries: scripts.Script; keys: string[]; args: (string | number)[] },
  ): Promise<{ reply: unknown; release: () => Promise<void> }> {
    if (!this.#cluster) {
      const entries = this.#entriesOf(block, tokens);
      const reply = await this.#eval(
        write.withEntries,
        [...write.keys, ...entries.keys],
        [...write.args, ...entries.args],
      );
      return { reply, release: async () => undefined };
    }
    const prepared = await this.#prepareGroupTokens(block, tokens);
    try {
      return { reply: await this.#eval(write.script, write.keys, write.args), release: prepared.release };
    } catch (error) {
      await prepared.release();
      throw error;
    }
  }

  // ------------------------------------------------------------------------------ clients

  async createClient(client: ClientRecord): Promise<void> {
    const fields = clientFields(client);
    const keys = this.#keys;
    const member = encodeId(client.id);
    const ownerIndex = client.ownerId === null ? null : keys.ownerClients(client.ownerId);
    const score = client.createdAt.getTime();
    const [, ownerAdded] = await Promise.all([
      this.#call((redis) => redis.zadd(keys.clients, 'NX', score, member)),
      ownerIndex === null ? 0 : this.#call((redis) => redis.zadd(ownerIndex, 'NX', score, member)),
    ]);
    const created = await this.#eval(scripts.claim, [keys.client(client.id)], [JSON.stringify(fields), 0]);
    if (created !== 1) {
      if (ownerIndex !== null && ownerAdded === 1) {
        await this.#quietly(() => this.#call((redis) => redis.zrem(ownerIndex, member)));
      }
      throw new StoreConflictError(`A client with id "${client.id}" already exists`);
    }
  }

  async findClient(id: string): Promise<ClientRecord | null> {
    if (!isStorableId(id)) return null;
    return toClient(await this.#hgetall(this.#keys.client(id)));
  }

  async updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null> {
    if (!isStorableId(id)) return null;
    const { set, unset } = clientUpdateFields(update);
    const reply = await this.#eval(
      scripts.updateClient,
      [this.#keys.client(id)],
      [
        this.#keys.changes,
        formatStoreChange({ type: 'client', clientId: id }),
        JSON.stringify(set),
        JSON.stringify(unset),
      ],
    );
    return toClient(toHash(reply));
  }

  async deleteClient(id: string): Promise<boolean> {
    if (!isStorableId(id)) return false;
    const keys = this.#keys;
    const reply = (await this.#eval(
      scripts.deleteClient,
      [keys.client(id)],
      [keys.changes, formatStoreChange({ type: 'client', clientId: id })],
    )) as [number, string?];
    if (reply[0] !== 1) return false;
    const member = encodeId(id);
    const owner = reply[1];
    await Promise.all([
      this.#call((redis) => redis.zrem(keys.clients, member)),
      owner === undefined ? null : this.#call((redis) => redis.zrem(keys.ownerClients(owner), member)),
    ]);
    return true;
  }

  async listClientsByOwner(ownerId: string): Promise<ClientRecord[]> {
    if (!isStorableId(ownerId)) return [];
    const clients = await this.#listClientsIn(this.#keys.ownerClients(ownerId));
    return clients.filter((client) => client.ownerId === ownerId);
  }

  async listClients(): Promise<ClientRecord[]> {
    return this.#listClientsIn(this.#keys.clients);
  }

  async #listClientsIn(index: string): Promise<ClientRecord[]> {
    const members = await this.#call((redis) => redis.zrange(index, 0, -1));
    const clients = await inBatches(members, async (member) =>
      toClient(await this.#hgetall(this.#keys.encodedClient(member))),
    );
    return clients
      .filter((client): client is ClientRecord => client !== null)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  // ------------------------------------------------------------------------------ tokens

  /**
   * A pair with a family: index entries and id pointers first, then one script writes both
   * records into the family group (or neither, on a taken id). A pair without a family (an access
   * token that can never be refreshed) is one record under its own id.
   */
  async saveTokens(tokens: IssuedTokens): Promise<void> {
    const group = this.#groupOf(tokens, null);
    if (group === null) {
      await this.#saveStandaloneAccessToken(tokens.accessToken);
      return;
    }
    const block = this.#tokenBlock(group, tokens);
    const { reply, release } = await this.#writeGroupTokens(block, tokens, {
      script: scripts.saveTokens,
      withEntries: scripts.saveTokensWithEntries,
      keys: block.keys,
      args: block.args,
    });
    if (reply !== 1) {
      await release();
      throw new StoreConflictError('A token with this id already exists');
    }
  }

  /**
   * The client_credentials hot path. On a standalone server one script writes the index entries
   * and the record (one round trip); on a cluster, whose slots they span, the index entries go
   * first, then the record.
   */
  async #saveStandaloneAccessToken(token: AccessTokenRecord): Promise<void> {
    const keys = this.#keys;
    const fields = JSON.stringify(accessTokenFields(token));
    const ttl = ttlMs(token.createdAt, token.expiresAt);
    const member = encodeId(token.id);
    const userIndex = token.userId === null ? null : keys.userTokens(token.userId);
    if (!this.#cluster) {
      const clientIndex = keys.clientTokens(token.clientId);
      const created = await this.#eval(
        scripts.saveAccessTokenAlone,
        [clientIndex, userIndex ?? clientIndex, keys.accessToken(token.id)],
        [
          token.createdAt.getTime() + ttl,
          `a:${member}`,
          token.expiresAt.getTime(),
          userIndex === null ? '' : member,
          fields,
          ttl,
        ],
      );
      if (created !== 1) throw new StoreConflictError(`An access token with id "${token.id}" already exists`);
      return;
    }
    await Promise.all([
      this.#indexAdd(keys.clientTokens(token.clientId), token.createdAt.getTime() + ttl, `a:${member}`, ttl),
      userIndex === null ? null : this.#indexAdd(userIndex, token.expiresAt.getTime(), member, ttl),
    ]);
    const created = await this.#eval(scripts.claim, [keys.accessToken(token.id)], [fields, ttl]);
    if (created !== 1) {
      if (userIndex !== null) await this.#quietly(() => this.#call((redis) => redis.zrem(userIndex, member)));
      throw new StoreConflictError(`An access token with id "${token.id}" already exists`);
    }
  }

  async findAccessToken(id: string): Promise<AccessTokenRecord | null> {
    if (!isStorableId(id)) return null;
    const hash = await this.#hgetall(this.#keys.accessToken(id));
    if (hash === null) return null;
    if (hash.group === undefined) return toAccessToken(hash);
    return toAccessToken(await this.#hgetall(this.#keys.groupAccessToken(hash.group, id)));
  }

  async findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    if (!isStorableId(id)) return null;
    const group = await this.#refreshTokenGroup(id);
    return group === null
      ? null
      : toRefreshToken(await this.#hgetall(this.#keys.groupRefreshToken(group, id)));
  }

  #refreshTokenGroup(id: string): Promise<string | null> {
    return this.#call((client) => client.hget(this.#keys.refreshToken(id), 'group'));
  }

  /**
   * Index entries and pointers of `next` first, then one script in the family's slot: the
   * conditional consume (`replacedBy` set), the revocation of the old access token (published),
   * and the write of `next`. `next` must stay in the rotated token's family, as core's rotation
   * always does.
   */
  async rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null> {
    if (next.refreshToken === null) {
      throw new StoreInvalidInputError('A rotation writes a refresh token: next.refreshToken is null');
    }
    const group = this.#groupOf(next, null) ?? next.refreshToken.familyId;
    if (!isStorableId(id)) return null;
    const block = this.#tokenBlock(group, next);
    const written = await this.#writeGroupTokens(block, next, {
      script: scripts.rotate,
      withEntries: scripts.rotateWithEntries,
      keys: [this.#keys.groupRefreshToken(group, id), ...block.keys],
      args: [now.getTime(), this.#keys.group(group), this.#keys.changes, next.refreshToken.id, ...block.args],
    });
    const reply = written.reply as [number, unknown?];
    if (reply[0] === 3) return toRefreshToken(toHash(reply[1]));
    await written.release();
    if (reply[0] === 2) throw new StoreConflictError('A token of the rotated pair already exists');
    if (reply[0] === 0) {
      const actual = await this.#refreshTokenGroup(id);
      if (actual !== null && actual !== group) {
        throw new StoreInvalidInputError(
          `A rotation keeps the family: refresh token family ${actual}, next pair family ${group}`,
        );
      }
    }
    return null;
  }

  async revokeAccessToken(id: string): Promise<boolean> {
    if (!isStorableId(id)) return false;
    const keys = this.#keys;
    const event = formatStoreChange({ type: 'accessTokens', ids: [id] });
    const reply = (await this.#eval(
      scripts.revokeAccessToken,
      [keys.accessToken(id)],
      [keys.changes, event],
    )) as [number, string?];
    if (reply[0] !== 2 || reply[1] === undefined) return reply[0] === 1;
    const group = reply[1];
    const revoked = await this.#eval(
      scripts.revokeGroupAccessToken,
      [keys.groupAccessToken(group, id), keys.groupRefreshTokens(group)],
      [keys.group(group), id, keys.changes, event],
    );
    return revoked === 1;
  }

  async revokeRefreshToken(id: string): Promise<boolean> {
    if (!isStorableId(id)) return false;
    const group = await this.#refreshTokenGroup(id);
    if (group === null) return false;
    return (await this.#eval(scripts.revokeRecord, [this.#keys.groupRefreshToken(group, id)], [])) === 1;
  }

  /**
   * One script in the family's slot, so it is ordered with every rotation of the family: a
   * rotation that ran before it has its new pair revoked too, one that runs after finds its token
   * revoked. Publishes the family event from inside the script.
   */
  async revokeFamily(familyId: string): Promise<number> {
    if (!isStorableId(familyId)) return 0;
    const keys = this.#keys;
    return Number(
      await this.#eval(
        scripts.revokeFamily,
        [keys.groupAccessTokens(familyId), keys.groupRefreshTokens(familyId)],
        [keys.group(familyId), familyId, keys.changes, formatStoreChange({ type: 'family', familyId })],
      ),
    );
  }

  /**
   * Spans slots: one script per family group of the client (tokens, code, device code) and per
   * standalone access token, found through the client's index, then one `client` event. Each
   * step is atomic in its slot; index entries are written before the rows they point to, so
   * every row stored before this call started is reached. Rows issued while it runs may be
   * missed, which is why core marks the client revoked first: a revoked client's tokens are
   * refused whatever their own flag says.
   */
  async revokeClientTokens(clientId: string): Promise<number> {
    if (!isStorableId(clientId)) return 0;
    const keys = this.#keys;
    const members = await this.#call((client) => client.zrange(keys.clientTokens(clientId), 0, -1));
    let changed = 0;
    try {
      const counts = await inBatches(members, (member) => {
        const encoded = member.slice(2);
        if (member.startsWith('a:')) {
          return this.#eval(scripts.revokeClientAccessToken, [keys.encodedAccessToken(encoded)], [clientId]);
        }
        const base = keys.encodedGroup(encoded);
        return this.#eval(
          scripts.revokeClientGroup,
          [`${base}ats`, `${base}rts`, `${base}code`, `${base}device`],
          [base, clientId],
        );
      });
      for (const count of counts) changed += Number(count);
    } finally {
      await this.#quietly(() => this.#publish({ type: 'client', clientId }));
    }
    return changed;
  }

  async listUserTokens(
    userId: string,
    options: { now: Date; clientId?: string },
  ): Promise<AccessTokenRecord[]> {
    if (!isStorableId(userId)) return [];
    const nowMs = options.now.getTime();
    const members = await this.#call((client) =>
      client.zrangebyscore(this.#keys.userTokens(userId), `(${nowMs}`, '+inf'),
    );
    const tokens = await inBatches(members, async (member) => {
      const space = member.indexOf(' ');
      const key =
        space === -1
          ? this.#keys.encodedAccessToken(member)
          : `${this.#keys.encodedGroup(member.slice(space + 1))}at:${member.slice(0, space)}`;
      return toAccessToken(await this.#hgetall(key));
    });
    return tokens
      .filter(
        (token): token is AccessTokenRecord =>
          token !== null &&
          token.userId === userId &&
          !token.revoked &&
          token.expiresAt.getTime() > nowMs &&
          (options.clientId === undefined || token.clientId === options.clientId),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  // ------------------------------------------------------------------------------ purge

  /**
   * Walks the store's keys with `SCAN` (on every master of a cluster) and applies the purge rules
   * per key, each family group in one script. TTLs already remove what expired long ago; purge
   * removes revoked and consumed rows, rows expired before `expiredBefore` by the caller's clock,
   * expired nonces and rate-limit windows, stale index entries, and revoked clients with all of
   * theirs. Never what reuse detection needs (see the contract).
   */
  async purge(options: PurgeOptions): Promise<PurgeResult> {
    const result: PurgeResult = {
      accessTokens: 0,
      refreshTokens: 0,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    };
    const keys = this.#keys;
    const now = String(options.now.getTime());
    const revoked = options.revoked ? '1' : '0';
    const before = options.expiredBefore === null ? '' : String(options.expiredBefore.getTime());
    const groups = new Set<string>();
    const revokedClients: string[] = [];
    const clientsBefore = options.revokedClientsBefore ?? null;
    const clientCutoff = clientsBefore === null ? null : String(clientsBefore.getTime());

    await this.#scan(async (batch) => {
      await Promise.all(
        batch.map(async (key) => {
          const rest = key.slice(this.prefix.length);
          if (rest.startsWith('fam:{')) {
            groups.add(rest.slice(5, rest.indexOf('}')));
          } else if (rest.startsWith('at:{')) {
            // Await first, then add: `x += await y` would add to the `x` read before the await.
            const deleted = Number(await this.#eval(scripts.purgeAccessToken, [key], [revoked, before, '']));
            result.accessTokens += deleted;
          } else if (rest.startsWith('nonce:{')) {
            const deleted = Number(await this.#eval(scripts.purgeNonce, [key], [now]));
            result.nonces += deleted;
          } else if (rest.startsWith('rl:{')) {
            const deleted = Number(await this.#eval(scripts.purgeRateLimit, [key], [now]));
            result.rateLimits += deleted;
          } else if (
            rest.endsWith('}:tokens') &&
            (rest.startsWith('user:{') || rest.startsWith('client:{'))
          ) {
            await this.#call((client) => client.zremrangebyscore(key, '-inf', now));
          } else if (rest.startsWith('client:{') && rest.endsWith('}') && clientCutoff !== null) {
            if ((await this.#eval(scripts.purgeClient, [key], [clientCutoff, 'check'])) === 1) {
              revokedClients.push(rest.slice(8, -1));
            }
          }
        }),
      );
    });

    await inBatches([...groups], async (encoded) => {
      const base = keys.encodedGroup(encoded);
      const reply = await this.#eval(
        scripts.purgeGroup,
        [`${base}ats`, `${base}rts`, `${base}code`, `${base}device`],
        [base, now, revoked, before],
      );
      await this.#countGroupPurge(reply, result);
    });

    if (clientCutoff !== null) {
      for (const encoded of revokedClients) await this.#purgeClient(encoded, clientCutoff, result);
    }
    return result;
  }

  /** Adds a group purge's counts to `result` and deletes the pointers of the deleted tokens. */
  async #countGroupPurge(reply: unknown, result: PurgeResult): Promise<void> {
    const [access, refresh, codes, devices] = reply as [string[], string[], number, number];
    result.accessTokens += access.length;
    result.refreshTokens += refresh.length;
    result.authCodes += Number(codes);
    result.deviceCodes += Number(devices);
    const pointers = [
      ...access.map((id) => this.#keys.accessToken(id)),
      ...refresh.map((id) => this.#keys.refreshToken(id)),
    ];
    await inBatches(pointers, (pointer) => this.#call((client) => client.del(pointer)));
  }

  /** Deletes a revoked client with every group and token of its index, then the client itself. */
  async #purgeClient(encoded: string, cutoff: string, result: PurgeResult): Promise<void> {
    const keys = this.#keys;
    const clientKey = keys.encodedClient(encoded);
    const tokensKey = `${clientKey}:tokens`;
    const client = toClient(await this.#hgetall(clientKey));
    if (client === null) return;
    const members = await this.#call((redis) => redis.zrange(tokensKey, 0, -1));
    await inBatches(members, async (member) => {
      const id = member.slice(2);
      if (member.startsWith('a:')) {
        const deleted = Number(
          await this.#eval(scripts.purgeAccessToken, [keys.encodedAccessToken(id)], ['0', '', 'all']),
        );
        result.accessTokens += deleted;
        return;
      }
      const base = keys.encodedGroup(id);
      const reply = await this.#eval(
        scripts.dropGroup,
        [`${base}ats`, `${base}rts`, `${base}code`, `${base}device`],
        [base],
      );
      await this.#countGroupPurge(reply, result);
    });
    if ((await this.#eval(scripts.purgeClient, [clientKey], [cutoff, 'delete'])) !== 1) return;
    result.clients += 1;
    await Promise.all([
      this.#call((redis) => redis.del(tokensKey)),
      this.#call((redis) => redis.zrem(keys.clients, encoded)),
      client.ownerId === null
        ? null
        : this.#call((redis) => redis.zrem(keys.ownerClients(client.ownerId ?? ''), encoded)),
      this.#publish({ type: 'client', clientId: client.id }),
    ]);
  }

  /** `SCAN`s every key under the prefix on every node holding data, one page at a time. */
  async #scan(page: (keys: string[]) => Promise<void>): Promise<void> {
    const pattern = `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for (const node of dataNodes(this.client)) {
      let cursor = '0';
      do {
        const [nextCursor, keys] = await this.#call(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000));
        cursor = nextCursor;
        if (keys.length > 0) await page(keys);
      } while (cursor !== '0');
    }
  }

  // ------------------------------------------------------------------------------ authorization codes

  async saveAuthCode(code: AuthCodeRecord): Promise<void> {
    const keys = this.#keys;
    const fields = JSON.stringify(authCodeFields(code));
    const ttl = ttlMs(code.createdAt, code.expiresAt, this.#replayMs);
    await this.#indexAdd(
      keys.clientTokens(code.clientId),
      code.createdAt.getTime() + ttl,
      `f:${encodeId(code.id)}`,
      ttl,
    );
    if ((await this.#eval(scripts.claim, [keys.authCode(code.id)], [fields, ttl])) !== 1) {
      throw new StoreConflictError('An authorization code with this id already exists');
    }
  }

  async findAuthCode(id: string): Promise<AuthCodeRecord | null> {
    if (!isStorableId(id)) return null;
    return toAuthCode(await this.#hgetall(this.#keys.authCode(id)));
  }

  /**
   * Index entries and pointers of the tokens first, then one script in the code's slot (the
   * tokens' family is the code's id): the conditional consume and the write of the tokens. Both
   * become visible together or not at all.
   */
  async redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null> {
    const reply = await this.#redeem(id, now, tokens, 'code');
    return reply === null ? null : toAuthCode(reply);
  }

  async #redeem(id: string, now: Date, tokens: IssuedTokens, kind: 'code' | 'device'): Promise<Hash | null> {
    if (!isStorableId(id)) return null;
    let group: string;
    try {
      group = this.#groupOf(tokens, id) ?? id;
    } catch (error) {
      // Tokens of another family cannot be written in the code's step. Core never asks for that;
      // for a code that is not there or not redeemable the answer is null all the same.
      const key = kind === 'code' ? this.#keys.authCode(id) : this.#keys.deviceCode(id);
      const code = await this.#hgetall(key);
      const redeemable =
        code !== null &&
        code.consumedAt === undefined &&
        Number(code.expiresAt) > now.getTime() &&
        (kind === 'code' ? code.revoked !== '1' : code.status === 'approved');
      if (!redeemable) return null;
      throw error;
    }
    const block = this.#tokenBlock(group, tokens);
    const written = await this.#writeGroupTokens(block, tokens, {
      script: scripts.redeem,
      withEntries: scripts.redeemWithEntries,
      keys: [kind === 'code' ? this.#keys.authCode(id) : this.#keys.deviceCode(id), ...block.keys],
      args: [now.getTime(), kind, ...block.args],
    });
    const reply = written.reply as [number, unknown?];
    if (reply[0] === 3) return toHash(reply[1]);
    await written.release();
    if (reply[0] === 2) throw new StoreConflictError('A token issued from this code already exists');
    return null;
  }

  // ------------------------------------------------------------------------------ device codes

  /**
   * The user code is claimed first (unless a live device code holds it), then the device code
   * record is created; a duplicate device code id frees the claim again.
   */
  async saveDeviceCode(code: DeviceCodeRecord): Promise<void> {
    const keys = this.#keys;
    const fields = JSON.stringify(deviceCodeFields(code));
    const ttl = ttlMs(code.createdAt, code.expiresAt, this.#replayMs);
    const userCodeKey = keys.userCode(code.userCode);
    const [, claimed] = await Promise.all([
      this.#indexAdd(
        keys.clientTokens(code.clientId),
        code.createdAt.getTime() + ttl,
        `f:${encodeId(code.id)}`,
        ttl,
      ),
      this.#eval(
        scripts.claimUserCode,
        [userCodeKey],
        [code.id, code.expiresAt.getTime(), code.createdAt.getTime(), ttl],
      ),
    ]);
    if (claimed !== 1) throw new StoreConflictError(`The user code "${code.userCode}" is already in use`);
    let created: unknown;
    try {
      created = await this.#eval(scripts.claim, [keys.deviceCode(code.id)], [fields, ttl]);
    } catch (error) {
      await this.#quietly(() => this.#eval(scripts.releaseUserCode, [userCodeKey], [code.id]));
      throw error;
    }
    if (created !== 1) {
      await this.#quietly(() => this.#eval(scripts.releaseUserCode, [userCodeKey], [code.id]));
      throw new StoreConflictError('A device code with this id already exists');
    }
  }

  async findDeviceCode(id: string): Promise<DeviceCodeRecord | null> {
    if (!isStorableId(id)) return null;
    return toDeviceCode(await this.#hgetall(this.#keys.deviceCode(id)));
  }

  async findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null> {
    if (!isStorableId(userCode)) return null;
    const id = await this.#call((client) => client.hget(this.#keys.userCode(userCode), 'device'));
    if (id === null) return null;
    const code = toDeviceCode(await this.#hgetall(this.#keys.deviceCode(id)));
    if (code === null || code.userCode !== userCode || code.consumedAt !== null) return null;
    return code.expiresAt.getTime() > now.getTime() ? code : null;
  }

  async decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null> {
    if (!isStorableId(id)) return null;
    if (!isStorableId(decision.userId)) {
      throw new StoreInvalidInputError('The user id contains a lone surrogate, which Redis cannot store');
    }
    const reply = await this.#eval(
      scripts.decideDeviceCode,
      [this.#keys.deviceCode(id)],
      [decision.status, decision.userId, decision.now.getTime()],
    );
    return toDeviceCode(toHash(reply));
  }

  async touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null> {
    if (!isStorableId(id)) return null;
    const reply = await this.#eval(
      scripts.touchDeviceCode,
      [this.#keys.deviceCode(id)],
      [now.getTime(), interval === undefined ? '' : String(interval)],
    );
    return toDeviceCode(toHash(reply));
  }

  /** As {@link RedisStore.redeemAuthCode}, then the user code is freed for new device codes. */
  async redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null> {
    const reply = await this.#redeem(id, now, tokens, 'device');
    const code = reply === null ? null : toDeviceCode(reply);
    if (code !== null) {
      await this.#quietly(() =>
        this.#eval(scripts.releaseUserCode, [this.#keys.userCode(code.userCode)], [id]),
      );
    }
    return code;
  }

  // ------------------------------------------------------------------------------ nonces, rate limits

  async useNonce(id: string, expiresAt: Date): Promise<boolean> {
    if (!isStorableId(id)) throw new StoreInvalidInputError('The marker id contains a lone surrogate');
    return (await this.#eval(scripts.useNonce, [this.#keys.nonce(id)], [expiresAt.getTime()])) === 1;
  }

  /** One script: `HINCRBY` in an open window, otherwise a new window with a TTL of `windowMs`. */
  async hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit> {
    if (!isStorableId(key)) throw new StoreInvalidInputError('The rate-limit key contains a lone surrogate');
    const window = Math.max(1, Math.ceil(windowMs));
    const [count, resetAt] = (await this.#eval(
      scripts.hitRateLimit,
      [this.#keys.rateLimit(key)],
      [now.getTime(), window],
    )) as [number, string];
    return { count: Number(count), resetAt: new Date(Number(resetAt)) };
  }

  // ------------------------------------------------------------------------------ feed, lifecycle

  /**
   * Listens to the revocations every instance publishes on `<prefix>changes`, on a dedicated
   * subscriber connection (opened with the first listener, closed with the last). Resolves once
   * the subscription is live, or after `timeoutMs` when the server cannot be reached.
   * `listener.connected` runs once the subscription is live (again), `listener.disconnected`
   * when the connection drops; ioredis reconnects and subscribes again by itself.
   *
   * @example
   * ```ts
   * const unsubscribe = await store.subscribeChanges({ changed: (event) => console.log(event) });
   * await unsubscribe();
   * ```
   */
  subscribeChanges(listener: StoreChangeListener): Promise<() => Promise<void>> {
    return this.#feed.subscribe(listener, this.#timeoutMs);
  }

  /**
   * Closes the subscriber connection, and the ioredis connection too when the store opened it
   * (`closeClient`). Never throws.
   */
  async close(): Promise<void> {
    await this.#feed.close();
    if (!this.#closeClient) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
