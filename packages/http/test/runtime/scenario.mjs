// The end-to-end scenario every runtime must pass. Plain JS and Web APIs only: it drives a server
// through `fetchImpl` and throws on the first broken expectation.

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

/**
 * Runs the scenario against `base` (for example `http://127.0.0.1:3000`). `keys` holds the kids of
 * the app's `active`, `next` and `previous` keys. Returns the names of the steps that passed.
 */
export async function runScenario(base, fetchImpl = globalThis.fetch, keys) {
  const steps = [];
  const call = (path, init = {}) => fetchImpl(`${base}${path}`, { redirect: 'manual', ...init });
  const json = async (response) => JSON.parse(await response.text());

  // metadata (RFC 8414)
  const metaResponse = await call('/.well-known/oauth-authorization-server');
  assert(metaResponse.status === 200, `metadata status ${metaResponse.status}`);
  const meta = await json(metaResponse);
  assert(meta.issuer === base, `issuer ${meta.issuer}`);
  assert(meta.token_endpoint === `${base}/oauth/token`, 'token_endpoint');
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
  const ccResponse = await call('/oauth/token', {
    method: 'POST',
    headers: { ...formHeaders, authorization: machineAuth },
    body: formBody({ grant_type: 'client_credentials', scope: 'orders:read' }),
  });
  assert(ccResponse.status === 200, `client_credentials status ${ccResponse.status}`);
  assert(ccResponse.headers.get('cache-control') === 'no-store', 'token response is no-store');
  assert(ccResponse.headers.get('pragma') === 'no-cache', 'token response has pragma');
  const cc = await json(ccResponse);
  assert(cc.token_type === 'Bearer' && cc.access_token && !cc.refresh_token, 'client_credentials body');
  const machineOrders = await call('/api/orders', {
    headers: { authorization: `Bearer ${cc.access_token}` },
  });
  assert(machineOrders.status === 200, `guarded route with cc token ${machineOrders.status}`);
  const machineBody = await json(machineOrders);
  assert(machineBody.user === null && machineBody.client === clients.machine.id, 'cc token has no user');
  steps.push('client_credentials');

  // keys from the environment: all three are published, the active key signs (the next one waits
  // for its activation time), and a token the previous key signed before the rotation still
  // passes the guard
  const published = jwks.keys.map((key) => key.kid).sort();
  const expected = [keys.active, keys.next, keys.previous].sort();
  assert(published.join() === expected.join(), `JWKS kids ${published} instead of ${expected}`);
  assert(kidOf(cc.access_token) === keys.active, 'the active key signs');
  assert(kidOf(clients.previousKeyToken) === keys.previous, 'the setup token was signed by the previous key');
  const previousOrders = await call('/api/orders', {
    headers: { authorization: `Bearer ${clients.previousKeyToken}` },
  });
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
  const field = (name) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1];
  const csrfCookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const approve = await call('/oauth/authorize', {
    method: 'POST',
    headers: { ...formHeaders, cookie: `session=alice; ${csrfCookie}` },
    body: formBody({ auth_token: field('auth_token'), csrf_token: field('csrf_token'), action: 'approve' }),
  });
  assert(approve.status === 302, `approve status ${approve.status}`);
  const callback = new URL(approve.headers.get('location'));
  assert(callback.searchParams.get('state') === state, 'state echoed');
  assert(callback.searchParams.get('iss') === base, 'iss in authorization response');
  const codeResponse = await call('/oauth/token', {
    method: 'POST',
    headers: formHeaders,
    body: formBody({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code'),
      redirect_uri: clients.spa.redirectUri,
      client_id: clients.spa.id,
      code_verifier: verifier,
    }),
  });
  assert(codeResponse.status === 200, `code exchange status ${codeResponse.status}`);
  const tokens = await json(codeResponse);
  assert(tokens.refresh_token, 'code exchange gives a refresh token');
  const userOrders = await json(
    await call('/api/orders', { headers: { authorization: `Bearer ${tokens.access_token}` } }),
  );
  assert(userOrders.user === 'alice', 'user token resolves to alice');
  steps.push('authorization_code_pkce');

  // refresh (rotation)
  const refresh = (token) =>
    call('/oauth/token', {
      method: 'POST',
      headers: formHeaders,
      body: formBody({ grant_type: 'refresh_token', refresh_token: token, client_id: clients.spa.id }),
    });
  const refreshedResponse = await refresh(tokens.refresh_token);
  assert(refreshedResponse.status === 200, `refresh status ${refreshedResponse.status}`);
  const refreshed = await json(refreshedResponse);
  assert(
    refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token,
    'refresh token rotated',
  );
  steps.push('refresh');

  // reuse detection: once the client has used its new refresh token, the rotated one presented
  // again (not a retry any more) revokes the family
  await sleep(5);
  const newestResponse = await refresh(refreshed.refresh_token);
  assert(newestResponse.status === 200, `second refresh status ${newestResponse.status}`);
  const newest = await json(newestResponse);
  const reuse = await refresh(tokens.refresh_token);
  assert(reuse.status === 400 && (await json(reuse)).error === 'invalid_grant', 'reuse is invalid_grant');
  const afterReuse = await call('/api/orders', {
    headers: { authorization: `Bearer ${newest.access_token}` },
  });
  assert(afterReuse.status === 401, `family revoked after reuse (${afterReuse.status})`);
  assert((await refresh(newest.refresh_token)).status === 400, 'latest refresh token revoked too');
  steps.push('reuse_detection');

  // introspection (RFC 7662)
  const introspect = async (token) =>
    json(
      await call('/oauth/introspect', {
        method: 'POST',
        headers: { ...formHeaders, authorization: machineAuth },
        body: formBody({ token }),
      }),
    );
  const active = await introspect(cc.access_token);
  assert(active.active === true && active.client_id === clients.machine.id, 'introspection active');
  steps.push('introspect');

  // revocation (RFC 7009)
  const revoked = await call('/oauth/revoke', {
    method: 'POST',
    headers: { ...formHeaders, authorization: machineAuth },
    body: formBody({ token: cc.access_token }),
  });
  assert(revoked.status === 200, `revoke status ${revoked.status}`);
  assert((await introspect(cc.access_token)).active === false, 'revoked token inactive');
  const afterRevoke = await call('/api/orders', { headers: { authorization: `Bearer ${cc.access_token}` } });
  assert(afterRevoke.status === 401, 'revoked token refused by the guard');
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
  steps.push('bad_input');

  return steps;
}
