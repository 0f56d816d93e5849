/**
 * The key layout of the Redis store, written once. Every key starts with the store's prefix; the
 * part in braces is the Redis Cluster hash tag, so every key one script touches shares a slot.
 * The package README has the same table with each key's contents and TTL.
 *
 * Ids are placed into keys through {@link encodeId}: an id made only of letters, digits, `_`, `.`
 * and `-` (every id Passport draws: UUIDs, SHA-256 hex) is used as it is; any other string
 * (braces, `:`, spaces, NUL, 10,000 characters) is hex encoded behind a `~`, so no id can break a
 * hash tag or collide with another key.
 *
 * @module
 */

/** Longest id used verbatim in a key; longer ids are hex encoded like any unusual id. */
const MAX_PLAIN_ID_LENGTH = 200;

/** ASCII letters, digits, `_`, `.`, `-`. The Lua twin is `enc` in scripts.ts. */
function isPlainId(id: string): boolean {
  if (id.length === 0 || id.length > MAX_PLAIN_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    const plain =
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 46 ||
      c === 45;
    if (!plain) return false;
  }
  return true;
}

const utf8 = new TextEncoder();

/**
 * The id as it appears in keys and index members: verbatim when plain, otherwise `~` followed by
 * the hex of its UTF-8 bytes. Never contains `{`, `}`, `:` or a space.
 */
export function encodeId(id: string): string {
  if (isPlainId(id)) return id;
  let hex = '~';
  for (const byte of utf8.encode(id)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Every key name of one store, under its prefix.
 *
 * Family group keys (`fam:{F}:…`) hold the records written together: the tokens of family `F`,
 * the authorization code or device code whose id is `F` (the family id of the tokens issued from
 * a code is the code's id), and the family's indexes.
 */
export class KeyLayout {
  /** The prefix every key starts with (e.g. `passport:`). */
  readonly prefix: string;
  /** The pub/sub channel of the revocation feed. */
  readonly changes: string;
  /** The sorted set of every client id (score: `createdAt`). */
  readonly clients: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.changes = `${prefix}changes`;
    this.clients = `${prefix}clients`;
  }

  /** A standalone access token's record, or a family member's pointer `{ group }`. */
  accessToken(id: string): string {
    return `${this.prefix}at:{${encodeId(id)}}`;
  }

  /** A refresh token's pointer `{ group }`. */
  refreshToken(id: string): string {
    return `${this.prefix}rt:{${encodeId(id)}}`;
  }

  /** The start of every key of family group `group`; Lua appends `at:<id>` / `rt:<id>`. */
  group(group: string): string {
    return this.encodedGroup(encodeId(group));
  }

  /** {@link KeyLayout.group} for an id already encoded (an index member). */
  encodedGroup(encoded: string): string {
    return `${this.prefix}fam:{${encoded}}:`;
  }

  /** {@link KeyLayout.accessToken} for an id already encoded (an index member). */
  encodedAccessToken(encoded: string): string {
    return `${this.prefix}at:{${encoded}}`;
  }

  /** {@link KeyLayout.client} for an id already encoded (an index member). */
  encodedClient(encoded: string): string {
    return `${this.prefix}client:{${encoded}}`;
  }

  /** A family member access token record. */
  groupAccessToken(group: string, id: string): string {
    return `${this.group(group)}at:${encodeId(id)}`;
  }

  /** A refresh token record. */
  groupRefreshToken(group: string, id: string): string {
    return `${this.group(group)}rt:${encodeId(id)}`;
  }

  /** The family's access token ids (sorted set, score: `expiresAt`). */
  groupAccessTokens(group: string): string {
    return `${this.group(group)}ats`;
  }

  /** The family's refresh token ids (sorted set, score: `expiresAt`). */
  groupRefreshTokens(group: string): string {
    return `${this.group(group)}rts`;
  }

  /** The authorization code whose id is `id` (the family id of its tokens). */
  authCode(id: string): string {
    return `${this.group(id)}code`;
  }

  /** The device code whose id is `id` (the family id of its tokens). */
  deviceCode(id: string): string {
    return `${this.group(id)}device`;
  }

  /** A client record. */
  client(id: string): string {
    return `${this.prefix}client:{${encodeId(id)}}`;
  }

  /** The groups (`f:<family>`) and standalone access tokens (`a:<id>`) of a client. */
  clientTokens(id: string): string {
    return `${this.prefix}client:{${encodeId(id)}}:tokens`;
  }

  /** The clients of an owner (sorted set, score: `createdAt`). */
  ownerClients(ownerId: string): string {
    return `${this.prefix}owner:{${encodeId(ownerId)}}:clients`;
  }

  /** A user's access tokens (sorted set of `<id>` or `<id> <group>`, score: `expiresAt`). */
  userTokens(userId: string): string {
    return `${this.prefix}user:{${encodeId(userId)}}:tokens`;
  }

  /** The device code that holds a user code. */
  userCode(userCode: string): string {
    return `${this.prefix}uc:{${encodeId(userCode)}}`;
  }

  /** A single-use marker. */
  nonce(id: string): string {
    return `${this.prefix}nonce:{${encodeId(id)}}`;
  }

  /** A rate-limit window. */
  rateLimit(key: string): string {
    return `${this.prefix}rl:{${encodeId(key)}}`;
  }
}
