import type { PassportEvents } from '../events/emitter.js';
import type { PassportContext } from '../internal/context.js';

/** The tokens a family revocation reaches, as read from the code or refresh token that names it. */
export interface TokenFamily {
  familyId: string;
  userId: string | null;
  clientId: string;
}

/**
 * Revokes a token family (`store.revokeFamily`) and emits `accessTokenRevoked` for each of the
 * family's access tokens that was live before, so listeners hear of every revocation.
 * The live tokens are read first with `listUserTokens` (families always belong to one user and
 * one client), and only when someone listens; expired or already revoked ones are not reported
 * again. Returns the store's count of changed rows. Internal.
 */
export async function revokeFamilyAndNotify(
  ctx: Pick<PassportContext, 'store' | 'events' | 'now'>,
  family: TokenFamily,
  reason: PassportEvents['accessTokenRevoked']['reason'],
): Promise<number> {
  const live =
    family.userId === null || !ctx.events.has('accessTokenRevoked')
      ? []
      : (
          await ctx.store.listUserTokens(family.userId, {
            now: new Date(ctx.now()),
            clientId: family.clientId,
          })
        ).filter((token) => token.familyId === family.familyId);
  const revokedCount = await ctx.store.revokeFamily(family.familyId);
  for (const token of live) ctx.events.emit('accessTokenRevoked', { accessTokenId: token.id, reason });
  return revokedCount;
}
