/**
 * @passport/core: OAuth 2 authorization server logic behind store interfaces. Web APIs only.
 * @packageDocumentation
 */

// errors
export { OAuthError, type OAuthErrorCode, type OAuthErrorOptions } from './errors/oauth-error.js';
export {
  PassportError,
  type PassportErrorCode,
  type PassportErrorOptions,
  PassportOptionsError,
  StoreConflictError,
  StoreUnavailableError,
} from './errors/passport-error.js';
// events
export {
  PassportEventEmitter,
  type PassportEventName,
  type PassportEvents,
  type PassportListener,
} from './events/emitter.js';
// secrets
export {
  generateSecret,
  hashSecret,
  type RandomSource,
  timingSafeEqual,
  verifySecret,
} from './internal/secrets.js';
// store contract
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
// keys (stream A)
// tokens (stream A)
// scopes (stream A)
// options (stream A)
// grants, clients, passport facade (stream B)
