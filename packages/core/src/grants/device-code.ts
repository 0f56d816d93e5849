import { OAuthError } from '../errors/oauth-error.js';
import type { GrantContext } from '../internal/context.js';
import { hashSecret } from '../internal/secrets.js';
import type { ClientRecord } from '../stores/records.js';
import { emitTokensCreated, prepareTokens, toIssuedTokens } from '../tokens/issue.js';
import { type TokenResponse, toTokenResponse } from '../tokens/token-response.js';
import { mayRefresh } from './refresh-token.js';

/** The device-code grant type URN (RFC 8628 section 3.4). */
export const deviceCodeGrantType = 'urn:ietf:params:oauth:grant-type:device_code' as const;

/** Seconds the polling interval grows by on each `slow_down` (RFC 8628 section 3.5). */
const slowDownIncrement = 5;

/**
 * The device-code grant at the token endpoint (RFC 8628 section 3.4 and 3.5), for a client the
 * dispatcher already authenticated and checked. Answers, in order:
 *
 * - `invalid_request` without `device_code`; `invalid_grant` for an unknown code, another
 *   client's code, or one already redeemed;
 * - `expired_token` once the code has expired;
 * - `access_denied` when the user denied;
 * - `slow_down` when a pending code is polled sooner than its interval after the previous poll
 *   (the interval then grows by 5 seconds);
 * - `authorization_pending` while the user has not decided;
 * - tokens once approved, exactly once: `redeemDeviceCode` consumes the code and writes the tokens
 *   in one atomic step. The tokens' family is the device code's id; a refresh token comes with
 *   them when the refresh grant is enabled and the client may use it.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.5
 */
export async function handleDeviceCodeGrant(
  ctx: GrantContext,
  params: URLSearchParams,
  client: ClientRecord,
): Promise<TokenResponse> {
  if (!ctx.grants.deviceCode) {
    throw OAuthError.unsupportedGrantType('The device authorization grant is not enabled');
  }
  const deviceCode = params.get('device_code');
  if (deviceCode === null || deviceCode === '') {
    throw OAuthError.invalidRequest('The "device_code" parameter is required');
  }
  const id = hashSecret(deviceCode);
  const nowMs = ctx.now();
  const now = new Date(nowMs);
  const record = await ctx.store.findDeviceCode(id);
  if (record === null || record.clientId !== client.id) {
    throw OAuthError.invalidGrant('The device code is invalid');
  }
  if (record.consumedAt !== null) throw OAuthError.invalidGrant('The device code has already been used');
  if (record.expiresAt.getTime() <= nowMs) {
    throw new OAuthError('expired_token', 'The device code has expired; start a new device authorization');
  }
  if (record.status === 'denied') throw OAuthError.accessDenied('The user denied the device authorization');

  let approved = record;
  if (record.status === 'pending') {
    const previous = await ctx.store.touchDeviceCode(id, now);
    if (previous === null) throw OAuthError.invalidGrant('The device code is invalid');
    const last = previous.lastPolledAt?.getTime();
    if (previous.status === 'pending' && last !== undefined && nowMs - last < previous.interval * 1000) {
      const interval = previous.interval + slowDownIncrement;
      await ctx.store.touchDeviceCode(id, now, interval);
      throw new OAuthError(
        'slow_down',
        `Polling too fast: wait at least ${interval} seconds between requests`,
      );
    }
    if (previous.status === 'pending') {
      throw new OAuthError('authorization_pending', 'The user has not yet approved the device authorization');
    }
    // Decided between our read and the touch: go on with the fresh status.
    if (previous.status === 'denied') {
      throw OAuthError.accessDenied('The user denied the device authorization');
    }
    approved = previous;
  }

  if (approved.userId === null) throw OAuthError.invalidGrant('The device code is invalid');
  const issued = await prepareTokens(ctx, {
    clientId: client.id,
    userId: approved.userId,
    scopes: approved.scopes,
    grantType: deviceCodeGrantType,
    familyId: approved.id,
    withRefreshToken: mayRefresh(ctx, client),
  });
  // Consumes the code and writes the tokens in one atomic step: exactly one poll wins, and a
  // failure in between leaves the code redeemable with nothing written.
  const redeemed = await ctx.store.redeemDeviceCode(id, now, toIssuedTokens(issued));
  if (redeemed === null) throw OAuthError.invalidGrant('The device code has already been used');
  emitTokensCreated(ctx, issued);
  return toTokenResponse(issued, redeemed.scopes);
}
