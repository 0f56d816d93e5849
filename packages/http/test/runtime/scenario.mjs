// The end-to-end scenario every runtime must pass, on every store. Plain JS and Web APIs only: it
// drives a server (test/runtime/app.mjs) through `fetchImpl` and throws on the first broken
// expectation. It covers every endpoint: the token endpoint with every grant the app enables
// (client credentials, authorization code with PKCE, refresh, password, device code; implicit at
// the authorization endpoint), the approval form, the device pages, revocation, introspection,
// metadata, JWKS, the JSON API (clients, tokens, scopes, personal access tokens) and the three
// guards (bearer for users, client credentials, the first-party cookie).

function assert(condition, message) {
  if (!condition) throw new Error(`scenario: ${message}`);
}

function b64url(bytes) {
  let binary = '';
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function formBody(params) {
  return new URLSearchParams(params).toString();
}

const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The `kid` in a JWT's header. */
function kidOf(token) {
  return JSON.parse(atob(token.split('.')[0].replace(/-/g, '+').replace(/_/g, '/'))).kid;
}

/** The first `name=value` pairs of a response's Set-Cookie headers, as one Cookie header. */
function cookiesOf(response) {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** The value of a hidden form field of a page. */
function hiddenField(html, name) {
  return new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
}

/** The steps of {@link runScenario}, in order. */
export const scenarioSteps = [
  'metadata',
  'jwks',
  'client_credentials',
  'client_guard',
  'key_rotation',
  'authorization_code_pkce',
  'refresh',
  'reuse_detection',
  'password',
  'implicit',
  'device_code',
  'json_api',
  'personal_access_token',
  'first_party_cookie',
  'introspect',
  'revoke',
  'bad_input',
];

/**
 * Runs the scenario against `base` (for example `http://127.0.0.1:3000`). `keys` holds the kids of
 * the app's `active`, `next` and `previous` keys. Returns the names of the steps that passed.
 */
export async function runScenario(base, fetchImpl = globalThis.fetch, keys) {
  const steps = [];
  const call = (path, init = {}) => fetchImpl(`${base}${path}`, { redirect: 'manual', ...init });
  const json = async (response) => JSON.parse(await response.text());
  const token = (params, headers = {}) =>
    call('/oauth/token', {
      method: 'POST',
      headers: { ...formHeaders, ...headers },
      body: formBody(params),
    });
  const bearer = (accessToken) => ({ authorization: `Bearer ${accessToken}` });

  // metadata (RFC 8414): every enabled grant and every endpoint is advertised
  const metaResponse = await call('/.well-known/oauth-authorization-server');
  assert(metaResponse.status === 200, `metadata status ${metaResponse.status}`);
  const meta = await json(metaResponse);
  assert(meta.issuer === base, `issuer ${meta.issuer}`);
  assert(meta.token_endpoint === `${base}/oauth/token`, 'token_endpoint');
  assert(meta.revocation_endpoint === `${base}/oauth/revoke`, 'revocation_endpoint');
  assert(meta.introspection_endpoint === `${base}/oauth/introspect`, 'introspection_endpoint');
  assert(meta.device_authorization_endpoint === `${base}/oauth/device/code`, 'device_authorization_endpoint');
  assert(meta.jwks_uri === `${base}/oauth/jwks`, 'jwks_uri');
  for (const grant of [
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'password',
    'urn:ietf:params:oauth:grant-type:device_code',
  ]) {
    assert(meta.grant_types_supported.includes(grant), `grant ${grant} advertised`);
  }
  assert(meta.response_types_supported.includes('token'), 'implicit response type advertised');
  assert(meta.code_challenge_methods_supported.includes('S256'), 'S256 listed');
  assert(meta.authorization_response_iss_parameter_supported === true, 'iss parameter supported');
  steps.push('metadata');

  // JWKS
  const jwks = await json(await call('/oauth/jwks'));
  assert(Array.isArray(jwks.keys) && jwks.keys.length >= 1 && jwks.keys[0].kid, 'jwks has a key');
  assert(!('d' in jwks.keys[0]), 'jwks has no private part');
  steps.push('jwks');

  const clients = await json(await call('/setup', { method: 'POST' }));
  const machineAuth = `Basic ${btoa(`${clients.machine.id}:${clients.machine.secret}`)}`;

  // client credentials
  const ccResponse = await token(
    { grant_type: 'client_credentials', scope: 'orders:read' },
    { authorization: machineAuth },
  );
  assert(ccResponse.status === 200, `client_credentials status ${ccResponse.status}`);
  assert(ccResponse.headers.get('cache-control') === 'no-store', 'token response is no-store');
  assert(ccResponse.headers.get('pragma') === 'no-cache', 'token response has pragma');
  const cc = await json(ccResponse);
  assert(cc.token_type === 'Bearer' && cc.access_token && !cc.refresh_token, 'client_credentials body');
  const machineOrders = await call('/api/orders', { headers: bearer(cc.access_token) });
  assert(machineOrders.status === 200, `guarded route with cc token ${machineOrders.status}`);
  const machineBody = await json(machineOrders);
  assert(machineBody.user === null && machineBody.client === clients.machine.id, 'cc token has no user');
  const wrongSecret = await token(
    { grant_type: 'client_credentials' },
    { authorization: `Basic ${btoa(`${clients.machine.id}:wrong`)}` },
  );
  assert(wrongSecret.status === 401 && (await json(wrongSecret)).error === 'invalid_client', 'wrong secret');
  steps.push('client_credentials');

  // the client guard: client-credentials tokens only; the users-only guard refuses them
  const reports = await call('/api/reports', { headers: bearer(cc.access_token) });
  assert(reports.status === 200, `client guard with a cc token ${reports.status}`);
  assert((await json(reports)).client === clients.machine.id, 'client guard names the client');
  const machineMe = await call('/api/me', { headers: bearer(cc.access_token) });
  assert(machineMe.status === 401, `users-only guard refuses a cc token (${machineMe.status})`);
  assert(
    (machineMe.headers.get('www-authenticate') ?? '').includes('error="invalid_token"'),
    'users-only refusal is invalid_token',
  );
  const anonymous = await call('/api/reports');
  assert(anonymous.status === 401, `client guard without a token ${anonymous.status}`);
  assert(anonymous.headers.get('www-authenticate') === 'Bearer realm="api"', 'bare Bearer challenge');
  steps.push('client_guard');

  // keys from the environment: all three are published, the active key signs (the next one waits
  // for its activation time), and a token the previous key signed before the rotation still
  // passes the guard
  const published = jwks.keys.map((key) => key.kid).sort();
  const expected = [keys.active, keys.next, keys.previous].sort();
  assert(published.join() === expected.join(), `JWKS kids ${published} instead of ${expected}`);
  assert(kidOf(cc.access_token) === keys.active, 'the active key signs');
  assert(kidOf(clients.previousKeyToken) === keys.previous, 'the setup token was signed by the previous key');
  const previousOrders = await call('/api/orders', { headers: bearer(clients.previousKeyToken) });
  assert(previousOrders.status === 200, `guarded route with a previous key's token ${previousOrders.status}`);
  steps.push('key_rotation');

  // authorization code + PKCE through the approval form
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(12)));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clients.spa.id,
    redirect_uri: clients.spa.redirectUri,
    scope: 'orders:read',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const guest = await call(`/oauth/authorize?${query}`);
  assert(
    guest.status === 302 && new URL(guest.headers.get('location'), base).pathname === '/login',
    'guest to login',
  );
  const page = await call(`/oauth/authorize?${query}`, { headers: { cookie: 'session=alice' } });
  assert(page.status === 200, `approval page status ${page.status}`);
  assert(page.headers.get('x-frame-options') === 'DENY', 'approval page X-Frame-Options');
  const html = await page.text();
  assert(html.includes('Single page app') && html.includes('Read your orders'), 'approval page content');
  const approve = await call('/oauth/authorize', {
    method: 'POST',
    headers: { ...formHeaders, cookie: `session=alice; ${cookiesOf(page)}` },
    body: formBody({
      auth_token: hiddenField(html, 'auth_token'),
      csrf_token: hiddenField(html, 'csrf_token'),
      action: 'approve',
    }),
  });
  assert(approve.status === 302, `approve status ${approve.status}`);
  const callback = new URL(approve.headers.get('location'));
  assert(callback.searchParams.get('state') === state, 'state echoed');
  assert(callback.searchParams.get('iss') === base, 'iss in authorization response');
  const codeParams = {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code'),
    redirect_uri: clients.spa.redirectUri,
    client_id: clients.spa.id,
    code_verifier: verifier,
  };
  const codeResponse = await token(codeParams);
  assert(codeResponse.status === 200, `code exchange status ${codeResponse.status}`);
  const tokens = await json(codeResponse);
  assert(tokens.refresh_token, 'code exchange gives a refresh token');
  const userOrders = await json(await call('/api/orders', { headers: bearer(tokens.access_token) }));
  assert(userOrders.user === 'alice', 'user token resolves to alice');
  const me = await call('/api/me', { headers: bearer(tokens.access_token) });
  assert(me.status === 200, `users-only guard with alice's token (${me.status})`);
  const meBody = await json(me);
  assert(meBody.user === 'alice' && meBody.via === 'bearer', 'the bearer token authenticates alice');
  const userReports = await call('/api/reports', { headers: bearer(tokens.access_token) });
  assert(userReports.status === 401, `client guard refuses a user token (${userReports.status})`);
  // the form's auth_token is single use, and so is the code: a replay revokes what it issued
  const replayedForm = await call('/oauth/authorize', {
    method: 'POST',
    headers: { ...formHeaders, cookie: `session=alice; ${cookiesOf(page)}` },
    body: formBody({
      auth_token: hiddenField(html, 'auth_token'),
      csrf_token: hiddenField(html, 'csrf_token'),
    }),
  });
  assert(
    replayedForm.status >= 400 && replayedForm.status < 500,
    `approval form replay ${replayedForm.status}`,
  );
  steps.push('authorization_code_pkce');

  // refresh (rotation)
  const refresh = (refreshToken) =>
    token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clients.spa.id });
  const refreshedResponse = await refresh(tokens.refresh_token);
  assert(refreshedResponse.status === 200, `refresh status ${refreshedResponse.status}`);
  const refreshed = await json(refreshedResponse);
  assert(
    refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
    'refresh token rotated',
  );
  const oldAccess = await call('/api/orders', { headers: bearer(tokens.access_token) });
  assert(oldAccess.status === 401, `the rotated token's access token is revoked (${oldAccess.status})`);
  steps.push('refresh');

  // reuse detection: once the client has used its new refresh token, the rotated one presented
  // again (not a retry any more) revokes the family
  await sleep(5);
  const newestResponse = await refresh(refreshed.refresh_token);
  assert(newestResponse.status === 200, `second refresh status ${newestResponse.status}`);
  const newest = await json(newestResponse);
  const reuse = await refresh(tokens.refresh_token);
  assert(reuse.status === 400 && (await json(reuse)).error === 'invalid_grant', 'reuse is invalid_grant');
  const afterReuse = await call('/api/orders', { headers: bearer(newest.access_token) });
  assert(afterReuse.status === 401, `family revoked after reuse (${afterReuse.status})`);
  assert((await refresh(newest.refresh_token)).status === 400, 'latest refresh token revoked too');
  const replayedCode = await token(codeParams);
  assert(
    replayedCode.status === 400 && (await json(replayedCode)).error === 'invalid_grant',
    'a redeemed code is invalid_grant',
  );
  steps.push('reuse_detection');

  // password grant (a confidential client)
  const webAuth = `Basic ${btoa(`${clients.web.id}:${clients.web.secret}`)}`;
  const passwordResponse = await token(
    {
      grant_type: 'password',
      username: 'alice@example.com',
      password: 'alice-password',
      scope: 'orders:read',
    },
    { authorization: webAuth },
  );
  assert(passwordResponse.status === 200, `password grant status ${passwordResponse.status}`);
  const passwordTokens = await json(passwordResponse);
  assert(passwordTokens.refresh_token, 'password grant gives a refresh token');
  const passwordMe = await call('/api/me', { headers: bearer(passwordTokens.access_token) });
  assert((await json(passwordMe)).user === 'alice', 'password token is alice');
  const badPassword = await token(
    { grant_type: 'password', username: 'alice@example.com', password: 'wrong' },
    { authorization: webAuth },
  );
  assert(
    badPassword.status === 400 && (await json(badPassword)).error === 'invalid_grant',
    'a wrong password is invalid_grant',
  );
  steps.push('password');

  // implicit (response_type=token) through the approval form: the token comes in the fragment
  const implicitQuery = new URLSearchParams({
    response_type: 'token',
    client_id: clients.legacy.id,
    redirect_uri: clients.legacy.redirectUri,
    scope: 'orders:read',
    state,
  });
  const implicitPage = await call(`/oauth/authorize?${implicitQuery}`, {
    headers: { cookie: 'session=alice' },
  });
  assert(implicitPage.status === 200, `implicit approval page ${implicitPage.status}`);
  const implicitHtml = await implicitPage.text();
  const implicitApprove = await call('/oauth/authorize', {
    method: 'POST',
    headers: { ...formHeaders, cookie: `session=alice; ${cookiesOf(implicitPage)}` },
    body: formBody({
      auth_token: hiddenField(implicitHtml, 'auth_token'),
      csrf_token: hiddenField(implicitHtml, 'csrf_token'),
    }),
  });
  assert(implicitApprove.status === 302, `implicit approve ${implicitApprove.status}`);
  const fragment = new URLSearchParams(new URL(implicitApprove.headers.get('location')).hash.slice(1));
  assert(fragment.get('access_token') && fragment.get('state') === state, 'implicit token in the fragment');
  assert(!fragment.get('refresh_token'), 'implicit gives no refresh token');
  const implicitMe = await call('/api/me', { headers: bearer(fragment.get('access_token')) });
  assert((await json(implicitMe)).user === 'alice', 'implicit token is alice');
  steps.push('implicit');

  // device authorization (RFC 8628): code, pending poll, the user approves on the device page,
  // the device gets tokens once
  const deviceResponse = await call('/oauth/device/code', {
    method: 'POST',
    headers: formHeaders,
    body: formBody({ client_id: clients.tv.id, scope: 'orders:read' }),
  });
  assert(deviceResponse.status === 200, `device authorization ${deviceResponse.status}`);
  const device = await json(deviceResponse);
  assert(device.verification_uri === `${base}/oauth/device`, 'verification_uri from the issuer');
  const poll = () =>
    token({
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
      device_code: device.device_code,
      client_id: clients.tv.id,
    });
  const pending = await poll();
  assert((await json(pending)).error === 'authorization_pending', 'authorization_pending');
  const devicePage = await call(`/oauth/device?user_code=${encodeURIComponent(device.user_code)}`, {
    headers: { cookie: 'session=alice' },
  });
  assert(devicePage.status === 200, `device page ${devicePage.status}`);
  const deviceHtml = await devicePage.text();
  assert(deviceHtml.includes('TV app'), 'device page names the client');
  const deviceApprove = await call('/oauth/device', {
    method: 'POST',
    headers: { ...formHeaders, cookie: `session=alice; ${cookiesOf(devicePage)}` },
    body: formBody({
      device_token: hiddenField(deviceHtml, 'device_token'),
      csrf_token: hiddenField(deviceHtml, 'csrf_token'),
      action: 'approve',
    }),
  });
  assert(deviceApprove.status === 200, `device approval ${deviceApprove.status}`);
  const deviceTokensResponse = await poll();
  assert(deviceTokensResponse.status === 200, `device token ${deviceTokensResponse.status}`);
  const deviceTokens = await json(deviceTokensResponse);
  const deviceMe = await call('/api/me', { headers: bearer(deviceTokens.access_token) });
  assert((await json(deviceMe)).user === 'alice', 'device token is alice');
  const secondPoll = await poll();
  assert((await json(secondPoll)).error === 'invalid_grant', 'a redeemed device code is invalid_grant');
  steps.push('device_code');

  // the JSON API for the signed-in user: scopes, own clients, own tokens
  const asAlice = { cookie: 'session=alice', origin: base };
  const apiJson = (method, path, body) =>
    call(path, {
      method,
      headers: { ...asAlice, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const scopes = await json(await apiJson('GET', '/oauth/scopes'));
  assert(
    scopes.some((scope) => scope.id === 'orders:read'),
    'scopes listed',
  );
  assert((await call('/oauth/clients')).status === 401, 'the JSON API needs a signed-in user');
  const crossSite = await call('/oauth/clients', {
    method: 'POST',
    headers: { cookie: 'session=alice', origin: 'https://evil.example', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Evil', redirect: 'https://evil.example/cb' }),
  });
  assert(
    crossSite.status === 403 && (await json(crossSite)).error === 'csrf_mismatch',
    `cross-site write refused (${crossSite.status})`,
  );
  const createdResponse = await apiJson('POST', '/oauth/clients', {
    name: 'Alice app',
    redirect: 'https://alice.example/callback',
  });
  assert(createdResponse.status === 201, `client created ${createdResponse.status}`);
  const created = await json(createdResponse);
  assert(created.secret && created.name === 'Alice app', 'new client with its secret shown once');
  const invalid = await apiJson('POST', '/oauth/clients', { name: '', redirect: 'not a url' });
  assert(invalid.status === 422, `invalid client is 422 (${invalid.status})`);
  const listed = await json(await apiJson('GET', '/oauth/clients'));
  assert(
    listed.length === 1 && listed[0].id === created.id && !('secret' in listed[0]),
    'own clients listed',
  );
  const updated = await apiJson('PUT', `/oauth/clients/${created.id}`, {
    name: 'Alice app 2',
    redirect: 'https://alice.example/callback',
  });
  assert(updated.status === 200 && (await json(updated)).name === 'Alice app 2', 'client updated');
  const aliceTokens = await json(await apiJson('GET', '/oauth/tokens'));
  const deviceToken = aliceTokens.find((listedToken) => listedToken.client_id === clients.tv.id);
  assert(deviceToken, 'the device token is among the user tokens');
  const revokedByUser = await apiJson('DELETE', `/oauth/tokens/${deviceToken.id}`);
  assert(revokedByUser.status === 204, `token revoked through the API (${revokedByUser.status})`);
  const afterUserRevoke = await call('/api/me', { headers: bearer(deviceTokens.access_token) });
  assert(
    afterUserRevoke.status === 401,
    `a token revoked through the API is refused (${afterUserRevoke.status})`,
  );
  const deleted = await apiJson('DELETE', `/oauth/clients/${created.id}`);
  assert(deleted.status === 204, `client deleted (${deleted.status})`);
  const gone = await token(
    { grant_type: 'client_credentials' },
    { authorization: `Basic ${btoa(`${created.id}:${created.secret}`)}` },
  );
  assert(gone.status === 401, `a deleted client cannot authenticate (${gone.status})`);
  steps.push('json_api');

  // personal access tokens through the JSON API
  const patResponse = await apiJson('POST', '/oauth/personal-access-tokens', {
    name: 'CLI',
    scopes: ['orders:read'],
  });
  assert(patResponse.status === 201, `personal access token created (${patResponse.status})`);
  const pat = await json(patResponse);
  const patMe = await call('/api/me', { headers: bearer(pat.accessToken) });
  assert((await json(patMe)).user === 'alice', 'personal access token is alice');
  const pats = await json(await apiJson('GET', '/oauth/personal-access-tokens'));
  assert(
    pats.length === 1 && pats[0].id === pat.token.id && pats[0].name === 'CLI',
    'personal access tokens listed',
  );
  const patDeleted = await apiJson('DELETE', `/oauth/personal-access-tokens/${pat.token.id}`);
  assert(patDeleted.status === 204, `personal access token revoked (${patDeleted.status})`);
  assert((await call('/api/me', { headers: bearer(pat.accessToken) })).status === 401, 'revoked PAT refused');
  steps.push('personal_access_token');

  // the first-party cookie: a page of the app sets it, the guard accepts it with the XSRF header
  const appPage = await call('/app', { headers: { cookie: 'session=alice' } });
  assert(appPage.status === 200, `app page ${appPage.status}`);
  const cookieHeader = cookiesOf(appPage);
  assert(cookieHeader.includes('passport_token='), 'first-party cookie set');
  const xsrf = decodeURIComponent(/XSRF-TOKEN=([^;]+)/.exec(cookieHeader)?.[1] ?? '');
  const withCookie = await call('/api/me', { headers: { cookie: cookieHeader, 'x-xsrf-token': xsrf } });
  assert(withCookie.status === 200, `cookie guard accepts the cookie (${withCookie.status})`);
  const cookieAuth = await json(withCookie);
  assert(cookieAuth.user === 'alice' && cookieAuth.via === 'cookie', 'the cookie authenticates alice');
  const withoutXsrf = await call('/api/me', { headers: { cookie: cookieHeader } });
  assert(withoutXsrf.status === 401, `the cookie without its XSRF header is refused (${withoutXsrf.status})`);
  const cookieOnClientRoute = await call('/api/reports', {
    headers: { cookie: cookieHeader, 'x-xsrf-token': xsrf },
  });
  assert(cookieOnClientRoute.status === 401, 'the cookie is a user: refused by the client guard');
  const renewed = await call('/oauth/token/refresh', {
    method: 'POST',
    headers: { cookie: `session=alice; ${cookieHeader}`, 'x-xsrf-token': xsrf },
  });
  assert(renewed.status === 204, `cookie renewed (${renewed.status})`);
  assert(cookiesOf(renewed).includes('passport_token='), 'renewal sets the cookie again');
  steps.push('first_party_cookie');

  // introspection (RFC 7662)
  const introspect = async (value, authorization = machineAuth) =>
    json(
      await call('/oauth/introspect', {
        method: 'POST',
        headers: { ...formHeaders, authorization },
        body: formBody({ token: value }),
      }),
    );
  const active = await introspect(cc.access_token);
  assert(active.active === true && active.client_id === clients.machine.id, 'introspection active');
  const activeUser = await introspect(passwordTokens.access_token);
  assert(
    activeUser.active === true && activeUser.sub === 'alice',
    'a resource server introspects a user token',
  );
  const refreshIntrospected = await introspect(passwordTokens.refresh_token, webAuth);
  assert(
    refreshIntrospected.active === true && refreshIntrospected.token_type === 'refresh_token',
    'a live refresh token is active to its own client',
  );
  assert(
    (await introspect(passwordTokens.refresh_token)).active === false,
    "a resource server never sees another client's refresh token",
  );
  assert((await introspect('not-a-token')).active === false, 'unknown token inactive');
  steps.push('introspect');

  // revocation (RFC 7009)
  const revoke = (value, authorization) =>
    call('/oauth/revoke', {
      method: 'POST',
      headers: { ...formHeaders, authorization },
      body: formBody({ token: value }),
    });
  const revoked = await revoke(cc.access_token, machineAuth);
  assert(revoked.status === 200, `revoke status ${revoked.status}`);
  assert((await introspect(cc.access_token)).active === false, 'revoked token inactive');
  const afterRevoke = await call('/api/orders', { headers: bearer(cc.access_token) });
  assert(afterRevoke.status === 401, 'revoked token refused by the guard');
  const revokedRefresh = await revoke(passwordTokens.refresh_token, webAuth);
  assert(revokedRefresh.status === 200, `refresh token revoked (${revokedRefresh.status})`);
  const afterRefreshRevoke = await token(
    { grant_type: 'refresh_token', refresh_token: passwordTokens.refresh_token },
    { authorization: webAuth },
  );
  assert(
    afterRefreshRevoke.status === 400,
    `a revoked refresh token is refused (${afterRefreshRevoke.status})`,
  );
  steps.push('revoke');

  // bad input
  const notFound = await call('/oauth/nothing');
  assert(notFound.status === 404 && (await json(notFound)).error === 'not_found', '404 JSON');
  const wrongMethod = await call('/oauth/token');
  assert(wrongMethod.status === 405 && wrongMethod.headers.get('allow') === 'POST', '405 with Allow');
  const tooLarge = await call('/oauth/token', {
    method: 'POST',
    headers: formHeaders,
    body: `grant_type=client_credentials&pad=${'a'.repeat(70 * 1024)}`,
  });
  assert(tooLarge.status === 413, `413 for a large body (${tooLarge.status})`);
  const nul = await token(
    { grant_type: 'password', username: 'alice\u0000', password: 'x' },
    { authorization: webAuth },
  );
  assert(
    nul.status === 400 && (await json(nul)).error === 'invalid_request',
    'a NUL byte is invalid_request',
  );
  const repeated = await call('/oauth/token', {
    method: 'POST',
    headers: { ...formHeaders, authorization: machineAuth },
    body: 'grant_type=client_credentials&scope=a&scope=b',
  });
  assert(repeated.status === 400, `a repeated parameter is refused (${repeated.status})`);
  steps.push('bad_input');

  return steps;
}
