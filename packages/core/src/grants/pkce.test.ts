import { describe, expect, it } from 'vitest';
import { OAuthError } from '../errors/oauth-error.js';
import { computeS256Challenge, isValidCodeVerifier, parseCodeChallenge, verifyCodeVerifier } from './pkce.js';

const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

describe('PKCE', () => {
  it('computes BASE64URL(SHA256(verifier))', () => {
    expect(computeS256Challenge(verifier)).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('verifies S256 and plain verifiers and rejects mismatches', () => {
    const challenge = computeS256Challenge(verifier);
    expect(verifyCodeVerifier(verifier, challenge, 'S256')).toBe(true);
    expect(verifyCodeVerifier(`${verifier}x`, challenge, 'S256')).toBe(false);
    expect(verifyCodeVerifier(verifier, verifier, 'plain')).toBe(true);
    expect(verifyCodeVerifier(verifier, challenge, 'plain')).toBe(false);
  });

  it('checks the verifier format: 43 to 128 of [A-Za-z0-9-._~]', () => {
    expect(isValidCodeVerifier('a'.repeat(43))).toBe(true);
    expect(isValidCodeVerifier('a'.repeat(128))).toBe(true);
    expect(isValidCodeVerifier('a'.repeat(42))).toBe(false);
    expect(isValidCodeVerifier('a'.repeat(129))).toBe(false);
    expect(isValidCodeVerifier(`${'a'.repeat(42)}/`)).toBe(false);
  });

  it('defaults the method to S256, or to plain (RFC 7636 4.3) only when plain is enabled', () => {
    expect(parseCodeChallenge(verifier, null)).toBe('S256');
    expect(parseCodeChallenge(verifier, null, { allowPlain: true })).toBe('plain');
    expect(parseCodeChallenge(verifier, 'plain', { allowPlain: true })).toBe('plain');
    expect(() => parseCodeChallenge(verifier, 'plain')).toThrow(OAuthError);
    expect(() => parseCodeChallenge(verifier, 'RS256')).toThrow(OAuthError);
    expect(() => parseCodeChallenge('short', 'S256')).toThrow(OAuthError);
  });
});
