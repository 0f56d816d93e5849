import { describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../src/index.js';
import { basic, form, origin, type Setup, setup, type TestUser, users } from './helpers.js';

// The bearer guard on the passport's revocation-state cache (revocationCacheSeconds, default 5):
// a warm request makes no store call; revocations through the passport are refused at once, those
// made elsewhere (here: directly on the store, as another instance would) at once when the store
// has a change feed and within the bound without one; the provider check and the revoked-client
// refusal hold on cached rows too.

function bearer(token: string): Request {
  return new Request(`${origin}/api`, { headers: { authorization: `Bearer ${token}` } });
}

function ok(guard: Guard<TestUser>) {
  return guard.requireToken(async () => new Response('ok'));
}

/** Counts the store reads of the bearer path. */
function countReads(s: Setup): { tokens: number; clients: number } {
  const counts = { tokens: 0, clients: 0 };
  const findAccessToken = s.store.findAccessToken.bind(s.store);
  const findClient = s.store.findClient.bind(s.store);
  s.store.findAccessToken = (id) => {
    counts.tokens++;
    return findAccessToken(id);
  };
  s.store.findClient = (id) => {
    counts.clients++;
    return findClient(id);
  };
  return counts;
}

async function personalToken(s: Setup): Promise<{ token: string; jti: string; clientId: string }> {
  const result = await s.passport.createPersonalAccessToken(users.alice as TestUser, 'test', ['orders:read']);
  return { token: result.accessToken, jti: result.token.id, clientId: result.token.clientId };
}

describe('guard on the revocation-state cache', () => {
  it("with the store's change feed, a token or client revoked elsewhere is refused at once", async () => {
    const s = await setup();
    const guard = ok(createGuard({ passport: s.passport }));
    const first = await personalToken(s);
    const second = await personalToken(s);
    expect((await guard(bearer(first.token))).status).toBe(200);
    await s.store.revokeAccessToken(first.jti); // another instance, through the shared store
    expect((await guard(bearer(first.token))).status).toBe(401);
    expect((await guard(bearer(second.token))).status).toBe(200);
    await s.store.updateClient(second.clientId, { revoked: true, updatedAt: new Date(s.clock.now) });
    expect((await guard(bearer(second.token))).status).toBe(401);
  });

  it('cold: one read of the token row and one of the client row; warm: no store call', async () => {
    const s = await setup();
    const guard = ok(createGuard({ passport: s.passport }));
    const { token } = await personalToken(s);
    const reads = countReads(s);
    expect((await guard(bearer(token))).status).toBe(200);
    expect(reads).toEqual({ tokens: 1, clients: 1 });
    for (let i = 0; i < 5; i++) expect((await guard(bearer(token))).status).toBe(200);
    expect(reads).toEqual({ tokens: 1, clients: 1 });
    s.clock.now += 5000; // the bound has passed: both rows are read again, once
    expect((await guard(bearer(token))).status).toBe(200);
    expect((await guard(bearer(token))).status).toBe(200);
    expect(reads).toEqual({ tokens: 2, clients: 2 });
  });

  it('a token revoked through the passport is refused at once; one revoked elsewhere (no feed) after the bound', async () => {
    const s = await setup({}, {}, { changeFeed: false });
    const guard = ok(createGuard({ passport: s.passport }));
    const first = await personalToken(s);
    const second = await personalToken(s);
    expect((await guard(bearer(first.token))).status).toBe(200);
    expect((await guard(bearer(second.token))).status).toBe(200);
    await s.passport.revokeAccessToken(first.jti);
    expect((await guard(bearer(first.token))).status).toBe(401);
    await s.store.revokeAccessToken(second.jti); // another instance
    s.clock.now += 4999;
    expect((await guard(bearer(second.token))).status).toBe(200);
    s.clock.now += 1;
    expect((await guard(bearer(second.token))).status).toBe(401);
  });

  it('a client revoked elsewhere (no feed) is refused after the bound; a client deleted through the passport at once', async () => {
    const s = await setup({}, {}, { changeFeed: false });
    const guard = ok(createGuard({ passport: s.passport }));
    const { token, clientId } = await personalToken(s);
    expect((await guard(bearer(token))).status).toBe(200);
    await s.store.updateClient(clientId, { revoked: true, updatedAt: new Date(s.clock.now) });
    s.clock.now += 4999;
    expect((await guard(bearer(token))).status).toBe(200);
    s.clock.now += 1;
    const refused = await guard(bearer(token));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    s.clock.now -= 3000; // the revoked client was not cached as live
    expect((await guard(bearer(token))).status).toBe(401);

    const other = await setup();
    const otherGuard = ok(createGuard({ passport: other.passport }));
    const issued = await personalToken(other);
    expect((await otherGuard(bearer(issued.token))).status).toBe(200);
    expect(await other.passport.clients.delete(issued.clientId)).toBe(true);
    expect((await otherGuard(bearer(issued.token))).status).toBe(401);
  });

  it('the provider check holds on cached rows: a token warm in one guard is still refused by a guard of another provider', async () => {
    const s = await setup();
    const { client, plainSecret } = await s.passport.clients.create({
      name: 'Machine for admins',
      grantTypes: ['client_credentials'],
      provider: 'admins',
    });
    const response = await s.handler(
      form(
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'orders:read' },
        { authorization: basic(client.id, plainSecret as string) },
      ),
    );
    const token = ((await response.json()) as { access_token: string }).access_token;
    const adminsGuard = createGuard({ passport: s.passport, provider: 'admins' });
    const usersGuard = createGuard({ passport: s.passport });
    expect((await adminsGuard.authenticate(bearer(token)))?.client?.id).toBe(client.id); // now warm
    const reads = countReads(s);
    expect(await usersGuard.authenticate(bearer(token))).toBeNull();
    expect((await ok(usersGuard)(bearer(token))).status).toBe(401);
    expect((await adminsGuard.authenticate(bearer(token)))?.client?.id).toBe(client.id);
    expect(reads).toEqual({ tokens: 0, clients: 0 });
  });

  it('revocationCacheSeconds 0: every request reads the store and revocations elsewhere count at once', async () => {
    const s = await setup({ revocationCacheSeconds: 0 });
    const guard = ok(createGuard({ passport: s.passport }));
    const { token, jti } = await personalToken(s);
    const reads = countReads(s);
    expect((await guard(bearer(token))).status).toBe(200);
    expect((await guard(bearer(token))).status).toBe(200);
    expect(reads).toEqual({ tokens: 2, clients: 2 });
    await s.store.revokeAccessToken(jti);
    expect((await guard(bearer(token))).status).toBe(401);
  });
});
