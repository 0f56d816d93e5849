import { expect } from 'vitest';
import { makeClient, makeTokenPair, newClientId, uniqueId } from '../fixtures.js';
import { at, expectConflict, type SuiteContext, skipAtRunTime } from '../internal/helpers.js';

/** ClientStore: create, find, update, delete, listings, store-made ids. */
export function registerClientSuite({ name, suite, store }: SuiteContext): void {
  suite.describe('clients', (clients) => {
    clients.it('createClient stores a client that findClient returns with Date fields', async () => {
      const client = makeClient({ ownerId: uniqueId('user'), scopes: ['read', 'write'], createdAt: at(0) });
      await store().createClient(client);
      const found = await store().findClient(client.id);
      expect(found).toEqual(client);
      expect(found?.createdAt).toBeInstanceOf(Date);
      expect(found?.updatedAt).toBeInstanceOf(Date);
    });

    clients.it('keeps resourceServer as given and changes it only when an update sets it', async () => {
      const server = makeClient({ resourceServer: true, createdAt: at(0) });
      await store().createClient(server);
      expect(await store().findClient(server.id)).toEqual(server);
      expect(await store().updateClient(server.id, { name: 'Renamed', updatedAt: at(1) })).toMatchObject({
        resourceServer: true,
      });
      expect(
        await store().updateClient(server.id, { resourceServer: false, updatedAt: at(2) }),
      ).toMatchObject({
        resourceServer: false,
        name: 'Renamed',
      });
    });

    const nextIdTitle = 'nextClientId (when offered) hands out distinct ids that createClient accepts';
    clients.it(nextIdTitle, async (context) => {
      const next = store().nextClientId?.bind(store());
      if (next === undefined) {
        skipAtRunTime(
          context,
          name,
          `clients > ${nextIdTitle}`,
          'the store has no nextClientId (core draws UUIDs)',
        );
        return;
      }
      const ids = [await next(), await next(), await next()];
      expect(new Set(ids).size).toBe(3);
      for (const id of ids) {
        expect(typeof id).toBe('string');
        const client = makeClient({ id });
        await store().createClient(client);
        expect(await store().findClient(id)).toEqual(client);
      }
    });

    clients.it('findClient returns null for an unknown id', async () => {
      expect(await store().findClient(newClientId())).toBeNull();
    });

    clients.it('findClient returns a revoked client', async () => {
      const client = makeClient({ revoked: true });
      await store().createClient(client);
      expect(await store().findClient(client.id)).toMatchObject({ id: client.id, revoked: true });
    });

    clients.it(
      'createClient throws StoreConflictError for a duplicate id and keeps the original',
      async () => {
        const client = makeClient({ name: 'Original' });
        await store().createClient(client);
        await expectConflict(store().createClient({ ...client, name: 'Impostor' }));
        expect((await store().findClient(client.id))?.name).toBe('Original');
      },
    );

    clients.it('updateClient applies the given fields, keeps the others and returns the result', async () => {
      const client = makeClient({ createdAt: at(0) });
      await store().createClient(client);
      const updated = await store().updateClient(client.id, {
        name: 'Renamed',
        redirectUris: ['https://a.example/cb', 'https://b.example/cb'],
        grantTypes: ['client_credentials'],
        scopes: ['read'],
        firstParty: true,
        resourceServer: true,
        revoked: true,
        provider: 'admins',
        updatedAt: at(60),
      });
      const expected = {
        ...client,
        name: 'Renamed',
        redirectUris: ['https://a.example/cb', 'https://b.example/cb'],
        grantTypes: ['client_credentials'],
        scopes: ['read'],
        firstParty: true,
        resourceServer: true,
        revoked: true,
        provider: 'admins',
        updatedAt: at(60),
      };
      expect(updated).toEqual(expected);
      expect(await store().findClient(client.id)).toEqual(expected);
    });

    clients.it('updateClient can clear the secret hash and the scope restriction', async () => {
      const client = makeClient({ scopes: ['read'] });
      await store().createClient(client);
      await store().updateClient(client.id, { secretHash: null, scopes: null, updatedAt: at(1) });
      expect(await store().findClient(client.id)).toMatchObject({ secretHash: null, scopes: null });
    });

    clients.it('updateClient returns null for an unknown id', async () => {
      expect(await store().updateClient(newClientId(), { name: 'x', updatedAt: at(0) })).toBeNull();
    });

    clients.it('deleteClient removes the client and returns false the second time', async () => {
      const client = makeClient();
      await store().createClient(client);
      expect(await store().deleteClient(client.id)).toBe(true);
      expect(await store().findClient(client.id)).toBeNull();
      expect(await store().deleteClient(client.id)).toBe(false);
    });

    clients.it("deleteClient does not touch the client's tokens (core revokes them first)", async () => {
      const client = makeClient();
      const pair = makeTokenPair({ accessToken: { clientId: client.id } });
      await store().createClient(client);
      await store().saveTokens(pair);
      await store().deleteClient(client.id);
      expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    });

    clients.it('revokeClientTokens leaves the client record itself alone', async () => {
      const client = makeClient();
      await store().createClient(client);
      await store().saveTokens(makeTokenPair({ accessToken: { clientId: client.id } }));
      await store().revokeClientTokens(client.id);
      expect(await store().findClient(client.id)).toEqual(client);
    });

    clients.it("listClientsByOwner returns only the owner's clients, oldest first", async () => {
      const ownerId = uniqueId('user');
      const newer = makeClient({ ownerId, name: 'newer', createdAt: at(20) });
      const older = makeClient({ ownerId, name: 'older', createdAt: at(10) });
      const stranger = makeClient({ ownerId: uniqueId('user'), createdAt: at(15) });
      for (const client of [newer, older, stranger]) await store().createClient(client);
      expect(await store().listClientsByOwner(ownerId)).toEqual([older, newer]);
    });

    clients.it('listClientsByOwner returns an empty array for an unknown owner', async () => {
      expect(await store().listClientsByOwner(uniqueId('user'))).toEqual([]);
    });

    clients.it('listClients returns every client, oldest first', async () => {
      const created = [
        makeClient({ createdAt: at(30) }),
        makeClient({ ownerId: uniqueId('user'), createdAt: at(10) }),
        makeClient({ createdAt: at(20) }),
      ];
      for (const client of created) await store().createClient(client);
      const ids = new Set(created.map((client) => client.id));
      const listed = (await store().listClients()).filter((client) => ids.has(client.id));
      expect(listed.map((client) => client.createdAt)).toEqual([at(10), at(20), at(30)]);
    });

    clients.it('returns copies: mutating a returned or a written client changes nothing stored', async () => {
      const client = makeClient({ scopes: ['read'], ownerId: uniqueId('user') });
      const snapshot = structuredClone(client);
      await store().createClient(client);
      client.redirectUris.push('https://evil.example/cb');
      client.createdAt.setTime(0);
      client.name = 'mutated input';

      const found = await store().findClient(client.id);
      if (found === null) throw new Error('client not found');
      found.redirectUris.push('https://evil.example/cb');
      found.grantTypes.push('password');
      found.scopes?.push('admin');
      found.updatedAt.setTime(0);
      found.revoked = true;

      const listed = await store().listClientsByOwner(snapshot.ownerId ?? '');
      listed[0]?.redirectUris.push('https://evil.example/cb');

      expect(await store().findClient(client.id)).toEqual(snapshot);
    });
  });
}
