import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { basic, makeClient, rejection, setup } from '../../test/grants-harness.js';
import { OAuthError } from '../errors/oauth-error.js';

const request = (scope: string | null, authorization: string | null, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams({ grant_type: 'client_credentials', ...extra });
  if (scope !== null) params.set('scope', scope);
  return { params, authorization };
};

describe('client_credentials grant', () => {
  it('issues an access token for the client itself: sub = client id, userId null, no refresh token', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const response = await h.passport.handleTokenRequest(request('read', basic(client.id, secret ?? '')));
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read' });
    expect(response.refresh_token).toBeUndefined();
    expect(decodeJwt(response.access_token)).toMatchObject({ sub: client.id, client_id: client.id });
    const verified = await h.passport.verifyAccessToken(response.access_token);
    expect(verified.userId).toBeNull();
    expect(verified.record).toMatchObject({ userId: null, clientId: client.id, familyId: null });
  });

  it('allows the * scope', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const response = await h.passport.handleTokenRequest(request('*', basic(client.id, secret ?? '')));
    expect(response.scope).toBe('*');
  });

  it('rejects public clients with invalid_client', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false, grantTypes: ['authorization_code'] });
    await h.store.updateClient(client.id, { grantTypes: ['client_credentials'], updatedAt: new Date() });
    const error = await rejection(
      h.passport.handleTokenRequest(request(null, null, { client_id: client.id })),
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('answers unauthorized_client when the client may not use the grant', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['authorization_code'] });
    const error = await rejection(
      h.passport.handleTokenRequest(request(null, basic(client.id, secret ?? ''))),
    );
    expect(error).toMatchObject({ error: 'unauthorized_client', status: 400 });
  });

  it('answers invalid_scope for an unknown scope', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const error = await rejection(
      h.passport.handleTokenRequest(request('nope', basic(client.id, secret ?? ''))),
    );
    expect(error).toMatchObject({ error: 'invalid_scope', status: 400 });
  });
});
