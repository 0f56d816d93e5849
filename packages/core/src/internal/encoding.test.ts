import { describe, expect, it } from 'vitest';
import { base64urlText, encodeBase64url, utf8 } from './encoding.js';

describe('base64urlText', () => {
  it('encodes the UTF-8 bytes of ASCII and non-ASCII text like encodeBase64url(utf8(text))', () => {
    const samples = [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      '{"sub":"x?>>~~"}',
      'é',
      'naïve café ☕',
      '\u{1F600}',
      '\x7f\x00',
    ];
    for (const text of samples) {
      const expected = encodeBase64url(utf8(text));
      expect(base64urlText(text), JSON.stringify(text)).toBe(expected);
      expect(base64urlText(text)).toMatch(/^[A-Za-z0-9_-]*$/);
    }
    // '+' and '/' of standard base64 become '-' and '_', padding is dropped
    expect(base64urlText('>>>?')).toBe('Pj4-Pw');
    expect(base64urlText('???')).toBe('Pz8_');
  });
});
