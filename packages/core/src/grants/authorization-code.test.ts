import { describe, expect, it } from 'vitest';
import {
  authorize,
  basic,
  CHALLENGE,
  type Harness,
  makeClient,
  rejection,
  setup,
  VERIFIER,
} from '../../test/grants-harness.js';
import { OAuthError } from '../errors/oauth-error.js';
import { hashSecret } from '../internal/secrets.js';

const exchange = (h: Harness, values: Record<string, string>, authorization: string | null = null) =>
  h.passport.handleTokenRequest({
    params: new URLSearchParams({ grant_type: 'authorization_code', ...values }),
    authorization,
  });

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

describe('authorization_code grant', () => {
  it('exchanges a code with PKCE for tokens in the code family, and consumes the code', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client, { scope: 'read write' }, { id: 'alice' });
    const response = await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    expect(response).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    expect(response.refresh_token).toEqual(expect.any(String));

    const verified = await h.passport.verifyAccessToken(response.access_token);
    expect(verified).toMatchObject({ userId: 'alice', clientId: client.id, scopes: ['read', 'write'] });
    expect(verified.record.familyId).toBe(hashSecret(code));
    const refresh = await h.store.findRefreshToken(hashSecret(response.refresh_token ?? ''));
    expect(refresh).toMatchObject({ familyId: hashSecret(code), accessTokenId: verified.record.id });
    expect((await h.store.findAuthCode(hashSecret(code)))?.consumedAt).toEqual(new Date(h.now()));
  });

  it('works for a confidential client with HTTP Basic and no PKCE', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const request = await h.passport.validateAuthorizationRequest(
      new URLSearchParams({ client_id: client.id, response_type: 'code' }),
    );
    const url = await h.passport.approveAuthorizationRequest(request, { id: 'bob' });
    const code = new URL(url).searchParams.get('code') ?? '';
    const response = await exchange(h, { code }, basic(client.id, secret ?? ''));
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('rejects a reused code with invalid_grant and revokes every token it issued', async () => {
    const h = await setup();
    const events: string[] = [];
    h.passport.events.on('authCodeReuseDetected', ({ authCode, revokedCount }) => {
      events.push(`${authCode.id}:${revokedCount}`);
    });
    h.passport.events.on('accessTokenRevoked', ({ accessTokenId, reason }) => {
      events.push(`revoked ${accessTokenId} ${reason}`);
    });
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const first = await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    h.advance(2);
    const error = await oauthError(exchange(h, { code, client_id: client.id, code_verifier: VERIFIER }));
    expect(error.error).toBe('invalid_grant');
    expect(error.status).toBe(400);

    const access = await rejection(h.passport.verifyAccessToken(first.access_token));
    expect((access as { code?: string }).code).toBe('ERR_TOKEN_REVOKED');
    expect((await h.store.findRefreshToken(hashSecret(first.refresh_token ?? '')))?.revoked).toBe(true);
    const accessTokenId = (await h.store.findRefreshToken(hashSecret(first.refresh_token ?? '')))
      ?.accessTokenId;
    expect(events).toEqual([`revoked ${accessTokenId} code-reuse`, `${hashSecret(code)}:2`]);
  });

  it('gives exactly one success for 50 concurrent redemptions of one code', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => exchange(h, { code, client_id: client.id, code_verifier: VERIFIER })),
    );
    const successes = results.filter((r) => r.status === 'fulfilled');
    expect(successes).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as OAuthError).error).toBe('invalid_grant');
    }
    // the other 49 were reuses of a redeemed code: the tokens it issued are revoked
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('expires codes after 10 minutes', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    h.advance(600);
    const error = await oauthError(exchange(h, { code, client_id: client.id, code_verifier: VERIFIER }));
    expect(error.error).toBe('invalid_grant');
    expect(error.errorDescription).toMatch(/expired/);
  });

  it('binds the code to its client', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const { client: other } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const error = await oauthError(exchange(h, { code, client_id: other.id, code_verifier: VERIFIER }));
    expect(error.error).toBe('invalid_grant');
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
  });

  it('requires redirect_uri to be repeated and equal when it was sent at authorize', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const redirect_uri = 'https://app.example/callback';
    const missing = await authorize(h, client, { redirect_uri });
    expect(
      (await oauthError(exchange(h, { code: missing, client_id: client.id, code_verifier: VERIFIER }))).error,
    ).toBe('invalid_grant');
    const wrong = await authorize(h, client, { redirect_uri });
    expect(
      (
        await oauthError(
          exchange(h, {
            code: wrong,
            client_id: client.id,
            code_verifier: VERIFIER,
            redirect_uri: 'https://app.example/callback/',
          }),
        )
      ).error,
    ).toBe('invalid_grant');
    const good = await authorize(h, client, { redirect_uri });
    const response = await exchange(h, {
      code: good,
      client_id: client.id,
      code_verifier: VERIFIER,
      redirect_uri,
    });
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('rejects a PKCE verifier that does not match with invalid_grant', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const error = await oauthError(
      exchange(h, { code, client_id: client.id, code_verifier: `${VERIFIER.slice(0, -1)}A` }),
    );
    expect(error.error).toBe('invalid_grant');
  });

  it('rejects a missing verifier when the code has a challenge', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    expect((await oauthError(exchange(h, { code, client_id: client.id }))).error).toBe('invalid_grant');
  });

  it('rejects a malformed verifier with invalid_request', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const error = await oauthError(exchange(h, { code, client_id: client.id, code_verifier: 'short' }));
    expect(error.error).toBe('invalid_request');
    // the malformed request did not burn the code
    const response = await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('rejects a verifier sent for a code that had no challenge (downgrade)', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const request = await h.passport.validateAuthorizationRequest(
      new URLSearchParams({ client_id: client.id, response_type: 'code' }),
    );
    const url = await h.passport.approveAuthorizationRequest(request, { id: 'u' });
    const code = new URL(url).searchParams.get('code') ?? '';
    const error = await oauthError(
      exchange(h, { code, code_verifier: VERIFIER }, basic(client.id, secret ?? '')),
    );
    expect(error.error).toBe('invalid_grant');
  });

  it('verifies a plain challenge when plain is enabled', async () => {
    const h = await setup({ pkce: { allowPlain: true } });
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client, { code_challenge: VERIFIER, code_challenge_method: 'plain' });
    expect(
      (await oauthError(exchange(h, { code, client_id: client.id, code_verifier: CHALLENGE }))).error,
    ).toBe('invalid_grant');
    const again = await authorize(h, client, { code_challenge: VERIFIER, code_challenge_method: 'plain' });
    const response = await exchange(h, { code: again, client_id: client.id, code_verifier: VERIFIER });
    expect(response.access_token).toEqual(expect.any(String));
  });

  it('issues no refresh token when the client may not use the refresh_token grant', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false, grantTypes: ['authorization_code'] });
    const code = await authorize(h, client);
    const response = await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    expect(response.refresh_token).toBeUndefined();
  });

  it('answers invalid_request without a code and invalid_grant for an unknown one', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    expect((await oauthError(exchange(h, { client_id: client.id }))).error).toBe('invalid_request');
    expect((await oauthError(exchange(h, { client_id: client.id, code: 'nope' }))).error).toBe(
      'invalid_grant',
    );
  });

  it('surfaces a failed redemption as StoreUnavailableError: nothing stored, the code still redeemable', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    h.store.simulateOutage({ methods: ['redeemAuthCode'] });
    const error = await rejection(exchange(h, { code, client_id: client.id, code_verifier: VERIFIER }));
    expect(error).toMatchObject({ name: 'StoreUnavailableError', code: 'ERR_STORE_UNAVAILABLE' });
    expect(error).not.toBeInstanceOf(OAuthError);
    h.store.endOutage();
    expect(await h.store.listUserTokens('user-1', { now: new Date(h.now()) })).toEqual([]);
    expect((await h.store.findAuthCode(hashSecret(code)))?.consumedAt).toBeNull();
    // The client's retry redeems the code normally.
    const tokens = await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    expect((await h.passport.verifyAccessToken(tokens.access_token)).userId).toBe('user-1');
  });

  it('redeems with one read and one atomic write: findAuthCode then redeemAuthCode', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    const calls: string[] = [];
    for (const method of [
      'findAuthCode',
      'redeemAuthCode',
      'saveTokens',
      'useNonce',
      'revokeFamily',
    ] as const) {
      const original = h.store[method].bind(h.store) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(h.store, {
        [method]: (...args: unknown[]) => {
          calls.push(method);
          return original(...args);
        },
      });
    }
    await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER });
    expect(calls).toEqual(['findAuthCode', 'redeemAuthCode']);
  });

  it('a failed binding check (wrong client, wrong verifier) leaves the code unconsumed', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const { client: other } = await makeClient(h, { confidential: false });
    const code = await authorize(h, client);
    await rejection(exchange(h, { code, client_id: other.id, code_verifier: VERIFIER }));
    await rejection(exchange(h, { code, client_id: client.id, code_verifier: 'x'.repeat(43) }));
    expect((await h.store.findAuthCode(hashSecret(code)))?.consumedAt).toBeNull();
    expect(await exchange(h, { code, client_id: client.id, code_verifier: VERIFIER })).toMatchObject({
      token_type: 'Bearer',
    });
  });
});
