import { createPrivateKey } from 'node:crypto';
import Provider from 'oidc-provider';
import type { ServerConfig } from '../protocol.js';
import { type BenchTarget, clientCredentialsPlan } from './common.js';
import { PEER_AUDIENCE } from './peer-token.js';

/**
 * oidc-provider, client_credentials: one static client (its in-memory client store), the shared
 * RSA key (the P-256 key in the `-es256` diagnostic) as its only signing key, and resource
 * indicators set to issue RS256 (ES256) JWT access tokens
 * (`accessTokenFormat: 'jwt'`) for one resource server; tokens go to its default in-memory adapter.
 */
export async function createOidcProviderTarget(config: ServerConfig): Promise<BenchTarget> {
  const pem = config.alg === 'ES256' ? config.keys.ecPrivatePem : config.keys.rsaPrivatePem;
  const jwk = createPrivateKey(pem).export({ format: 'jwk' });
  const provider = new Provider(config.issuer, {
    clients: [
      {
        client_id: config.client.id,
        client_secret: config.client.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // its only key signs every token, ID tokens included (which client_credentials never issues)
        id_token_signed_response_alg: config.alg,
      },
    ],
    jwks: { keys: [{ ...jwk, kid: config.keys.kid, alg: config.alg, use: 'sig' }] },
    scopes: ['read'],
    cookies: { keys: ['bench-cookie-key-not-used-by-client-credentials'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => PEER_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience: PEER_AUDIENCE,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: config.alg } },
        }),
      },
    },
  });
  const callback = provider.callback();
  return {
    listener: (request, response) => {
      void callback(request, response);
    },
    plan: clientCredentialsPlan(config, '/token'),
    close: async () => {},
  };
}
