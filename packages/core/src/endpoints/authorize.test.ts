import { describe, expect, it } from 'vitest';
import {
  CHALLENGE,
  fragment,
  ISSUER,
  makeClient,
  query,
  rejection,
  setup,
} from '../../test/grants-harness.js';
import { redirectUriMatches } from '../clients/redirect-uri.js';
import { AuthorizationError } from './authorization-error.js';

const params = (values: Record<string, string>) => new URLSearchParams(values);

async function authError(promise: Promise<unknown>): Promise<AuthorizationError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(AuthorizationError);
  return error as AuthorizationError;
}

describe('validateAuthorizationRequest', () => {
  it('answers invalid_request, redirected with state, when response_type is missing', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(
      h.passport.validateAuthorizationRequest(params({ client_id: client.id, state: 'xyz' })),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
    const back = query(error.toRedirectUrl() ?? '');
    expect(back).toMatchObject({ error: 'invalid_request', state: 'xyz', iss: ISSUER });
  });

  it('answers unsupported_response_type (not unsupported_grant_type) for an unknown response_type', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(
      h.passport.validateAuthorizationRequest(params({ client_id: client.id, response_type: 'id_token' })),
    );
    expect(error.error).toBe('unsupported_response_type');
    expect(query(error.toRedirectUrl() ?? '').error).toBe('unsupported_response_type');
  });

  it('answers unsupported_response_type for response_type=token while implicit is disabled', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { grantTypes: ['implicit'] });
    const error = await authError(
      h.passport.validateAuthorizationRequest(params({ client_id: client.id, response_type: 'token' })),
    );
    expect(error.error).toBe('unsupported_response_type');
    expect(error.responseMode).toBe('fragment');
  });

  it('never redirects an unknown client: invalid_client with a null redirect URI', async () => {
    const h = await setup();
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({
          client_id: 'nope',
          response_type: 'code',
          redirect_uri: 'https://evil.example/cb',
          state: 's',
        }),
      ),
    );
    expect(error.error).toBe('invalid_client');
    expect(error.status).toBe(401);
    expect(error.redirectUri).toBeNull();
    expect(error.toRedirectUrl()).toBeNull();
  });

  it('never redirects to a revoked client', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date() });
    const error = await authError(
      h.passport.validateAuthorizationRequest(params({ client_id: client.id, response_type: 'code' })),
    );
    expect(error.error).toBe('invalid_client');
    expect(error.redirectUri).toBeNull();
  });

  it('never redirects to an unregistered redirect_uri', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({ client_id: client.id, response_type: 'code', redirect_uri: 'https://app.example/other' }),
      ),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.redirectUri).toBeNull();
    expect(error.toRedirectUrl()).toBeNull();
  });

  it('allows omitting redirect_uri only when exactly one is registered', async () => {
    const h = await setup();
    const { client: one } = await makeClient(h);
    const request = await h.passport.validateAuthorizationRequest(
      params({ client_id: one.id, response_type: 'code', code_challenge: CHALLENGE }),
    );
    expect(request.redirectUri).toBe('https://app.example/callback');
    expect(request.redirectUriProvided).toBe(false);

    const { client: two } = await makeClient(h, {
      redirectUris: ['https://app.example/a', 'https://app.example/b'],
    });
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({ client_id: two.id, response_type: 'code', code_challenge: CHALLENGE }),
      ),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.redirectUri).toBeNull();
  });

  it('matches loopback IP redirect URIs on any port with the exact path (RFC 8252), not localhost', async () => {
    const h = await setup();
    const { client } = await makeClient(h, {
      confidential: false,
      redirectUris: ['http://127.0.0.1/callback', 'http://[::1]:8080/cb', 'http://localhost/cb'],
    });
    const validate = (redirect_uri: string) =>
      h.passport.validateAuthorizationRequest(
        params({ client_id: client.id, response_type: 'code', code_challenge: CHALLENGE, redirect_uri }),
      );
    expect((await validate('http://127.0.0.1:51004/callback')).redirectUri).toBe(
      'http://127.0.0.1:51004/callback',
    );
    expect((await validate('http://[::1]:3000/cb')).redirectUri).toBe('http://[::1]:3000/cb');
    for (const bad of [
      'http://127.0.0.1:51004/callback/extra',
      'http://127.0.0.1:51004/Callback',
      'http://localhost:8080/cb',
      'https://127.0.0.1:51004/callback',
      'http://127.0.0.2:51004/callback',
    ]) {
      const error = await authError(validate(bad));
      expect(error.redirectUri, bad).toBeNull();
    }
    expect(redirectUriMatches(['http://localhost/cb'], 'http://localhost/cb')).toBe(true);
  });

  it('sends a scope error found after redirect validation back to the client with state', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({
          client_id: client.id,
          response_type: 'code',
          scope: 'read unknown',
          state: 'st-1',
          code_challenge: CHALLENGE,
        }),
      ),
    );
    expect(error.error).toBe('invalid_scope');
    const url = new URL(error.toRedirectUrl() ?? '');
    expect(`${url.origin}${url.pathname}`).toBe('https://app.example/callback');
    expect(query(url.href)).toMatchObject({ error: 'invalid_scope', state: 'st-1', iss: ISSUER });
  });

  it('rejects * at the authorization endpoint with invalid_scope', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({ client_id: client.id, response_type: 'code', scope: '*', code_challenge: CHALLENGE }),
      ),
    );
    expect(error.error).toBe('invalid_scope');
  });

  it('answers unauthorized_client when the client may not use the authorization_code grant', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { grantTypes: ['client_credentials'] });
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({ client_id: client.id, response_type: 'code', state: 'q', code_challenge: CHALLENGE }),
      ),
    );
    expect(error.error).toBe('unauthorized_client');
    expect(query(error.toRedirectUrl() ?? '')).toMatchObject({ error: 'unauthorized_client', state: 'q' });
  });

  it('rejects repeated parameters with invalid_request', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const search = params({ client_id: client.id, response_type: 'code', code_challenge: CHALLENGE });
    search.append('scope', 'read');
    search.append('scope', 'write');
    const error = await authError(h.passport.validateAuthorizationRequest(search));
    expect(error.error).toBe('invalid_request');
    expect(error.redirectUri).not.toBeNull();

    const twice = params({ response_type: 'code' });
    twice.append('client_id', client.id);
    twice.append('client_id', client.id);
    const fatal = await authError(h.passport.validateAuthorizationRequest(twice));
    expect(fatal.redirectUri).toBeNull();
  });

  it('tolerates repeated spaces in scope and applies default scopes when none are requested', async () => {
    const h = await setup({ defaultScopes: ['read'] });
    const { client } = await makeClient(h);
    const base = { client_id: client.id, response_type: 'code', code_challenge: CHALLENGE };
    const spaced = await h.passport.validateAuthorizationRequest(
      params({ ...base, scope: '  read   write ' }),
    );
    expect(spaced.scopes).toEqual(['read', 'write']);
    const none = await h.passport.validateAuthorizationRequest(params(base));
    expect(none.scopes).toEqual(['read']);
  });
});

describe('PKCE at the authorization endpoint', () => {
  const base = (clientId: string) => ({ client_id: clientId, response_type: 'code' });

  it('requires a challenge from public clients', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const error = await authError(h.passport.validateAuthorizationRequest(params(base(client.id))));
    expect(error.error).toBe('invalid_request');
    expect(error.redirectUri).toBe('https://app.example/callback');
  });

  it('lets confidential clients omit PKCE unless required by options', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const request = await h.passport.validateAuthorizationRequest(params(base(client.id)));
    expect(request.codeChallenge).toBeNull();

    const strict = await setup({ pkce: { requireForConfidentialClients: true } });
    const { client: other } = await makeClient(strict);
    const error = await authError(strict.passport.validateAuthorizationRequest(params(base(other.id))));
    expect(error.error).toBe('invalid_request');
  });

  it('checks the challenge format: 43 to 128 characters of [A-Za-z0-9-._~]', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    for (const bad of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}+`, `${'a'.repeat(42)}=`]) {
      const error = await authError(
        h.passport.validateAuthorizationRequest(params({ ...base(client.id), code_challenge: bad })),
      );
      expect(error.error, bad).toBe('invalid_request');
    }
    for (const good of ['a'.repeat(43), `${'A1-._~'.repeat(21)}xx`]) {
      const request = await h.passport.validateAuthorizationRequest(
        params({ ...base(client.id), code_challenge: good }),
      );
      expect(request.codeChallengeMethod).toBe('S256');
    }
  });

  it('rejects plain unless enabled, and accepts it when enabled', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const plain = { ...base(client.id), code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' };
    const error = await authError(h.passport.validateAuthorizationRequest(params(plain)));
    expect(error.error).toBe('invalid_request');

    const lax = await setup({ pkce: { allowPlain: true } });
    const { client: other } = await makeClient(lax, { confidential: false });
    const request = await lax.passport.validateAuthorizationRequest(
      params({ ...plain, client_id: other.id }),
    );
    expect(request.codeChallengeMethod).toBe('plain');
  });

  it('rejects an unknown code_challenge_method', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const error = await authError(
      h.passport.validateAuthorizationRequest(
        params({ ...base(client.id), code_challenge: CHALLENGE, code_challenge_method: 'S512' }),
      ),
    );
    expect(error.error).toBe('invalid_request');
  });
});

describe('approve and deny', () => {
  it('approves into a redirect with code, state and iss; the code is stored hashed and bound', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { redirectUris: ['https://app.example/callback?tenant=1'] });
    const request = await h.passport.validateAuthorizationRequest(
      params({
        client_id: client.id,
        response_type: 'code',
        redirect_uri: 'https://app.example/callback?tenant=1',
        scope: 'read',
        state: 'abc',
        code_challenge: CHALLENGE,
      }),
    );
    const url = await h.passport.approveAuthorizationRequest(request, { id: 'user-7' });
    const back = query(url);
    expect(back).toMatchObject({ tenant: '1', state: 'abc', iss: ISSUER });
    expect(back.code).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { hashSecret } = await import('../internal/secrets.js');
    const stored = await h.store.findAuthCode(hashSecret(back.code ?? ''));
    expect(stored).toMatchObject({
      clientId: client.id,
      userId: 'user-7',
      scopes: ['read'],
      redirectUri: 'https://app.example/callback?tenant=1',
      codeChallenge: CHALLENGE,
      codeChallengeMethod: 'S256',
      consumedAt: null,
    });
    expect((stored?.expiresAt.getTime() ?? 0) - h.now()).toBe(600_000);
    expect(await h.store.findAuthCode(back.code ?? '')).toBeNull();
  });

  it('denies with error=access_denied, state and iss', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const request = await h.passport.validateAuthorizationRequest(
      params({ client_id: client.id, response_type: 'code', state: 'zz' }),
    );
    const url = h.passport.denyAuthorizationRequest(request);
    expect(query(url)).toMatchObject({ error: 'access_denied', state: 'zz', iss: ISSUER });
  });

  it('answers the implicit grant in the fragment, without refresh token, when enabled', async () => {
    const h = await setup({ grants: { implicit: true } });
    const { client } = await makeClient(h, { grantTypes: ['implicit'] });
    const request = await h.passport.validateAuthorizationRequest(
      params({ client_id: client.id, response_type: 'token', scope: 'read', state: 'f' }),
    );
    expect(request.responseMode).toBe('fragment');
    const url = await h.passport.approveAuthorizationRequest(request, { id: 'u' });
    expect(new URL(url).search).toBe('');
    const back = fragment(url);
    expect(back).toMatchObject({ token_type: 'Bearer', scope: 'read', state: 'f', iss: ISSUER });
    expect(back.refresh_token).toBeUndefined();
    const verified = await h.passport.verifyAccessToken(back.access_token ?? '');
    expect(verified.userId).toBe('u');
    expect(h.passport.denyAuthorizationRequest(request)).toContain('#error=access_denied');
  });
});

describe('interactionRequired', () => {
  async function request(h: Awaited<ReturnType<typeof setup>>, clientId: string, extra = {}) {
    return h.passport.validateAuthorizationRequest(
      params({ client_id: clientId, response_type: 'code', scope: 'read', state: 's', ...extra }),
    );
  }

  it('asks for login without a user and for consent from a third-party client', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const req = await request(h, client.id);
    expect(await h.passport.interactionRequired(req, null)).toBe('login');
    expect(await h.passport.interactionRequired(req, { id: 'u' })).toBe('consent');
  });

  it('auto-approves first-party clients', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { firstParty: true });
    expect(await h.passport.interactionRequired(await request(h, client.id), { id: 'u' })).toBe('none');
  });

  it('auto-approves scopes the user already granted to this client, not wider ones', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const req = await request(h, client.id);
    const url = await h.passport.approveAuthorizationRequest(req, { id: 'u' });
    await h.passport.handleTokenRequest({
      params: params({
        grant_type: 'authorization_code',
        code: query(url).code ?? '',
        client_id: client.id,
        client_secret: secret ?? '',
      }),
      authorization: null,
    });
    expect(await h.passport.interactionRequired(await request(h, client.id), { id: 'u' })).toBe('none');
    expect(await h.passport.interactionRequired(await request(h, client.id), { id: 'other' })).toBe(
      'consent',
    );
    const wider = await request(h, client.id, { scope: 'read write' });
    expect(await h.passport.interactionRequired(wider, { id: 'u' })).toBe('consent');
  });

  it('prompt=consent always asks, even for first-party clients', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { firstParty: true });
    const req = await request(h, client.id, { prompt: 'consent' });
    expect(await h.passport.interactionRequired(req, { id: 'u' })).toBe('consent');
  });

  it('prompt=login asks for login unless the user just authenticated', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { firstParty: true });
    const req = await request(h, client.id, { prompt: 'login' });
    expect(await h.passport.interactionRequired(req, { id: 'u' })).toBe('login');
    expect(
      await h.passport.interactionRequired(req, { id: 'u' }, { authenticatedAt: h.now() - 3_600_000 }),
    ).toBe('login');
    expect(await h.passport.interactionRequired(req, { id: 'u' }, { authenticatedAt: h.now() - 1000 })).toBe(
      'none',
    );
  });

  it('prompt=none redirects login_required or consent_required instead of asking', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const req = await request(h, client.id, { prompt: 'none' });
    const login = await authError(h.passport.interactionRequired(req, null));
    expect(login.error).toBe('login_required');
    expect(query(login.toRedirectUrl() ?? '')).toMatchObject({ error: 'login_required', state: 's' });
    const consent = await authError(h.passport.interactionRequired(req, { id: 'u' }));
    expect(consent.error).toBe('consent_required');

    const { client: first } = await makeClient(h, { firstParty: true });
    const silent = await request(h, first.id, { prompt: 'none' });
    expect(await h.passport.interactionRequired(silent, { id: 'u' })).toBe('none');
  });

  it('rejects an unsupported prompt value', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await authError(request(h, client.id, { prompt: 'select_account' }));
    expect(error.error).toBe('invalid_request');
  });
});

describe('approve re-checks the client', () => {
  it('refuses, without redirecting, when the client was revoked or its redirect URI removed meanwhile', async () => {
    const h = await setup();
    const { client } = await makeClient(h, {
      redirectUris: ['https://app.example/a', 'https://app.example/b'],
    });
    const request = await h.passport.validateAuthorizationRequest(
      params({ client_id: client.id, response_type: 'code', redirect_uri: 'https://app.example/b' }),
    );
    await h.store.updateClient(client.id, { redirectUris: ['https://app.example/a'], updatedAt: new Date() });
    const moved = await authError(h.passport.approveAuthorizationRequest(request, { id: 'u' }));
    expect(moved.redirectUri).toBeNull();
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date() });
    const revoked = await authError(h.passport.approveAuthorizationRequest(request, { id: 'u' }));
    expect(revoked).toMatchObject({ error: 'invalid_client', redirectUri: null });
    expect(await h.store.listUserTokens('u', { now: new Date(h.now()) })).toEqual([]);
  });
});
