import { expect } from 'vitest';
import { makeClient, makeTokenPair, uniqueId } from '../fixtures.js';
import { at, issuedFor, type SuiteContext } from '../internal/helpers.js';

/**
 * Ids a store may be unable to represent: each must simply match nothing. Between them they cover
 * every id type a store may use (UUID, integer, text columns, documents, keys).
 */
const badIds: ReadonlyArray<readonly [string, string]> = [
  ['a malformed UUID', 'not-a-uuid'],
  ['a NUL byte', 'abc\u0000def'],
  ['10,000 characters', 'x'.repeat(10_000)],
  ['a number too large for a 64-bit integer', '99999999999999999999999'],
  ['a negative number', '-1'],
  ['a number (the wrong type for UUID ids)', '12345'],
  ['a UUID (the wrong type for integer ids)', '9b2f0f1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b'],
  ['an empty string', ''],
  ['a lone surrogate', 'id-\ud800'],
];

/**
 * The rule "any string is a valid id argument": an id the store cannot represent matches
 * nothing. Reads answer `null` / `[]`, revokes `false` / `0`, updates `null`, the atomic steps
 * `null` with nothing written; nothing throws.
 */
export function registerInvalidIdSuite({ suite, store }: SuiteContext): void {
  suite.describe('ids the store cannot represent match nothing, never throw', (invalid) => {
    for (const [label, id] of badIds) {
      invalid.it(`clients: ${label}`, async () => {
        await store().createClient(makeClient());
        expect(await store().findClient(id)).toBeNull();
        expect(await store().updateClient(id, { name: 'x', updatedAt: at(0) })).toBeNull();
        expect(await store().deleteClient(id)).toBe(false);
        expect(await store().listClientsByOwner(id)).toEqual([]);
      });

      invalid.it(`tokens: ${label}`, async () => {
        const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(pair);
        expect(await store().findAccessToken(id)).toBeNull();
        expect(await store().findRefreshToken(id)).toBeNull();
        expect(await store().revokeAccessToken(id)).toBe(false);
        expect(await store().revokeRefreshToken(id)).toBe(false);
        expect(await store().revokeFamily(id)).toBe(0);
        expect(await store().revokeClientTokens(id)).toBe(0);
        expect(await store().listUserTokens(id, { now: at(1) })).toEqual([]);
        const userId = pair.accessToken.userId ?? '';
        expect(await store().listUserTokens(userId, { now: at(1), clientId: id })).toEqual([]);
        const next = issuedFor(pair.refreshToken, at(1));
        expect(await store().rotateRefreshToken(id, at(1), next)).toBeNull();
        expect(await store().findAccessToken(next.accessToken.id)).toBeNull();
        // Nothing else was touched.
        expect(await store().findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
        expect(await store().findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
      });

      invalid.it(`authorization and device codes: ${label}`, async () => {
        const tokens = issuedFor(
          { userId: uniqueId('user'), clientId: makeClient().id, familyId: 'f' },
          at(1),
        );
        expect(await store().findAuthCode(id)).toBeNull();
        expect(await store().redeemAuthCode(id, at(1), tokens)).toBeNull();
        expect(await store().findDeviceCode(id)).toBeNull();
        expect(await store().findDeviceCodeByUserCode(id, at(1))).toBeNull();
        expect(
          await store().decideDeviceCode(id, { status: 'approved', userId: uniqueId('user'), now: at(1) }),
        ).toBeNull();
        expect(await store().touchDeviceCode(id, at(1))).toBeNull();
        expect(await store().redeemDeviceCode(id, at(1), tokens)).toBeNull();
        expect(await store().findAccessToken(tokens.accessToken.id)).toBeNull();
      });
    }
  });
}
