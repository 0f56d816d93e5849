import OAuth2Server from '@node-oauth/oauth2-server';
import type { ServerConfig } from '../protocol.js';
import {
  type BenchTarget,
  clientCredentialsPlan,
  flatHeaders,
  readBody,
  secretMatches,
  sendJson,
  sha256,
} from './common.js';
import { createPeerSigner, type PeerTokenRow } from './peer-token.js';

/**
 * @node-oauth/oauth2-server, client_credentials: one in-memory client (secret checked by SHA-256
 * and a constant-time compare, like the floor), RS256 JWT access tokens signed with jose and the
 * shared key through `generateAccessToken`, each token saved in an in-memory map.
 */
export async function createNodeOAuth2ServerTarget(config: ServerConfig): Promise<BenchTarget> {
  const sign = await createPeerSigner(config);
  const secretHash = sha256(config.client.secret);
  const client: OAuth2Server.Client = { id: config.client.id, grants: ['client_credentials'] };
  const tokens = new Map<string, PeerTokenRow>();
  const model: OAuth2Server.ClientCredentialsModel = {
    getClient: async (clientId, clientSecret) =>
      clientId === config.client.id && secretMatches(clientSecret, secretHash) ? client : null,
    getUserFromClient: async () => ({ id: config.client.id }),
    validateScope: async (_user, _client, scope) => scope ?? [],
    generateAccessToken: async (c, _user, scope) => sign({ clientId: c.id, scope: scope.join(' ') }),
    saveToken: async (token, c, user) => {
      tokens.set(token.accessToken, {
        clientId: c.id,
        scope: (token.scope ?? []).join(' '),
        expiresAt: token.accessTokenExpiresAt ?? new Date(Date.now() + 3_600_000),
      });
      return { ...token, client: c, user };
    },
    getAccessToken: async () => null,
  };
  const server = new OAuth2Server({ model, accessTokenLifetime: 3600, allowExtendedTokenAttributes: false });

  const listener: BenchTarget['listener'] = (request, response) => {
    void (async () => {
      const body = Object.fromEntries(new URLSearchParams(await readBody(request)));
      const oauthRequest = new OAuth2Server.Request({
        method: request.method ?? 'POST',
        headers: flatHeaders(request),
        query: {},
        body,
      });
      const oauthResponse = new OAuth2Server.Response({ headers: {} });
      try {
        await server.token(oauthRequest, oauthResponse);
      } catch {
        // The library has already written the error into oauthResponse.
      }
      sendJson(response, oauthResponse.status ?? 500, oauthResponse.body ?? { error: 'server_error' });
    })().catch(() => sendJson(response, 500, { error: 'server_error' }));
  };
  return { listener, plan: clientCredentialsPlan(config, '/token'), close: async () => {} };
}
