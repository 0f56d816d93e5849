import { describe, expect, it } from 'vitest';
import { textProblem } from './text.js';

describe('textProblem', () => {
  it('accepts ordinary text up to the limit, Unicode included', () => {
    expect(textProblem('Reporting job', { maxLength: 255 })).toBeNull();
    expect(textProblem('Zoë’s app ✓', { maxLength: 255 })).toBeNull();
    expect(textProblem('x'.repeat(255), { maxLength: 255 })).toBeNull();
    expect(textProblem('', { maxLength: 0 })).toBeNull();
  });

  it('refuses NUL, every other C0 control and DEL, and a value over the limit', () => {
    for (let code = 0; code < 0x20; code++) {
      expect(textProblem(`a${String.fromCharCode(code)}b`, { maxLength: 10 }), `U+${code}`).toBe(
        'control-character',
      );
    }
    expect(textProblem('a\u007fb', { maxLength: 10 })).toBe('control-character');
    expect(textProblem('x'.repeat(256), { maxLength: 255 })).toBe('too-long');
  });

  it('accepts the tab only when asked (passwords, RFC 6749 Appendix A)', () => {
    expect(textProblem('pass\tword', { maxLength: 20, allowTab: true })).toBeNull();
    expect(textProblem('pass\tword', { maxLength: 20 })).toBe('control-character');
    expect(textProblem('pass\nword', { maxLength: 20, allowTab: true })).toBe('control-character');
  });
});
