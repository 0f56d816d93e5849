import type { CreateIndexesOptions, Db, IndexSpecification } from 'mongodb';
import { isNotImplemented, toStoreError } from './internal/errors.js';

/** Collection names of a {@link MongoStore}, from its `collectionPrefix`. */
export interface MongoCollectionNames {
  clients: string;
  tokens: string;
  marks: string;
  lookups: string;
  authCodes: string;
  deviceCodes: string;
  nonces: string;
  rateLimits: string;
  changes: string;
}

/** The collection names for `prefix` (`oauth_clients`, `oauth_tokens`, ...). */
export function collectionNames(prefix: string): MongoCollectionNames {
  return {
    clients: `${prefix}clients`,
    tokens: `${prefix}tokens`,
    marks: `${prefix}marks`,
    lookups: `${prefix}lookups`,
    authCodes: `${prefix}auth_codes`,
    deviceCodes: `${prefix}device_codes`,
    nonces: `${prefix}nonces`,
    rateLimits: `${prefix}rate_limits`,
    changes: `${prefix}changes`,
  };
}

/** What {@link ensureIndexes} did. */
export interface EnsureIndexesResult {
  /** Every index it ensured, as `collection.name`. Existing identical indexes are left as they are. */
  indexes: string[];
  /**
   * Whether the server took the TTL indexes (native expiry of nonces and rate-limit windows).
   * `false` on servers without TTL indexes (FerretDB 1.x): the same fields are indexed plainly and
   * `purge` removes what expired.
   */
  ttl: boolean;
}

/**
 * How long the revocation feed's event documents are kept (TTL, purge, or a polling subscriber's
 * pruning). A live subscriber reads only the last few seconds again, and one that reconnects
 * starts over (core's cache drops everything), so a minute is plenty; and on FerretDB every poll
 * reads the whole collection.
 */
export const CHANGE_RETENTION_SECONDS = 60;

interface IndexPlan {
  collection: keyof MongoCollectionNames;
  key: IndexSpecification;
  options: CreateIndexesOptions & { name: string };
  /** A TTL index: created plainly when the server has no TTL indexes. */
  ttl?: boolean;
}

/**
 * Every index the store uses. The unique ones are part of correctness (`_id`, `rt.id`): an insert
 * keyed by what it consumes is the single-use step, and token ids stay unique (the lookups' `_id`s
 * `A<access token id>` and `T<refresh token id>` too). The others serve listings, revocations of a family or
 * a client, and purge; the hot paths (the guard, the token endpoint, a redemption, a rotation, a
 * device poll, a rate-limit hit) read by `_id` only, which every compatible server serves from an
 * index (FerretDB 1.x uses no other index for queries).
 */
const PLAN: readonly IndexPlan[] = [
  // tokens: found through their A and T lookups (by _id); rotation and redemption are the insert of
  // a pair keyed by its parent (_id); refresh token ids stay unique
  { collection: 'tokens', key: { 'rt.id': 1 }, options: { name: 'rt_id', unique: true, sparse: true } },
  {
    collection: 'tokens',
    key: { 'rt.accessTokenId': 1 },
    options: { name: 'rt_access_token', sparse: true },
  },
  { collection: 'tokens', key: { familyId: 1 }, options: { name: 'family' } },
  { collection: 'tokens', key: { 'rt.familyId': 1 }, options: { name: 'rt_family', sparse: true } },
  {
    collection: 'tokens',
    key: { userId: 1, clientId: 1, createdAt: -1 },
    options: { name: 'user_client_created' },
  },
  { collection: 'tokens', key: { clientId: 1 }, options: { name: 'client' } },
  { collection: 'tokens', key: { 'rt.clientId': 1 }, options: { name: 'rt_client', sparse: true } },
  { collection: 'tokens', key: { expiresAt: 1 }, options: { name: 'expires' } },
  { collection: 'tokens', key: { 'rt.expiresAt': 1 }, options: { name: 'rt_expires', sparse: true } },
  // marks and lookups: every read is by _id (deterministic ids), so no index but _id
  // authorization codes and device codes: _id is the hash
  { collection: 'authCodes', key: { clientId: 1 }, options: { name: 'client' } },
  { collection: 'authCodes', key: { expiresAt: 1 }, options: { name: 'expires' } },
  { collection: 'deviceCodes', key: { clientId: 1 }, options: { name: 'client' } },
  { collection: 'deviceCodes', key: { expiresAt: 1 }, options: { name: 'expires' } },
  // clients: listings oldest first, purge of revoked clients
  { collection: 'clients', key: { ownerId: 1, createdAt: 1 }, options: { name: 'owner_created' } },
  { collection: 'clients', key: { createdAt: 1 }, options: { name: 'created' } },
  { collection: 'clients', key: { revoked: 1, updatedAt: 1 }, options: { name: 'revoked_updated' } },
  // single-use markers and rate-limit windows expire natively where the server can
  {
    collection: 'nonces',
    key: { expiresAt: 1 },
    options: { name: 'expires', expireAfterSeconds: 0 },
    ttl: true,
  },
  {
    collection: 'rateLimits',
    key: { resetAt: 1 },
    options: { name: 'reset', expireAfterSeconds: 0 },
    ttl: true,
  },
  // the revocation feed's events, by server time; kept ten minutes
  {
    collection: 'changes',
    key: { at: 1 },
    options: { name: 'at', expireAfterSeconds: CHANGE_RETENTION_SECONDS },
    ttl: true,
  },
];

/**
 * Creates every collection's indexes (idempotent: `createIndex` with the same key and options is a
 * no-op). TTL indexes fall back to plain ones on a server without them; any other failure is
 * thrown (`StoreUnavailableError` when the server cannot be reached).
 */
export async function ensureIndexes(db: Db, names: MongoCollectionNames): Promise<EnsureIndexesResult> {
  const result: EnsureIndexesResult = { indexes: [], ttl: true };
  try {
    for (const plan of PLAN) {
      const collection = db.collection(names[plan.collection]);
      if (plan.ttl && result.ttl) {
        try {
          await collection.createIndex(plan.key, plan.options);
          result.indexes.push(`${names[plan.collection]}.${plan.options.name}`);
          continue;
        } catch (error) {
          if (!isNotImplemented(error)) throw error;
          result.ttl = false;
        }
      }
      const { expireAfterSeconds: _ttl, ...plain } = plan.options;
      await collection.createIndex(plan.key, plan.ttl ? plain : plan.options);
      result.indexes.push(`${names[plan.collection]}.${plan.options.name}`);
    }
  } catch (error) {
    throw toStoreError(error);
  }
  return result;
}
