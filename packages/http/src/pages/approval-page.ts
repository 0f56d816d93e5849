/** The approval pages: the user approves or denies a client's authorization or device request. */
import { escapeHtml, layout } from './layout.js';

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

/** The default approval page. */
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
