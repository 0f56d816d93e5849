import { createPublicKey, randomUUID } from 'node:crypto';
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import type { ServerConfig } from '../protocol.js';
import {
  type BenchTarget,
  clientCredentialsPlan,
  parseBasicAuthorization,
  readBody,
  secretMatches,
  sendJson,
  sha256,
} from './common.js';
import { importSigningKey } from './peer-token.js';

const AUDIENCE = 'urn:passport:bench';

/**
 * The floor of the token endpoint: what a client_credentials request costs with no library at all.
 * Bare `node:http`, parse the form, check the client secret by SHA-256 and a constant-time
 * compare, sign one RS256 JWT (ES256 in `diag-floor-token-es256`) with jose, answer JSON. No store, no events, no validation beyond
 * what the response needs.
 */
export async function createFloorTokenTarget(config: ServerConfig): Promise<BenchTarget> {
  const privateKey = await importSigningKey(config);
  const secretHash = sha256(config.client.secret);
  const listener: BenchTarget['listener'] = (request, response) => {
    void (async () => {
      const params = new URLSearchParams(await readBody(request));
      const client = parseBasicAuthorization(request.headers.authorization);
      if (client === null || client.id !== config.client.id || !secretMatches(client.secret, secretHash)) {
        sendJson(response, 401, { error: 'invalid_client' });
        return;
      }
      if (params.get('grant_type') !== 'client_credentials') {
        sendJson(response, 400, { error: 'unsupported_grant_type' });
        return;
      }
      const scope = params.get('scope') ?? '';
      const accessToken = await new SignJWT({ client_id: client.id, scope })
        .setProtectedHeader({ alg: config.alg, kid: config.keys.kid, typ: 'at+jwt' })
        .setIssuer(config.issuer)
        .setSubject(client.id)
        .setAudience(AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('1h')
        .sign(privateKey);
      sendJson(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, scope });
    })().catch(() => sendJson(response, 500, { error: 'server_error' }));
  };
  return {
    listener,
    plan: clientCredentialsPlan(config, '/token'),
    close: async () => {},
  };
}

/**
 * The floor of the bearer guard: verify one RS256 JWT with jose (signature, typ, iss, aud, exp)
 * on bare `node:http`, no store lookup.
 */
export async function createFloorVerifyTarget(config: ServerConfig): Promise<BenchTarget> {
  const privateKey = await importPKCS8(config.keys.rsaPrivatePem, 'RS256', { extractable: true });
  const spki = createPublicKey(config.keys.rsaPrivatePem).export({ type: 'spki', format: 'pem' }).toString();
  const publicKey = await importSPKI(spki, 'RS256');
  const token = await new SignJWT({ client_id: config.client.id, scope: 'read' })
    .setProtectedHeader({ alg: 'RS256', kid: config.keys.kid, typ: 'at+jwt' })
    .setIssuer(config.issuer)
    .setSubject(config.client.id)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);
  const listener: BenchTarget['listener'] = (request, response) => {
    void (async () => {
      const header = request.headers.authorization;
      if (header === undefined || !header.startsWith('Bearer ')) {
        sendJson(response, 401, { error: 'invalid_token' });
        return;
      }
      try {
        const { payload } = await jwtVerify(header.slice(7), publicKey, {
          algorithms: ['RS256'],
          typ: 'at+jwt',
          issuer: config.issuer,
          audience: AUDIENCE,
        });
        sendJson(response, 200, { sub: payload.sub, scope: payload.scope });
      } catch {
        sendJson(response, 401, { error: 'invalid_token' });
      }
    })().catch(() => sendJson(response, 500, { error: 'server_error' }));
  };
  return {
    listener,
    plan: { method: 'GET', path: '/resource', headers: { authorization: `Bearer ${token}` } },
    close: async () => {},
  };
}
