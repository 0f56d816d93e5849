/**
 * @passport/core: OAuth 2 authorization server logic behind store interfaces. Web APIs only.
 *
 * What is exported: the facade ({@link createPassport}), its option, input and result types, the
 * store contract with its records, keys, errors, and the few encoding and secret helpers that
 * stores, `@passport/http` and the CLI share with core. Grants, endpoints and the read-through
 * cache are internal: reach them through the facade.
 * @packageDocumentation
 */

export type { ClientAuthenticationInput } from './clients/client-authentication.js';
export type {
  ClientService,
  ClientWithSecret,
  CreateClientInput,
  UpdateClientInput,
} from './clients/client-service.js';
export { ClientValidationError } from './clients/validation.js';
export {
  AuthorizationError,
  type AuthorizationErrorOptions,
  type ResponseMode,
} from './endpoints/authorization-error.js';
export type {
  AuthorizationPrompt,
  AuthorizationRequest,
  InteractionOptions,
} from './endpoints/authorize.js';
export type { DeviceAuthorizationResponse, PendingDeviceRequest } from './endpoints/device-authorization.js';
export type { IntrospectionResponse } from './endpoints/introspection.js';
export type { ListUserTokensOptions, PurgeTokensOptions } from './endpoints/token-management.js';
export { OAuthError, type OAuthErrorCode, type OAuthErrorOptions } from './errors/oauth-error.js';
export {
  PassportError,
  type PassportErrorCode,
  type PassportErrorOptions,
  PassportOptionsError,
  StoreConflictError,
  StoreInvalidInputError,
  StoreUnavailableError,
} from './errors/passport-error.js';
export type {
  PassportEventEmitter,
  PassportEventName,
  PassportEvents,
  PassportListener,
} from './events/emitter.js';
export type { PersonalAccessTokenResult } from './grants/personal-access.js';
export { type CodeChallengeMethod, computeS256Challenge } from './grants/pkce.js';
export { decodeBase64url, encodeBase64url } from './internal/encoding.js';
export { rejectRepeatedParameters } from './internal/params.js';
export { generateSecret, hashSecret, type RandomSource, timingSafeEqual } from './internal/secrets.js';
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
export { type KeySetPem, keySetFromEnv, keySetFromPem } from './keys/pem-set.js';
export type { SigningAlgorithm, SigningKey } from './keys/types.js';
export {
  defaultLifetimes,
  type GrantOptions,
  type LifetimeOptions,
  type PassportOptions,
  type PassportUser,
  type RateLimitName,
  type RateLimitOptions,
  type RateLimitRule,
  type ResolvedGrants,
  type ResolvedOptions,
  type UserProvider,
} from './options.js';
export { createPassport, type Passport } from './passport.js';
export type { ScopeRegistry } from './scopes/registry.js';
export type { ScopeDefinition } from './scopes/types.js';
export { formatStoreChange, parseStoreChange } from './stores/change-events.js';
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
  RateLimitHit,
  RateLimitStore,
  StoreChangeEvent,
  StoreChangeListener,
  TokenStore,
} from './stores/store.js';
export type { AccessTokenClaims, VerifiedAccessToken, VerifyTokenOptions } from './tokens/access-token.js';
export type { ClaimsHook } from './tokens/issue.js';
export type { TokenResponse } from './tokens/token-response.js';
