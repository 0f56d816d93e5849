/** The device verification page where the user types the code their device shows (RFC 8628 section 3.3). */
import { escapeHtml, layout } from './layout.js';
import type { DeviceCodePageModel } from './models.js';

/** The built-in page where the user types the code shown on their device (RFC 8628 section 3.3). */
export function deviceCodeEntryPage(model: DeviceCodePageModel): string {
  const error =
    model.error === null
      ? ''
      : `<p class="error" role="alert" id="code-error">${escapeHtml(model.error)}</p>\n`;
  return layout(
    'Connect a device',
    `<h1>Connect a device</h1>
<p>Enter the code shown on your device.</p>
${error}<form method="get" action="${escapeHtml(model.action)}">
<label for="user_code">Code</label>
<input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required value="${escapeHtml(model.userCode)}"${model.error === null ? '' : ' aria-invalid="true" aria-describedby="code-error"'}>
<div class="actions"><button type="submit" class="primary">Continue</button></div>
</form>`,
  );
}
