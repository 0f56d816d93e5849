import { randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import type { ServerConfig } from '../protocol.js';

/** Audience of every peer's access tokens (the same the floor uses). */
export const PEER_AUDIENCE = 'urn:passport:bench';

/** What a peer persists per issued access token: the in-memory equivalent of Passport's row. */
export interface PeerTokenRow {
  clientId: string;
  scope: string;
  expiresAt: Date;
}

/** The shared signing key for `config.alg`: the RSA key for RS256, the P-256 key for ES256. */
export function importSigningKey(config: ServerConfig): Promise<CryptoKey> {
  return config.alg === 'ES256'
    ? importPKCS8(config.keys.ecPrivatePem, 'ES256')
    : importPKCS8(config.keys.rsaPrivatePem, 'RS256');
}

/**
 * Signs the RS256 (or, for the `-es256` diagnostic, ES256) JWT access token the @node-oauth/oauth2-server peer issues (oidc-provider and
 * jmondi build their own claims; jmondi's are signed by the same kind of jose call). Same key,
 * header and claims as the floor, so the peer is compared on its framework overhead, not on what
 * it puts in the token.
 */
export async function createPeerSigner(
  config: ServerConfig,
): Promise<
  (claims: { clientId: string; scope: string; jti?: string; expiresIn?: number }) => Promise<string>
> {
  const privateKey = await importSigningKey(config);
  return (claims) =>
    new SignJWT({ client_id: claims.clientId, scope: claims.scope })
      .setProtectedHeader({ alg: config.alg, kid: config.keys.kid, typ: 'at+jwt' })
      .setIssuer(config.issuer)
      .setSubject(claims.clientId)
      .setAudience(PEER_AUDIENCE)
      .setJti(claims.jti ?? randomUUID())
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${claims.expiresIn ?? 3600}s`)
      .sign(privateKey);
}
