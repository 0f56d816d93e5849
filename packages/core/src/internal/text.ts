/**
 * Why {@link textProblem} refuses a value: longer than allowed, or holding a control character
 * (NUL, the other C0 controls, DEL). PostgreSQL refuses NUL in text outright, and no OAuth
 * parameter, id or name legitimately carries a control character.
 */
export type TextProblem = 'too-long' | 'control-character';

/** Options of {@link textProblem}. */
export interface TextRules {
  /** Longest accepted value, in UTF-16 code units. */
  maxLength: number;
  /**
   * Accept the horizontal tab (U+0009), which RFC 6749 Appendix A allows in `username` and
   * `password` (UNICODECHARNOCRLF). Every other control character is refused regardless.
   * @default false
   */
  allowTab?: boolean;
}

/**
 * Checks one piece of request text before it goes any further: at most `maxLength` code units and
 * no control character (U+0000 to U+001F, U+007F; the tab only with `allowTab`). One linear scan
 * that stops at the first problem; returns `null` when the value is fine.
 *
 * Every identifier and text field taken from a request goes through it at the HTTP boundary
 * (`@passport/http`), and core uses it for the client id of a Basic `Authorization` header.
 *
 * @example
 * ```ts
 * textProblem('Reporting job', { maxLength: 255 }); // null
 * textProblem('a\u0000b', { maxLength: 255 }); // 'control-character'
 * ```
 * @see https://www.rfc-editor.org/rfc/rfc6749#appendix-A
 */
export function textProblem(value: string, rules: TextRules): TextProblem | null {
  if (value.length > rules.maxLength) return 'too-long';
  const allowTab = rules.allowTab === true;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 ? !(allowTab && code === 0x09) : code === 0x7f) return 'control-character';
  }
  return null;
}
