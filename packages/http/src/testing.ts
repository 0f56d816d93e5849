/**
 * `@passport/http/testing`: guards for tests of the host's own routes, in the spirit of Laravel
 * Passport's `Passport::actingAs`. Production guards are immutable and know nothing of these
 * helpers: a test builds its routes with the guard {@link actingAs} returns instead of the real
 * one (pass the guard to the code that makes your routes).
 *
 * @example
 * ```ts
 * import { actingAs } from '@passport/http/testing';
 *
 * const api = actingAs(createGuard({ passport }), { id: 'u1' }, ['orders:read']);
 * const orders = makeOrderRoutes(api); // the app's own routes, given a guard
 * expect((await orders(new Request('http://test/api/orders'))).status).toBe(200);
 * ```
 * @packageDocumentation
 */
import type { ClientRecord, PassportUser } from '@passport/core';
import { type Authentication, buildGuard, type Guard, internalsOf, scopeChecker } from './guards.js';

function actingGuard<User extends PassportUser>(
  guard: Guard<User>,
  caller: { user: User; client: null } | { user: null; client: ClientRecord },
  scopes: readonly string[],
): Guard<User> {
  const { settings } = internalsOf(guard);
  const list = [...scopes];
  const authentication: Authentication<User> = Object.freeze({
    ...caller,
    token: null,
    scopes: list,
    via: 'testing' as const,
    tokenCan: scopeChecker(settings.passport, list),
  });
  return buildGuard(settings, async () => ({ kind: 'authenticated', authentication }));
}

/**
 * A guard like `guard` (same passport, provider and realm, the same scope and `accept` rules)
 * that authenticates every request as `user` with `scopes`, no token needed: `via` is `'testing'`
 * and `token` is `null`. `guard` itself is left unchanged.
 *
 * @example
 * ```ts
 * const api = actingAs(createGuard({ passport }), { id: 'u1' }, ['orders:read']);
 * const response = await api.requireScopes(['orders:read'], handler)(new Request('http://test/api'));
 * ```
 */
export function actingAs<User extends PassportUser>(
  guard: Guard<User>,
  user: User,
  scopes: readonly string[] = [],
): Guard<User> {
  return actingGuard(guard, { user, client: null }, scopes);
}

/**
 * A guard like `guard` that authenticates every request as `client` with `scopes`, as a
 * client-credentials token would (no user), like Laravel Passport's `Passport::actingAsClient`:
 * routes that accept users only refuse it, as they refuse a client-credentials token.
 *
 * @example
 * ```ts
 * const api = actingAsClient(createGuard({ passport }), client, ['reports:push']);
 * const response = await api.requireClient(handler)(new Request('http://test/api/reports'));
 * ```
 */
export function actingAsClient<User extends PassportUser>(
  guard: Guard<User>,
  client: ClientRecord,
  scopes: readonly string[] = [],
): Guard<User> {
  return actingGuard(guard, { user: null, client }, scopes);
}
