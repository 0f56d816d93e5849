// TEMPORARY: the settled store contract's additions, until they land in @passport/core. Every
// import of this module becomes an import from '@passport/core' then.
import {
  type AccessTokenRecord,
  type AuthCodeRecord,
  type ClientRecord as CoreClientRecord,
  type ClientUpdate as CoreClientUpdate,
  type PurgeOptions as CorePurgeOptions,
  type PurgeResult as CorePurgeResult,
  type RefreshTokenRecord as CoreRefreshTokenRecord,
  type DeviceCodeRecord,
  PassportError,
  type PassportErrorCode,
  type PassportErrorOptions,
} from '@passport/core';

export type ClientRecord = CoreClientRecord & { resourceServer: boolean };
export type ClientUpdate = CoreClientUpdate & { resourceServer?: boolean };
export type RefreshTokenRecord = CoreRefreshTokenRecord & { replacedBy: string | null };
export type PurgeOptions = CorePurgeOptions & { revokedClientsBefore: Date | null };
export type PurgeResult = CorePurgeResult & { nonces: number; rateLimits: number; clients: number };
export type { AccessTokenRecord, AuthCodeRecord, DeviceCodeRecord };
export interface IssuedTokens {
  accessToken: AccessTokenRecord;
  refreshToken: RefreshTokenRecord | null;
}
export interface RateLimitHit {
  count: number;
  resetAt: Date;
}
export type StoreChangeEvent =
  | { type: 'accessTokens'; ids: string[] }
  | { type: 'family'; familyId: string }
  | { type: 'client'; clientId: string };
export interface StoreChangeListener {
  changed(event: StoreChangeEvent): void;
  connected?(): void;
  disconnected?(error: unknown): void;
}
export class StoreInvalidInputError extends PassportError {
  constructor(message = 'The store cannot hold a value of this request', options?: PassportErrorOptions) {
    super('ERR_STORE_INVALID_INPUT' as PassportErrorCode, message, options);
  }
}
export interface PassportStore {
  createClient(client: ClientRecord): Promise<void>;
  findClient(id: string): Promise<ClientRecord | null>;
  updateClient(id: string, update: ClientUpdate): Promise<ClientRecord | null>;
  deleteClient(id: string): Promise<boolean>;
  listClientsByOwner(ownerId: string): Promise<ClientRecord[]>;
  listClients(): Promise<ClientRecord[]>;
  saveTokens(tokens: IssuedTokens): Promise<void>;
  findAccessToken(id: string): Promise<AccessTokenRecord | null>;
  findRefreshToken(id: string): Promise<RefreshTokenRecord | null>;
  rotateRefreshToken(id: string, now: Date, next: IssuedTokens): Promise<RefreshTokenRecord | null>;
  revokeAccessToken(id: string): Promise<boolean>;
  revokeRefreshToken(id: string): Promise<boolean>;
  revokeFamily(familyId: string): Promise<number>;
  revokeClientTokens(clientId: string): Promise<number>;
  listUserTokens(userId: string, options: { now: Date; clientId?: string }): Promise<AccessTokenRecord[]>;
  purge(options: PurgeOptions): Promise<PurgeResult>;
  saveAuthCode(code: AuthCodeRecord): Promise<void>;
  findAuthCode(id: string): Promise<AuthCodeRecord | null>;
  redeemAuthCode(id: string, now: Date, tokens: IssuedTokens): Promise<AuthCodeRecord | null>;
  saveDeviceCode(code: DeviceCodeRecord): Promise<void>;
  findDeviceCode(id: string): Promise<DeviceCodeRecord | null>;
  findDeviceCodeByUserCode(userCode: string, now: Date): Promise<DeviceCodeRecord | null>;
  decideDeviceCode(
    id: string,
    decision: { status: 'approved' | 'denied'; userId: string; now: Date },
  ): Promise<DeviceCodeRecord | null>;
  touchDeviceCode(id: string, now: Date, interval?: number): Promise<DeviceCodeRecord | null>;
  redeemDeviceCode(id: string, now: Date, tokens: IssuedTokens): Promise<DeviceCodeRecord | null>;
  useNonce(id: string, expiresAt: Date): Promise<boolean>;
  hitRateLimit(key: string, windowMs: number, now: Date): Promise<RateLimitHit>;
  subscribeChanges?(listener: StoreChangeListener): Promise<() => Promise<void>>;
  close?(): Promise<void>;
}
