import type { PassportStore, StoreChangeEvent } from '@passport/core';
import { expect, type TestContext } from 'vitest';
import { makeClient, makeTokenPair } from '../fixtures.js';
import { at, eventually, issuedFor, type SuiteContext, skipAtRunTime } from '../internal/helpers.js';

/**
 * `subscribeChanges` (optional): every revoking method delivers its event, to a listener of this
 * store (a store may deliver asynchronously: the tests wait up to 5 seconds), a listener that throws
 * never fails the write, and unsubscribing stops the delivery.
 */
export function registerChangeFeedSuite({ name, suite, store }: SuiteContext): void {
  suite.describe('subscribeChanges (when offered)', (feed) => {
    /** Subscribes, runs `act`, and returns the events received; skips when there is no feed. */
    const collect = async (
      context: TestContext,
      title: string,
      act: (store: PassportStore) => Promise<void>,
      until: (events: StoreChangeEvent[]) => boolean,
    ): Promise<StoreChangeEvent[] | null> => {
      const subscribe = store().subscribeChanges?.bind(store());
      if (subscribe === undefined) {
        skipAtRunTime(
          context,
          name,
          `subscribeChanges (when offered) > ${title}`,
          'the store has no change feed',
        );
        return null;
      }
      const events: StoreChangeEvent[] = [];
      const unsubscribe = await subscribe({ changed: (event) => events.push(event) });
      try {
        await act(store());
        await eventually(() => until(events));
        return events;
      } finally {
        await unsubscribe();
      }
    };

    const has = (expected: StoreChangeEvent) => (events: StoreChangeEvent[]) =>
      events.some((event) => JSON.stringify(event) === JSON.stringify(expected));

    const tokenTitle = 'revokeAccessToken delivers the access token';
    feed.it(tokenTitle, async (context) => {
      const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
      await store().saveTokens(pair);
      const expected: StoreChangeEvent = { type: 'accessTokens', ids: [pair.accessToken.id] };
      const events = await collect(
        context,
        tokenTitle,
        (s) => s.revokeAccessToken(pair.accessToken.id).then(() => {}),
        has(expected),
      );
      if (events !== null) expect(events).toContainEqual(expected);
    });

    const rotateTitle = "rotateRefreshToken delivers the rotated token's access token";
    feed.it(rotateTitle, async (context) => {
      const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
      await store().saveTokens(pair);
      const expected: StoreChangeEvent = { type: 'accessTokens', ids: [pair.accessToken.id] };
      const events = await collect(
        context,
        rotateTitle,
        async (s) => {
          await s.rotateRefreshToken(pair.refreshToken.id, at(1), issuedFor(pair.refreshToken, at(1)));
        },
        has(expected),
      );
      if (events !== null) expect(events).toContainEqual(expected);
    });

    const familyTitle = 'revokeFamily delivers the family';
    feed.it(familyTitle, async (context) => {
      const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
      await store().saveTokens(pair);
      const expected: StoreChangeEvent = { type: 'family', familyId: pair.refreshToken.familyId };
      const events = await collect(
        context,
        familyTitle,
        (s) => s.revokeFamily(pair.refreshToken.familyId).then(() => {}),
        has(expected),
      );
      if (events !== null) expect(events).toContainEqual(expected);
    });

    for (const method of ['updateClient', 'deleteClient', 'revokeClientTokens'] as const) {
      const title = `${method} delivers the client`;
      feed.it(title, async (context) => {
        const client = makeClient();
        await store().createClient(client);
        const expected: StoreChangeEvent = { type: 'client', clientId: client.id };
        const events = await collect(
          context,
          title,
          async (s) => {
            if (method === 'updateClient')
              await s.updateClient(client.id, { revoked: true, updatedAt: at(1) });
            else if (method === 'deleteClient') await s.deleteClient(client.id);
            else await s.revokeClientTokens(client.id);
          },
          has(expected),
        );
        if (events !== null) expect(events).toContainEqual(expected);
      });
    }

    const stopTitle = 'after unsubscribing, nothing more is delivered';
    feed.it(stopTitle, async (context) => {
      const subscribe = store().subscribeChanges?.bind(store());
      if (subscribe === undefined) {
        skipAtRunTime(
          context,
          name,
          `subscribeChanges (when offered) > ${stopTitle}`,
          'the store has no change feed',
        );
        return;
      }
      const before: StoreChangeEvent[] = [];
      const after: StoreChangeEvent[] = [];
      const stopAfter = await subscribe({ changed: (event) => after.push(event) });
      const stopBefore = await subscribe({ changed: (event) => before.push(event) });
      await stopAfter();
      const pair = makeTokenPair({ accessToken: { createdAt: at(0) } });
      await store().saveTokens(pair);
      await store().revokeAccessToken(pair.accessToken.id);
      // The subscriber still listening proves the event went out.
      expect(await eventually(() => before.length > 0)).toBe(true);
      await stopBefore();
      expect(after).toEqual([]);
    });

    const throwingTitle = 'a listener that throws never fails the write, and the feed goes on';
    feed.it(throwingTitle, async (context) => {
      const subscribe = store().subscribeChanges?.bind(store());
      if (subscribe === undefined) {
        skipAtRunTime(
          context,
          name,
          `subscribeChanges (when offered) > ${throwingTitle}`,
          'the store has no change feed',
        );
        return;
      }
      const received: StoreChangeEvent[] = [];
      const stopThrowing = await subscribe({
        changed: () => {
          throw new Error('a listener failure');
        },
      });
      const stopCollecting = await subscribe({ changed: (event) => received.push(event) });
      try {
        const first = makeTokenPair({ accessToken: { createdAt: at(0) } });
        const second = makeTokenPair({ accessToken: { createdAt: at(0) } });
        await store().saveTokens(first);
        await store().saveTokens(second);
        expect(await store().revokeAccessToken(first.accessToken.id)).toBe(true);
        expect((await store().findAccessToken(first.accessToken.id))?.revoked).toBe(true);
        expect(await store().revokeAccessToken(second.accessToken.id)).toBe(true);
        const delivered = has({ type: 'accessTokens', ids: [second.accessToken.id] });
        expect(await eventually(() => delivered(received))).toBe(true);
      } finally {
        await stopThrowing();
        await stopCollecting();
      }
    });
  });
}
