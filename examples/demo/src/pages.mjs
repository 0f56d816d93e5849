// @ts-check
/**
 * The demo's own pages: home, login and the client application. Passport's pages (approval,
 * device) come from `@passport/http`.
 * @module
 */

/**
 * Escapes text for HTML.
 * @param {unknown} value
 */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const style = `
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; line-height: 1.5; }
  body { max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; }
  code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
  pre { background: color-mix(in srgb, currentColor 8%, transparent); padding: 0.75rem; overflow-x: auto; border-radius: 6px; white-space: pre-wrap; word-break: break-all; }
  button, input { font: inherit; padding: 0.4rem 0.8rem; }
  label { display: block; margin: 0.5rem 0; }
  table { border-collapse: collapse; } td, th { text-align: left; padding: 0.2rem 0.8rem 0.2rem 0; vertical-align: top; }
  .steps button { margin: 0.25rem 0.5rem 0.25rem 0; }
  .error { color: #c62828; } .ok { color: #2e7d32; }
`;

/**
 * @typedef {import('./session.mjs').Session} Session
 */

/**
 * A complete page. The sign-out form carries the session's CSRF token.
 * @param {string} title
 * @param {string} body
 * @param {Session | null} session
 */
export function layout(title, body, session) {
  const who = session
    ? `Signed in as <strong>${escapeHtml(session.user.email)}</strong> <form method="post" action="/logout" style="display:inline"><input type="hidden" name="csrf_token" value="${escapeHtml(session.csrf)}"><button>Sign out</button></form>`
    : '<a href="/login">Sign in</a>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Passport demo</title><style>${style}</style></head>
<body><header><h1><a href="/">Passport demo</a></h1><div id="who">${who}</div></header>
<main>${body}</main></body></html>`;
}

/**
 * @typedef {{ id: string; name: string; secret: string | null; kind: string }} DemoClientInfo
 */

/**
 * The home page. Client secrets (the backend service's) are shown to a signed-in user only.
 * @param {{ issuer: string; clients: DemoClientInfo[]; session: Session | null }} input
 */
export function homePage({ issuer, clients, session }) {
  /** @param {DemoClientInfo} client */
  const secretCell = (client) =>
    !client.secret
      ? '<em>public, no secret</em>'
      : session
        ? `<code>${escapeHtml(client.secret)}</code>`
        : '<em><a href="/login">sign in</a> to see it</em>';
  const rows = clients
    .map(
      (client) =>
        `<tr><td>${escapeHtml(client.name)}<br><small>${escapeHtml(client.kind)}</small></td><td><code>${escapeHtml(client.id)}</code></td><td>${secretCell(client)}</td></tr>`,
    )
    .join('');
  const backend = clients.find((client) => client.kind === 'client credentials');
  const tv = clients.find((client) => client.kind === 'device flow');
  return layout(
    'Home',
    `<p>A complete OAuth 2 authorization server built with Passport for TypeScript. Sign in as
<code>demo@example.com</code> / <code>password</code>.</p>
<h2>Try it</h2>
<ul>
  <li><a href="/client">The client application</a>: authorization code + PKCE, refresh, a protected API call, revocation.</li>
  <li><a href="/oauth/device">The device page</a>: enter a user code from the device flow below.</li>
  <li>JSON API for the signed-in user: <a href="/oauth/clients">/oauth/clients</a>, <a href="/oauth/tokens">/oauth/tokens</a>,
      <a href="/oauth/scopes">/oauth/scopes</a>, <a href="/oauth/personal-access-tokens">/oauth/personal-access-tokens</a></li>
  <li>Discovery: <a href="/.well-known/oauth-authorization-server">/.well-known/oauth-authorization-server</a>, <a href="/oauth/jwks">/oauth/jwks</a></li>
  <li>The API: <code>GET /api/me</code> (users' tokens, <code>profile</code> scope), <code>GET /api/client</code> (client-credentials tokens), <code>GET /api/whoami</code> (both)</li>
</ul>
<h2>Clients</h2>
<table><tr><th>Client</th><th>ID</th><th>Secret</th></tr>${rows}</table>
${
  backend?.secret && session
    ? `<h3>Client credentials</h3><pre>curl -s -u ${escapeHtml(backend.id)}:${escapeHtml(backend.secret)} -d grant_type=client_credentials ${escapeHtml(issuer)}/oauth/token
# then, with its access_token (GET /api/me answers it 401: that route is for users):
curl -s -H "Authorization: Bearer ACCESS_TOKEN" ${escapeHtml(issuer)}/api/client</pre>`
    : ''
}
${
  tv
    ? `<h3>Device flow</h3><pre>curl -s -d client_id=${escapeHtml(tv.id)} -d scope=profile ${escapeHtml(issuer)}/oauth/device/code
# open the verification_uri, enter the user_code, approve, then:
curl -s -d grant_type=urn:ietf:params:oauth:grant-type:device_code -d client_id=${escapeHtml(tv.id)} -d device_code=DEVICE_CODE ${escapeHtml(issuer)}/oauth/token</pre>`
    : ''
}`,
    session,
  );
}

/**
 * The login page; `csrf` is the token bound to the browser's pre-login cookie.
 * @param {{ returnTo: string; error: string | null; session: Session | null; csrf: string }} input
 */
export function loginPage({ returnTo, error, session, csrf }) {
  return layout(
    'Sign in',
    `<h2>Sign in</h2>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">
  <input type="hidden" name="return_to" value="${escapeHtml(returnTo)}">
  <input type="hidden" name="csrf_token" value="${escapeHtml(csrf)}">
  <label>Email <input name="email" type="email" autocomplete="username" value="demo@example.com" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" id="sign-in">Sign in</button>
</form>
<p><small>Demo users: <code>demo@example.com</code> / <code>password</code>, <code>alice@example.com</code> / <code>wonderland</code>.</small></p>`,
    session,
  );
}

/**
 * The client application: a single page that plays an OAuth client in the browser (a public
 * client: authorization code with PKCE, no secret).
 * @param {{ clientId: string; scope: string; session: Session | null }} input
 */
export function clientPage({ clientId, scope, session }) {
  const config = JSON.stringify({ clientId, scope }).replace(/</g, '\\u003c');
  return layout(
    'Client application',
    `<h2>The client application</h2>
<p>This page is an OAuth client of the demo server (a public client: no secret, PKCE). Each button is one step.</p>
<div class="steps">
  <button id="authorize">1. Authorize (code + PKCE)</button>
  <button id="call-api" disabled>2. Call GET /api/me</button>
  <button id="refresh" disabled>3. Refresh the tokens</button>
  <button id="revoke" disabled>4. Revoke the access token</button>
  <button id="reset">Start over</button>
</div>
<p id="status" role="status">Not authorized yet.</p>
<h3>Access token</h3><pre id="access-token"></pre>
<h3>Its claims</h3><pre id="claims"></pre>
<h3>Refresh token</h3><pre id="refresh-token"></pre>
<h3>Last API call</h3><p>Status: <strong id="api-status">none</strong></p><pre id="api-result"></pre>
<h3>Log</h3><pre id="log"></pre>
<script type="module">
const config = ${config};
const redirectUri = location.origin + '/client/callback';
const $ = (id) => document.getElementById(id);
const tokens = () => JSON.parse(sessionStorage.getItem('demo.tokens') ?? 'null');
const log = (line) => { $('log').textContent += line + '\\n'; };
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const random = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

function show() {
  const current = tokens();
  $('access-token').textContent = current?.access_token ?? '';
  $('refresh-token').textContent = current?.refresh_token ?? '';
  $('claims').textContent = current ? JSON.stringify(JSON.parse(atob(current.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))), null, 2) : '';
  for (const id of ['call-api', 'refresh', 'revoke']) $(id).disabled = !current;
}

async function tokenRequest(params) {
  const response = await fetch('/oauth/token', { method: 'POST', body: new URLSearchParams(params) });
  const body = await response.json();
  log('POST /oauth/token (' + params.grant_type + ') -> ' + response.status + (body.error ? ' ' + body.error : ''));
  if (!response.ok) throw new Error(body.error_description ?? body.error);
  sessionStorage.setItem('demo.tokens', JSON.stringify(body));
  show();
  return body;
}

$('authorize').onclick = async () => {
  const verifier = random();
  const state = random();
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem('demo.pkce', JSON.stringify({ verifier, state }));
  const url = new URL('/oauth/authorize', location.origin);
  url.search = new URLSearchParams({ response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri,
    scope: config.scope, state, code_challenge: challenge, code_challenge_method: 'S256' }).toString();
  location.assign(url);
};

$('call-api').onclick = async () => {
  const response = await fetch('/api/me', { headers: { authorization: 'Bearer ' + tokens().access_token } });
  const text = await response.text();
  $('api-status').textContent = String(response.status);
  $('api-result').textContent = (response.headers.get('www-authenticate') ? 'WWW-Authenticate: ' + response.headers.get('www-authenticate') + '\\n' : '') + text;
  log('GET /api/me -> ' + response.status);
  $('status').textContent = response.ok ? 'The API accepted the access token.' : 'The API refused the access token.';
};

$('refresh').onclick = async () => {
  try {
    await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens().refresh_token, client_id: config.clientId });
    $('status').textContent = 'Refreshed: a new access token and a new refresh token (the old ones are spent).';
  } catch (error) { $('status').textContent = 'Refresh failed: ' + error.message; }
};

$('revoke').onclick = async () => {
  const response = await fetch('/oauth/revoke', { method: 'POST', body: new URLSearchParams({
    token: tokens().access_token, token_type_hint: 'access_token', client_id: config.clientId }) });
  log('POST /oauth/revoke -> ' + response.status);
  $('status').textContent = response.ok ? 'Revoked: the access token (and its refresh token) no longer work.' : 'Revocation failed.';
};

$('reset').onclick = () => { sessionStorage.clear(); $('log').textContent = ''; $('api-status').textContent = 'none'; $('api-result').textContent = ''; $('status').textContent = 'Not authorized yet.'; show(); };

async function callback() {
  const params = new URLSearchParams(location.search);
  history.replaceState(null, '', '/client');
  const pending = JSON.parse(sessionStorage.getItem('demo.pkce') ?? 'null');
  sessionStorage.removeItem('demo.pkce');
  if (params.get('error')) { $('status').textContent = 'Authorization failed: ' + params.get('error'); log('authorize -> ' + params.get('error')); return; }
  if (!pending || params.get('state') !== pending.state) { $('status').textContent = 'State mismatch: ignored.'; return; }
  log('authorize -> code received (iss ' + params.get('iss') + ')');
  try {
    await tokenRequest({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri,
      client_id: config.clientId, code_verifier: pending.verifier });
    $('status').textContent = 'Authorized: the code was exchanged for tokens.';
  } catch (error) { $('status').textContent = 'Token request failed: ' + error.message; }
}

show();
if (location.pathname === '/client/callback') callback();
</script>`,
    session,
  );
}
