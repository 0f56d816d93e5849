import { OAuthError } from '../errors/oauth-error.js';
import { PassportOptionsError } from '../errors/passport-error.js';
import type { GrantContext } from '../internal/context.js';
import { finalizeScopes } from '../scopes/finalize.js';
import type { AccessTokenRecord, ClientRecord } from '../stores/records.js';
import type { PassportStore } from '../stores/store.js';
import { issueTokens } from '../tokens/issue.js';

/** Context of personal access tokens: the grant context plus the configured client id, if any. */
export type PersonalAccessContext = GrantContext & { personalAccessClientId?: string | null | undefined };

/** What {@link createPersonalAccessToken} returns (Passport's `PersonalAccessTokenResult`). */
export interface PersonalAccessTokenResult {
  /** The JWT, shown to the user once. */
  accessToken: string;
  /** The stored record (`name` set, lifetime `lifetimes.personalAccessToken`). */
  token: AccessTokenRecord;
}

/** Name given to a personal access client created on demand. */
export const personalAccessClientName = 'Personal Access Client';

/** On-demand personal access clients, per store, so concurrent first calls create only one. */
const onDemandClients = new WeakMap<PassportStore, Promise<ClientRecord>>();

function isUsablePersonalClient(client: ClientRecord | null): client is ClientRecord {
  return client !== null && !client.revoked && client.grantTypes.includes('personal_access');
}

async function findOrCreatePersonalClient(ctx: PersonalAccessContext): Promise<ClientRecord> {
  const store = ctx.store;
  const cached = onDemandClients.get(store);
  if (cached !== undefined) {
    const client = await cached.catch(() => null);
    if (client !== null && isUsablePersonalClient(await store.findClient(client.id))) return client;
    onDemandClients.delete(store);
  }
  const pending = (async () => {
    const existing = (await store.listClients()).find(
      (client) => isUsablePersonalClient(client) && client.ownerId === null,
    );
    if (existing) return existing;
    const now = new Date(ctx.now());
    const client: ClientRecord = {
      id: store.nextClientId === undefined ? ctx.generateId() : await store.nextClientId(),
      ownerId: null,
      name: personalAccessClientName,
      // Confidential without a secret: it can never authenticate at an HTTP endpoint.
      secretHash: null,
      provider: null,
      redirectUris: [],
      grantTypes: ['personal_access'],
      scopes: null,
      confidential: true,
      firstParty: true,
      resourceServer: false,
      revoked: false,
      createdAt: now,
      updatedAt: now,
    };
    await store.createClient(client);
    ctx.events.emit('clientCreated', { client });
    return client;
  })();
  onDemandClients.set(store, pending);
  try {
    return await pending;
  } catch (error) {
    onDemandClients.delete(store);
    throw error;
  }
}

/**
 * The client personal access tokens are issued to: `personalAccessClientId` when configured
 * (it must exist, not be revoked and allow `personal_access`, else {@link PassportOptionsError}),
 * otherwise the first unowned client allowing `personal_access`, created on demand (grant types
 * `['personal_access']`, no secret) when there is none.
 */
export async function personalAccessClient(ctx: PersonalAccessContext): Promise<ClientRecord> {
  if (ctx.personalAccessClientId !== undefined && ctx.personalAccessClientId !== null) {
    const client = await ctx.store.findClient(ctx.personalAccessClientId);
    if (!isUsablePersonalClient(client)) {
      throw new PassportOptionsError(
        `personalAccessClientId "${ctx.personalAccessClientId}" is not a usable personal access client: ` +
          'create one with grantTypes ["personal_access"] (`passport client --personal`), or omit the option ' +
          'to have one created on demand',
      );
    }
    return client;
  }
  return findOrCreatePersonalClient(ctx);
}

/**
 * Creates a personal access token for `user` (Passport's `$user->createToken(name,
 * scopes)`), with the personal access lifetime (default one year), its `name` stored, and no
 * refresh token. Never reachable over HTTP: `grant_type=personal_access` at the token endpoint is
 * `unsupported_grant_type`.
 *
 * Errors: `invalid_request` for an empty name; `invalid_scope` for scopes that are not defined
 * or not allowed for the personal access client (`*` is allowed). With no scopes the default
 * scopes apply.
 *
 * @example
 * ```ts
 * const { accessToken, token } = await passport.createPersonalAccessToken(user, 'CLI', ['read']);
 * ```
 */
export async function createPersonalAccessToken(
  ctx: PersonalAccessContext,
  user: { id: string },
  name: string,
  scopes: readonly string[] = [],
): Promise<PersonalAccessTokenResult> {
  if (typeof name !== 'string' || name.trim() === '') {
    throw OAuthError.invalidRequest('A personal access token needs a name');
  }
  if (name.length > 255) throw OAuthError.invalidRequest('The name must not be longer than 255 characters');
  const client = await personalAccessClient(ctx);
  const finalScopes = finalizeScopes(ctx, { requested: scopes, client, grantType: 'personal_access' });
  const issued = await issueTokens(ctx, {
    clientId: client.id,
    userId: user.id,
    scopes: finalScopes,
    grantType: 'personal_access',
    name: name.trim(),
    withRefreshToken: false,
    accessTokenLifetime: ctx.lifetimes.personalAccessToken,
  });
  return { accessToken: issued.accessToken, token: issued.accessTokenRecord };
}
