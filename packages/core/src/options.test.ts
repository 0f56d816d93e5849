import { MemoryStore } from '@passport/store-memory';
import { describe, expect, it } from 'vitest';
import { PassportError, PassportOptionsError } from './errors/passport-error.js';
import { KeySet } from './keys/key-set.js';
import { type PassportOptions, resolveOptions, storeMethods } from './options.js';

const keys = await KeySet.generate('EdDSA');
const store = new MemoryStore();
const base: PassportOptions = { issuer: 'https://auth.example.com', store, keys };

function errorOf(options: unknown): PassportOptionsError {
  try {
    resolveOptions(options as PassportOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(PassportOptionsError);
    expect(error).toBeInstanceOf(PassportError); // one hierarchy: every error Passport throws
    expect((error as PassportOptionsError).code).toBe('ERR_INVALID_OPTIONS');
    return error as PassportOptionsError;
  }
  throw new Error('resolveOptions accepted invalid options');
}

describe('resolveOptions', () => {
  it('applies the default lifetimes, grants, PKCE policy and device settings', () => {
    const resolved = resolveOptions(base);
    expect(resolved.issuer).toBe('https://auth.example.com');
    // the store, wrapped so this instance's revocations evict the 5-second read-through cache
    expect(resolved.options.revocationCacheSeconds).toBe(5);
    expect(resolved.cache.enabled).toBe(true);
    expect(resolved.store).not.toBe(store);
    expect(resolveOptions({ ...base, revocationCacheSeconds: 0 }).store).toBe(store);
    expect(resolveOptions({ ...base, revocationCacheSeconds: 0 }).cache.enabled).toBe(false);
    expect(resolved.keys).toBe(keys);
    expect(resolved.lifetimes).toEqual({
      accessToken: 3600,
      refreshToken: 2_592_000,
      personalAccessToken: 31_536_000,
      authCode: 600,
      deviceCode: 600,
    });
    expect(resolved.grants).toEqual({
      authorizationCode: true,
      refreshToken: true,
      clientCredentials: true,
      password: false,
      implicit: false,
      deviceCode: true,
    });
    expect(resolved.pkce).toEqual({ allowPlain: false, requireForConfidentialClients: false });
    expect(resolved.refreshTokenRetrySeconds).toBe(30);
    expect(resolved.options.rateLimits).toEqual({
      deviceVerification: { limit: 10, windowSeconds: 600 },
      deviceAuthorization: { limit: 300, windowSeconds: 60 },
      passwordFailures: { limit: 10, windowSeconds: 900 },
      clientAuthenticationFailures: { limit: 30, windowSeconds: 60 },
    });
    expect(resolved.options.inheritScopes).toBe(false);
    expect(resolved.userProviders).toEqual({});
    expect(resolved.device).toEqual({
      verificationUri: 'https://auth.example.com/oauth/device',
      interval: 5,
    });
    expect(resolved.personalAccessClientId).toBeNull();
    expect(resolved).not.toHaveProperty('claims');
    // the public view: plain frozen settings, no store, keys, cache or clock
    expect(Object.isFrozen(resolved.options)).toBe(true);
    for (const internal of ['store', 'keys', 'cache', 'context', 'now', 'events']) {
      expect(resolved.options).not.toHaveProperty(internal);
    }
    expect(resolved.options.lifetimes).toBe(resolved.lifetimes);
    expect(resolved.options.grants).toBe(resolved.grants);
    expect(resolved.scopes.scopeIds()).toEqual([]);
    expect(resolved.random(32)).toHaveLength(32);
    expect(resolved.generateId()).toMatch(/^[0-9a-f-]{36}$/);
    expect(Math.abs(resolved.now() - Date.now())).toBeLessThan(1000);
  });

  it('merges given values over the defaults and builds the scope registry and events', () => {
    const errors: string[] = [];
    const resolved = resolveOptions({
      ...base,
      issuer: 'http://localhost:3000/',
      scopes: { 'orders:read': 'Read orders', orders: 'Orders' },
      defaultScopes: ['orders:read'],
      inheritScopes: true,
      lifetimes: { accessToken: 900 },
      // a JS caller passing undefined keeps the default
      grants: { password: true, ...({ implicit: undefined } as object) },
      pkce: { requireForConfidentialClients: true },
      refreshTokenRetrySeconds: 10,
      rateLimits: { passwordFailures: { limit: 3, windowSeconds: 60 }, deviceAuthorization: false },
      device: { interval: 10 },
      personalAccessClientId: 'pac',
      clock: () => 42,
      generateId: () => 'fixed',
      onListenerError: (_error, event) => errors.push(event),
      claims: () => ({ tenant: 't' }),
      userProviders: {
        users: {
          findById: async () => null,
          findForPassport: async () => null,
          validateForPassportPasswordGrant: async () => false,
        },
      },
    });
    expect(resolved.lifetimes.accessToken).toBe(900);
    expect(resolved.lifetimes.refreshToken).toBe(2_592_000);
    expect(resolved.grants.password).toBe(true);
    expect(resolved.grants.implicit).toBe(false);
    expect(resolved.pkce.requireForConfidentialClients).toBe(true);
    expect(resolved.refreshTokenRetrySeconds).toBe(10);
    expect(resolved.options.rateLimits).toEqual({
      deviceVerification: { limit: 10, windowSeconds: 600 },
      passwordFailures: { limit: 3, windowSeconds: 60 },
      clientAuthenticationFailures: { limit: 30, windowSeconds: 60 },
    });
    expect(resolveOptions({ ...base, rateLimits: false }).options.rateLimits).toEqual({});
    expect(resolved.device).toEqual({ verificationUri: 'http://localhost:3000/oauth/device', interval: 10 });
    expect(resolved.scopes.defaultScopes).toEqual(['orders:read']);
    expect(resolved.scopes.tokenCan(['orders'], 'orders:read')).toBe(true);
    expect(resolved.now()).toBe(42);
    expect(resolved.generateId()).toBe('fixed');
    expect(typeof resolved.claims).toBe('function');
    resolved.events.on('clientDeleted', () => {
      throw new Error('listener failure');
    });
    resolved.events.emit('clientDeleted', { clientId: 'x' });
    expect(errors).toEqual(['clientDeleted']);
  });

  it('names the option and how to fix it', () => {
    expect(errorOf({ ...base, issuer: 'auth.example.com' }).message).toContain(
      'issuer must be an absolute https or http URL without query or fragment, e.g. https://auth.example.com',
    );
    expect(errorOf({ ...base, issuer: 'https://auth.example.com/?tenant=1' }).message).toMatch(
      /issuer must be/,
    );
    expect(errorOf({ ...base, issuer: 'https://auth.example.com#x' }).message).toMatch(/issuer must be/);
    expect(errorOf({ ...base, issuer: 'ftp://auth.example.com' }).message).toMatch(/issuer must be/);
    expect(errorOf({ store, keys }).message).toMatch(/issuer is required/);
    expect(errorOf({ ...base, keys: {} }).message).toMatch(
      /keys must be a KeySet, e.g. await KeySet.generate\(\)/,
    );
    expect(errorOf({ ...base, store: undefined }).message).toMatch(/store is required: a PassportStore/);
    const { useNonce: _, ...partialStore } = { ...Object.fromEntries(storeEntries()) };
    expect(errorOf({ ...base, store: partialStore }).message).toMatch(
      /store is not a PassportStore: it lacks useNonce/,
    );
    // A store written before the settled contract: the consume methods instead of the atomic steps.
    const {
      redeemAuthCode: _r,
      redeemDeviceCode: _d,
      hitRateLimit: _h,
      ...oldStore
    } = {
      ...Object.fromEntries(storeEntries()),
    };
    expect(errorOf({ ...base, store: oldStore }).message).toMatch(
      /store is not a PassportStore: it lacks redeemAuthCode, redeemDeviceCode, hitRateLimit/,
    );
    expect(errorOf({ ...base, lifetimes: { accessToken: -1 } }).message).toMatch(
      /lifetimes.accessToken must be a positive whole number of seconds, e.g. 3600/,
    );
    expect(errorOf({ ...base, lifetimes: { accessToken: 1.5 } }).message).toMatch(
      /lifetimes.accessToken must be/,
    );
    expect(errorOf({ ...base, lifetimes: { access: 60 } }).message).toMatch(
      /lifetimes has unknown key\(s\) "access"; known keys: accessToken, refreshToken/,
    );
    expect(errorOf({ ...base, lifetime: {} }).message).toMatch(/options has unknown key\(s\) "lifetime"/);
    expect(errorOf({ ...base, grants: { password: 'yes' } }).message).toMatch(
      /grants.password must be true or false/,
    );
    for (const bad of [-1, 1.5, 301, '5']) {
      expect(errorOf({ ...base, revocationCacheSeconds: bad as number }).message).toMatch(
        /revocationCacheSeconds must be a whole number of seconds from 0 to 300/,
      );
    }
    for (const bad of [-5, 1.5, 301]) {
      expect(errorOf({ ...base, refreshTokenRetrySeconds: bad }).message).toMatch(
        /refreshTokenRetrySeconds must be a whole number of seconds from 0 to 300/,
      );
    }
    expect(errorOf({ ...base, rateLimits: true as unknown as false }).message).toMatch(
      /rateLimits must be false \(no limits\) or an object of limits/,
    );
    expect(
      errorOf({ ...base, rateLimits: { passwordFailures: { limit: 0, windowSeconds: 60 } } }).message,
    ).toMatch(
      /rateLimits.passwordFailures.limit must be \{ limit, windowSeconds \} with positive whole numbers/,
    );
    expect(errorOf({ ...base, rateLimits: { passwords: false } as never }).message).toMatch(
      /rateLimits has unknown key\(s\) "passwords"/,
    );
    expect(errorOf({ ...base, clock: 5 }).message).toMatch(
      /clock must be a function returning the current time/,
    );
    expect(errorOf({ ...base, skipsAuthorization: true }).message).toMatch(
      /skipsAuthorization must be a function \(\{ client, user, scopes \}\) => boolean/,
    );
    expect(errorOf({ ...base, userProviders: { users: {} } }).message).toMatch(
      /userProviders.users must be a UserProvider: an object with an async findById\(id\) method/,
    );
    expect(errorOf({ ...base, scopes: 'read write' }).message).toMatch(
      /scopes must be an object of \{ id: description \}/,
    );
    expect(errorOf({ ...base, scopes: { read: 'Read' }, defaultScopes: ['write'] }).message).toMatch(
      /defaultScopes: "write" is not a defined scope/,
    );
    expect(errorOf({ ...base, device: { verificationUri: '/device' } }).message).toMatch(
      /device.verificationUri must be an absolute https or http URL/,
    );
    expect(errorOf({ ...base, lifetimes: 'long' }).message).toMatch(
      /lifetimes must be an object of lifetimes in seconds/,
    );
    expect(errorOf({ ...base, scopes: [{ id: 'read' }] }).message).toMatch(/scopes must be an object of/);
    expect(errorOf({ ...base, defaultScopes: [1] }).message).toMatch(
      /defaultScopes must be an array of scope ids/,
    );
    expect(errorOf({ ...base, personalAccessClientId: '' }).message).toMatch(
      /personalAccessClientId must be a client id string/,
    );
    expect(errorOf({ ...base, lifetimes: { accessToken: Number.POSITIVE_INFINITY } }).message).toMatch(
      /lifetimes.accessToken must be a positive whole number/,
    );
    expect(errorOf(null).message).toMatch(/options must be an object with at least issuer, store and keys/);
  });

  it('reports every bad option at once', () => {
    const message = errorOf({ ...base, issuer: 'nope', lifetimes: { authCode: 0 } }).message;
    expect(message).toMatch(/^Invalid Passport options: /);
    expect(message).toMatch(/issuer must be/);
    expect(message).toMatch(/lifetimes.authCode must be/);
  });
});

function storeEntries(): [string, unknown][] {
  return storeMethods.map((name) => [name, async () => null]);
}
