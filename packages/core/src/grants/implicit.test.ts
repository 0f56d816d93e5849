import { createMemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { KeySet } from '../keys/key-set.js';
import type { PassportOptions } from '../options.js';
import { contextOf, createPassport } from '../passport.js';
import { issueImplicitToken } from './implicit.js';

const keys = await KeySet.generate('ES256');
const alice = { id: 'user-alice' };
const redirectUri = 'https://spa.example/callback';

async function setup(options: Partial<PassportOptions> = {}) {
  const store = createMemoryStore();
  const passport = createPassport({
    issuer: 'https://auth.example',
    store,
    keys,
    scopes: { read: 'Read' },
    ...options,
  });
  const { client } = await passport.clients.create({
    name: 'Legacy SPA',
    confidential: false,
    grantTypes: ['implicit', 'refresh_token'],
    redirectUris: [redirectUri],
  });
  const authorize = (extra: Record<string, string> = {}) =>
    passport.validateAuthorizationRequest(
      new URLSearchParams({
        response_type: 'token',
        client_id: client.id,
        scope: 'read',
        state: 's-1',
        ...extra,
      }),
    );
  return { store, passport, client, authorize };
}

describe('implicit grant', () => {
  it('is unsupported_response_type (400) when not enabled, redirected back in the fragment', async () => {
    const { authorize } = await setup();
    const error = await authorize().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OAuthError);
    expect([(error as OAuthError).error, (error as OAuthError).status]).toEqual([
      'unsupported_response_type',
      400,
    ]);
  });

  it('puts the access token in the fragment, with state and iss, and never a refresh token', async () => {
    const { authorize, passport } = await setup({ grants: { implicit: true } });
    const request = await authorize();
    const location = new URL(await passport.approveAuthorizationRequest(request, alice));
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.search).toBe('');
    const fragment = new URLSearchParams(location.hash.slice(1));
    expect(fragment.get('token_type')).toBe('Bearer');
    expect(fragment.get('expires_in')).toBe('3600');
    expect(fragment.get('scope')).toBe('read');
    expect(fragment.get('state')).toBe('s-1');
    expect(fragment.get('iss')).toBe('https://auth.example');
    expect(fragment.has('refresh_token')).toBe(false);

    const verified = await passport.verifyAccessToken(fragment.get('access_token') as string);
    expect(verified).toMatchObject({ userId: alice.id, scopes: ['read'] });
    expect(verified.record.familyId).toBeNull();
  });

  it('issueImplicitToken issues an access token only, and refuses when disabled or not allowed', async () => {
    const enabled = await setup({ grants: { implicit: true } });
    const request = await enabled.authorize();
    const issued: string[] = [];
    const refreshes: string[] = [];
    enabled.passport.events.on('accessTokenCreated', ({ accessToken }) => void issued.push(accessToken.id));
    enabled.passport.events.on(
      'refreshTokenCreated',
      ({ refreshToken }) => void refreshes.push(refreshToken.id),
    );
    const params = await issueImplicitToken(contextOf(enabled.passport), request, alice);
    expect(Object.keys(params).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(issued).toHaveLength(1);
    expect(refreshes).toEqual([]);

    const disabled = await setup();
    const error = await issueImplicitToken(contextOf(disabled.passport), request, alice).catch(
      (e: unknown) => e,
    );
    expect((error as OAuthError).error).toBe('unsupported_response_type');

    const { client: web } = await enabled.passport.clients.create({
      name: 'Code only',
      redirectUris: [redirectUri],
    });
    const notAllowed = await issueImplicitToken(
      contextOf(enabled.passport),
      { client: web, scopes: [] },
      alice,
    ).catch((e: unknown) => e);
    expect((notAllowed as OAuthError).error).toBe('unauthorized_client');
  });
});
