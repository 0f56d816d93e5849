import { describe, expect, it } from 'vitest';
import { basic, makeClient, rejection, setup } from '../../test/grants-harness.js';
import { OAuthError } from '../errors/oauth-error.js';

describe('handleTokenRequest dispatch', () => {
  it('answers invalid_request without grant_type', async () => {
    const h = await setup();
    const error = await rejection(
      h.passport.handleTokenRequest({ params: new URLSearchParams(), authorization: null }),
    );
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toMatchObject({ error: 'invalid_request', status: 400 });
  });

  it('answers unsupported_grant_type for unknown, disabled and internal grant types', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, {
      grantTypes: ['personal_access', 'implicit', 'password'],
    });
    for (const grant of ['magic', 'personal_access', 'implicit', 'password']) {
      const error = await rejection(
        h.passport.handleTokenRequest({
          params: new URLSearchParams({ grant_type: grant }),
          authorization: basic(client.id, secret ?? ''),
        }),
      );
      expect(error, grant).toMatchObject({ error: 'unsupported_grant_type', status: 400 });
    }
  });

  it('rejects repeated parameters with invalid_request (RFC 6749 3.1)', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const params = new URLSearchParams({ grant_type: 'client_credentials', scope: 'read' });
    params.append('scope', 'admin');
    const error = await rejection(
      h.passport.handleTokenRequest({ params, authorization: basic(client.id, secret ?? '') }),
    );
    expect(error).toMatchObject({ error: 'invalid_request', status: 400 });
    expect(await h.store.listUserTokens(client.id, { now: new Date(h.now()) })).toEqual([]);
  });

  it('surfaces a store outage as StoreUnavailableError before any write', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h, { grantTypes: ['client_credentials'] });
    h.store.simulateOutage();
    const error = await rejection(
      h.passport.handleTokenRequest({
        params: new URLSearchParams({ grant_type: 'client_credentials' }),
        authorization: basic(client.id, secret ?? ''),
      }),
    );
    expect(error).toMatchObject({ name: 'StoreUnavailableError', code: 'ERR_STORE_UNAVAILABLE' });
  });
});
