/** The HTML shell every page Passport renders shares, and the plain message pages. */

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
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1f2328}
main{max-width:28rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px #0000001f}
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

/** An error page (an authorization request that cannot be redirected back). */
export function errorPage(title: string, message: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}

/** The page shown after a device decision. */
export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1>\n<p role="status">${escapeHtml(message)}</p>`);
}
