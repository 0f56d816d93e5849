import { PassportOptionsError } from '../errors/passport-error.js';
import type { ScopeDefinition } from './types.js';

/** Options of {@link ScopeRegistry}. */
export interface ScopeRegistryOptions {
  /**
   * Scope ids with their descriptions (Passport's `tokensCan`), as an object or a list.
   * @default no scopes
   */
  scopes?: Readonly<Record<string, string>> | readonly ScopeDefinition[];
  /**
   * Scopes granted when a request names none (Passport's `defaultScopes`). Each must be defined.
   * @default []
   */
  defaultScopes?: readonly string[];
  /**
   * Inherited scopes: `orders:read:own` is satisfied by a token holding `orders` or
   * `orders:read`.
   * @default false
   */
  inherit?: boolean;
}

/**
 * A scope-token per RFC 6749 section 3.3: printable ASCII except space, `"` and `\`.
 */
const scopeTokenPattern = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * The scopes an authorization server defines: ids with descriptions for the
 * approval page, default scopes, `*`, and optional inherited scopes.
 *
 * @example
 * ```ts
 * const scopes = new ScopeRegistry({
 *   scopes: { 'orders': 'Manage your orders', 'orders:read': 'Read your orders' },
 *   defaultScopes: ['orders:read'],
 *   inherit: true,
 * });
 * scopes.tokenCan(['orders'], 'orders:read:own'); // true
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
 */
export class ScopeRegistry {
  readonly #definitions: ReadonlyMap<string, ScopeDefinition>;
  /** Scopes granted when a request names none. */
  readonly defaultScopes: readonly string[];
  /** Whether inherited scopes are on (see {@link ScopeRegistryOptions.inherit}). */
  readonly inherit: boolean;

  /** @throws PassportOptionsError for an invalid scope id, description or default scope. */
  constructor(options: ScopeRegistryOptions = {}) {
    const definitions = new Map<string, ScopeDefinition>();
    const add = (id: unknown, description: unknown): void => {
      if (typeof id !== 'string' || !scopeTokenPattern.test(id)) {
        throw new PassportOptionsError(
          `scopes: ${JSON.stringify(id)} is not a valid scope id; use printable ASCII without spaces, quotes or backslashes, e.g. "orders:read"`,
        );
      }
      if (id === '*') {
        throw new PassportOptionsError(
          'scopes: "*" is built in (all scopes) and cannot be defined; remove it',
        );
      }
      if (typeof description !== 'string') {
        throw new PassportOptionsError(`scopes: the description of "${id}" must be a string`);
      }
      if (definitions.has(id)) {
        throw new PassportOptionsError(`scopes: "${id}" is defined twice; define each scope once`);
      }
      definitions.set(id, Object.freeze({ id, description }));
    };
    const scopes = options.scopes ?? {};
    if (Array.isArray(scopes)) {
      for (const scope of scopes as readonly ScopeDefinition[]) add(scope?.id, scope?.description);
    } else if (typeof scopes === 'object' && scopes !== null) {
      for (const [id, description] of Object.entries(scopes)) add(id, description);
    } else {
      throw new PassportOptionsError(
        'scopes must be an object of { id: description } or an array of { id, description }',
      );
    }
    const defaults = options.defaultScopes ?? [];
    for (const id of defaults) {
      if (!definitions.has(id)) {
        throw new PassportOptionsError(
          `defaultScopes: "${String(id)}" is not a defined scope; add it to scopes or remove it from defaultScopes`,
        );
      }
    }
    this.#definitions = definitions;
    this.defaultScopes = Object.freeze([...new Set(defaults)]);
    this.inherit = options.inherit ?? false;
    Object.freeze(this);
  }

  /** The ids of every defined scope, in definition order (`*` is not listed). */
  scopeIds(): string[] {
    return [...this.#definitions.keys()];
  }

  /** Every defined scope with its description, in definition order (`GET /oauth/scopes`). */
  scopes(): ScopeDefinition[] {
    return [...this.#definitions.values()];
  }

  /**
   * The definitions of `ids`, in the order given; undefined ids (and `*`) are skipped. Used to
   * show scope descriptions on the approval page.
   */
  scopesFor(ids: readonly string[]): ScopeDefinition[] {
    const out: ScopeDefinition[] = [];
    for (const id of ids) {
      const definition = this.#definitions.get(id);
      if (definition !== undefined && !out.includes(definition)) out.push(definition);
    }
    return out;
  }

  /** `true` when `id` is defined, or is `*` (as Laravel Passport's `hasScope`). */
  hasScope(id: string): boolean {
    return id === '*' || this.#definitions.has(id);
  }

  /**
   * `true` when a token holding `tokenScopes` may act for `scope`: it holds `*`, holds
   * `scope`, or, with inheritance on, holds a parent of it (`orders` or `orders:read` for
   * `orders:read:own`).
   *
   * @example
   * ```ts
   * if (!passport.scopes.tokenCan(token.scopes, 'orders:write')) throw forbidden();
   * ```
   */
  tokenCan(tokenScopes: readonly string[], scope: string): boolean {
    if (tokenScopes.includes('*') || tokenScopes.includes(scope)) return true;
    if (!this.inherit) return false;
    for (let i = scope.indexOf(':'); i !== -1; i = scope.indexOf(':', i + 1)) {
      if (tokenScopes.includes(scope.slice(0, i))) return true;
    }
    return false;
  }

  /**
   * Splits a `scope` parameter: space-delimited, runs of spaces tolerated, duplicates dropped,
   * order kept. `null`, `undefined` and blank give `[]`.
   *
   * @example
   * ```ts
   * ScopeRegistry.parse('  read  write read'); // ['read', 'write']
   * ```
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-3.3
   */
  static parse(param: string | null | undefined): string[] {
    const out: string[] = [];
    if (!param) return out;
    for (const part of param.split(' ')) {
      if (part !== '' && !out.includes(part)) out.push(part);
    }
    return out;
  }

  /** Joins scopes into a `scope` parameter value (space-delimited). */
  static format(scopes: readonly string[]): string {
    return scopes.join(' ');
  }
}
