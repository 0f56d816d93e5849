import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import type { ClientRecord, GrantType } from '../stores/records.js';
import { finalizeScopes } from './finalize.js';
import { ScopeRegistry } from './registry.js';

const registry = new ScopeRegistry({
  scopes: { read: 'Read', write: 'Write', admin: 'Admin' },
  defaultScopes: ['read', 'write'],
});
const ctx = { scopes: registry };

function client(scopes: string[] | null = null): ClientRecord {
  const now = new Date(0);
  return {
    id: 'c',
    ownerId: null,
    name: 'c',
    secretHash: null,
    provider: null,
    redirectUris: [],
    grantTypes: [],
    scopes,
    confidential: true,
    firstParty: false,
    resourceServer: false,
    revoked: false,
    createdAt: now,
    updatedAt: now,
  };
}

function invalidScope(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OAuthError);
    expect((error as OAuthError).error).toBe('invalid_scope');
    expect((error as OAuthError).status).toBe(400);
    return error as OAuthError;
  }
  throw new Error('expected invalid_scope');
}

describe('finalizeScopes', () => {
  it('applies the default scopes when none are requested, keeping those the client may use', () => {
    expect(finalizeScopes(ctx, { requested: [], client: client(), grantType: 'authorization_code' })).toEqual(
      ['read', 'write'],
    );
    expect(
      finalizeScopes(ctx, { requested: [], client: client(['read']), grantType: 'authorization_code' }),
    ).toEqual(['read']);
  });

  it('accepts only defined scopes, deduplicated in request order', () => {
    expect(
      finalizeScopes(ctx, {
        requested: ScopeRegistry.parse('write  read write'),
        client: client(),
        grantType: 'authorization_code',
      }),
    ).toEqual(['write', 'read']);
    invalidScope(() =>
      finalizeScopes(ctx, { requested: ['read', 'nope'], client: client(), grantType: 'authorization_code' }),
    );
  });

  it('restricts to the scopes the client may use', () => {
    invalidScope(() =>
      finalizeScopes(ctx, {
        requested: ['admin'],
        client: client(['read']),
        grantType: 'client_credentials',
      }),
    );
    expect(
      finalizeScopes(ctx, { requested: ['read'], client: client(['read']), grantType: 'client_credentials' }),
    ).toEqual(['read']);
  });

  it('allows * only for password, client_credentials and personal access tokens', () => {
    for (const grantType of ['password', 'client_credentials', 'personal_access'] as GrantType[]) {
      expect(finalizeScopes(ctx, { requested: ['*'], client: client(), grantType })).toEqual(['*']);
    }
    for (const grantType of [
      'authorization_code',
      'implicit',
      'refresh_token',
      'urn:ietf:params:oauth:grant-type:device_code',
    ] as GrantType[]) {
      invalidScope(() => finalizeScopes(ctx, { requested: ['*'], client: client(), grantType }));
    }
    invalidScope(() =>
      finalizeScopes(ctx, { requested: ['*'], client: client(['read']), grantType: 'client_credentials' }),
    );
  });
});
