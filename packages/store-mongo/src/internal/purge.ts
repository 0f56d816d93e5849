import type { PurgeOptions, PurgeResult } from '@passport/core';
import type { Collection, Filter } from 'mongodb';
import { CHANGE_RETENTION_SECONDS } from '../indexes.js';
import type { ChangeDoc } from './changes.js';
import {
  type AuthCodeDoc,
  accessTokenIdOf,
  type ClientDoc,
  type DeviceCodeDoc,
  type LookupDoc,
  lookupId,
  type MarkDoc,
  markId,
  type NonceDoc,
  parentOf,
  type RateLimitDoc,
  type TokenDoc,
} from './documents.js';
import { isDuplicateKey } from './errors.js';

/**
 * Purge: what the contract lets go, in batches, never what detection needs. The rules, per kind:
 *
 * - A token document holds an access token and maybe its refresh token. Both deletable: the
 *   document goes. Only the refresh token: a `P` mark hides it. Only the access token (its refresh
 *   token must stay): `gone` hides it. A document that records a parent's consumption (`parent`)
 *   stays, hidden, until the parent's `expiresAt`: deleting it earlier would make the parent usable
 *   again.
 * - An access token is never deleted while a live refresh token was issued with it; a consumed
 *   refresh token is never deleted while its family holds a live one.
 * - Codes and device codes go once expired before the cutoff, or (with `revoked`) once revoked or
 *   consumed AND past their `expiresAt`: before that they detect replays.
 *
 * @module
 */

/** The collections and batch size purge works with. */
export interface PurgeContext {
  clients: Collection<ClientDoc>;
  tokens: Collection<TokenDoc>;
  marks: Collection<MarkDoc>;
  lookups: Collection<LookupDoc>;
  changes: Collection<ChangeDoc>;
  authCodes: Collection<AuthCodeDoc>;
  deviceCodes: Collection<DeviceCodeDoc>;
  nonces: Collection<NonceDoc>;
  rateLimits: Collection<RateLimitDoc>;
  batchSize: number;
}

/** Up to this many ids, {@link existingIds} reads them one by one by `_id`; beyond, with one `$in`. */
const READ_BY_ID_MAX = 64;

/**
 * Which of `ids` exist in `collection`. A few are read one by one, in parallel, by `_id` (the one
 * filter FerretDB 1.x serves from an index; it scans the collection for `$in`); many with one
 * `$in` query, which is one scan instead of many lookups.
 */
export async function existingIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const byId = (id: string) => ({ _id: id }) as Filter<T>;
  const found =
    ids.length <= READ_BY_ID_MAX
      ? await Promise.all(ids.map((id) => collection.findOne(byId(id), { projection: { _id: 1 } })))
      : await collection.find({ _id: { $in: [...ids] } } as Filter<T>, { projection: { _id: 1 } }).toArray();
  return new Set(found.flatMap((doc) => (doc === null ? [] : [(doc as { _id: string })._id])));
}

/**
 * Inserts marks or lookups, ignoring those that exist; returns how many it inserted (the state
 * changes it made). Unordered, so one existing document does not stop the others.
 */
export async function insertMarks<T extends { _id: string }>(
  marks: Collection<T>,
  docs: T[],
): Promise<number> {
  if (docs.length === 0) return 0;
  if (docs.length === 1) {
    // One insert: its errors are the driver's own (a network error stays one).
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the driver's OptionalUnlessRequiredId<T> does not narrow for a generic T
      await marks.insertOne(docs[0] as any);
      return 1;
    } catch (error) {
      if (isDuplicateKey(error)) return 0;
      throw error;
    }
  }
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the driver's OptionalUnlessRequiredId<T> does not narrow for a generic T
    return (await marks.insertMany(docs as any, { ordered: false })).insertedCount;
  } catch (error) {
    const inserted = (error as { insertedCount?: unknown }).insertedCount;
    const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
    const errors = Array.isArray(writeErrors) ? writeErrors : writeErrors === undefined ? [] : [writeErrors];
    if (typeof inserted === 'number' && errors.length > 0 && errors.every(isDuplicateKey)) return inserted;
    if (isDuplicateKey(error) && docs.length === 1) return 0;
    throw error;
  }
}

const liveRefreshFilter = (now: Date): Filter<TokenDoc> => ({
  'rt.revoked': false,
  'rt.consumedAt': null,
  'rt.expiresAt': { $gt: now },
});

/** The ids among `refreshIds` that carry a mark made by `markOf`. */
async function marked(
  marks: Collection<MarkDoc>,
  refreshIds: string[],
  markOf: (id: string) => string,
): Promise<Set<string>> {
  if (refreshIds.length === 0) return new Set();
  const found = await existingIds(marks, refreshIds.map(markOf));
  return new Set([...found].map((id) => id.slice(1)));
}

/**
 * The ids among `ids` whose successor pair exists: the pair a rotation or redemption wrote is keyed
 * by its parent (`r:<refresh id>`, `c:<code id>`, `d:<device code id>`, `parentRef(id)`).
 */
async function consumed(
  tokens: Collection<TokenDoc>,
  ids: readonly string[],
  parentRef: (id: string) => string,
): Promise<Set<string>> {
  const found = await existingIds(tokens, ids.map(parentRef));
  return new Set([...found].map((parent) => parent.slice(2)));
}

/** The refresh tokens among `refreshIds` that a rotation consumed. */
function consumedByRotation(tokens: Collection<TokenDoc>, refreshIds: string[]): Promise<Set<string>> {
  return consumed(tokens, refreshIds, parentOf.refresh);
}

/** The ids of documents (already filtered as stored-live) whose refresh token is live: unmarked, unrotated. */
async function liveAmong(context: PurgeContext, docs: TokenDoc[]): Promise<TokenDoc[]> {
  const ids = docs.flatMap((doc) => (doc.rt === undefined ? [] : [doc.rt.id]));
  const [revoked, purged, consumed] = await Promise.all([
    marked(context.marks, ids, markId.refreshRevoked),
    marked(context.marks, ids, markId.refreshPurged),
    consumedByRotation(context.tokens, ids),
  ]);
  return docs.filter(
    (doc) =>
      doc.rt !== undefined && !revoked.has(doc.rt.id) && !purged.has(doc.rt.id) && !consumed.has(doc.rt.id),
  );
}

/** Everything purge deletes, per the contract. */
export async function purgeAll(context: PurgeContext, options: PurgeOptions): Promise<PurgeResult> {
  const result: PurgeResult = {
    accessTokens: 0,
    refreshTokens: 0,
    authCodes: 0,
    deviceCodes: 0,
    nonces: 0,
    rateLimits: 0,
    clients: 0,
  };
  if (options.revokedClientsBefore != null)
    await purgeRevokedClients(context, options.revokedClientsBefore, result);
  // Codes first: a code reads as consumed through the pair its redemption wrote, which the token
  // purge may delete once the code has expired.
  await purgeCodes(context, options, result);
  await purgeDeviceCodes(context, options, result);
  await purgeTokens(context, options, result);
  result.nonces = (await context.nonces.deleteMany({ expiresAt: { $lte: options.now } })).deletedCount;
  result.rateLimits = await context.rateLimits.countDocuments({
    opens: true,
    resetAt: { $lte: options.now },
  });
  // Hits of windows that are over, and the hints (`h:<key>`) that name such a hit.
  await context.rateLimits.deleteMany({ resetAt: { $lte: options.now } });
  // The feed's events (stamped with the server's time) once no subscriber can need them.
  await context.changes.deleteMany({
    at: { $lt: new Date(options.now.getTime() - CHANGE_RETENTION_SECONDS * 1000) },
  });
  return result;
}

async function purgeTokens(context: PurgeContext, options: PurgeOptions, result: PurgeResult): Promise<void> {
  const cutoff = options.expiredBefore ?? null;
  const candidates: Filter<TokenDoc>[] = [];
  if (options.revoked) {
    candidates.push({ revoked: true }, { 'rt.revoked': true }, { 'rt.consumedAt': { $ne: null } });
  }
  if (cutoff !== null) candidates.push({ expiresAt: { $lt: cutoff } }, { 'rt.expiresAt': { $lt: cutoff } });
  if (candidates.length === 0) return;

  // Documents whose stored fields make them candidates.
  let after = '';
  for (;;) {
    const docs = await context.tokens
      .find({ _id: { $gt: after }, $or: candidates })
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    if (docs.length > 0) await purgeTokenBatch(context, docs, options, result);
    if (docs.length < context.batchSize) break;
    after = docs[docs.length - 1]?._id ?? after;
  }
  if (!options.revoked) return;

  // Refresh tokens revoked by a mark (revokeRefreshToken, revokeAccessToken, revocations).
  let afterMark = 'R';
  for (;;) {
    const revokedMarks = await context.marks
      .find({ _id: { $gt: afterMark, $lt: 'S' } }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    if (revokedMarks.length > 0) {
      const ids = revokedMarks.map((mark) => mark._id.slice(1));
      const docs = await context.tokens.find({ 'rt.id': { $in: ids } }).toArray();
      if (docs.length > 0) await purgeTokenBatch(context, docs, options, result);
    }
    if (revokedMarks.length < context.batchSize) break;
    afterMark = revokedMarks[revokedMarks.length - 1]?._id ?? afterMark;
  }

  // Access tokens revoked by a mark (revokeAccessToken, a rotation, revocations): their documents
  // through their A lookups.
  let afterAccess = 'V';
  for (;;) {
    const revokedMarks = await context.marks
      .find({ _id: { $gt: afterAccess, $lt: 'W' } }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    if (revokedMarks.length > 0) {
      const pointers = await context.lookups
        .find({ _id: { $in: revokedMarks.map((mark) => lookupId.accessToken(mark._id.slice(1))) } })
        .toArray();
      const docIds = pointers.flatMap((pointer) => (pointer.at === undefined ? [] : [pointer.at]));
      const docs = docIds.length === 0 ? [] : await context.tokens.find({ _id: { $in: docIds } }).toArray();
      if (docs.length > 0) await purgeTokenBatch(context, docs, options, result);
    }
    if (revokedMarks.length < context.batchSize) return;
    afterAccess = revokedMarks[revokedMarks.length - 1]?._id ?? afterAccess;
  }
}

async function purgeTokenBatch(
  context: PurgeContext,
  docs: TokenDoc[],
  options: PurgeOptions,
  result: PurgeResult,
): Promise<void> {
  const { now, revoked: purgeRevoked } = options;
  const cutoff = options.expiredBefore ?? null;
  const expired = (date: Date): boolean => cutoff !== null && date.getTime() < cutoff.getTime();
  const refreshIds = docs.flatMap((doc) => (doc.rt === undefined ? [] : [doc.rt.id]));
  const [revokedMarks, purgedMarks, rotated, revokedAccessMarks] = await Promise.all([
    marked(context.marks, refreshIds, markId.refreshRevoked),
    marked(context.marks, refreshIds, markId.refreshPurged),
    consumedByRotation(context.tokens, refreshIds),
    marked(context.marks, docs.map(accessTokenIdOf), markId.accessRevoked),
  ]);
  const accessRevoked = (doc: TokenDoc): boolean =>
    doc.revoked || revokedAccessMarks.has(accessTokenIdOf(doc));
  const stateOf = (doc: TokenDoc) => {
    const rt = doc.rt;
    if (rt === undefined || purgedMarks.has(rt.id)) return null;
    const revoked = rt.revoked || revokedMarks.has(rt.id);
    const consumed = rt.consumedAt !== null || rotated.has(rt.id);
    return { rt, revoked, consumed, live: !revoked && !consumed && rt.expiresAt.getTime() > now.getTime() };
  };

  // Families that still hold a live refresh token, and access tokens a live refresh token stored
  // in another document names: what detection needs.
  const families = new Set<string>();
  for (const doc of docs) {
    const state = stateOf(doc);
    if (state?.consumed) families.add(state.rt.familyId);
  }
  const familyMembers =
    families.size === 0
      ? []
      : await context.tokens
          .find(
            { 'rt.familyId': { $in: [...families] }, ...liveRefreshFilter(now) },
            { projection: { 'rt.id': 1, 'rt.familyId': 1 } },
          )
          .toArray();
  const liveFamilies = new Set(
    (await liveAmong(context, familyMembers)).map((doc) => doc.rt?.familyId ?? ''),
  );
  const accessIds = docs.filter((doc) => doc.gone !== true).map(accessTokenIdOf);
  const namers =
    accessIds.length === 0
      ? []
      : await context.tokens
          .find(
            { 'rt.accessTokenId': { $in: accessIds }, ...liveRefreshFilter(now) },
            { projection: { 'rt.id': 1, 'rt.accessTokenId': 1 } },
          )
          .toArray();
  const namedByLive = new Set((await liveAmong(context, namers)).map((doc) => doc.rt?.accessTokenId ?? ''));

  const remove: TokenDoc[] = [];
  const hideRefresh: string[] = [];
  const hideAccess: string[] = [];
  let removedAccess = 0;
  let removedRefresh = 0;
  for (const doc of docs) {
    const state = stateOf(doc);
    const refreshDeletable =
      state !== null &&
      !state.live &&
      ((purgeRevoked && (state.revoked || state.consumed)) || expired(state.rt.expiresAt)) &&
      !(state.consumed && liveFamilies.has(state.rt.familyId));
    const ownLive = state?.live === true && state.rt.accessTokenId === undefined;
    const accessDeletable =
      doc.gone !== true &&
      ((purgeRevoked && accessRevoked(doc)) || expired(doc.expiresAt)) &&
      !ownLive &&
      !namedByLive.has(accessTokenIdOf(doc));
    const accessDone = doc.gone === true || accessDeletable;
    const refreshDone = state === null || refreshDeletable;
    const recordsConsumption =
      doc.parent !== undefined && (doc.parentExpiresAt?.getTime() ?? 0) > now.getTime();
    if (accessDone && refreshDone && !recordsConsumption) {
      remove.push(doc);
      if (accessDeletable) removedAccess += 1;
      if (refreshDeletable) removedRefresh += 1;
      continue;
    }
    if (refreshDeletable && state !== null) hideRefresh.push(state.rt.id);
    if (accessDeletable) hideAccess.push(doc._id);
  }
  if (remove.length > 0) {
    const { deletedCount } = await context.tokens.deleteMany({ _id: { $in: remove.map((doc) => doc._id) } });
    if (deletedCount === remove.length) {
      result.accessTokens += removedAccess;
      result.refreshTokens += removedRefresh;
    }
    const removedRefreshIds = remove.flatMap((doc) => (doc.rt === undefined ? [] : [doc.rt.id]));
    await deleteLookupsOf(context, remove);
    if (removedRefreshIds.length > 0) {
      await context.marks.deleteMany({
        _id: {
          $in: [
            ...removedRefreshIds.map(markId.refreshRevoked),
            ...removedRefreshIds.map(markId.refreshPurged),
          ],
        },
      });
    }
  }
  result.refreshTokens += await insertMarks(
    context.marks,
    hideRefresh.map((id) => ({ _id: markId.refreshPurged(id) })),
  );
  if (hideAccess.length > 0) {
    result.accessTokens += (
      await context.tokens.updateMany(
        { _id: { $in: hideAccess }, gone: { $exists: false } },
        { $set: { gone: true } },
      )
    ).modifiedCount;
  }
}

/**
 * The codes or device codes purge may look at: never one before its `expiresAt` (it detects a
 * replay until then), whatever the options; then those expired before the cutoff, or (with
 * `revoked`) every expired one, of which the spent ones go.
 */
function codeFilter(options: PurgeOptions): Filter<{ expiresAt: Date }> | null {
  if (options.revoked) return { expiresAt: { $lte: options.now } };
  if (options.expiredBefore == null) return null;
  const bound = options.expiredBefore < options.now ? { $lt: options.expiredBefore } : { $lte: options.now };
  return { expiresAt: bound };
}

/** Whether a code (past its expiry, see {@link codeFilter}) goes. */
function codeGoes(options: PurgeOptions, expiresAt: Date, spent: boolean): boolean {
  if (expiresAt > options.now) return false;
  if (options.expiredBefore != null && expiresAt < options.expiredBefore) return true;
  return options.revoked && spent;
}

async function purgeCodes(context: PurgeContext, options: PurgeOptions, result: PurgeResult): Promise<void> {
  const filter = codeFilter(options);
  if (filter === null) return;
  let after = '';
  for (;;) {
    const codes = await context.authCodes
      .find({ _id: { $gt: after }, ...filter } as Filter<AuthCodeDoc>)
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    const ids = codes.map((code) => code._id);
    const [revokedMarks, redeemed] = await Promise.all([
      existingIds(context.marks, ids.map(markId.codeRevoked)),
      consumed(context.tokens, ids, parentOf.code),
    ]);
    const revoked = new Set([...revokedMarks].map((mark) => mark.slice(1)));
    const doomed = codes
      .filter((code) =>
        codeGoes(
          options,
          code.expiresAt,
          code.revoked || revoked.has(code._id) || code.consumedAt !== null || redeemed.has(code._id),
        ),
      )
      .map((code) => code._id);
    if (doomed.length > 0) {
      result.authCodes += (await context.authCodes.deleteMany({ _id: { $in: doomed } })).deletedCount;
      await context.marks.deleteMany({ _id: { $in: doomed.map(markId.codeRevoked) } });
      await deleteConsumptionLookups(context, doomed, parentOf.code);
    }
    if (codes.length < context.batchSize) return;
    after = ids[ids.length - 1] ?? after;
  }
}

async function purgeDeviceCodes(
  context: PurgeContext,
  options: PurgeOptions,
  result: PurgeResult,
): Promise<void> {
  const filter = codeFilter(options);
  if (filter === null) return;
  let after = '';
  for (;;) {
    const codes = await context.deviceCodes
      .find({ _id: { $gt: after }, ...filter } as Filter<DeviceCodeDoc>)
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    const ids = codes.map((code) => code._id);
    const [revokedMarks, redeemed] = await Promise.all([
      existingIds(context.marks, ids.map(markId.deviceRevoked)),
      consumed(context.tokens, ids, parentOf.device),
    ]);
    const revoked = new Set([...revokedMarks].map((mark) => mark.slice(1)));
    const doomed = codes
      .filter((code) =>
        codeGoes(
          options,
          code.expiresAt,
          revoked.has(code._id) || code.consumedAt !== null || redeemed.has(code._id),
        ),
      )
      .map((code) => code._id);
    if (doomed.length > 0)
      await deleteDeviceCodes(
        context,
        codes.filter((code) => doomed.includes(code._id)),
        result,
      );
    if (codes.length < context.batchSize) return;
    after = ids[ids.length - 1] ?? after;
  }
}

/**
 * The `C` lookups of codes or device codes being deleted (their pairs, if any, go with the tokens:
 * a pair keyed by a code is kept until the code's expiry and then deleted with its own lookups).
 */
async function deleteConsumptionLookups(
  context: PurgeContext,
  ids: readonly string[],
  parentRef: (id: string) => string,
): Promise<void> {
  if (ids.length === 0) return;
  await context.lookups.deleteMany({ _id: { $in: ids.map((id) => lookupId.consumption(parentRef(id))) } });
}

/**
 * Deletes device codes with their marks (revoked, decision), their `C` lookups, and the holders of
 * their user codes: a user code's holders (`U<user code>:1`, `:2`, ...) are read by number and
 * deleted only all together, from the highest down, once none of them holds a device code that
 * stays, so the holders that remain are always numbered from 1 without gaps.
 */
async function deleteDeviceCodes(
  context: PurgeContext,
  devices: readonly Pick<DeviceCodeDoc, '_id' | 'userCode'>[],
  result: PurgeResult,
): Promise<void> {
  const ids = devices.map((device) => device._id);
  result.deviceCodes += (await context.deviceCodes.deleteMany({ _id: { $in: ids } })).deletedCount;
  await context.marks.deleteMany({
    _id: { $in: [...ids.map(markId.deviceRevoked), ...ids.map(markId.deviceDecision)] },
  });
  await deleteConsumptionLookups(context, ids, parentOf.device);
  const gone = new Set(ids);
  for (const userCode of new Set(devices.map((device) => device.userCode))) {
    const holders: MarkDoc[] = [];
    for (let n = 1; ; n++) {
      const holder = await context.marks.findOne({ _id: markId.userCode(userCode, n) });
      if (holder === null) break;
      holders.push(holder);
    }
    const others = holders.flatMap((holder) =>
      holder.deviceId === undefined || gone.has(holder.deviceId) ? [] : [holder.deviceId],
    );
    if ((await existingIds(context.deviceCodes, others)).size > 0) continue;
    for (const holder of holders.reverse()) await context.marks.deleteOne({ _id: holder._id });
  }
}

/**
 * Deletes the lookups of token documents being deleted (after them: a lookup that leads nowhere
 * reads as absent, and a `C` lookup without its pair as unconsumed): `A` of their access tokens,
 * `T` of their refresh tokens, `C` of the parent a pair consumed; and the `V` marks of their access
 * tokens.
 */
async function deleteLookupsOf(
  context: PurgeContext,
  docs: readonly Pick<TokenDoc, '_id' | 'rt' | 'jti' | 'parent'>[],
): Promise<void> {
  const ids = docs.flatMap((doc) => [
    lookupId.accessToken(accessTokenIdOf(doc)),
    ...(doc.rt === undefined ? [] : [lookupId.refreshToken(doc.rt.id)]),
    ...(doc.parent === undefined ? [] : [lookupId.consumption(doc.parent)]),
  ]);
  if (ids.length > 0) await context.lookups.deleteMany({ _id: { $in: ids } });
  if (docs.length > 0) {
    await context.marks.deleteMany({
      _id: { $in: docs.map((doc) => markId.accessRevoked(accessTokenIdOf(doc))) },
    });
  }
}

/** Revoked clients updated before `before`, with every token, code and device code of theirs. */
async function purgeRevokedClients(context: PurgeContext, before: Date, result: PurgeResult): Promise<void> {
  let after = '';
  for (;;) {
    const clients = await context.clients
      .find({ _id: { $gt: after }, revoked: true, updatedAt: { $lt: before } }, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(context.batchSize)
      .toArray();
    for (const { _id: clientId } of clients) {
      const docs = await context.tokens
        .find({ clientId }, { projection: { _id: 1, jti: 1, 'rt.id': 1, gone: 1, parent: 1 } })
        .toArray();
      const refreshIds = docs.flatMap((doc) => (doc.rt === undefined ? [] : [doc.rt.id]));
      const purged = await marked(context.marks, refreshIds, markId.refreshPurged);
      if (docs.length > 0) {
        await context.tokens.deleteMany({ _id: { $in: docs.map((doc) => doc._id) } });
        await deleteLookupsOf(context, docs);
        result.accessTokens += docs.filter((doc) => doc.gone !== true).length;
        result.refreshTokens += refreshIds.filter((id) => !purged.has(id)).length;
        await context.marks.deleteMany({
          _id: { $in: [...refreshIds.map(markId.refreshRevoked), ...refreshIds.map(markId.refreshPurged)] },
        });
      }
      // Refresh tokens of this client stored in another client's document (core never writes those).
      const foreign = await context.tokens
        .find({ 'rt.clientId': clientId }, { projection: { 'rt.id': 1 } })
        .toArray();
      result.refreshTokens += await insertMarks(
        context.marks,
        foreign.flatMap((doc) => (doc.rt === undefined ? [] : [{ _id: markId.refreshPurged(doc.rt.id) }])),
      );
      const codes = (await context.authCodes.find({ clientId }, { projection: { _id: 1 } }).toArray()).map(
        (code) => code._id,
      );
      if (codes.length > 0) {
        result.authCodes += (await context.authCodes.deleteMany({ _id: { $in: codes } })).deletedCount;
        await context.marks.deleteMany({ _id: { $in: codes.map(markId.codeRevoked) } });
        await deleteConsumptionLookups(context, codes, parentOf.code);
      }
      const devices = await context.deviceCodes
        .find({ clientId }, { projection: { _id: 1, userCode: 1 } })
        .toArray();
      if (devices.length > 0) await deleteDeviceCodes(context, devices, result);
      result.clients += (await context.clients.deleteOne({ _id: clientId })).deletedCount;
    }
    if (clients.length < context.batchSize) return;
    after = clients[clients.length - 1]?._id ?? after;
  }
}
