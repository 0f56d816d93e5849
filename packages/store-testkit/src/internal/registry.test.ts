import { describe, expect, it } from 'vitest';
import { SkipRegistry } from './registry.js';

describe('SkipRegistry', () => {
  const entries = [
    { reason: 'no TTL control', tests: ['nonces > purge drops expired markers and keeps live ones'] },
    { reason: 'single connection', tests: ['races (50 concurrent callers, one id)'] },
  ];

  it('skips a test listed by its full name, with its reason', () => {
    const registry = new SkipRegistry('demo', entries, () => {});
    expect(registry.reasonFor(['nonces', 'purge drops expired markers and keeps live ones'])).toBe(
      'no TTL control',
    );
  });

  it('skips every test of a listed group', () => {
    const registry = new SkipRegistry('demo', entries, () => {});
    expect(
      registry.reasonFor(['races (50 concurrent callers, one id)', 'useNonce: exactly one caller gets true']),
    ).toBe('single connection');
  });

  it('runs tests that are not listed, including same titles in other groups', () => {
    const registry = new SkipRegistry('demo', entries, () => {});
    expect(registry.reasonFor(['purge', 'purge drops expired markers and keeps live ones'])).toBeNull();
    expect(registry.reasonFor(['nonces', 'markers are independent'])).toBeNull();
  });

  it('reports skip entries that matched nothing, so a typo cannot silently run a test', () => {
    const registry = new SkipRegistry('demo', entries, () => {});
    registry.reasonFor(['nonces', 'purge drops expired markers and keeps live ones']);
    expect(registry.unmatched()).toEqual(['races (50 concurrent callers, one id)']);
  });

  it('rejects a skip entry without a reason', () => {
    expect(() => new SkipRegistry('demo', [{ reason: '  ', tests: ['nonces'] }], () => {})).toThrow(
      /needs a non-empty reason/,
    );
  });
});
