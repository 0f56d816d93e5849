/** Redirect URI matching at the authorization and token endpoints (RFC 6749 section 3.1.2.3). */

const loopbackHosts = new Set(['127.0.0.1', '[::1]']);

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * `true` when `requested` matches a registered redirect URI: exact string comparison, except that
 * for a loopback IP literal (`127.0.0.1`, `[::1]`) over http the port is ignored (RFC 8252
 * section 7.3). `localhost` is not treated as loopback.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8252#section-7.3
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const wanted = parseUrl(requested);
  if (wanted === null || wanted.protocol !== 'http:' || !loopbackHosts.has(wanted.hostname)) return false;
  if (requested.includes('#')) return false;
  return registered.some((candidate) => {
    const url = parseUrl(candidate);
    return (
      url !== null &&
      url.protocol === 'http:' &&
      url.hostname === wanted.hostname &&
      url.pathname === wanted.pathname &&
      url.search === wanted.search &&
      url.username === wanted.username &&
      url.password === wanted.password
    );
  });
}
