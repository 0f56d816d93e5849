import { randomUUID } from 'node:crypto';
import {
  AuthorizationServer,
  DateInterval,
  type JwtInterface,
  type OAuthClient,
  type OAuthClientRepository,
  OAuthRequest,
  type OAuthScopeRepository,
  type OAuthToken,
  type OAuthTokenRepository,
} from '@jmondi/oauth2-server';
import { SignJWT } from 'jose';
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
import { importSigningKey, PEER_AUDIENCE, type PeerTokenRow } from './peer-token.js';

/**
 * @jmondi/oauth2-server, client_credentials: one in-memory client (secret checked by SHA-256 and
 * a constant-time compare), access tokens persisted in an in-memory map, and the library's JWT
 * access token (its own claims: cid, scope, exp, nbf, iat, jti, plus iss and aud through
 * `extraTokenFields`) signed RS256 (ES256 in the `-es256` diagnostic) with jose and the shared key
 * by a custom `JwtInterface`.
 */
export async function createJmondiTarget(config: ServerConfig): Promise<BenchTarget> {
  const privateKey = await importSigningKey(config);
  const secretHash = sha256(config.client.secret);
  const readScope = { name: 'read' };
  const client: OAuthClient = {
    id: config.client.id,
    name: 'bench',
    // Marks the client confidential; the real check is the SHA-256 compare in isClientValid.
    secret: 'sha256',
    redirectUris: [],
    allowedGrants: ['client_credentials'],
    scopes: [readScope],
  };
  const rows = new Map<string, PeerTokenRow>();

  const clientRepository: OAuthClientRepository = {
    getByIdentifier: async (id) => {
      if (id !== client.id) throw new Error('unknown client');
      return client;
    },
    isClientValid: async (grantType, c, clientSecret) =>
      c.allowedGrants.includes(grantType) &&
      clientSecret !== undefined &&
      secretMatches(clientSecret, secretHash),
  };
  const tokenRepository: OAuthTokenRepository = {
    issueToken: async (c, scopes, user) => ({
      accessToken: randomUUID(),
      accessTokenExpiresAt: new Date(Date.now() + 3_600_000),
      client: c,
      user: user ?? null,
      scopes,
    }),
    issueRefreshToken: async (token) => token,
    persist: async (token: OAuthToken) => {
      rows.set(token.accessToken, {
        clientId: token.client.id,
        scope: token.scopes.map((s) => s.name).join(' '),
        expiresAt: token.accessTokenExpiresAt,
      });
    },
    revoke: async (token) => {
      rows.delete(token.accessToken);
    },
    isRefreshTokenRevoked: async () => true,
    getByRefreshToken: async () => {
      throw new Error('refresh tokens are not part of this benchmark');
    },
  };
  const scopeRepository: OAuthScopeRepository = {
    getAllByIdentifiers: async (names) => names.filter((n) => n === readScope.name).map(() => readScope),
    finalize: async (scopes) => scopes,
  };
  const jwt: JwtInterface = {
    sign: (payload) =>
      new SignJWT(payload as Record<string, unknown>)
        .setProtectedHeader({ alg: config.alg, kid: config.keys.kid, typ: 'at+jwt' })
        .sign(privateKey),
    verify: async () => {
      throw new Error('verification is not part of this benchmark');
    },
    decode: () => null,
    extraTokenFields: () => ({ iss: config.issuer, aud: PEER_AUDIENCE }),
  };
  const server = new AuthorizationServer(clientRepository, tokenRepository, scopeRepository, jwt, {
    issuer: config.issuer,
  });
  server.enableGrantType('client_credentials', new DateInterval('1h'));

  const listener: BenchTarget['listener'] = (request, response) => {
    void (async () => {
      const body = Object.fromEntries(new URLSearchParams(await readBody(request)));
      const oauthRequest = new OAuthRequest({ headers: flatHeaders(request), body });
      try {
        const oauthResponse = await server.respondToAccessTokenRequest(oauthRequest);
        sendJson(response, oauthResponse.status, oauthResponse.body);
      } catch (error) {
        const status =
          typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
            ? error.status
            : 500;
        sendJson(response, status, { error: status === 500 ? 'server_error' : 'invalid_request' });
      }
    })().catch(() => sendJson(response, 500, { error: 'server_error' }));
  };
  return { listener, plan: clientCredentialsPlan(config, '/token'), close: async () => {} };
}
