/** The device verification page where the user types the code their device shows (RFC 8628 section 3.3). */
import { escapeHtml, layout } from './layout.js';

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
