import {
  type AccessTokenRecord,
  type ClientRecord,
  OAuthError,
  PassportError,
  type PassportUser,
} from '@passport/core';
import { readJsonOrForm } from '../internal/body.js';
import type { HandlerContext } from '../internal/context.js';
import { cookieValue, serializeCookie } from '../internal/cookies.js';
import { randomToken } from '../internal/crypto.js';
import type { Incoming } from '../internal/incoming.js';
import { fieldProblem } from '../internal/input.js';
import { json, noContent, Reply, type RouteResult } from '../internal/responses.js';
import { csrfFailure, passesCsrfCheck, unauthenticated } from '../internal/session.js';

type Fields = Record<string, string[]>;

/** `422` with per-field messages. */
function validationFailed(errors: Fields): Reply {
  return json({ message: 'The given data was invalid.', errors }, 422);
}

function notFound(what: string): Reply {
  return json({ error: 'not_found', message: `${what} not found.` }, 404);
}

function addError(fields: Fields, field: string, message: string): void {
  const list = fields[field] ?? [];
  list.push(message);
  fields[field] = list;
}

/** Client as the JSON API shows it: never the secret hash. */
function serializeClient(client: ClientRecord): Record<string, unknown> {
  return {
    id: client.id,
    name: client.name,
    redirect: client.redirectUris.join(','),
    redirect_uris: client.redirectUris,
    confidential: client.confidential,
    first_party: client.firstParty,
    resource_server: client.resourceServer,
    provider: client.provider,
    grant_types: client.grantTypes,
    scopes: client.scopes,
    revoked: client.revoked,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}

function serializeToken(token: AccessTokenRecord, client?: ClientRecord | null): Record<string, unknown> {
  return {
    id: token.id,
    client_id: token.clientId,
    ...(client === undefined
      ? {}
      : { client: client === null ? null : { id: client.id, name: client.name } }),
    name: token.name,
    scopes: token.scopes,
    revoked: token.revoked,
    created_at: token.createdAt.toISOString(),
    expires_at: token.expiresAt.toISOString(),
  };
}

/** Client-validation errors of core carry per-field messages. */
function validationFields(error: unknown): Fields | null {
  if (!(error instanceof PassportError) || error.code !== 'ERR_VALIDATION') return null;
  const fields = (error as PassportError & { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null) return { input: [error.message] };
  const out: Fields = {};
  for (const [key, messages] of Object.entries(fields as Record<string, unknown>)) {
    const name = key === 'redirectUris' ? 'redirect' : key;
    out[name] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
  }
  return out;
}

/** Longest redirect URI the JSON API accepts. */
const maxRedirectUriLength = 2048;
/** Most redirect URIs (and personal access token scopes) one request may list. */
const maxListLength = 100;

/** Parses `redirect` (comma-separated string, or array) into URIs. */
function parseRedirects(value: unknown, fields: Fields): string[] | undefined {
  if (value === undefined || value === null || value === '') {
    addError(fields, 'redirect', 'The redirect field is required.');
    return undefined;
  }
  const list =
    typeof value === 'string'
      ? value.split(',').map((uri) => uri.trim())
      : Array.isArray(value) && value.every((uri) => typeof uri === 'string')
        ? (value as string[])
        : null;
  if (list === null) {
    addError(fields, 'redirect', 'The redirect field must be a comma-separated string or a list of URLs.');
    return undefined;
  }
  if (list.length > maxListLength) {
    addError(fields, 'redirect', `The redirect field may not have more than ${maxListLength} URLs.`);
    return undefined;
  }
  for (const uri of list) {
    const problem = fieldProblem('redirect', uri, maxRedirectUriLength);
    if (problem !== null) {
      addError(fields, 'redirect', problem);
    } else if (!URL.canParse(uri) || !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) {
      addError(fields, 'redirect', `"${uri}" is not a valid absolute URL.`);
    }
  }
  return list;
}

function parseName(value: unknown, fields: Fields): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    addError(fields, 'name', 'The name field is required.');
    return undefined;
  }
  const problem = fieldProblem('name', value, 255);
  if (problem !== null) addError(fields, 'name', problem);
  return value;
}

/**
 * `resource_server` lets a client introspect every user's tokens (RFC 7662 section 2.1): only an
 * administrator may set it (`passport.clients.create/update`, `passport client
 * --resource-server`), never the owner of a client through this API, or any signed-in user could
 * read everyone's tokens.
 */
function refuseResourceServer(body: Record<string, unknown>, fields: Fields): void {
  if (
    body.resource_server !== undefined &&
    body.resource_server !== false &&
    body.resource_server !== 'false'
  ) {
    addError(fields, 'resource_server', 'The resource_server field can only be set by an administrator.');
  }
}

function parseBoolean(value: unknown, field: string, fields: Fields): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  addError(fields, field, `The ${field} field must be true or false.`);
  return undefined;
}

/**
 * Shared preamble of the JSON API: the signed-in user, and for state-changing methods the CSRF
 * check. Returns a response to send instead when either fails.
 */
async function begin<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<User | Reply> {
  const user = await context.options.authenticateUser(incoming.request);
  if (user === null) return unauthenticated();
  if (incoming.method !== 'GET' && incoming.method !== 'HEAD' && !passesCsrfCheck(context, incoming)) {
    return csrfFailure();
  }
  return user;
}

/** Sets the readable `XSRF-TOKEN` cookie on GET responses when the browser has none yet. */
function withCsrfCookie<User extends PassportUser>(
  response: Reply,
  incoming: Incoming,
  context: HandlerContext<User>,
): Reply {
  const name = context.cookie.settings.csrfCookieName;
  if (cookieValue(incoming, name) !== undefined) return response;
  response.append(
    'set-cookie',
    serializeCookie(name, randomToken(24), {
      path: context.cookie.settings.path,
      secure: context.secureCookies,
      sameSite: 'Lax',
      httpOnly: false,
    }),
  );
  return response;
}

/** `GET /oauth/clients`, `POST /oauth/clients`. */
export async function clientsRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  if (incoming.method === 'GET') {
    const clients = await context.passport.clients.listByOwner(user.id);
    return withCsrfCookie(json(clients.filter((c) => !c.revoked).map(serializeClient)), incoming, context);
  }
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const fields: Fields = {};
  const name = parseName(body.name, fields);
  const redirectUris = parseRedirects(body.redirect ?? body.redirect_uris, fields);
  const confidential = parseBoolean(body.confidential, 'confidential', fields);
  refuseResourceServer(body, fields);
  if (Object.keys(fields).length > 0 || name === undefined || redirectUris === undefined) {
    return validationFailed(fields);
  }
  try {
    const { client, plainSecret } = await context.passport.clients.create({
      name,
      redirectUris,
      ownerId: user.id,
      confidential: confidential ?? true,
    });
    return json({ ...serializeClient(client), secret: plainSecret }, 201);
  } catch (error) {
    const invalid = validationFields(error);
    if (invalid) return validationFailed(invalid);
    throw error;
  }
}

/**
 * `PUT /oauth/clients/{id}`, `DELETE /oauth/clients/{id}`: a foreign or revoked id is 404. `DELETE`
 * revokes the client and its tokens (as Laravel Passport does); the row stays until purge.
 */
export async function clientRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
  params: { id?: string },
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  const { clients } = context.passport;
  const id = params.id ?? '';
  const client = await clients.findForOwner(id, user.id);
  if (client === null) return notFound('Client');
  if (incoming.method === 'DELETE') {
    await clients.delete(id);
    return noContent();
  }
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const fields: Fields = {};
  const name = parseName(body.name, fields);
  const redirectUris = parseRedirects(body.redirect ?? body.redirect_uris, fields);
  refuseResourceServer(body, fields);
  if (Object.keys(fields).length > 0 || name === undefined || redirectUris === undefined) {
    return validationFailed(fields);
  }
  try {
    const updated = await clients.update(id, { name, redirectUris });
    if (updated === null) return notFound('Client');
    return json(serializeClient(updated));
  } catch (error) {
    const invalid = validationFields(error);
    if (invalid) return validationFailed(invalid);
    throw error;
  }
}

/** `GET /oauth/tokens`: the user's live tokens issued to clients. */
export async function tokensRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  const tokens = await context.passport.listUserTokens(user.id, { personal: false });
  const clients = new Map<string, ClientRecord | null>();
  for (const token of tokens) {
    if (!clients.has(token.clientId))
      clients.set(token.clientId, await context.passport.clients.find(token.clientId));
  }
  return withCsrfCookie(
    json(tokens.map((token) => serializeToken(token, clients.get(token.clientId) ?? null))),
    incoming,
    context,
  );
}

/** `DELETE /oauth/tokens/{id}`: revokes one of the user's tokens and its refresh tokens. */
export async function tokenRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
  params: { id?: string },
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  const revoked = await context.passport.revokeUserToken(user.id, params.id ?? '');
  return revoked ? noContent() : notFound('Token');
}

/** `GET /oauth/scopes`: every defined scope with its description. */
export async function scopesRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  return withCsrfCookie(json(context.passport.scopes.scopes()), incoming, context);
}

/** `GET /oauth/personal-access-tokens`, `POST /oauth/personal-access-tokens`. */
export async function personalTokensRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  if (incoming.method === 'GET') {
    const tokens = await context.passport.listUserTokens(user.id, { personal: true });
    return withCsrfCookie(json(tokens.map((token) => serializeToken(token))), incoming, context);
  }
  const body = await readJsonOrForm(incoming, context.maxBodyBytes);
  const fields: Fields = {};
  const name = parseName(body.name, fields);
  let scopes: string[] = [];
  if (typeof body.scopes === 'string') scopes = body.scopes.split(/\s+/).filter(Boolean);
  else if (Array.isArray(body.scopes) && body.scopes.every((s) => typeof s === 'string'))
    scopes = body.scopes;
  else if (body.scopes !== undefined && body.scopes !== null)
    addError(fields, 'scopes', 'The scopes field must be a list of scopes.');
  if (scopes.length > maxListLength) {
    addError(fields, 'scopes', `The scopes field may not have more than ${maxListLength} scopes.`);
    scopes = [];
  }
  for (const scope of scopes) {
    if (scope !== '*' && !context.passport.scopes.hasScope(scope))
      addError(fields, 'scopes', `The scope "${scope}" is not defined.`);
  }
  if (Object.keys(fields).length > 0 || name === undefined) return validationFailed(fields);
  try {
    const { accessToken, token } = await context.passport.createPersonalAccessToken(
      user,
      name.trim(),
      scopes,
    );
    return json({ accessToken, token: serializeToken(token) }, 201);
  } catch (error) {
    if (error instanceof OAuthError && error.error === 'invalid_scope') {
      return validationFailed({ scopes: [error.errorDescription] });
    }
    const invalid = validationFields(error);
    if (invalid) return validationFailed(invalid);
    throw error;
  }
}

/** `DELETE /oauth/personal-access-tokens/{id}`: a foreign or non-personal id is 404. */
export async function personalTokenRoute<User extends PassportUser>(
  incoming: Incoming,
  context: HandlerContext<User>,
  params: { id?: string },
): Promise<RouteResult> {
  const user = await begin(incoming, context);
  if (user instanceof Reply) return user;
  const revoked = await context.passport.revokePersonalAccessToken(user.id, params.id ?? '');
  return revoked ? noContent() : notFound('Token');
}
