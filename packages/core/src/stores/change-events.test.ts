import { describe, expect, it } from 'vitest';
import { formatStoreChange, parseStoreChange } from './change-events.js';
import type { StoreChangeEvent } from './store.js';

describe('store change events as feed messages', () => {
  it('reads back every kind it writes', () => {
    const events: StoreChangeEvent[] = [
      { type: 'accessTokens', ids: ['jti-1', 'jti-2'] },
      { type: 'family', familyId: 'f'.repeat(64) },
      { type: 'client', clientId: '42' },
      { type: 'reset' },
    ];
    for (const event of events) expect(parseStoreChange(formatStoreChange(event))).toEqual(event);
  });

  it('answers null for a message that is not an event, and keeps only the known fields', () => {
    for (const message of [
      '',
      'not json',
      'null',
      '42',
      '"accessTokens"',
      '{"type":"accessTokens","ids":[1]}',
      '{"type":"accessTokens","ids":"jti"}',
      '{"type":"family"}',
      '{"type":"client","clientId":7}',
      '{"type":"everything"}',
    ]) {
      expect(parseStoreChange(message), message).toBeNull();
    }
    expect(parseStoreChange('{"type":"client","clientId":"c","extra":true}')).toEqual({
      type: 'client',
      clientId: 'c',
    });
  });
});
