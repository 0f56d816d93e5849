import type { PassportContext } from '../internal/context.js';
import type { ClaimsHook } from '../tokens/issue.js';

/** Which grants are enabled (PARITY F2), resolved from `PassportOptions.grants`. */
export interface EnabledGrants {
  authorizationCode: boolean;
  refreshToken: boolean;
  clientCredentials: boolean;
  password: boolean;
  implicit: boolean;
  deviceCode: boolean;
}

/**
 * What the grants read besides the {@link PassportContext}: resolved options (structurally a
 * subset of `ResolvedOptions`). Internal.
 */
export interface GrantContext extends PassportContext {
  grants: EnabledGrants;
  pkce: { allowPlain: boolean; requireForConfidentialClients: boolean };
  /** Seconds during which a just-rotated refresh token may be refreshed again. */
  refreshTokenGraceSeconds: number;
  claims?: ClaimsHook | undefined;
}
