import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord,
  type ClientUpdate,
  type DeviceCodeRecord,
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
import type { Collection, Db, Filter } from 'mongodb';
import {
  CHANGE_RETENTION_SECONDS,
  collectionNames,
  type EnsureIndexesResult,
  ensureIndexes,
  type MongoCollectionNames,
} from './indexes.js';
import { type ChangeDoc, ChangeFeed, FEED_OFF, publishChange } from './internal/changes.js';
import {
  type AuthCodeDoc,
  accessTokenIdOf,
  type ClientDoc,
  type DeviceCodeDoc,
  type DeviceState,
  type LookupDoc,
  lookupId,
  type MarkDoc,
  markId,
  type NonceDoc,
  parentOf,
  type RateLimitDoc,
  type RateLimitHintDoc,
  type RefreshSubdoc,
  rateLimitId,
  type TokenDoc,
  toAccessToken,
  toAuthCode,
  toAuthCodeDoc,
  toClient,
  toClientDoc,
  toDeviceCode,
  toDeviceCodeDoc,
  toRefreshToken,
  toTokenDoc,
  type UseState,
} from './internal/documents.js';
import { isDuplicateKey, toStoreError } from './internal/errors.js';
import {
  ACCESS_TOKEN_SPEC,
  AUTH_CODE_SPEC,
  CLIENT_SPEC,
  CLIENT_UPDATE_SPEC,
  checkDate,
  checkRecord,
  DEVICE_CODE_SPEC,
  isId,
  REFRESH_TOKEN_SPEC,
} from './internal/input.js';
import { existingIds, insertMarks, type PurgeContext, purgeAll } from './internal/purge.js';

/** Options of {@link MongoStore}. */
export interface MongoStoreOptions {
  /**
   * Prefix of every collection name: `<prefix>clients`, `<prefix>tokens`, `<prefix>marks`,
   * `<prefix>lookups`, `<prefix>auth_codes`, `<prefix>device_codes`, `<prefix>nonces`,
   * `<prefix>rate_limits`, `<prefix>changes`.
   * @default 'oauth_'
   */
  collectionPrefix?: string;
  /**
   * Most documents purge examines per round trip.
   * @default 1000
   */
  purgeBatchSize?: number;
  /**
   * Publish every revocation to the `changes` collection and offer the revocation feed
   * ({@link MongoStore.subscribeChanges}), so each instance's read-through cache drops a revoked
   * token or a changed client at once rather than within its time bound. Costs one small insert
   * per revoking operation (a refresh rotation included). `false`: no events, no feed.
   * @default true
   */
  changeFeed?: boolean;
  /**
   * How often a subscriber polls the `changes` collection on a server without change streams
   * (FerretDB, a standalone MongoDB), in ms. With change streams the feed does not poll. The
   * default keeps a revocation's propagation to other instances within 250 ms at p99 (measured on
   * FerretDB 1.24: see docs/ARCHITECTURE.md); each poll is one `find` on the `changes` collection,
   * which holds a minute of events.
   * @default 100
   */
  changeFeedPollMs?: number;
  /**
   * Called by {@link MongoStore.close} (the factory passes the close of the `MongoClient` it
   * created, so the store closes only what it opened).
   */
  onClose?: () => Promise<void>;
}

type TokenWithRefresh = TokenDoc & { rt: RefreshSubdoc };

/** A refresh token as stored plus what its marks and its successor say. */
interface RefreshState {
  doc: TokenWithRefresh;
  state: UseState;
  /** Purge deleted it (its document stays for its access token or its parent). */
  purged: boolean;
}

/** A device code as stored plus what its marks and its issued pair say. */
interface DeviceStateRead {
  doc: DeviceCodeDoc;
  state: DeviceState;
  revoked: boolean;
}

/** Client update fields a `$set` may carry. */
const CLIENT_UPDATE_FIELDS = [
  'name',
  'secretHash',
  'provider',
  'redirectUris',
  'grantTypes',
  'scopes',
  'firstParty',
  'resourceServer',
  'revoked',
] as const satisfies readonly (keyof ClientUpdate)[];

/**
 * Attempts of an insert that takes the next number of a sequence (a rate-limit hit, a user code
 * holder). Each failed attempt means another caller took that number, so the bound is only a
 * guard against a bug: 50 concurrent hits on one key need at most 50.
 */
const MAX_SEQUENCE_ATTEMPTS = 10_000;

/** What a commit did: won, lost to a concurrent caller, or lost to a revocation of the parent. */
type CommitOutcome = 'won' | 'lost';

/**
 * The MongoDB implementation of core's {@link PassportStore}, on the official `mongodb` driver.
 * Correct on a standalone server and on MongoDB-compatible servers without multi-document
 * transactions, including FerretDB 1.x, whose updates are not even atomic on one document: every
 * step that must be atomic is an insert guarded by a unique index, the one operation every such
 * server makes atomic.
 *
 * - An access token and the refresh token issued with it are **one document**, so `saveTokens`
 *   is one insert (`_id` = the access token's id) and the bearer guard's `findAccessToken` one
 *   read by `_id`.
 * - A rotation or a redemption **is** the insert of the new pair keyed by what it consumes
 *   (`_id` = `r:<refresh id>`, `c:<code id>`, `d:<device code id>`), so of concurrent callers
 *   exactly one insert succeeds, the consumption and the tokens appear together, and whether a
 *   refresh token or a code was consumed is one read by `_id`.
 * - Every read on a hot path is by `_id` (FerretDB 1.x uses no other index for queries): a refresh
 *   token and the access token of a rotated or redeemed pair are found through insert-only lookup
 *   documents, inserted before the document they point to and checked on every read.
 * - Revocations of access tokens, refresh tokens, codes and device codes, and device decisions,
 *   are inserted marks with deterministic ids; a token document is never updated (but for purge's
 *   `gone`).
 *
 * The package README has the whole design and why each guarantee holds.
 *
 * @example
 * ```ts
 * import { MongoClient } from 'mongodb';
 * import { MongoStore } from '@passport/store-mongo';
 *
 * const client = new MongoClient(process.env.MONGODB_URL ?? 'mongodb://127.0.0.1:27017');
 * const store = new MongoStore(client.db('passport'));
 * await store.ensureIndexes();
 * ```
 */
export class MongoStore implements PassportStore {
  /** The database the store's collections live in. */
  readonly db: Db;
  /** The prefix of the store's collection names (`collectionPrefix`). */
  readonly collectionPrefix: string;
  /** The collection names (from `collectionPrefix`). */
  readonly collectionNames: MongoCollectionNames;
  readonly #clients: Collection<ClientDoc>;
  readonly #tokens: Collection<TokenDoc>;
  readonly #marks: Collection<MarkDoc>;
  readonly #lookups: Collection<LookupDoc>;
  readonly #authCodes: Collection<AuthCodeDoc>;
  readonly #deviceCodes: Collection<DeviceCodeDoc>;
  readonly #nonces: Collection<NonceDoc>;
  readonly #rateLimits: Collection<RateLimitDoc>;
  /** The same collection as `#rateLimits`, holding each key's hint (`h:<key>`). */
  readonly #rateLimitHints: Collection<RateLimitHintDoc>;
  readonly #purgeBatchSize: number;
  readonly #changes: Collection<ChangeDoc>;
  readonly #changeFeed: boolean;
  readonly #changeFeedPollMs: number;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #feeds = new Set<ChangeFeed>();

  constructor(db: Db, options: MongoStoreOptions = {}) {
    if (typeof db?.collection !== 'function') {
      throw new PassportOptionsError(
        'MongoStore needs a Db: new MongoStore(client.db("passport")), or use createMongoStore({ url }).',
      );
    }
    const prefix = options.collectionPrefix ?? 'oauth_';
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_-]*$/.test(prefix)) {
      throw new PassportOptionsError(
        `Invalid collectionPrefix ${JSON.stringify(prefix)}: use letters, digits, "_" and "-", e.g. { collectionPrefix: 'oauth_' }.`,
      );
    }
    const batch = options.purgeBatchSize ?? 1000;
    if (!Number.isSafeInteger(batch) || batch < 1) {
      throw new PassportOptionsError(
        `Invalid purgeBatchSize ${String(batch)}: use a positive integer, e.g. { purgeBatchSize: 1000 }.`,
      );
    }
    this.db = db;
    this.collectionPrefix = prefix;
    this.collectionNames = collectionNames(prefix);
    this.#clients = db.collection(this.collectionNames.clients);
    this.#tokens = db.collection(this.collectionNames.tokens);
    this.#marks = db.collection(this.collectionNames.marks);
    this.#lookups = db.collection(this.collectionNames.lookups);
    this.#authCodes = db.collection(this.collectionNames.authCodes);
    this.#deviceCodes = db.collection(this.collectionNames.deviceCodes);
    this.#nonces = db.collection(this.collectionNames.nonces);
    this.#rateLimits = db.collection(this.collectionNames.rateLimits);
    this.#rateLimitHints = db.collection(this.collectionNames.rateLimits);
    this.#purgeBatchSize = batch;
    this.#changes = db.collection(this.collectionNames.changes);
    this.#changeFeed = options.changeFeed ?? true;
    const pollMs = options.changeFeedPollMs ?? 100;
    if (!Number.isSafeInteger(pollMs) || pollMs < 10) {
      throw new PassportOptionsError(
        `Invalid changeFeedPollMs ${String(pollMs)}: use an integer of at least 10, e.g. { changeFeedPollMs: 100 }.`,
      );
    }
    this.#changeFeedPollMs = pollMs;
    this.#onClose = options.onClose;
  }

  /**
   * Creates every index the store needs (idempotent; `passport migrate` runs it too). The unique
   * ones are part of correctness: run it before the store takes traffic.
   *
   * @example
   * ```ts
   * const { ttl } = await store.ensureIndexes(); // ttl: false on FerretDB 1.x
   * ```
   */
  ensureIndexes(): Promise<EnsureIndexesResult> {
    return ensureIndexes(this.db, this.collectionNames);
  }

  /** Stops the change feeds and closes the client the store was created with (if any). */
  async close(): Promise<void> {
    for (const feed of [...this.#feeds]) await feed.stop();
    await this.#onClose?.();
  }

  /** Runs `operation`, mapping driver errors to the store contract. */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** Publishes a revocation to the feed (when it is on). */
  async #publish(event: StoreChangeEvent): Promise<void> {
    if (this.#changeFeed) await publishChange(this.#changes, event);
  }

  // ---------------------------------------------------------------- clients

  createClient(client: ClientRecord): Promise<void> {
    return this.#run(async () => {
      checkRecord('client', client, CLIENT_SPEC);
      await this.#clients.insertOne(toClientDoc(client));
    });
  }

  findClient(id: string): Promise<ClientRecord | null> {
    return this.#run(async () => {
      if (!isId(id)) return null;
      const doc = await this.#clients.findOne({ _id: id });
      return doc === null ? null : toClient(doc);
    });
  }

  updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null> {
    return this.#run(async () => {
      checkRecord('client update', update, CLIENT_UPDATE_SPEC, { partial: true });
      checkDate('client update.updatedAt', update.updatedAt);
      if (!isId(id)) return null;
      const set: Partial<ClientDoc> = { updatedAt: update.updatedAt };
      for (const name of CLIENT_UPDATE_FIELDS) {
        const value = update[name];
        if (value !== undefined) Object.assign(set, { [name]: Array.isArray(value) ? [...value] : value });
      }
      const doc = await this.#clients.findOneAndUpdate(
        { _id: id },
        { $set: set },
        { returnDocument: 'after' },
      );
      if (doc === null) return null;
      await this.#publish({ type: 'client', clientId: id });
      return toClient(doc);
    });
  }

  deleteClient(id: string): Promise<boolean> {
    return this.#run(async () => {
      if (!isId(id)) return false;
      const { deletedCount } = await this.#clients.deleteOne({ _id: id });
      if (deletedCount === 0) return false;
      await this.#publish({ type: 'client', clientId: id });
      return true;
    });
  }

  listClientsByOwner(ownerId: string): Promise<ClientRecord[]> {
    return this.#run(async () => {
      if (!isId(ownerId)) return [];
      const docs = await this.#clients.find({ ownerId }).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(toClient);
    });
  }

  listClients(): Promise<ClientRecord[]> {
    return this.#run(async () => {
      const docs = await this.#clients.find({}).sort({ createdAt: 1, _id: 1 }).toArray();
      return docs.map(toClient);
    });
  }

  // ---------------------------------------------------------------- tokens

  /**
   * One `insertOne` of the pair's document (`_id` = the access token's id): both tokens are stored
   * or neither. The refresh token's `T` lookup is inserted first (a taken refresh token id
   * conflicts there) and removed again when the document's insert fails; until the document
   * exists, the lookup leads nowhere. A taken access token id or refresh token id throws
   * `StoreConflictError`.
   */
  saveTokens(tokens: IssuedTokens): Promise<void> {
    return this.#run(async () => {
      checkTokens(tokens);
      await this.#insertPair(toTokenDoc(tokens));
    });
  }

  /**
   * Inserts a token document after its lookups (`A` for its access token, `T` for its refresh
   * token, `C` for the parent it consumes, `N` for an access token of another document its refresh
   * token names). When the document's insert fails, the `A` and `T` lookups are deleted again (best
   * effort: one left behind leads to no document holding that token, so it reads as absent).
   */
  async #insertPair(doc: TokenDoc): Promise<void> {
    const rt = doc.rt;
    const jti = accessTokenIdOf(doc);
    const written: string[] = [];
    try {
      await this.#insertLookup(lookupId.accessToken(jti), doc._id, (held) => accessTokenIdOf(held) === jti);
      written.push(lookupId.accessToken(jti));
      if (rt !== undefined) {
        if (rt.accessTokenId !== undefined) {
          await insertMarks(this.#lookups, [{ _id: lookupId.namedAccessToken(rt.accessTokenId) }]);
        }
        await this.#insertLookup(lookupId.refreshToken(rt.id), doc._id, (held) => held.rt?.id === rt.id);
        written.push(lookupId.refreshToken(rt.id));
      }
      // A pair keyed by its parent: the parent's C lookup goes first (see LookupDoc).
      if (doc.parent !== undefined)
        await insertMarks(this.#lookups, [{ _id: lookupId.consumption(doc.parent) }]);
      await this.#tokens.insertOne(doc);
    } catch (error) {
      // One delete by _id each (FerretDB evaluates `$in` document by document).
      await Promise.all(written.map((id) => this.#lookups.deleteOne({ _id: id }).catch(() => undefined)));
      throw error;
    }
  }

  /**
   * Inserts the lookup `id` pointing to the token document `at`. Taken by a lookup whose document
   * holds the token (`holds`): a conflict (duplicate key). Taken by one that leads nowhere (left
   * behind by a failed write, maybe an earlier attempt of this one): used, or replaced.
   */
  async #insertLookup(id: string, at: string, holds: (doc: TokenDoc) => boolean): Promise<void> {
    try {
      await this.#lookups.insertOne({ _id: id, at });
      return;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.#lookups.findOne({ _id: id });
      const held = existing?.at === undefined ? null : await this.#tokens.findOne({ _id: existing.at });
      if (held !== null && holds(held)) throw error;
      if (existing?.at === at) return;
    }
    await this.#lookups.deleteOne({ _id: id });
    await this.#lookups.insertOne({ _id: id, at });
  }

  /**
   * The document holding access token `id` (its `A` lookup, then the document it names, by `_id`)
   * and whether the token is revoked (the document's flag, or its `V` mark, read beside the lookup).
   */
  async #accessTokenDoc(id: string): Promise<{ doc: TokenDoc; revoked: boolean } | null> {
    const [pointer, revokedMark] = await Promise.all([
      this.#lookups.findOne({ _id: lookupId.accessToken(id) }),
      this.#marked(markId.accessRevoked(id)),
    ]);
    if (pointer?.at === undefined) return null;
    const doc = await this.#tokens.findOne({ _id: pointer.at });
    // A lookup left behind by a failed insert leads to no document holding this access token.
    if (doc === null || accessTokenIdOf(doc) !== id) return null;
    return { doc, revoked: doc.revoked || revokedMark };
  }

  /**
   * Two rounds of reads by `_id`: the token's `A` lookup and `V` mark, then its document (the
   * bearer guard's read).
   */
  findAccessToken(id: string): Promise<AccessTokenRecord | null> {
    return this.#run(async () => {
      if (!isId(id)) return null;
      const found = await this.#accessTokenDoc(id);
      if (found === null || found.doc.gone === true) return null;
      return { ...toAccessToken(found.doc), revoked: found.revoked };
    });
  }

  /** The token's lookup and marks, and its successor (by `_id`), read together, then its document. */
  findRefreshToken(id: string): Promise<RefreshTokenRecord | null> {
    return this.#run(async () => {
      if (!isId(id)) return null;
      const read = await this.#refreshState(id);
      return read === null || read.purged ? null : toRefreshToken(read.doc, read.state);
    });
  }

  /**
   * Checks the token is live, then commits by inserting `next` keyed by this token (`_id` =
   * `r:<id>`: one rotation wins), re-checks that no revocation came in between (else deletes `next`
   * and answers `null`), and revokes the old access token.
   */
  rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null> {
    return this.#run(async () => {
      checkTokens(next);
      checkDate('now', now);
      if (next.refreshToken === null) {
        throw new StoreInvalidInputError('rotateRefreshToken needs next.refreshToken');
      }
      if (!isId(id)) return null;
      // Not whether it was rotated: the insert keyed by it decides that.
      const read = await this.#refreshState(id, false);
      if (read === null || read.purged || !isUsable(read.state, read.doc.rt.expiresAt, now)) return null;
      const outcome = await this.#commit(
        toTokenDoc(next, { parent: parentOf.refresh(id), consumedAt: now, expiresAt: read.doc.rt.expiresAt }),
        () => this.#marked(markId.refreshRevoked(id)),
      );
      if (outcome === 'lost') return null;
      // The access token issued with the rotated refresh token is revoked by its V mark: one insert
      // (an update would be found by FerretDB reading the whole token collection).
      const accessTokenId = read.doc.rt.accessTokenId ?? accessTokenIdOf(read.doc);
      await insertMarks(this.#marks, [{ _id: markId.accessRevoked(accessTokenId) }]);
      await this.#publish({ type: 'accessTokens', ids: [accessTokenId] });
      return toRefreshToken(read.doc, {
        revoked: false,
        consumedAt: now,
        replacedBy: next.refreshToken.id,
      });
    });
  }

  /**
   * Inserts the pair a rotation or redemption writes, keyed by its parent (after its lookups, see
   * {@link MongoStore.saveTokens}). A taken `_id` means another caller won: `'lost'`. A taken token
   * id is a conflict (nothing was written). After the insert, `revoked()` re-checks the parent: a
   * revocation that came between the caller's check and the insert wins, and the pair is deleted
   * again.
   */
  async #commit(
    pair: TokenDoc & { parent: string },
    revoked: () => Promise<boolean>,
  ): Promise<CommitOutcome> {
    try {
      await this.#insertPair(pair);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const winner = await this.#tokens.findOne({ _id: pair._id }, { projection: { _id: 1 } });
      if (winner !== null) return 'lost';
      throw error;
    }
    if (await revoked()) {
      await this.#tokens.deleteOne({ _id: pair._id });
      const lookups = [
        lookupId.accessToken(accessTokenIdOf(pair)),
        ...(pair.rt === undefined ? [] : [lookupId.refreshToken(pair.rt.id)]),
      ];
      await Promise.all(lookups.map((id) => this.#lookups.deleteOne({ _id: id })));
      return 'lost';
    }
    return 'won';
  }

  /**
   * The pair that consumed a parent (a rotated refresh token, a redeemed code), if any: the
   * parent's `C` lookup (missing: certainly not consumed, one read of a small document), then the
   * pair keyed by the parent.
   */
  async #successor(parent: string): Promise<Pick<TokenDoc, '_id' | 'rt' | 'parentConsumedAt'> | null> {
    if ((await this.#lookups.findOne({ _id: lookupId.consumption(parent) })) === null) return null;
    return this.#tokens.findOne({ _id: parent }, { projection: { _id: 1, 'rt.id': 1, parentConsumedAt: 1 } });
  }

  /** Whether a mark exists. */
  async #marked(id: string): Promise<boolean> {
    return (await this.#marks.findOne({ _id: id }, { projection: { _id: 1 } })) !== null;
  }

  /**
   * A refresh token's document (through its `T` lookup) and marks, and unless told otherwise
   * whether it was rotated (its `C` lookup, then the pair keyed by it). A rotation does not ask:
   * its insert keyed by the token is what decides.
   */
  async #refreshState(id: string, withConsumption = true): Promise<RefreshState | null> {
    const [pointer, revokedMark, purgedMark, child] = await Promise.all([
      this.#lookups.findOne({ _id: lookupId.refreshToken(id) }),
      this.#marked(markId.refreshRevoked(id)),
      this.#marked(markId.refreshPurged(id)),
      withConsumption ? this.#successor(parentOf.refresh(id)) : null,
    ]);
    if (pointer?.at === undefined) return null;
    const doc = await this.#tokens.findOne({ _id: pointer.at });
    // A lookup left behind by a failed insert leads to no document holding this refresh token.
    if (doc === null || doc.rt === undefined || doc.rt.id !== id) return null;
    const rt = doc.rt;
    return {
      doc: doc as TokenWithRefresh,
      purged: purgedMark,
      state: {
        revoked: rt.revoked || revokedMark,
        consumedAt: rt.consumedAt ?? child?.parentConsumedAt ?? null,
        replacedBy: rt.replacedBy ?? child?.rt?.id ?? null,
      },
    };
  }

  /**
   * Inserts the access token's `V` mark and the `R` marks of every refresh token issued with it
   * revoked (the one in its document and any stored elsewhere naming it).
   */
  revokeAccessToken(id: string): Promise<boolean> {
    return this.#run(async () => {
      if (!isId(id)) return false;
      const found = await this.#accessTokenDoc(id);
      if (found === null || found.doc.gone === true) return false;
      const { doc } = found;
      const refreshIds: string[] = [];
      if (doc.rt !== undefined && doc.rt.accessTokenId === undefined) refreshIds.push(doc.rt.id);
      // Refresh tokens stored in other documents that name this access token: only when its `N`
      // lookup says there are any (core never writes such pairs).
      if ((await this.#lookups.findOne({ _id: lookupId.namedAccessToken(id) })) !== null) {
        const others = await this.#tokens
          .find({ 'rt.accessTokenId': id }, { projection: { 'rt.id': 1 } })
          .toArray();
        for (const other of others) if (other.rt !== undefined) refreshIds.push(other.rt.id);
      }
      await insertMarks(this.#marks, [
        { _id: markId.accessRevoked(id) },
        ...refreshIds.map((refreshId) => ({ _id: markId.refreshRevoked(refreshId) })),
      ]);
      await this.#publish({ type: 'accessTokens', ids: [id] });
      return true;
    });
  }

  revokeRefreshToken(id: string): Promise<boolean> {
    return this.#run(async () => {
      if (!isId(id)) return false;
      const read = await this.#refreshState(id);
      if (read === null || read.purged) return false;
      await insertMarks(this.#marks, [{ _id: markId.refreshRevoked(id) }]);
      return true;
    });
  }

  /**
   * Pass after pass until one changes nothing: `revoked` on the family's access tokens, a revoked
   * mark for each of its refresh tokens. A rotation inserts its pair before it re-checks its
   * parent's mark, so a rotation that commits during this call either sees the mark (and deletes
   * its pair) or had inserted its pair before the pass that marked its parent, a pass that
   * changed something: the next pass starts later and revokes the pair.
   */
  revokeFamily(familyId: string): Promise<number> {
    return this.#run(async () => {
      if (!isId(familyId)) return 0;
      let total = 0;
      for (;;) {
        const changed = await this.#revokePass(
          { familyId, revoked: false, gone: { $exists: false } },
          { 'rt.familyId': familyId, 'rt.revoked': false },
        );
        total += changed;
        if (changed > 0) continue;
        if (total > 0) await this.#publish({ type: 'family', familyId });
        return total;
      }
    });
  }

  /**
   * One pass of a revocation: reads the unrevoked access tokens of `accessFilter` and the refresh
   * tokens of `refreshFilter` without a revoked or purged mark (in parallel, so the count is of
   * one moment), then revokes them. Returns how many it found unrevoked: each of concurrent
   * revocations counts what it saw.
   */
  async #revokePass(accessFilter: Filter<TokenDoc>, refreshFilter: Filter<TokenDoc>): Promise<number> {
    const [access, refresh] = await Promise.all([
      this.#tokens.find(accessFilter, { projection: { _id: 1, jti: 1 } }).toArray(),
      this.#unmarkedRefreshIds(refreshFilter),
    ]);
    // V marks for the access tokens (how many were new: those this pass revoked), R marks for the
    // refresh tokens found unmarked.
    const revokedAccess = await insertMarks(
      this.#marks,
      access.map((doc) => ({ _id: markId.accessRevoked(accessTokenIdOf(doc)) })),
    );
    await insertMarks(
      this.#marks,
      refresh.map((id) => ({ _id: markId.refreshRevoked(id) })),
    );
    return revokedAccess + refresh.length;
  }

  /** The ids of the refresh tokens matching `filter` that carry neither a revoked nor a purged mark. */
  async #unmarkedRefreshIds(filter: Filter<TokenDoc>): Promise<string[]> {
    const docs = await this.#tokens.find(filter, { projection: { 'rt.id': 1 } }).toArray();
    const ids = docs.flatMap((doc) => (doc.rt === undefined ? [] : [doc.rt.id]));
    if (ids.length === 0) return [];
    const marked = new Set(
      [
        ...(await existingIds(this.#marks, [
          ...ids.map(markId.refreshRevoked),
          ...ids.map(markId.refreshPurged),
        ])),
      ].map((markIdValue) => markIdValue.slice(1)),
    );
    return ids.filter((id) => !marked.has(id));
  }

  /**
   * Marks the client's codes and device codes revoked, its access tokens (`V`) and
   * marks its refresh tokens, pass after pass until one changes nothing (the ordering argument of
   * {@link MongoStore.revokeFamily}, for rotations and redemptions alike).
   */
  revokeClientTokens(clientId: string): Promise<number> {
    return this.#run(async () => {
      if (!isId(clientId)) return 0;
      let total = 0;
      for (;;) {
        const codes = await this.#authCodes
          .find({ clientId }, { projection: { _id: 1, revoked: 1 } })
          .toArray();
        const devices = await this.#deviceCodes.find({ clientId }, { projection: { _id: 1 } }).toArray();
        const marked =
          (await insertMarks(
            this.#marks,
            codes.filter((code) => !code.revoked).map((code) => ({ _id: markId.codeRevoked(code._id) })),
          )) +
          (await insertMarks(
            this.#marks,
            devices.map((device) => ({ _id: markId.deviceRevoked(device._id) })),
          ));
        const tokens = await this.#revokePass(
          { clientId, revoked: false, gone: { $exists: false } },
          { 'rt.clientId': clientId, 'rt.revoked': false },
        );
        const changed = marked + tokens;
        total += changed;
        if (changed > 0) continue;
        await this.#publish({ type: 'client', clientId });
        return total;
      }
    });
  }

  listUserTokens(userId: string, options: { now: Date; clientId?: string }): Promise<AccessTokenRecord[]> {
    return this.#run(async () => {
      checkDate('now', options.now);
      if (!isId(userId)) return [];
      const filter: Filter<TokenDoc> = {
        userId,
        revoked: false,
        expiresAt: { $gt: options.now },
        gone: { $exists: false },
      };
      if (options.clientId !== undefined) {
        if (!isId(options.clientId)) return [];
        filter.clientId = options.clientId;
      }
      const docs = await this.#tokens.find(filter).sort({ createdAt: -1, _id: -1 }).toArray();
      const revoked = await existingIds(
        this.#marks,
        docs.map((doc) => markId.accessRevoked(accessTokenIdOf(doc))),
      );
      return docs
        .filter((doc) => !revoked.has(markId.accessRevoked(accessTokenIdOf(doc))))
        .map(toAccessToken);
    });
  }

  /** Deletes per the contract in batches of `purgeBatchSize` (see the README for the rules). */
  purge(options: PurgeOptions): Promise<PurgeResult> {
    return this.#run(async () => {
      checkDate('now', options.now);
      if (options.expiredBefore != null) checkDate('expiredBefore', options.expiredBefore);
      if (options.revokedClientsBefore != null)
        checkDate('revokedClientsBefore', options.revokedClientsBefore);
      const context: PurgeContext = {
        clients: this.#clients,
        tokens: this.#tokens,
        marks: this.#marks,
        lookups: this.#lookups,
        changes: this.#changes,
        authCodes: this.#authCodes,
        deviceCodes: this.#deviceCodes,
        nonces: this.#nonces,
        rateLimits: this.#rateLimits,
        batchSize: this.#purgeBatchSize,
      };
      return purgeAll(context, options);
    });
  }

  // ---------------------------------------------------------------- authorization codes

  saveAuthCode(code: AuthCodeRecord): Promise<void> {
    return this.#run(async () => {
      checkRecord('authorization code', code, AUTH_CODE_SPEC);
      await this.#authCodes.insertOne(toAuthCodeDoc(code));
    });
  }

  findAuthCode(id: string): Promise<AuthCodeRecord | null> {
    return this.#run(async () => {
      if (!isId(id)) return null;
      const read = await this.#codeState(id);
      return read === null ? null : toAuthCode(read.doc, read.state);
    });
  }

  async #codeState(
    id: string,
    withConsumption = true,
  ): Promise<{ doc: AuthCodeDoc; state: UseState } | null> {
    const [doc, revokedMark, child] = await Promise.all([
      this.#authCodes.findOne({ _id: id }),
      this.#marked(markId.codeRevoked(id)),
      withConsumption ? this.#successor(parentOf.code(id)) : null,
    ]);
    if (doc === null) return null;
    return {
      doc,
      state: {
        revoked: doc.revoked || revokedMark,
        consumedAt: doc.consumedAt ?? child?.parentConsumedAt ?? null,
        replacedBy: null,
      },
    };
  }

  /**
   * Checks the code is live (three reads by `_id`), then commits by inserting the tokens keyed by
   * this code (`_id` = `c:<id>`: one redemption wins; the consumption and the tokens appear in one
   * insert), and re-checks that no revocation came in between.
   */
  redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null> {
    return this.#run(async () => {
      checkTokens(tokens);
      checkDate('now', now);
      if (!isId(id)) return null;
      // Not whether it was redeemed: the insert keyed by it decides that.
      const read = await this.#codeState(id, false);
      if (read === null || !isUsable(read.state, read.doc.expiresAt, now)) return null;
      const outcome = await this.#commit(
        toTokenDoc(tokens, { parent: parentOf.code(id), consumedAt: now, expiresAt: read.doc.expiresAt }),
        () => this.#marked(markId.codeRevoked(id)),
      );
      return outcome === 'won' ? toAuthCode(read.doc, { ...read.state, consumedAt: now }) : null;
    });
  }

  // ---------------------------------------------------------------- device codes

  /**
   * One insert of the device code, then the user code: the live holder of a user code is the
   * highest-numbered `U<user code>:<n>` mark; a new code takes number n + 1 (a unique insert) when
   * the holder is consumed or expired at the new code's `createdAt`, and conflicts otherwise (the
   * device code is deleted again, nothing stays).
   */
  saveDeviceCode(code: DeviceCodeRecord): Promise<void> {
    return this.#run(async () => {
      checkRecord('device code', code, DEVICE_CODE_SPEC);
      await this.#deviceCodes.insertOne(toDeviceCodeDoc(code));
      if (code.consumedAt !== null) return;
      try {
        await this.#claimUserCode(code);
      } catch (error) {
        await this.#deviceCodes.deleteOne({ _id: code.id }).catch(() => undefined);
        throw error;
      }
    });
  }

  async #claimUserCode(code: DeviceCodeRecord): Promise<void> {
    for (let attempt = 0; attempt < MAX_SEQUENCE_ATTEMPTS; attempt++) {
      const holder = await this.#userCodeHolder(code.userCode);
      if (holder !== null) {
        const read = holder.deviceId === undefined ? null : await this.#deviceState(holder.deviceId);
        if (read !== null && read.state.consumedAt === null && read.doc.expiresAt > code.createdAt) {
          throw new StoreConflictError(`The user code "${code.userCode}" is already in use`);
        }
      }
      const n = (holder?.n ?? 0) + 1;
      try {
        await this.#marks.insertOne({
          _id: markId.userCode(code.userCode, n),
          uc: code.userCode,
          n,
          deviceId: code.id,
          expiresAt: code.expiresAt,
        });
        return;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
    }
    throw new StoreUnavailableError('saveDeviceCode: the user code kept changing hands; try again');
  }

  /**
   * The highest-numbered holder mark of a user code: `U<user code>:1`, `:2`, ... read by `_id`
   * until one is missing (holders are numbered without gaps; purge deletes a user code's holders
   * only all together, from the highest down). A user code is nearly always held once: one read
   * and one miss.
   */
  async #userCodeHolder(userCode: string): Promise<MarkDoc | null> {
    let holder: MarkDoc | null = null;
    for (let n = 1; n <= MAX_SEQUENCE_ATTEMPTS; n++) {
      const next = await this.#marks.findOne({ _id: markId.userCode(userCode, n) });
      if (next === null) return holder;
      holder = next;
    }
    return holder;
  }

  findDeviceCode(id: string): Promise<DeviceCodeRecord | null> {
    return this.#run(async () => {
      if (!isId(id)) return null;
      const read = await this.#deviceState(id);
      return read === null ? null : toDeviceCode(read.doc, read.state);
    });
  }

  async #deviceState(
    id: string,
    known?: DeviceCodeDoc | null,
    withConsumption = true,
  ): Promise<DeviceStateRead | null> {
    const [doc, revoked, decision, child] = await Promise.all([
      known ?? this.#deviceCodes.findOne({ _id: id }),
      this.#marked(markId.deviceRevoked(id)),
      this.#marks.findOne({ _id: markId.deviceDecision(id) }),
      withConsumption ? this.#successor(parentOf.device(id)) : null,
    ]);
    if (doc === null) return null;
    const decided = doc.status === 'pending' && decision?.status !== undefined;
    return {
      doc,
      revoked,
      state: {
        status: decided && decision?.status !== undefined ? decision.status : doc.status,
        userId: decided ? (decision?.userId ?? null) : doc.userId,
        consumedAt: doc.consumedAt ?? child?.parentConsumedAt ?? null,
      },
    };
  }

  findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null> {
    return this.#run(async () => {
      checkDate('now', now);
      if (!isId(userCode)) return null;
      const holder = await this.#userCodeHolder(userCode);
      if (holder?.deviceId === undefined) return null;
      const read = await this.#deviceState(holder.deviceId);
      if (read === null || read.revoked || read.state.consumedAt !== null) return null;
      if (read.doc.userCode !== userCode || read.doc.expiresAt <= now) return null;
      return toDeviceCode(read.doc, read.state);
    });
  }

  /** One insert of the decision mark: of concurrent decisions exactly one is stored. */
  decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null> {
    return this.#run(async () => {
      checkDate('now', decision.now);
      if (decision.status !== 'approved' && decision.status !== 'denied') {
        throw new StoreInvalidInputError('decision.status must be "approved" or "denied"');
      }
      if (!isId(decision.userId))
        throw new StoreInvalidInputError('decision.userId must be a well-formed string');
      if (!isId(id)) return null;
      const read = await this.#deviceState(id);
      if (
        read === null ||
        read.revoked ||
        read.state.status !== 'pending' ||
        read.state.consumedAt !== null
      ) {
        return null;
      }
      if (read.doc.expiresAt <= decision.now) return null;
      try {
        await this.#marks.insertOne({
          _id: markId.deviceDecision(id),
          status: decision.status,
          userId: decision.userId,
        });
      } catch (error) {
        if (isDuplicateKey(error)) return null;
        throw error;
      }
      return toDeviceCode(read.doc, { ...read.state, status: decision.status, userId: decision.userId });
    });
  }

  /**
   * One `findOneAndUpdate` by `_id` returning the document as it was before (`lastPolledAt`,
   * `interval` are the only fields of a device code that change). See the README for FerretDB.
   */
  touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null> {
    return this.#run(async () => {
      checkDate('now', now);
      if (interval !== undefined && !(Number.isSafeInteger(interval) && interval >= 0)) {
        throw new StoreInvalidInputError('interval must be a non-negative integer');
      }
      if (!isId(id)) return null;
      const before = await this.#deviceCodes.findOneAndUpdate(
        { _id: id },
        { $set: interval === undefined ? { lastPolledAt: now } : { lastPolledAt: now, interval } },
        { returnDocument: 'before' },
      );
      if (before === null) return null;
      const read = await this.#deviceState(id, before);
      return read === null ? null : toDeviceCode(read.doc, read.state);
    });
  }

  /** As {@link MongoStore.redeemAuthCode}, for an approved device code. */
  redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null> {
    return this.#run(async () => {
      checkTokens(tokens);
      checkDate('now', now);
      if (!isId(id)) return null;
      // Not whether it was redeemed: the insert keyed by it decides that.
      const read = await this.#deviceState(id, null, false);
      if (
        read === null ||
        read.revoked ||
        read.state.status !== 'approved' ||
        read.state.consumedAt !== null
      ) {
        return null;
      }
      if (read.doc.expiresAt <= now) return null;
      const outcome = await this.#commit(
        toTokenDoc(tokens, { parent: parentOf.device(id), consumedAt: now, expiresAt: read.doc.expiresAt }),
        () => this.#marked(markId.deviceRevoked(id)),
      );
      return outcome === 'won' ? toDeviceCode(read.doc, { ...read.state, consumedAt: now }) : null;
    });
  }

  // ---------------------------------------------------------------- nonces and rate limits

  /** One insert: the unique `_id` lets exactly one of concurrent callers in. */
  useNonce(id: string, expiresAt: Date): Promise<boolean> {
    return this.#run(async () => {
      if (!isId(id)) throw new StoreInvalidInputError('nonce id must be a well-formed string');
      checkDate('expiresAt', expiresAt);
      try {
        await this.#nonces.insertOne({ _id: id, expiresAt });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    });
  }

  /**
   * Each hit takes the key's next hit number with a unique insert (`<i>:<key>`): it reads the
   * key's hint (`h:<key>`, the latest hit as its writer saw it), and either continues that hit's
   * window (same `start` and `resetAt`) or, when that window is over (or there is none), opens a
   * new one at `now`. A concurrent hit that took the number first makes the insert fail; the hit
   * reads that one (by `_id`) and tries the next number, so every hit is counted exactly once, in
   * the window of the hit before it. Then it records itself as the hint. Two reads by `_id` and one
   * insert when uncontended.
   *
   * Not one `findOneAndUpdate` with upsert (`$inc` on a counter document): on a server whose
   * single-document updates are not atomic (FerretDB 1.x, FerretDB issue 2168), concurrent `$inc`s
   * lose increments, and a lost hit is a guess that is never counted. An insert against the unique
   * `_id` is atomic everywhere.
   */
  hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit> {
    return this.#run(async () => {
      if (!isId(key)) throw new StoreInvalidInputError('rate-limit key must be a well-formed string');
      if (!(Number.isFinite(windowMs) && windowMs > 0)) {
        throw new StoreInvalidInputError('windowMs must be a positive number');
      }
      checkDate('now', now);
      let latest: { i: number; start: number; resetAt: Date } | null = await this.#rateLimitHints.findOne({
        _id: rateLimitId.hint(key),
      });
      for (let attempt = 0; attempt < MAX_SEQUENCE_ATTEMPTS; attempt++) {
        const i = (latest?.i ?? 0) + 1;
        const id = rateLimitId.hit(key, i);
        const hit: RateLimitDoc =
          latest !== null && latest.resetAt > now
            ? { _id: id, key, i, start: latest.start, resetAt: latest.resetAt }
            : { _id: id, key, i, start: i, resetAt: new Date(now.getTime() + windowMs), opens: true };
        try {
          await this.#rateLimits.insertOne(hit);
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          // Another hit took number i: continue from it (one read by _id). Gone again (purge
          // deleted its expired window): start over from the hint.
          latest =
            (await this.#rateLimits.findOne({ _id: id })) ??
            (await this.#rateLimitHints.findOne({ _id: rateLimitId.hint(key) }));
          if (latest !== null && latest.i < i) latest = { ...latest, i };
          continue;
        }
        await this.#rateLimitHints
          .updateOne(
            { _id: rateLimitId.hint(key) },
            { $set: { i, start: hit.start, resetAt: hit.resetAt } },
            { upsert: true },
          )
          .catch((error: unknown) => {
            // Two first hints of a key: one upsert inserts, the other finds the id taken. Either
            // hint is fine; any other failure leaves the hint behind, which only costs reads.
            if (!isDuplicateKey(error)) throw error;
          });
        return { count: i - hit.start + 1, resetAt: new Date(hit.resetAt.getTime()) };
      }
      throw new StoreUnavailableError('hitRateLimit: the key kept changing under contention; try again');
    });
  }

  // ---------------------------------------------------------------- revocation feed

  /**
   * The revocation feed: every revoking operation (of any instance) inserts an event into the
   * `changes` collection; a subscriber reads them through a change stream where the server has
   * one (a replica set or sharded cluster: at once), and otherwise polls the collection every
   * `changeFeedPollMs` (FerretDB, a standalone MongoDB). `listener.connected` fires when the feed
   * is live, `listener.disconnected` when reading fails (core's cache then relies on its time bound
   * until `connected` again). With `changeFeed: false` the listener is told it is disconnected.
   *
   * @example
   * ```ts
   * const unsubscribe = await store.subscribeChanges({ changed: (event) => console.log(event) });
   * await unsubscribe();
   * ```
   */
  async subscribeChanges(listener: StoreChangeListener): Promise<() => Promise<void>> {
    if (!this.#changeFeed) {
      listener.disconnected?.(FEED_OFF);
      return async () => undefined;
    }
    const feed = new ChangeFeed(this.db, this.#changes, listener, {
      pollMs: this.#changeFeedPollMs,
      retentionMs: CHANGE_RETENTION_SECONDS * 1000,
    });
    this.#feeds.add(feed);
    await feed.start();
    return async () => {
      this.#feeds.delete(feed);
      await feed.stop();
    };
  }
}

/** Not revoked, not consumed, `expiresAt > now`. */
function isUsable(state: UseState, expiresAt: Date, now: Date): boolean {
  return !state.revoked && state.consumedAt === null && expiresAt.getTime() > now.getTime();
}

/** Validates an issued pair before anything is written. */
function checkTokens(tokens: IssuedTokens): void {
  if (typeof tokens !== 'object' || tokens === null)
    throw new StoreInvalidInputError('tokens must be an object');
  checkRecord('accessToken', tokens.accessToken, ACCESS_TOKEN_SPEC);
  if (tokens.refreshToken !== null) checkRecord('refreshToken', tokens.refreshToken, REFRESH_TOKEN_SPEC);
}
