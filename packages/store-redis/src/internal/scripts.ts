import { createHash } from 'node:crypto';

/**
 * The Lua scripts of the Redis store. Every check-and-set runs inside one script, so Redis
 * executes it atomically; scripts touch only keys of one hash tag (declared in `KEYS`, or built in
 * the script from a declared group prefix), so they run unchanged on Redis Cluster.
 *
 * A script is sent with `EVALSHA` and re-sent with `EVAL` (which loads it) when the server
 * answers `NOSCRIPT`, after a restart or a failover.
 *
 * Conventions: records are hashes (see codec.ts); missing fields read as `false` in Lua. A token
 * block in `ARGV` is 8 values: access token fields (JSON array of field/value pairs), its TTL in
 * ms, its index member and score, then the same four for the refresh token (fields `''` when
 * there is none). Its `KEYS` are the access token record, the refresh token record, and the
 * family's two indexes.
 *
 * @module
 */

/** A script: its source and SHA-1, as `EVALSHA` needs. */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

/** Helpers every script starts with. */
const PRELUDE = `
local function enc(id)
  if #id > 0 and #id <= 200 and not string.find(id, '[^%w_%.%-]') then return id end
  return '~' .. (string.gsub(id, '.', function(c) return string.format('%02x', string.byte(c)) end))
end
local function extend(key, ttl)
  local current = redis.call('PTTL', key)
  if current ~= -2 and current < ttl then redis.call('PEXPIRE', key, ttl) end
end
local function create(key, fields, ttl)
  redis.call('HSET', key, unpack(cjson.decode(fields)))
  if tonumber(ttl) > 0 then redis.call('PEXPIRE', key, ttl) end
end
local function tokens_taken(at_key, rt_key, i)
  if redis.call('EXISTS', at_key) == 1 then return true end
  return ARGV[i + 4] ~= '' and redis.call('EXISTS', rt_key) == 1
end
local function write_tokens(at_key, rt_key, ats, rts, i)
  create(at_key, ARGV[i], ARGV[i + 1])
  redis.call('ZADD', ats, ARGV[i + 3], ARGV[i + 2])
  extend(ats, tonumber(ARGV[i + 1]))
  if ARGV[i + 4] ~= '' then
    create(rt_key, ARGV[i + 4], ARGV[i + 5])
    redis.call('ZADD', rts, ARGV[i + 7], ARGV[i + 6])
    extend(rts, tonumber(ARGV[i + 5]))
  end
end
`;

function script(name: string, body: string): Script {
  const lua = `${PRELUDE}\n${body.trim()}\n`;
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Creates a hash with a TTL unless the key exists. KEYS: key. ARGV: fields, ttl (0: none).
 * Returns 1, or 0 when the key exists.
 */
export const claim = script(
  'claim',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
create(KEYS[1], ARGV[1], ARGV[2])
return 1
`,
);

/**
 * Adds a member to an index (raising its score only) and raises the index's TTL.
 * KEYS: index. ARGV: score, member, ttl.
 */
export const indexAdd = script(
  'indexAdd',
  `
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
extend(KEYS[1], tonumber(ARGV[3]))
return 1
`,
);

/**
 * Standalone Redis only (its keys span slots): an access token without a family in one round
 * trip: the client's index entry, the user's when there is a user (empty key: none), then the
 * record unless its id is taken. KEYS: client index, user index or the client index again, the
 * token. ARGV: client index score and member, user index score and member (`''`: none),
 * fields, ttl. Returns 1, or 0 when the id is taken (and writes nothing).
 */
export const saveAccessTokenAlone = script(
  'saveAccessTokenAlone',
  `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local ttl = tonumber(ARGV[6])
redis.call('ZADD', KEYS[1], 'GT', ARGV[1], ARGV[2])
extend(KEYS[1], ttl)
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], 'GT', ARGV[3], ARGV[4])
  extend(KEYS[2], ttl)
end
create(KEYS[3], ARGV[5], ARGV[6])
return 1
`,
);

/** Writes a token pair into its family group. KEYS/ARGV: one token block. Returns 1, or 0 on a taken id. */
const SAVE_TOKENS = `
if tokens_taken(KEYS[1], KEYS[2], 1) then return 0 end
write_tokens(KEYS[1], KEYS[2], KEYS[3], KEYS[4], 1)
return 1
`;
export const saveTokens = script('saveTokens', SAVE_TOKENS);

/**
 * Refresh token rotation. KEYS: old refresh token, then the token block's keys. ARGV: now, group
 * prefix, channel, the next refresh token's id (`replacedBy`), then the token block.
 * Returns `{0}` unknown, `{1}` not live, `{2}` taken id, `{3, consumed record}`.
 */
const ROTATE = `
local now = tonumber(ARGV[1])
local old = redis.call('HMGET', KEYS[1], 'id', 'revoked', 'consumedAt', 'expiresAt', 'accessTokenId')
if not old[1] then return {0} end
if old[2] == '1' or old[3] or tonumber(old[4]) <= now then return {1} end
if tokens_taken(KEYS[2], KEYS[3], 5) then return {2} end
redis.call('HSET', KEYS[1], 'consumedAt', ARGV[1], 'replacedBy', ARGV[4])
local at_key = ARGV[2] .. 'at:' .. enc(old[5])
if redis.call('HGET', at_key, 'revoked') == '0' then
  redis.call('HSET', at_key, 'revoked', '1')
  redis.call('PUBLISH', ARGV[3], cjson.encode({ type = 'accessTokens', ids = { old[5] } }))
end
write_tokens(KEYS[2], KEYS[3], KEYS[4], KEYS[5], 5)
return {3, redis.call('HGETALL', KEYS[1])}
`;
export const rotate = script('rotate', ROTATE);

/**
 * Redemption of an authorization code or device code with the tokens it issues. KEYS: the code,
 * then the token block's keys. ARGV: now, 'code' or 'device', then the token block.
 * Returns `{1}` not redeemable, `{2}` taken id, `{3, consumed record}`.
 */
const REDEEM = `
local now = tonumber(ARGV[1])
local code = redis.call('HMGET', KEYS[1], 'id', 'revoked', 'consumedAt', 'expiresAt', 'status')
if not code[1] or code[3] or tonumber(code[4]) <= now then return {1} end
if ARGV[2] == 'code' then
  if code[2] == '1' then return {1} end
elseif code[5] ~= 'approved' then
  return {1}
end
if tokens_taken(KEYS[2], KEYS[3], 3) then return {2} end
redis.call('HSET', KEYS[1], 'consumedAt', ARGV[1])
write_tokens(KEYS[2], KEYS[3], KEYS[4], KEYS[5], 3)
return {3, redis.call('HGETALL', KEYS[1])}
`;
export const redeem = script('redeem', REDEEM);

/**
 * Standalone Redis only (the keys span slots): one of the three token writes above together with
 * its first step, the client's and user's index entries and the id pointers, in one script and
 * one round trip. Their keys and arguments come after the write's own: KEYS client index, user
 * index (or the client index again), access token pointer, refresh token pointer (or the access
 * token pointer again); ARGV client index score, member, ttl, user index score, member (`''`:
 * none), ttl, pointer fields, access pointer ttl, refresh pointer ttl (`'0'`: none). A taken
 * pointer answers as a taken id; the entries are written only when the write succeeds.
 */
function withEntries(name: string, write: string, taken: string, succeeded: string): Script {
  return script(
    name,
    `
local pk = #KEYS - 3
local pa = #ARGV - 8
if redis.call('EXISTS', KEYS[pk + 2]) == 1 then return ${taken} end
if ARGV[pa + 8] ~= '0' and redis.call('EXISTS', KEYS[pk + 3]) == 1 then return ${taken} end
local function write()
${write}end
local result = write()
if ${succeeded} then
  redis.call('ZADD', KEYS[pk], 'GT', ARGV[pa], ARGV[pa + 1])
  extend(KEYS[pk], tonumber(ARGV[pa + 2]))
  if ARGV[pa + 4] ~= '' then
    redis.call('ZADD', KEYS[pk + 1], 'GT', ARGV[pa + 3], ARGV[pa + 4])
    extend(KEYS[pk + 1], tonumber(ARGV[pa + 5]))
  end
  create(KEYS[pk + 2], ARGV[pa + 6], ARGV[pa + 7])
  if ARGV[pa + 8] ~= '0' then create(KEYS[pk + 3], ARGV[pa + 6], ARGV[pa + 8]) end
end
return result
`,
  );
}

/** {@link saveTokens} with its index entries and pointers (standalone Redis). */
export const saveTokensWithEntries = withEntries('saveTokensWithEntries', SAVE_TOKENS, '0', 'result == 1');
/** {@link rotate} with the next pair's index entries and pointers (standalone Redis). */
export const rotateWithEntries = withEntries('rotateWithEntries', ROTATE, '{2}', 'result[1] == 3');
/** {@link redeem} with the tokens' index entries and pointers (standalone Redis). */
export const redeemWithEntries = withEntries('redeemWithEntries', REDEEM, '{2}', 'result[1] == 3');

/**
 * Revokes every access and refresh token of a family and drops index entries whose record
 * expired. KEYS: the family's access and refresh token indexes. ARGV: group prefix, family id,
 * channel, event. Returns how many rows changed.
 */
export const revokeFamily = script(
  'revokeFamily',
  `
local changed = 0
local function revoke(index, kind)
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = ARGV[1] .. kind .. member
    local row = redis.call('HMGET', key, 'id', 'familyId', 'revoked')
    if not row[1] then
      redis.call('ZREM', index, member)
    elseif row[2] == ARGV[2] and row[3] ~= '1' then
      redis.call('HSET', key, 'revoked', '1')
      changed = changed + 1
    end
  end
end
revoke(KEYS[1], 'at:')
revoke(KEYS[2], 'rt:')
redis.call('PUBLISH', ARGV[3], ARGV[4])
return changed
`,
);

/**
 * Revokes an access token stored on its own, or says where a family member lives.
 * KEYS: the access token key. ARGV: channel, event. Returns `{0}` none, `{1}` revoked,
 * `{2, group}` a pointer to the family group.
 */
export const revokeAccessToken = script(
  'revokeAccessToken',
  `
local row = redis.call('HMGET', KEYS[1], 'group', 'id', 'revoked')
if row[1] then return {2, row[1]} end
if not row[2] then return {0} end
if row[3] ~= '1' then redis.call('HSET', KEYS[1], 'revoked', '1') end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return {1}
`,
);

/**
 * Revokes a family member access token and every refresh token issued with it.
 * KEYS: the access token record, the family's refresh token index. ARGV: group prefix, access
 * token id, channel, event. Returns 1, or 0 when the record is gone.
 */
export const revokeGroupAccessToken = script(
  'revokeGroupAccessToken',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local key = ARGV[1] .. 'rt:' .. member
  if redis.call('HGET', key, 'accessTokenId') == ARGV[2] then redis.call('HSET', key, 'revoked', '1') end
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`,
);

/** Sets `revoked` on an existing hash. KEYS: the record. Returns 1, or 0 when it does not exist. */
export const revokeRecord = script(
  'revokeRecord',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
return 1
`,
);

/**
 * Revokes what a client has in one family group: tokens, the authorization code, and the device
 * code (moved to `denied` unless consumed). KEYS: the group's access and refresh token indexes,
 * its code, its device code. ARGV: group prefix, client id. Returns how many rows changed.
 */
export const revokeClientGroup = script(
  'revokeClientGroup',
  `
local changed = 0
local function revoke(index, kind)
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = ARGV[1] .. kind .. member
    local row = redis.call('HMGET', key, 'clientId', 'revoked')
    if row[1] == ARGV[2] and row[2] ~= '1' then
      redis.call('HSET', key, 'revoked', '1')
      changed = changed + 1
    end
  end
end
revoke(KEYS[1], 'at:')
revoke(KEYS[2], 'rt:')
local code = redis.call('HMGET', KEYS[3], 'clientId', 'revoked')
if code[1] == ARGV[2] and code[2] ~= '1' then
  redis.call('HSET', KEYS[3], 'revoked', '1')
  changed = changed + 1
end
local device = redis.call('HMGET', KEYS[4], 'clientId', 'status', 'consumedAt')
if device[1] == ARGV[2] and not device[3] and device[2] ~= 'denied' then
  redis.call('HSET', KEYS[4], 'status', 'denied')
  changed = changed + 1
end
return changed
`,
);

/** Revokes a client's standalone access token. KEYS: the token. ARGV: client id. Returns 1 if changed. */
export const revokeClientAccessToken = script(
  'revokeClientAccessToken',
  `
local row = redis.call('HMGET', KEYS[1], 'group', 'clientId', 'revoked')
if row[1] or row[2] ~= ARGV[1] or row[3] == '1' then return 0 end
redis.call('HSET', KEYS[1], 'revoked', '1')
return 1
`,
);

/**
 * Applies a client update and publishes it. KEYS: the client. ARGV: channel, event, fields to
 * set, fields to delete (JSON arrays). Returns the updated hash, or nil when there is no client.
 */
export const updateClient = script(
  'updateClient',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[3])))
local unset = cjson.decode(ARGV[4])
if #unset > 0 then redis.call('HDEL', KEYS[1], unpack(unset)) end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return redis.call('HGETALL', KEYS[1])
`,
);

/**
 * Deletes a client and publishes it. KEYS: the client. ARGV: channel, event. Returns `{0}` when
 * there is no client, `{1}` or `{1, ownerId}` when it was deleted.
 */
export const deleteClient = script(
  'deleteClient',
  `
local owner = redis.call('HGET', KEYS[1], 'ownerId')
if redis.call('DEL', KEYS[1]) == 0 then return {0} end
redis.call('PUBLISH', ARGV[1], ARGV[2])
if owner then return {1, owner} end
return {1}
`,
);

/**
 * Decides a pending, unexpired device code. KEYS: the device code. ARGV: status, user id, now.
 * Returns the updated hash, or nil.
 */
export const decideDeviceCode = script(
  'decideDeviceCode',
  `
local row = redis.call('HMGET', KEYS[1], 'status', 'consumedAt', 'expiresAt')
if row[1] ~= 'pending' or row[2] or tonumber(row[3]) <= tonumber(ARGV[3]) then return false end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'userId', ARGV[2])
return redis.call('HGETALL', KEYS[1])
`,
);

/**
 * Records a poll. KEYS: the device code. ARGV: now, interval (`''`: keep). Returns the hash as it
 * was before, or nil.
 */
export const touchDeviceCode = script(
  'touchDeviceCode',
  `
local before = redis.call('HGETALL', KEYS[1])
if #before == 0 then return false end
redis.call('HSET', KEYS[1], 'lastPolledAt', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'interval', ARGV[2]) end
return before
`,
);

/**
 * Takes a user code for a device code unless a live one holds it (its `expiresAt` after the new
 * code's `createdAt`). KEYS: the user code. ARGV: device code id, its expiresAt, its createdAt,
 * ttl. Returns 1, or 0 when taken.
 */
export const claimUserCode = script(
  'claimUserCode',
  `
local holder = redis.call('HMGET', KEYS[1], 'device', 'expiresAt')
if holder[1] and tonumber(holder[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'device', ARGV[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`,
);

/** Frees a user code held by this device code. KEYS: the user code. ARGV: device code id. */
export const releaseUserCode = script(
  'releaseUserCode',
  `
if redis.call('HGET', KEYS[1], 'device') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/**
 * Records a single-use marker. KEYS: the marker. ARGV: expiresAt (ms). The key lives until
 * `expiresAt` by the server's clock plus one minute, at least one minute; purge removes it
 * earlier once `expiresAt <= now`. Returns 1 the first time, 0 while it exists.
 */
export const useNonce = script(
  'useNonce',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local time = redis.call('TIME')
local remaining = tonumber(ARGV[1]) - (tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000))
if remaining < 0 then remaining = 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', string.format('%d', remaining + 60000))
return 1
`,
);

/**
 * One hit of a fixed-window counter. KEYS: the window. ARGV: now, window length (ms).
 * Returns `{count, resetAt}`.
 */
export const hitRateLimit = script(
  'hitRateLimit',
  `
local now = tonumber(ARGV[1])
local row = redis.call('HMGET', KEYS[1], 'count', 'resetAt')
if not row[2] or tonumber(row[2]) <= now then
  local reset_at = string.format('%d', now + tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 'count', '1', 'resetAt', reset_at)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, reset_at}
end
return {redis.call('HINCRBY', KEYS[1], 'count', 1), row[2]}
`,
);

/**
 * Purge of one family group under the purge rules: never a live refresh token, the access token
 * a live refresh token was issued with, or a consumed refresh token of a family that still holds
 * a live one; a code or device code before its `expiresAt`, whatever the options. Index
 * entries of expired records are dropped. KEYS: the group's access and refresh token indexes, its
 * code, its device code. ARGV: group prefix, now, revoked ('1'/'0'), expiredBefore (ms or '').
 * Returns `{deleted access token ids, deleted refresh token ids, codes, device codes}`.
 */
export const purgeGroup = script(
  'purgeGroup',
  `
local now = tonumber(ARGV[2])
local revoked = ARGV[3] == '1'
local before = tonumber(ARGV[4])
local function expired(at) return before ~= nil and tonumber(at) < before end
local rows = {}
local family_live = false
local needed = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local key = ARGV[1] .. 'rt:' .. member
  local row = redis.call('HMGET', key, 'id', 'revoked', 'consumedAt', 'expiresAt', 'accessTokenId')
  if not row[1] then
    redis.call('ZREM', KEYS[2], member)
  else
    local live = row[2] ~= '1' and not row[3] and tonumber(row[4]) > now
    if live then
      family_live = true
      needed[row[5]] = true
    end
    rows[#rows + 1] = { member, key, row, live }
  end
end
local refresh = {}
for _, entry in ipairs(rows) do
  local row = entry[3]
  if not entry[4] and not (row[3] and family_live)
    and ((revoked and (row[2] == '1' or row[3])) or expired(row[4])) then
    redis.call('DEL', entry[2])
    redis.call('ZREM', KEYS[2], entry[1])
    refresh[#refresh + 1] = row[1]
  end
end
local access = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. 'at:' .. member
  local row = redis.call('HMGET', key, 'id', 'revoked', 'expiresAt')
  if not row[1] then
    redis.call('ZREM', KEYS[1], member)
  elseif not needed[row[1]] and ((revoked and row[2] == '1') or expired(row[3])) then
    redis.call('DEL', key)
    redis.call('ZREM', KEYS[1], member)
    access[#access + 1] = row[1]
  end
end
-- A code or device code is never deleted before its expiresAt: a replay of it must still be seen.
local codes = 0
local code = redis.call('HMGET', KEYS[3], 'revoked', 'consumedAt', 'expiresAt')
if code[3] and tonumber(code[3]) <= now and ((revoked and (code[1] == '1' or code[2])) or expired(code[3])) then
  codes = redis.call('DEL', KEYS[3])
end
local devices = 0
local device = redis.call('HMGET', KEYS[4], 'consumedAt', 'expiresAt')
if device[2] and tonumber(device[2]) <= now and ((revoked and device[1]) or expired(device[2])) then
  devices = redis.call('DEL', KEYS[4])
end
return { access, refresh, codes, devices }
`,
);

/**
 * Deletes a whole family group (purge of a revoked client). KEYS: the group's access and refresh
 * token indexes, its code, its device code. ARGV: group prefix.
 * Returns `{deleted access token ids, deleted refresh token ids, codes, device codes}`.
 */
export const dropGroup = script(
  'dropGroup',
  `
local function drop(index, kind)
  local ids = {}
  for _, member in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local key = ARGV[1] .. kind .. member
    local id = redis.call('HGET', key, 'id')
    if id then
      redis.call('DEL', key)
      ids[#ids + 1] = id
    end
  end
  redis.call('DEL', index)
  return ids
end
local access = drop(KEYS[1], 'at:')
local refresh = drop(KEYS[2], 'rt:')
return { access, refresh, redis.call('DEL', KEYS[3]), redis.call('DEL', KEYS[4]) }
`,
);

/**
 * Deletes a standalone access token when the purge options say so. KEYS: the token. ARGV:
 * revoked ('1'/'0'), expiredBefore (ms or ''), 'all' to delete regardless. Returns 1 if deleted.
 */
export const purgeAccessToken = script(
  'purgeAccessToken',
  `
local row = redis.call('HMGET', KEYS[1], 'group', 'revoked', 'expiresAt')
if row[1] or not row[3] then return 0 end
local before = tonumber(ARGV[2])
if ARGV[3] == 'all' or (ARGV[1] == '1' and row[2] == '1') or (before ~= nil and tonumber(row[3]) < before) then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
);

/** Deletes a marker whose expiresAt <= now. KEYS: the marker. ARGV: now. Returns 1 if deleted. */
export const purgeNonce = script(
  'purgeNonce',
  `
local expires_at = redis.call('GET', KEYS[1])
if expires_at and tonumber(expires_at) <= tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/** Deletes a rate-limit window that ended (resetAt <= now). KEYS: the window. ARGV: now. */
export const purgeRateLimit = script(
  'purgeRateLimit',
  `
local reset_at = redis.call('HGET', KEYS[1], 'resetAt')
if reset_at and tonumber(reset_at) <= tonumber(ARGV[1]) then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/**
 * Whether a client is revoked and was last updated before a cutoff; with 'delete', deletes it
 * too. KEYS: the client. ARGV: cutoff (ms), 'check' or 'delete'. Returns 1 when it matches.
 */
export const purgeClient = script(
  'purgeClient',
  `
local row = redis.call('HMGET', KEYS[1], 'revoked', 'updatedAt')
if row[1] ~= '1' or tonumber(row[2]) >= tonumber(ARGV[1]) then return 0 end
if ARGV[2] == 'delete' then redis.call('DEL', KEYS[1]) end
return 1
`,
);
