import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { PassportOptionsError } from '../errors/passport-error.js';
import { hashSecret } from '../internal/secrets.js';
import { KeySet } from '../keys/key-set.js';
import { createPassport } from '../passport.js';

const keys = await KeySet.generate('ES256');
const alice = { id: 'user-alice', username: 'alice', password: 'pw' };
const bob = { id: 'user-bob', username: 'bob', password: 'pw' };
const users = [alice, bob];
const hour = 3600;

async function setup() {
  const store = createMemoryStore();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const passport = createPassport({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read' },
    clock: () => now,
    grants: { password: true },
    userProviders: {
      users: {
        findById: async (id) => users.find((u) => u.id === id) ?? null,
        findForPassport: async (username) => users.find((u) => u.username === username) ?? null,
        validateForPassportPasswordGrant: async (user, password) =>
          password === (user as typeof alice).password,
      },
    },
  });
  const { client, plainSecret } = await passport.clients.create({
    name: 'App',
    grantTypes: ['password', 'refresh_token', 'client_credentials'],
  });
  const token = (fields: Record<string, string>) =>
    passport.handleTokenRequest({
      params: new URLSearchParams({ client_id: client.id, client_secret: plainSecret as string, ...fields }),
      authorization: null,
    });
  const login = (user: typeof alice) =>
    token({ grant_type: 'password', username: user.username, password: user.password });
  const jti = async (accessToken: string) => (await passport.verifyAccessToken(accessToken)).record.id;
  return {
    store,
    passport,
    client,
    token,
    login,
    jti,
    advance: (seconds: number) => (now += seconds * 1000),
  };
}

describe('token management', () => {
  it("lists a user's live tokens, newest first, optionally for one client", async () => {
    const { passport, login, jti, advance, client } = await setup();
    const first = await jti((await login(alice)).access_token);
    advance(10);
    const second = await jti((await login(alice)).access_token);
    await login(bob);
    const personal = await passport.createPersonalAccessToken(alice, 'cli');
    await passport.revokeAccessToken(first);

    expect((await passport.listUserTokens(alice.id)).map((t) => t.id)).toEqual([personal.token.id, second]);
    expect((await passport.listUserTokens(alice.id, { clientId: client.id })).map((t) => t.id)).toEqual([
      second,
    ]);
    advance(2 * hour);
    expect((await passport.listUserTokens(alice.id)).map((t) => t.id)).toEqual([personal.token.id]);
  });

  it('lists personal access tokens apart from the tokens issued to clients', async () => {
    const { passport, login, jti } = await setup();
    const issued = await jti((await login(alice)).access_token);
    const personal = await passport.createPersonalAccessToken(alice, 'cli');
    expect((await passport.listUserTokens(alice.id, { personal: true })).map((t) => t.id)).toEqual([
      personal.token.id,
    ]);
    expect((await passport.listUserTokens(alice.id, { personal: false })).map((t) => t.id)).toEqual([issued]);
  });

  it("revokes a user's own personal access token only: foreign, issued, unknown and revoked ids are false", async () => {
    const { passport, store, login, jti } = await setup();
    const personal = await passport.createPersonalAccessToken(alice, 'cli');
    const issued = await jti((await login(alice)).access_token);
    const events: string[] = [];
    passport.events.on('accessTokenRevoked', ({ accessTokenId }) => void events.push(accessTokenId));

    expect(await passport.revokePersonalAccessToken(bob.id, personal.token.id)).toBe(false);
    expect(await passport.revokePersonalAccessToken(alice.id, issued)).toBe(false);
    expect(await passport.revokePersonalAccessToken(alice.id, 'no-such-token')).toBe(false);
    expect((await store.findAccessToken(personal.token.id))?.revoked).toBe(false);
    expect((await store.findAccessToken(issued))?.revoked).toBe(false);

    expect(await passport.revokePersonalAccessToken(alice.id, personal.token.id)).toBe(true);
    expect((await store.findAccessToken(personal.token.id))?.revoked).toBe(true);
    expect(await passport.revokePersonalAccessToken(alice.id, personal.token.id)).toBe(false);
    expect(events).toEqual([personal.token.id]);
  });

  it("revokes a user's own token and its refresh token; a foreign or unknown id is false and changes nothing", async () => {
    const { passport, store, login, jti } = await setup();
    const tokens = await login(alice);
    const id = await jti(tokens.access_token);
    const events: string[] = [];
    passport.events.on(
      'accessTokenRevoked',
      ({ accessTokenId, reason }) => void events.push(`${accessTokenId}:${reason}`),
    );

    expect(await passport.revokeUserToken(bob.id, id)).toBe(false);
    expect(await passport.revokeUserToken(alice.id, 'no-such-token')).toBe(false);
    expect((await store.findAccessToken(id))?.revoked).toBe(false);

    expect(await passport.revokeUserToken(alice.id, id)).toBe(true);
    expect((await store.findAccessToken(id))?.revoked).toBe(true);
    expect((await store.findRefreshToken(hashSecret(tokens.refresh_token as string)))?.revoked).toBe(true);
    expect(events).toEqual([`${id}:revoked`]);
  });

  it('never lets revokeUserToken touch a client-credentials token', async () => {
    const { passport, store, token, jti, client } = await setup();
    const cc = await token({ grant_type: 'client_credentials' });
    const id = await jti(cc.access_token);
    expect(await passport.revokeUserToken(client.id, id)).toBe(false);
    expect((await store.findAccessToken(id))?.revoked).toBe(false);
    expect(await passport.revokeAccessToken(id)).toBe(true);
    expect(await passport.revokeAccessToken('missing')).toBe(false);
  });

  it('purges revoked rows and rows expired more than N hours ago, never what a live refresh token needs', async () => {
    const { passport, store, login, token, jti, advance } = await setup();

    const revoked = await login(alice);
    const revokedId = await jti(revoked.access_token);
    await passport.revokeAccessToken(revokedId);

    const clientToken = await jti((await token({ grant_type: 'client_credentials' })).access_token);

    const rotated = await login(alice);
    const rotatedAccess = await jti(rotated.access_token);
    const current = await token({
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token as string,
    });
    const currentAccess = await jti(current.access_token);

    advance(3 * hour); // every access token has expired; the current refresh token is still live

    const kept = await passport.purge({ revoked: false, hours: 24 });
    expect(kept).toEqual({
      accessTokens: 0,
      refreshTokens: 0,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    });
    expect(await store.findAccessToken(clientToken)).not.toBeNull();

    const result = await passport.purge({ hours: 1 });
    expect(result.accessTokens).toBe(3); // the revoked one, the client's, and the one rotation revoked
    expect(await store.findAccessToken(rotatedAccess)).toBeNull();
    expect(await store.findAccessToken(revokedId)).toBeNull();
    expect(await store.findRefreshToken(hashSecret(revoked.refresh_token as string))).toBeNull();
    expect(await store.findAccessToken(clientToken)).toBeNull();
    // What the live refresh token needs: its access token and the consumed token of its family.
    expect(await store.findAccessToken(currentAccess)).not.toBeNull();
    expect(await store.findRefreshToken(hashSecret(current.refresh_token as string))).not.toBeNull();
    expect(await store.findRefreshToken(hashSecret(rotated.refresh_token as string))).not.toBeNull();
    // Reuse of the rotated token is still detected after the purge.
    const reuse = await token({
      grant_type: 'refresh_token',
      refresh_token: rotated.refresh_token as string,
    }).catch((e: unknown) => e);
    expect((reuse as { error?: string }).error).toBe('invalid_grant');
    expect((await store.findRefreshToken(hashSecret(current.refresh_token as string)))?.revoked).toBe(true);
  });

  it('keeps expired rows younger than the window and uses 168 hours by default', async () => {
    const { passport, store, token, jti, advance } = await setup();
    const id = await jti((await token({ grant_type: 'client_credentials' })).access_token);
    advance(hour + 100 * hour);
    await passport.purge();
    expect(await store.findAccessToken(id)).not.toBeNull();
    advance(100 * hour);
    await passport.purge({ expired: false });
    expect(await store.findAccessToken(id)).not.toBeNull();
    await passport.purge();
    expect(await store.findAccessToken(id)).toBeNull();
  });

  it('rejects a negative or non-finite hours or clientRetentionHours option', async () => {
    const { passport } = await setup();
    await expect(passport.purge({ hours: -1 })).rejects.toBeInstanceOf(PassportOptionsError);
    await expect(passport.purge({ hours: Number.NaN })).rejects.toBeInstanceOf(PassportOptionsError);
    await expect(passport.purge({ clientRetentionHours: -1 })).rejects.toThrow(/clientRetentionHours/);
  });

  it('keeps a deleted (revoked) client for clientRetentionHours (default 720), then purges it with its rows', async () => {
    const { passport, store, client, advance } = await setup();
    expect(await passport.clients.delete(client.id)).toBe(true);
    advance(719 * hour);
    expect((await passport.purge()).clients).toBe(0);
    expect(await store.findClient(client.id)).toMatchObject({ revoked: true });
    expect((await passport.purge({ clientRetentionHours: null })).clients).toBe(0);
    expect((await passport.purge({ revoked: false, clientRetentionHours: 0 })).clients).toBe(0);
    advance(2 * hour);
    expect((await passport.purge()).clients).toBe(1);
    expect(await store.findClient(client.id)).toBeNull();
  });
});
