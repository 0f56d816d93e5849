/** The approval pages: the user approves or denies a client's authorization or device request. */
import type { ScopeDefinition } from '@passport/core';
import { escapeHtml, layout } from './layout.js';
import type { ApprovalPageModel, DeviceApprovalPageModel } from './models.js';

function scopeList(scopes: readonly ScopeDefinition[]): string {
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

/** The built-in approval page of `GET /oauth/authorize`. */
export function approvalPage(model: ApprovalPageModel): string {
  const name = model.client.name;
  return layout(
    `Authorize ${name}`,
    `<h1 id="title">Authorization request</h1>
<p><strong>${escapeHtml(name)}</strong> is requesting permission to access your account.</p>
${scopeList(model.scopes)}
${decisionForm(model.action, 'auth_token', model.authToken, model.csrfToken)}`,
  );
}

/** The built-in device confirmation page: the same Approve/Deny choice as the authorization page. */
export function deviceApprovalPage(model: DeviceApprovalPageModel): string {
  const name = escapeHtml(model.client.name);
  return layout(
    `Authorize ${model.client.name}`,
    `<h1 id="title">Connect ${name}</h1>
<p><strong>${name}</strong> is requesting access to your account from a device showing the code <strong>${escapeHtml(model.userCode)}</strong>.</p>
${scopeList(model.scopes)}
${decisionForm(model.action, 'device_token', model.deviceToken, model.csrfToken)}`,
  );
}
