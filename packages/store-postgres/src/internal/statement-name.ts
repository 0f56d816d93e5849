/**
 * The name a driver prepares `sql` under: a 53-bit string hash of its text plus its length, so two
 * drivers on one connection (or one PGlite instance) never give one name to two different texts.
 */
export function statementName(sql: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return `passport_${hash.toString(36)}_${sql.length.toString(36)}`;
}
