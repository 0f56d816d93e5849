/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const styles = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2328}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:0 0 1rem}ul{padding-left:1.25rem}li{margin:.25rem 0}
.actions{display:flex;gap:.75rem;margin-top:1.5rem}
button{flex:1;font:inherit;padding:.6rem 1rem;border-radius:.5rem;border:1px solid #8c959f;background:#fff;cursor:pointer}
button.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}
button:focus-visible,input:focus-visible{outline:3px solid #0969da;outline-offset:2px}
label{display:block;font-weight:600;margin-bottom:.35rem}
input{font:inherit;width:100%;padding:.55rem;border:1px solid #8c959f;border-radius:.5rem;letter-spacing:.15em;text-transform:uppercase}
.error{color:#a40e26}.muted{color:#57606a}`;

/** Wraps `body` in a complete, accessible HTML document. */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)}</title>
<style>${styles}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

/** A scope as shown to the user. */
export interface ScopeView {
  id: string;
  description: string;
}

function scopeList(scopes: readonly ScopeView[]): string {
  if (scopes.length === 0) return '<p class="muted">No special permissions.</p>';
  const items = scopes
    .map((scope) => `<li><span>${escapeHtml(scope.description || scope.id)}</span></li>`)
    .join('\n');
  return `<p>This application will be able to:</p>\n<ul>\n${items}\n</ul>`;
}

/** The Approve/Deny form shared by the authorization and device approval pages. */
function decisionForm(action: string, tokenField: string, token: string, csrfToken: string): string {
  return `<form method="post" action="${escapeHtml(action)}" aria-labelledby="title">
<input type="hidden" name="${tokenField}" value="${escapeHtml(token)}">
<input type="hidden" name="csrf_token" value="${escapeHtml(csrfToken)}">
<div class="actions">
<button type="submit" name="action" value="deny">Deny</button>
<button type="submit" name="action" value="approve" class="primary">Approve</button>
</div>
</form>`;
}

/** The default approval page (PARITY A1, A9). */
export function approvalPage(input: {
  clientName: string;
  scopes: readonly ScopeView[];
  action: string;
  authToken: string;
  csrfToken: string;
}): string {
  return layout(
    `Authorize ${input.clientName}`,
    `<h1 id="title">Authorization request</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> is requesting permission to access your account.</p>
${scopeList(input.scopes)}
${decisionForm(input.action, 'auth_token', input.authToken, input.csrfToken)}`,
  );
}

/** An error page (an authorization request that cannot be redirected back, PARITY A2). */
export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}

/** The page where the user types the code shown on their device (RFC 8628 section 3.3). */
export function deviceCodeEntryPage(input: { action: string; error?: string; userCode?: string }): string {
  const error =
    input.error === undefined
      ? ''
      : `<p class="error" role="alert" id="code-error">${escapeHtml(input.error)}</p>\n`;
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
${error}<form method="get" action="${escapeHtml(input.action)}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="${escapeHtml(input.userCode ?? '')}"${input.error === undefined ? '' : ' aria-invalid="true" aria-describedby="code-error"'}>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>`,
  );
}

/** The device approval page: the same Approve/Deny choice as the authorization page. */
export function deviceApprovalPage(input: {
  clientName: string;
  userCode: string;
  scopes: readonly ScopeView[];
  action: string;
  deviceToken: string;
  csrfToken: string;
}): string {
  return layout(
    `Authorize ${input.clientName}`,
    `<h1 id="title">Connect ${escapeHtml(input.clientName)}</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> is requesting access to your account from a device showing the code <strong>${escapeHtml(input.userCode)}</strong>.</p>
${scopeList(input.scopes)}
${decisionForm(input.action, 'device_token', input.deviceToken, input.csrfToken)}`,
  );
}

/** The page shown after a device decision. */
export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="status">${escapeHtml(message)}</p>`);
}
