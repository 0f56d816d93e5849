import { describe, expect, it } from 'vitest';
import { PassportOptionsError } from '../errors/passport-error.js';
import { ScopeRegistry } from './registry.js';

const definitions = {
  orders: 'Manage your orders',
  'orders:read': 'Read your orders',
  'orders:read:own': 'Read your own orders',
  profile: 'Read your profile',
};

describe('ScopeRegistry', () => {
  it('lists scope ids and definitions in definition order, from an object or an array', () => {
    const fromObject = new ScopeRegistry({ scopes: definitions });
    expect(fromObject.scopeIds()).toEqual(['orders', 'orders:read', 'orders:read:own', 'profile']);
    expect(fromObject.scopes()[1]).toEqual({ id: 'orders:read', description: 'Read your orders' });
    const fromArray = new ScopeRegistry({ scopes: fromObject.scopes() });
    expect(fromArray.scopes()).toEqual(fromObject.scopes());
    // callers get copies of the lists
    fromObject.scopeIds().push('x');
    expect(fromObject.scopeIds()).toHaveLength(4);
    expect(new ScopeRegistry().scopeIds()).toEqual([]);
  });

  it('hasScope knows defined scopes and *, and scopesFor keeps the order asked, skipping unknown ids', () => {
    const registry = new ScopeRegistry({ scopes: definitions });
    expect(registry.hasScope('profile')).toBe(true);
    expect(registry.hasScope('*')).toBe(true);
    expect(registry.hasScope('admin')).toBe(false);
    expect(registry.scopesFor(['profile', 'admin', '*', 'orders', 'profile']).map((s) => s.id)).toEqual([
      'profile',
      'orders',
    ]);
  });

  it('keeps default scopes, deduplicated, and rejects undefined ones', () => {
    const registry = new ScopeRegistry({
      scopes: definitions,
      defaultScopes: ['profile', 'profile', 'orders:read'],
    });
    expect(registry.defaultScopes).toEqual(['profile', 'orders:read']);
    expect(Object.isFrozen(registry.defaultScopes)).toBe(true);
    expect(() => new ScopeRegistry({ scopes: definitions, defaultScopes: ['admin'] })).toThrow(
      /defaultScopes: "admin" is not a defined scope/,
    );
  });

  it('rejects invalid scope definitions with PassportOptionsError', () => {
    expect(() => new ScopeRegistry({ scopes: { 'has space': 'x' } })).toThrow(PassportOptionsError);
    expect(() => new ScopeRegistry({ scopes: { 'quo"te': 'x' } })).toThrow(/not a valid scope id/);
    expect(() => new ScopeRegistry({ scopes: { '': 'x' } })).toThrow(/not a valid scope id/);
    expect(() => new ScopeRegistry({ scopes: { '*': 'everything' } })).toThrow(/built in/);
    expect(() => new ScopeRegistry({ scopes: { a: 1 as unknown as string } })).toThrow(/description of "a"/);
    expect(
      () =>
        new ScopeRegistry({
          scopes: [
            { id: 'a', description: 'x' },
            { id: 'a', description: 'y' },
          ],
        }),
    ).toThrow(/defined twice/);
  });

  it('parses scope parameters: runs of spaces, duplicates, order kept, empty input', () => {
    expect(ScopeRegistry.parse('  orders:read   profile orders:read ')).toEqual(['orders:read', 'profile']);
    expect(ScopeRegistry.parse('')).toEqual([]);
    expect(ScopeRegistry.parse('   ')).toEqual([]);
    expect(ScopeRegistry.parse(null)).toEqual([]);
    expect(ScopeRegistry.parse(undefined)).toEqual([]);
    expect(ScopeRegistry.format(['a', 'b'])).toBe('a b');
    expect(ScopeRegistry.format([])).toBe('');
  });

  it('tokenCan: exact scopes, and * grants everything', () => {
    const registry = new ScopeRegistry({ scopes: definitions });
    expect(registry.tokenCan(['profile'], 'profile')).toBe(true);
    expect(registry.tokenCan(['profile'], 'orders')).toBe(false);
    expect(registry.tokenCan(['*'], 'orders:read:own')).toBe(true);
    expect(registry.tokenCan(['*'], 'anything-at-all')).toBe(true);
    expect(registry.tokenCan([], 'profile')).toBe(false);
    // without inheritance a parent scope does not satisfy a child
    expect(registry.inherit).toBe(false);
    expect(registry.tokenCan(['orders'], 'orders:read:own')).toBe(false);
  });

  it('tokenCan with inherited scopes: orders:read:own is satisfied by orders or orders:read', () => {
    const registry = new ScopeRegistry({ scopes: definitions, inherit: true });
    expect(registry.tokenCan(['orders'], 'orders:read:own')).toBe(true);
    expect(registry.tokenCan(['orders:read'], 'orders:read:own')).toBe(true);
    expect(registry.tokenCan(['orders:read:own'], 'orders:read:own')).toBe(true);
    // inheritance only flows from parent to child, on ':' boundaries
    expect(registry.tokenCan(['orders:read:own'], 'orders:read')).toBe(false);
    expect(registry.tokenCan(['orders:read'], 'orders:write')).toBe(false);
    expect(registry.tokenCan(['order'], 'orders:read')).toBe(false);
    expect(registry.tokenCan(['orders:re'], 'orders:read:own')).toBe(false);
  });
});
