import { PassportOptionsError } from '../errors/passport-error.js';
import type { PassportContext } from '../internal/context.js';
import { generateSecret, hashSecret } from '../internal/secrets.js';
import type { AccessTokenRecord, GrantType, RefreshTokenRecord } from '../stores/records.js';
import type { IssuedTokens } from '../stores/store.js';
import { type AccessTokenClaims, signAccessToken } from './access-token.js';

/**
 * Adds claims to every access token. Reserved claims (`iss`, `sub`, `aud`,
 * `client_id`, `jti`, `iat`, `nbf`, `exp`, `scope`, `scopes`) cannot be overridden: the hook's
 * values for them are ignored.
 *
 * @example
 * ```ts
 * const claims: ClaimsHook = async ({ userId }) => ({ tenant: await tenantOf(userId) });
 * ```
 */
export type ClaimsHook = (input: {
  userId: string | null;
  clientId: string;
  scopes: string[];
  grantType: GrantType;
}) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** What {@link prepareTokens} and {@link issueTokens} issue. */
export interface IssueTokensInput {
  clientId: string;
  /** The resource owner; `null` for client credentials (then `sub` is the client id). */
  userId: string | null;
  /** Final scopes (already checked by the grant). */
  scopes: string[];
  grantType: GrantType;
  /** Name of a personal access token. @default null */
  name?: string | null;
  /** Rotation family to join (the code's or device code's id, or the refreshed token's family). */
  familyId?: string | null;
  /** Issue a refresh token alongside the access token. */
  withRefreshToken: boolean;
  /** Access token lifetime in seconds. @default ctx.lifetimes.accessToken */
  accessTokenLifetime?: number;
}

/** The tokens {@link prepareTokens} signed (and {@link issueTokens} stored). */
export interface IssuedTokenSet {
  /** The signed JWT. */
  accessToken: string;
  /** The plain refresh token (only its hash was stored), or `null`. */
  refreshToken: string | null;
  accessTokenRecord: AccessTokenRecord;
  refreshTokenRecord: RefreshTokenRecord | null;
  /** Access token lifetime in seconds (`expires_in`). */
  expiresIn: number;
}

const reservedClaims = new Set([
  'iss',
  'sub',
  'aud',
  'client_id',
  'jti',
  'iat',
  'nbf',
  'exp',
  'scope',
  'scopes',
]);

/**
 * Signs an access token and builds its record, and a refresh token's when asked, WITHOUT writing
 * anything or emitting events: the one place tokens are minted. The access token is an RFC 9068
 * JWT whose `jti` is the record id and whose `sub` is the user id, or the client id for client
 * tokens. The refresh token is a 256-bit random secret of which only the SHA-256 goes into its
 * record. The caller stores the records (`store.saveTokens`, or `store.rotateRefreshToken` for a
 * rotation) and then calls {@link emitTokensCreated}. Internal.
 *
 * @example
 * ```ts
 * const next = await prepareTokens(ctx, { clientId, userId, scopes, grantType: 'refresh_token',
 *   familyId: old.familyId, withRefreshToken: true });
 * await ctx.store.rotateRefreshToken(old.id, now, toIssuedTokens(next));
 * emitTokensCreated(ctx, next);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export async function prepareTokens(
  ctx: PassportContext & { claims?: ClaimsHook | undefined },
  input: IssueTokensInput,
): Promise<IssuedTokenSet> {
  const nowMs = ctx.now();
  const iat = Math.floor(nowMs / 1000);
  const expiresIn = input.accessTokenLifetime ?? ctx.lifetimes.accessToken;
  const exp = iat + expiresIn;
  const jti = ctx.generateId();
  const { clientId, userId, scopes } = input;

  const reserved: AccessTokenClaims = {
    iss: ctx.issuer,
    sub: userId ?? clientId,
    aud: clientId,
    client_id: clientId,
    jti,
    iat,
    nbf: iat,
    exp,
    scope: scopes.join(' '),
    scopes,
  };
  let claims = reserved;
  if (ctx.claims !== undefined) {
    const extra = await ctx.claims({ userId, clientId, scopes: [...scopes], grantType: input.grantType });
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
      throw new PassportOptionsError(
        'The claims hook must return an object of extra claims (or a promise of one)',
      );
    }
    claims = { ...reserved };
    for (const name of Object.keys(extra)) {
      if (!reservedClaims.has(name)) claims[name] = extra[name];
    }
  }
  const accessToken = await signAccessToken(ctx.keys, claims);

  const createdAt = new Date(nowMs);
  let refreshToken: string | null = null;
  let refreshTokenRecord: RefreshTokenRecord | null = null;
  let familyId = input.familyId ?? null;
  if (input.withRefreshToken) {
    familyId ??= ctx.generateId();
    refreshToken = generateSecret(ctx.random);
    refreshTokenRecord = {
      id: hashSecret(refreshToken),
      accessTokenId: jti,
      userId,
      clientId,
      scopes,
      familyId,
      revoked: false,
      consumedAt: null,
      replacedBy: null,
      createdAt,
      expiresAt: new Date(nowMs + ctx.lifetimes.refreshToken * 1000),
    };
  }
  const accessTokenRecord: AccessTokenRecord = {
    id: jti,
    userId,
    clientId,
    name: input.name ?? null,
    scopes,
    familyId,
    revoked: false,
    createdAt,
    expiresAt: new Date(exp * 1000),
  };

  return { accessToken, refreshToken, accessTokenRecord, refreshTokenRecord, expiresIn };
}

/** The records of a prepared set, as the store methods that write them take them. Internal. */
export function toIssuedTokens(tokens: IssuedTokenSet): IssuedTokens {
  return { accessToken: tokens.accessTokenRecord, refreshToken: tokens.refreshTokenRecord };
}

/**
 * Emits `accessTokenCreated` (and `refreshTokenCreated` when there is a refresh token) for a set
 * that has been stored. Call it only after the write succeeded. Internal.
 */
export function emitTokensCreated(ctx: PassportContext, tokens: IssuedTokenSet): void {
  if (ctx.events.has('accessTokenCreated')) {
    ctx.events.emit('accessTokenCreated', { accessToken: tokens.accessTokenRecord });
  }
  const refreshTokenRecord = tokens.refreshTokenRecord;
  if (refreshTokenRecord !== null && ctx.events.has('refreshTokenCreated')) {
    ctx.events.emit('refreshTokenCreated', { refreshToken: refreshTokenRecord });
  }
}

/**
 * Signs and stores an access token, and a refresh token when asked: {@link prepareTokens}, then
 * ONE `store.saveTokens` call (all or nothing), then `accessTokenCreated` /
 * `refreshTokenCreated`, emitted only after the write succeeded. Every grant but the refresh
 * rotation issues tokens this way. Internal.
 *
 * @example
 * ```ts
 * const issued = await issueTokens(ctx, { clientId, userId, scopes, grantType: 'authorization_code',
 *   familyId: code.id, withRefreshToken: true });
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export async function issueTokens(
  ctx: PassportContext & { claims?: ClaimsHook | undefined },
  input: IssueTokensInput,
): Promise<IssuedTokenSet> {
  const tokens = await prepareTokens(ctx, input);
  await ctx.store.saveTokens(toIssuedTokens(tokens));
  emitTokensCreated(ctx, tokens);
  return tokens;
}
