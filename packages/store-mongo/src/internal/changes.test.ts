import { describe, expect, it } from 'vitest';
import { collectionNames } from '../indexes.js';
import { toChangeEvent } from './changes.js';

// The change stream events MongoDB sends (shapes from its change event documentation), as the
// feed's pipeline projects them. Only a replica set sends them, so the mapping is tested here.
const names = collectionNames('oauth_');

describe('toChangeEvent', () => {
  it('a token document updated to revoked: true is an accessTokens event for its jti', () => {
    expect(
      toChangeEvent(names, {
        operationType: 'update',
        ns: { coll: 'oauth_tokens' },
        documentKey: { _id: 'jti-1' },
        updateDescription: { updatedFields: { revoked: true } },
      }),
    ).toEqual({ type: 'accessTokens', ids: ['jti-1'] });
  });

  it('a token document deleted (purge) or replaced is an accessTokens event', () => {
    for (const operationType of ['delete', 'replace']) {
      expect(
        toChangeEvent(names, { operationType, ns: { coll: 'oauth_tokens' }, documentKey: { _id: 'jti-2' } }),
      ).toEqual({ type: 'accessTokens', ids: ['jti-2'] });
    }
  });

  it('other token updates are ignored', () => {
    expect(
      toChangeEvent(names, {
        operationType: 'update',
        ns: { coll: 'oauth_tokens' },
        documentKey: { _id: 'jti-3' },
        updateDescription: { updatedFields: {} },
      }),
    ).toBeNull();
  });

  it('a client document updated, replaced or deleted is a client event', () => {
    for (const operationType of ['update', 'replace', 'delete']) {
      expect(
        toChangeEvent(names, {
          operationType,
          ns: { coll: 'oauth_clients' },
          documentKey: { _id: 'client-1' },
        }),
      ).toEqual({ type: 'client', clientId: 'client-1' });
    }
  });

  it('inserts, other collections, other prefixes and non-string keys are ignored', () => {
    expect(
      toChangeEvent(names, {
        operationType: 'insert',
        ns: { coll: 'oauth_tokens' },
        documentKey: { _id: 'x' },
      }),
    ).toBeNull();
    expect(
      toChangeEvent(names, {
        operationType: 'delete',
        ns: { coll: 'other_tokens' },
        documentKey: { _id: 'x' },
      }),
    ).toBeNull();
    expect(
      toChangeEvent(names, {
        operationType: 'delete',
        ns: { coll: 'oauth_marks' },
        documentKey: { _id: 'x' },
      }),
    ).toBeNull();
    expect(
      toChangeEvent(names, {
        operationType: 'delete',
        ns: { coll: 'oauth_clients' },
        documentKey: { _id: 7 },
      }),
    ).toBeNull();
  });
});
