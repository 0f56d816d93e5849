import { assertGrantAllowed, authenticateClient } from '../clients/client-authentication.js';
import { OAuthError } from '../errors/oauth-error.js';
import type { StoreConflictError } from '../errors/passport-error.js';
import { deviceCodeGrantType } from '../grants/device-code.js';
import type { GrantContext } from '../internal/context.js';
import { rejectRepeatedParameters } from '../internal/params.js';
import { generateSecret, hashSecret, type RandomSource } from '../internal/secrets.js';
import { finalizeScopes } from '../scopes/finalize.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ScopeDefinition } from '../scopes/types.js';
import type { ClientRecord, DeviceCodeRecord } from '../stores/records.js';

/** Letters of a user code: no vowels (no words), no look-alikes (RFC 8628 section 6.1). */
export const userCodeAlphabet = 'BCDFGHJKLMNPQRSTVWXZ';

/**
 * The device authorization response (RFC 8628 section 3.2).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export interface DeviceAuthorizationResponse {
  /** Secret the device polls the token endpoint with. */
  device_code: string;
  /** Code the user types, shown as `XXXX-XXXX`. */
  user_code: string;
  verification_uri: string;
  /** `verification_uri` with the user code filled in (for a QR code). */
  verification_uri_complete: string;
  /** Seconds until the codes expire. */
  expires_in: number;
  /** Minimum seconds between polls. */
  interval: number;
}

/** Device-flow settings resolved from `PassportOptions.device` and `grants.deviceCode`. */
export interface DeviceSettings {
  /** Page where the user enters the code. @default `${issuer}/oauth/device` */
  verificationUri: string;
  /** Minimum polling interval in seconds. @default 5 */
  interval: number;
}

/** Context of the device flow: the grant context plus the device settings. */
export type DeviceContext = GrantContext & { device: Readonly<DeviceSettings> };

/** A pending device request as the verification page shows it. */
export interface PendingDeviceRequest {
  client: ClientRecord;
  scopes: ScopeDefinition[];
  /** The user code formatted `XXXX-XXXX`. */
  userCode: string;
}

/**
 * Normalises what a user typed: uppercase, dashes and whitespace removed. Returns `null` unless
 * the result is 8 letters of {@link userCodeAlphabet}.
 *
 * @example
 * ```ts
 * normalizeUserCode('bcdf-ghjk'); // 'BCDFGHJK'
 * ```
 */
export function normalizeUserCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]+/g, '');
  if (code.length !== 8) return null;
  for (const char of code) if (!userCodeAlphabet.includes(char)) return null;
  return code;
}

/** Formats a normalised user code for display: `BCDFGHJK` -> `BCDF-GHJK`. */
export function formatUserCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/**
 * A random 8-letter user code (normalised, no dash). Uses rejection sampling so every letter is
 * equally likely: 20^8, about 2^34.6 codes.
 */
export function generateUserCode(random: RandomSource): string {
  const limit = 256 - (256 % userCodeAlphabet.length); // 240: bytes at or above are discarded
  let code = '';
  while (code.length < 8) {
    for (const byte of random(16)) {
      if (byte >= limit) continue;
      code += userCodeAlphabet[byte % userCodeAlphabet.length];
      if (code.length === 8) break;
    }
  }
  return code;
}

function isStoreConflict(error: unknown): error is StoreConflictError {
  return error instanceof Error && (error as { code?: unknown }).code === 'ERR_STORE_CONFLICT';
}
/**
 * Starts a device authorization (RFC 8628 section 3.1, `POST /oauth/device/code`). The client
 * authenticates (public clients send `client_id`), must be allowed the device-code grant
 * (`unauthorized_client`), and its scopes are finalized as for any grant (`invalid_scope`).
 * Emits `deviceCodeCreated`.
 *
 * @example
 * ```ts
 * const res = await passport.requestDeviceCode({ params, authorization });
 * // show res.user_code and res.verification_uri on the device, poll with res.device_code
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 */
export async function requestDeviceAuthorization(
  ctx: DeviceContext,
  input: { params: URLSearchParams; authorization: string | null },
): Promise<DeviceAuthorizationResponse> {
  const settings = ctx.device;
  if (!ctx.grants.deviceCode) {
    throw OAuthError.unsupportedGrantType('The device authorization grant is not enabled');
  }
  rejectRepeatedParameters(input.params);
  const { client } = await authenticateClient(ctx, input, { allowPublic: true });
  assertGrantAllowed(client, deviceCodeGrantType);
  // Every request stores a device code: all of them count against the client's limit.
  await ctx.rateLimiter.hit('deviceAuthorization', client.id, ctx.now());
  const scopes = finalizeScopes(ctx, {
    requested: ScopeRegistry.parse(input.params.get('scope')),
    client,
    grantType: deviceCodeGrantType,
  });

  const nowMs = ctx.now();
  const deviceCode = generateSecret(ctx.random);
  for (let attempt = 0; ; attempt++) {
    const userCode = generateUserCode(ctx.random);
    const record: DeviceCodeRecord = {
      id: hashSecret(deviceCode),
      userCode,
      clientId: client.id,
      scopes,
      status: 'pending',
      userId: null,
      interval: settings.interval,
      lastPolledAt: null,
      consumedAt: null,
      createdAt: new Date(nowMs),
      expiresAt: new Date(nowMs + ctx.lifetimes.deviceCode * 1000),
    };
    try {
      await ctx.store.saveDeviceCode(record);
    } catch (error) {
      // A live user code collided: draw another one (a handful of tries is plenty at 20^8).
      // Matched by its stable code: a store built against another copy of core throws its own class.
      if (isStoreConflict(error) && attempt < 4) continue;
      throw error;
    }
    ctx.events.emit('deviceCodeCreated', { deviceCode: record });
    const formatted = formatUserCode(userCode);
    const complete = new URL(settings.verificationUri);
    complete.searchParams.set('user_code', formatted);
    return {
      device_code: deviceCode,
      user_code: formatted,
      verification_uri: settings.verificationUri,
      verification_uri_complete: complete.toString(),
      expires_in: ctx.lifetimes.deviceCode,
      interval: settings.interval,
    };
  }
}

async function lookupPending(
  ctx: DeviceContext,
  userCode: string,
  nowMs: number,
): Promise<{ record: DeviceCodeRecord; client: ClientRecord } | null> {
  const code = normalizeUserCode(userCode);
  if (code === null) return null;
  const record = await ctx.store.findDeviceCodeByUserCode(code, new Date(nowMs));
  if (record === null || record.status !== 'pending') return null;
  const client = await ctx.store.findClient(record.clientId);
  if (client === null || client.revoked) return null;
  return { record, client };
}

/**
 * The pending request for a user code. With a `user` (the one typing codes), a user over the
 * `deviceVerification` limit is refused before any lookup, and a failed lookup counts against
 * the limit (RFC 8628 section 5.1: user codes are short enough to guess).
 */
async function findPending(
  ctx: DeviceContext,
  userCode: string,
  user: { id: string } | null,
): Promise<{ record: DeviceCodeRecord; client: ClientRecord } | null> {
  const nowMs = ctx.now();
  if (user !== null) ctx.rateLimiter.assertOpen('deviceVerification', user.id, nowMs);
  const found = await lookupPending(ctx, userCode, nowMs);
  if (found === null && user !== null) await ctx.rateLimiter.hit('deviceVerification', user.id, nowMs);
  return found;
}

/**
 * The pending device request for what the user typed (any case, dash and spaces optional), for
 * the verification page; `null` when there is none (unknown, expired, already decided). Pass the
 * signed-in `user` who typed the code: failed lookups then count against the `deviceVerification`
 * rate limit, and a user over it gets `too_many_requests` (429) instead of an answer.
 *
 * @example
 * ```ts
 * const pending = await passport.findDeviceRequest('bcdf ghjk', user);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-5.1
 */
export async function findDeviceRequest(
  ctx: DeviceContext,
  userCode: string,
  user: { id: string } | null = null,
): Promise<PendingDeviceRequest | null> {
  const found = await findPending(ctx, userCode, user);
  if (found === null) return null;
  return {
    client: found.client,
    scopes: ctx.scopes.scopesFor(found.record.scopes),
    userCode: formatUserCode(found.record.userCode),
  };
}

/**
 * Approves or denies a pending device request for `user`. Returns `false` when there is no
 * pending request for that code (unknown, expired, or already decided: exactly one of concurrent
 * decisions wins); such a miss counts against the user's `deviceVerification` rate limit, and a
 * user over it gets `too_many_requests` (429).
 *
 * @example
 * ```ts
 * await passport.decideDeviceRequest(form.get('user_code'), user, 'approve');
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.3
 */
export async function decideDeviceRequest(
  ctx: DeviceContext,
  userCode: string,
  user: { id: string },
  decision: 'approve' | 'deny',
): Promise<boolean> {
  const found = await findPending(ctx, userCode, user);
  if (found === null) return false;
  const decided = await ctx.store.decideDeviceCode(found.record.id, {
    status: decision === 'approve' ? 'approved' : 'denied',
    userId: user.id,
    now: new Date(ctx.now()),
  });
  return decided !== null;
}
