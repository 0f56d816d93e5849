/**
 * @passport/core: OAuth 2 authorization server logic behind store interfaces. Web APIs only.
 * @packageDocumentation
 */

export {
  type AuthenticatedClient,
  authenticateClient,
  type ClientAuthenticationContext,
  type ClientAuthenticationInput,
  type ClientAuthenticationMethod,
  type ClientAuthenticationOptions,
} from './clients/client-authentication.js';
export {
  ClientService,
  type ClientWithSecret,
  type CreateClientInput,
  type UpdateClientInput,
} from './clients/client-service.js';
export { redirectUriMatches } from './clients/redirect-uri.js';
export { ClientValidationError, redirectUriProblem } from './clients/validation.js';
export {
  AuthorizationError,
  type AuthorizationErrorOptions,
  appendResponseParams,
  type ResponseMode,
} from './endpoints/authorization-error.js';
export {
  type AuthorizationPrompt,
  type AuthorizationRequest,
  type InteractionOptions,
  PROMPT_LOGIN_MAX_AGE_SECONDS,
} from './endpoints/authorize.js';
export {
  type DeviceAuthorizationResponse,
  type DeviceSettings,
  formatUserCode,
  normalizeUserCode,
  type PendingDeviceRequest,
  userCodeAlphabet,
} from './endpoints/device-authorization.js';
export type { IntrospectionResponse } from './endpoints/introspection.js';
export type { TokenTypeHint } from './endpoints/revocation.js';
export type { PurgeTokensOptions } from './endpoints/token-management.js';
export { OAuthError, type OAuthErrorCode, type OAuthErrorOptions } from './errors/oauth-error.js';
export {
  PassportError,
  type PassportErrorCode,
  type PassportErrorOptions,
  PassportOptionsError,
  StoreConflictError,
  StoreUnavailableError,
} from './errors/passport-error.js';
export {
  PassportEventEmitter,
  type PassportEventName,
  type PassportEvents,
  type PassportListener,
} from './events/emitter.js';
export { deviceCodeGrantType } from './grants/device-code.js';
export { type PersonalAccessTokenResult, personalAccessClientName } from './grants/personal-access.js';
export { type CodeChallengeMethod, computeS256Challenge } from './grants/pkce.js';
export {
  generateSecret,
  hashSecret,
  type RandomSource,
  timingSafeEqual,
  verifySecret,
} from './internal/secrets.js';
export { type TextProblem, type TextRules, textProblem } from './internal/text.js';
export { type GenerateSigningKeyOptions, generateSigningKey } from './keys/generate.js';
export { type JsonWebKeySet, KeySet, type KeySetOptions } from './keys/key-set.js';
export {
  exportPrivateKeyPem,
  exportPublicKeyPem,
  importPrivateKeyPem,
  importPublicKeyPem,
  normalizePem,
} from './keys/pem.js';
export type { KeySetPem } from './keys/pem-set.js';
export type { SigningAlgorithm, SigningKey } from './keys/types.js';
export {
  defaultLifetimes,
  type GrantOptions,
  type LifetimeOptions,
  type PassportOptions,
  type PassportUser,
  type ResolvedGrants,
  type ResolvedOptions,
  type UserProvider,
} from './options.js';
export { createPassport, type Passport } from './passport.js';
export { type FinalizeScopesInput, finalizeScopes } from './scopes/finalize.js';
export { ScopeRegistry, type ScopeRegistryOptions } from './scopes/registry.js';
export type { ScopeDefinition } from './scopes/types.js';
export { ReadThroughCache, type ReadThroughCacheOptions } from './stores/read-through-cache.js';
export type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  ClientUpdate,
  DeviceCodeRecord,
  DeviceCodeStatus,
  GrantType,
  PurgeOptions,
  PurgeResult,
  RefreshTokenRecord,
} from './stores/records.js';
export type {
  AuthCodeStore,
  ClientStore,
  DeviceCodeStore,
  IssuedTokens,
  NonceStore,
  PassportStore,
  TokenStore,
} from './stores/store.js';
export {
  type AccessTokenClaims,
  signAccessToken,
  type VerifiedAccessToken,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from './tokens/access-token.js';
export type { ClaimsHook, IssuedTokenSet } from './tokens/issue.js';
export type { TokenResponse } from './tokens/token-response.js';
