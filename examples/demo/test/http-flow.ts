/**
 * A browser's part of the demo's flows, over plain HTTP: cookies, the login form, the
 * authorization code flow with PKCE through Passport's approval page, and the token endpoint.
 */
import { createHash, randomBytes } from 'node:crypto';

/** The `name=value` pairs of a response's `Set-Cookie` headers, and the headers themselves. */
export function cookiesOf(response: Response): { jar: Map<string, string>; raw: string[] } {
  const jar = new Map<string, string>();
  const raw = response.headers.getSetCookie();
  for (const cookie of raw) {
    const pair = cookie.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    jar.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return { jar, raw };
}

/** The `Cookie` header for a jar (cleared cookies left out). */
export const header = (jar: Map<string, string>) =>
  [...jar]
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

/** The value of the hidden form field `name` in a page. */
export function hidden(html: string, name: string): string {
  const marker = `name="${name}" value="`;
  const start = html.indexOf(marker);
  if (start < 0) throw new Error(`no ${name} in the page`);
  return html.slice(start + marker.length, html.indexOf('"', start + marker.length));
}

/** A form post without following redirects. */
export function postForm(url: string, body: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
}

/** Signs in as the demo user on the demo at `base`; returns the browser's cookie jar. */
export async function signIn(base: string): Promise<Map<string, string>> {
  const page = await fetch(`${base}/login?return_to=%2F`, { redirect: 'manual' });
  const jar = cookiesOf(page).jar;
  const csrf = hidden(await page.text(), 'csrf_token');
  const answer = await postForm(
    `${base}/login`,
    { email: 'demo@example.com', password: 'password', return_to: '/', csrf_token: csrf },
    { cookie: header(jar) },
  );
  if (answer.status !== 303) throw new Error(`login answered ${answer.status}`);
  for (const [name, value] of cookiesOf(answer).jar) jar.set(name, value);
  return jar;
}

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The redirect URI of the demo's client app that matches any port (RFC 8252 loopback). */
export const APP_REDIRECT_URI = 'http://127.0.0.1/client/callback';

/** The approval page of an authorization request, and what its form posts. */
export interface ApprovalForm {
  /** The page's status (200 when the approval page is shown). */
  status: number;
  /** The form's action, relative to the demo. */
  action: string;
  /** The form's fields for "Approve". */
  fields: Record<string, string>;
  /** The browser's cookies after the page (the session and Passport's CSRF cookie). */
  jar: Map<string, string>;
}

/**
 * Opens `/oauth/authorize` for the client app on the demo at `base`, signed in with `jar`. A user
 * who already granted `scope` to the client is not asked again (status 302).
 */
export async function approvalForm(
  base: string,
  jar: Map<string, string>,
  clientId: string,
  challenge: string,
  scope = 'profile',
): Promise<ApprovalForm> {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: APP_REDIRECT_URI,
    scope,
    state: 'xyz',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const page = await fetch(`${base}/oauth/authorize?${query}`, {
    redirect: 'manual',
    headers: { cookie: header(jar) },
  });
  const next = new Map(jar);
  for (const [name, value] of cookiesOf(page).jar) next.set(name, value);
  if (page.status !== 200) return { status: page.status, action: '', fields: {}, jar: next };
  const html = await page.text();
  const actionAt = html.indexOf('action="') + 'action="'.length;
  const action = html.slice(actionAt, html.indexOf('"', actionAt)).replaceAll('&amp;', '&');
  return {
    status: page.status,
    action: new URL(action, 'http://demo.invalid').pathname,
    fields: {
      auth_token: hidden(html, 'auth_token'),
      csrf_token: hidden(html, 'csrf_token'),
      action: 'approve',
    },
    jar: next,
  };
}

/** Posts an approval form to the demo at `base`; returns the code from the redirect, or the answer. */
export async function approve(
  base: string,
  form: ApprovalForm,
): Promise<{ status: number; code: string | null }> {
  const answer = await postForm(`${base}${form.action}`, form.fields, { cookie: header(form.jar) });
  const location = answer.headers.get('location');
  const code = location === null ? null : new URL(location).searchParams.get('code');
  return { status: answer.status, code };
}

/** A token response of the demo (or its error). */
export interface TokenAnswer {
  status: number;
  body: {
    access_token?: string;
    refresh_token?: string;
    expires_in?: number;
    error?: string;
  };
}

/** Posts to the token endpoint of the demo at `base`. */
export async function token(
  base: string,
  params: Record<string, string>,
  authorization?: string,
): Promise<TokenAnswer> {
  const answer = await postForm(`${base}/oauth/token`, params, authorization ? { authorization } : {});
  return { status: answer.status, body: (await answer.json()) as TokenAnswer['body'] };
}

/** The claims of a JWT (not verified: the tests read what the server wrote). */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
