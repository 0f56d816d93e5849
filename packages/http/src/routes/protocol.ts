import type { PassportUser } from '@passport/core';
import { readForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import type { Incoming } from '../internal/incoming.js';
import { json, noContent, publicJson, type RouteResult } from '../internal/responses.js';
import { csrfFailure, passesCsrfCheck, unauthenticated } from '../internal/session.js';

/**
 * `POST /oauth/token`: every enabled grant. Form body only; a repeated parameter is
 * `invalid_request` (core refuses it). Success and error responses both carry `Cache-Control: no-store`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5
 */
export async function tokenRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const params = await readForm(incoming, context.maxBodyBytes);
  const response = await context.passport.handleTokenRequest({
    params,
    authorization: incoming.header('authorization'),
  });
  return json(response);
}

/**
 * `POST /oauth/revoke` (RFC 7009): `200` with an empty body whether or not the token existed.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.2
 */
export async function revokeRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const params = await readForm(incoming, context.maxBodyBytes);
  await context.passport.revoke({ params, authorization: incoming.header('authorization') });
  return noContent(undefined, 200);
}

/**
 * `POST /oauth/introspect` (RFC 7662), client-authenticated.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7662#section-2.2
 */
export async function introspectRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const params = await readForm(incoming, context.maxBodyBytes);
  const response = await context.passport.introspect({
    params,
    authorization: incoming.header('authorization'),
  });
  return json(response);
}

/**
 * `POST /oauth/device/code` (RFC 8628 section 3.1).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
export async function deviceCodeRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const params = await readForm(incoming, context.maxBodyBytes);
  const response = await context.passport.requestDeviceCode({
    params,
    authorization: incoming.header('authorization'),
  });
  return json(response);
}

/** `GET /oauth/jwks`: the public keys that verify access tokens (RFC 7517). */
export async function jwksRoute<User extends PassportUser>(
  _incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  return publicJson(context.passport.keys.toJWKS(), 300);
}

/**
 * `GET /.well-known/oauth-authorization-server` (RFC 8414): lists only the grants and endpoints
 * that are enabled, and served (a route group switched off is not advertised).
 *
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-2
 */
export async function metadataRoute<User extends PassportUser>(
  _incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const { passport } = context;
  const grants = passport.options.grants;
  const grantTypes: string[] = [];
  if (grants.authorizationCode) grantTypes.push('authorization_code');
  if (grants.implicit) grantTypes.push('implicit');
  if (grants.refreshToken) grantTypes.push('refresh_token');
  if (grants.clientCredentials) grantTypes.push('client_credentials');
  if (grants.password) grantTypes.push('password');
  // Without its routes the device flow cannot start: neither its grant nor its endpoint is offered.
  const deviceFlow = grants.deviceCode && context.routes.device;
  if (deviceFlow) grantTypes.push('urn:ietf:params:oauth:grant-type:device_code');
  const responseTypes: string[] = [];
  if (grants.authorizationCode) responseTypes.push('code');
  if (grants.implicit) responseTypes.push('token');
  const authMethods = ['client_secret_basic', 'client_secret_post', 'none'];
  const metadata: Record<string, unknown> = {
    issuer: passport.options.issuer,
    token_endpoint: context.endpoint('/token'),
    jwks_uri: context.endpoint('/jwks'),
    scopes_supported: passport.scopes.scopeIds(),
    grant_types_supported: grantTypes,
    token_endpoint_auth_methods_supported: authMethods,
    revocation_endpoint: context.endpoint('/revoke'),
    revocation_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint: context.endpoint('/introspect'),
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
  };
  if (responseTypes.length > 0) {
    metadata.authorization_endpoint = context.endpoint('/authorize');
    metadata.response_types_supported = responseTypes;
    metadata.response_modes_supported = grants.implicit ? ['query', 'fragment'] : ['query'];
    metadata.code_challenge_methods_supported = passport.options.pkce.allowPlain
      ? ['S256', 'plain']
      : ['S256'];
    metadata.authorization_response_iss_parameter_supported = true;
  } else {
    // RFC 8414 makes response_types_supported required; none are offered without a redirect grant.
    metadata.response_types_supported = [];
  }
  if (deviceFlow) metadata.device_authorization_endpoint = context.endpoint('/device/code');
  return publicJson(metadata, 300);
}

/**
 * `POST /oauth/token/refresh`: renews the first-party cookie of the signed-in user.
 * Needs the CSRF header or a same-origin request.
 */
export async function refreshCookieRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  if (!passesCsrfCheck(context, incoming)) return csrfFailure();
  const user = await context.options.authenticateUser(incoming.request);
  if (user === null) return unauthenticated();
  const reply = noContent();
  for (const value of await context.cookie.issue(incoming, user)) reply.append('set-cookie', value);
  return reply;
}
