/**
 * A failure in the middle of an atomic step leaves nothing written: a trigger makes SQLite refuse
 * the refresh token `INSERT`, after the code or the old refresh token was consumed and the access
 * token inserted in the same transaction. (The kit's own outage tests need the memory store's
 * testing switch, which this store does not have; this is the same check done with SQLite.)
 */
import { makeAuthCode, makeTokenPair } from '@passport/store-testkit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';

let db: Database.Database;
let store: SqliteStore;
const at = (seconds: number) => new Date(Date.UTC(2030, 0, 1) + seconds * 1000);

beforeEach(() => {
  db = new Database(':memory:');
  store = new SqliteStore(db);
});
afterEach(() => store.close());

function failRefreshTokenInserts(): () => void {
  db.exec(`CREATE TEMP TRIGGER fail_refresh BEFORE INSERT ON oauth_refresh_tokens
    BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
  return () => db.exec('DROP TRIGGER fail_refresh');
}

it('redeemAuthCode: a failure while writing the tokens leaves the code redeemable and no token', async () => {
  const code = makeAuthCode({ createdAt: at(0) });
  await store.saveAuthCode(code);
  const tokens = makeTokenPair({
    accessToken: { clientId: code.clientId, userId: code.userId, familyId: code.id, createdAt: at(1) },
  });
  const restore = failRefreshTokenInserts();
  await expect(store.redeemAuthCode(code.id, at(1), tokens)).rejects.toThrow('injected failure');
  expect(await store.findAuthCode(code.id)).toEqual(code);
  expect(await store.findAccessToken(tokens.accessToken.id)).toBeNull();
  restore();
  expect((await store.redeemAuthCode(code.id, at(1), tokens))?.consumedAt).toEqual(at(1));
  expect(await store.findRefreshToken(tokens.refreshToken.id)).toEqual(tokens.refreshToken);
});

it('rotateRefreshToken: a failure while writing the next pair leaves the old token live and its access token unrevoked', async () => {
  const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
  await store.saveTokens(pair);
  const next = makeTokenPair({
    accessToken: {
      clientId: pair.accessToken.clientId,
      userId: pair.accessToken.userId,
      familyId: pair.refreshToken.familyId,
      createdAt: at(1),
    },
  });
  const restore = failRefreshTokenInserts();
  await expect(store.rotateRefreshToken(pair.refreshToken.id, at(1), next)).rejects.toThrow(
    'injected failure',
  );
  expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
  expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
  expect(await store.findAccessToken(next.accessToken.id)).toBeNull();
  restore();
  expect((await store.rotateRefreshToken(pair.refreshToken.id, at(1), next))?.replacedBy).toBe(
    next.refreshToken.id,
  );
});

it('a closed database is StoreUnavailableError', async () => {
  db.close();
  await expect(store.findClient('any')).rejects.toMatchObject({ code: 'ERR_STORE_UNAVAILABLE' });
  store = new SqliteStore(new Database(':memory:'));
});
