import { authenticateClient } from '../clients/client-authentication.js';
import { PassportError } from '../errors/passport-error.js';
import type { PassportContext } from '../internal/context.js';
import { rejectRepeatedParameters } from '../internal/params.js';
import { hashSecret } from '../internal/secrets.js';
import { ScopeRegistry } from '../scopes/registry.js';
import type { ClientRecord } from '../stores/records.js';
import { verifyAccessToken } from '../tokens/access-token.js';
import { readTokenParams } from './revocation.js';

/**
 * The RFC 7662 introspection response: `{ active: false }` for anything that is not a live token
 * of ours, else the token's metadata.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      /** Space-separated scopes. */
      scope: string;
      client_id: string;
      /** The user id, or the client id for a client-credentials token. */
      sub: string;
      token_type: 'Bearer' | 'refresh_token';
      exp: number;
      iat: number;
      nbf?: number;
      aud?: string;
      iss: string;
      jti?: string;
      /** Human-readable identifier of the user, when the user provider's user has one. */
      username?: string;
    };

/** A user provider as introspection uses it: only `findById`. */
interface UsernameSource {
  findById(id: string): Promise<object | null>;
}

/** Context introspection needs; `userProviders` (optional) lets it fill in `username`. */
export type IntrospectionContext = Pick<PassportContext, 'store' | 'keys' | 'issuer' | 'now'> & {
  userProviders?: Readonly<Record<string, UsernameSource>>;
};

/** Input of {@link introspectToken}: the form body and the `Authorization` header. */
export interface IntrospectionInput {
  params: URLSearchParams;
  authorization: string | null;
}

const inactive: IntrospectionResponse = { active: false };

/**
 * The token's client when it is still usable (a revoked or deleted client's tokens are inactive),
 * and the user's `username` (or `email`) when the client's user provider knows it.
 */
async function tokenOwner(
  ctx: IntrospectionContext,
  caller: ClientRecord,
  clientId: string,
  userId: string | null,
): Promise<{ username: string | undefined } | null> {
  // The caller's own token: its row was just read (or revalidated) by client authentication, which
  // refuses a revoked client, so a second read of the same row would only cost a round trip.
  const client = clientId === caller.id ? caller : await ctx.store.findClient(clientId);
  if (client === null || client.revoked) return null;
  if (userId === null || ctx.userProviders === undefined) return { username: undefined };
  const provider = ctx.userProviders[client.provider ?? 'users'];
  const user = provider === undefined ? null : await provider.findById(userId);
  if (user === null) return { username: undefined };
  const { username, email } = user as { username?: unknown; email?: unknown };
  if (typeof username === 'string' && username !== '') return { username };
  if (typeof email === 'string' && email !== '') return { username: email };
  return { username: undefined };
}

/**
 * RFC 7662 token introspection, as `POST /oauth/introspect` performs it. The caller must be a
 * confidential client; public clients get `invalid_client`. RFC 7662 section 2.1 leaves to the
 * server which clients may learn about which tokens: here a client sees its own tokens, and a
 * client marked `resourceServer` (set by an administrator) sees every access token. Any other
 * caller gets `{ active: false }`, exactly as for an unknown token, so it learns nothing (not the
 * user, not the scopes, not whether the token exists).
 *
 * - Access tokens: signature, `typ`, `iss`, time claims and the store row are all checked
 *   (`verifyAccessToken`); the token's own client and resource servers see them active.
 * - Refresh tokens: live when not revoked, not rotated and not expired; only the client they were
 *   issued to sees them as active, resource servers included (a refresh token means nothing to
 *   anyone else).
 * - Unknown, malformed, expired (no leeway) or revoked tokens, and tokens of a revoked client,
 *   give `{ active: false }`, never an error.
 * - `username` is the user's `username` (or `email`) when the client's user provider returns one.
 *
 * @example
 * ```ts
 * const result = await passport.introspect({ params, authorization });
 * if (result.active) console.log(result.sub, result.scope);
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2
 */
export async function introspectToken(
  ctx: IntrospectionContext,
  input: IntrospectionInput,
): Promise<IntrospectionResponse> {
  rejectRepeatedParameters(input.params);
  const { client } = await authenticateClient(ctx, input);
  const { token, hint } = readTokenParams(input.params);

  const asAccessToken = async (): Promise<IntrospectionResponse | null> => {
    if (token.split('.').length !== 3) return null;
    try {
      const verified = await verifyAccessToken(token, {
        keys: ctx.keys,
        issuer: ctx.issuer,
        store: ctx.store,
        now: ctx.now,
        leewaySeconds: 0,
      });
      const { claims } = verified;
      if (verified.clientId !== client.id && !client.resourceServer) return inactive;
      const owner = await tokenOwner(ctx, client, verified.clientId, verified.userId);
      if (owner === null) return inactive;
      const { username } = owner;
      return {
        active: true,
        scope: ScopeRegistry.format(verified.scopes),
        client_id: verified.clientId,
        sub: claims.sub,
        token_type: 'Bearer',
        exp: claims.exp,
        iat: claims.iat,
        nbf: claims.nbf,
        aud: claims.aud,
        iss: claims.iss,
        jti: claims.jti,
        ...(username === undefined ? {} : { username }),
      };
    } catch (error) {
      // Invalid, expired, revoked: inactive. A store outage must surface (HTTP maps it to 503).
      if (error instanceof PassportError && /^ERR_(TOKEN|KEY)_/.test(error.code)) return null;
      throw error;
    }
  };

  const asRefreshToken = async (): Promise<IntrospectionResponse | null> => {
    if (token.includes('.') || token.length > 512) return null;
    const record = await ctx.store.findRefreshToken(hashSecret(token));
    if (record === null) return null;
    const now = ctx.now();
    const live = !record.revoked && record.consumedAt === null && record.expiresAt.getTime() > now;
    if (!live || record.clientId !== client.id) return inactive;
    const owner = await tokenOwner(ctx, client, record.clientId, record.userId);
    if (owner === null) return inactive;
    const { username } = owner;
    return {
      active: true,
      scope: ScopeRegistry.format(record.scopes),
      client_id: record.clientId,
      sub: record.userId ?? record.clientId,
      token_type: 'refresh_token',
      exp: Math.floor(record.expiresAt.getTime() / 1000),
      iat: Math.floor(record.createdAt.getTime() / 1000),
      iss: ctx.issuer,
      ...(username === undefined ? {} : { username }),
    };
  };

  const order = hint === 'refresh_token' ? [asRefreshToken, asAccessToken] : [asAccessToken, asRefreshToken];
  for (const attempt of order) {
    const result = await attempt();
    if (result !== null) return result;
  }
  return inactive;
}
