import { describe, expect, it } from 'vitest';
import { PassportEventEmitter, type PassportEventName } from './emitter.js';

describe('PassportEventEmitter', () => {
  it('calls typed listeners in order and stops after off or the returned unsubscribe', () => {
    const events = new PassportEventEmitter();
    const seen: string[] = [];
    const first = ({ clientId }: { clientId: string }) => void seen.push(`first ${clientId}`);
    events.on('clientDeleted', first);
    const unsubscribe = events.on('clientDeleted', ({ clientId }) => void seen.push(`second ${clientId}`));
    expect(events.has('clientDeleted')).toBe(true);
    expect(events.has('accessTokenRevoked')).toBe(false);

    events.emit('clientDeleted', { clientId: 'a' });
    unsubscribe();
    events.emit('clientDeleted', { clientId: 'b' });
    events.off('clientDeleted', first);
    events.emit('clientDeleted', { clientId: 'c' });
    expect(seen).toEqual(['first a', 'second a', 'first b']);
    expect(events.has('clientDeleted')).toBe(false);
  });

  it('never lets a throwing or rejecting listener fail the emitter; errors go to onListenerError', async () => {
    const errors: Array<[unknown, PassportEventName]> = [];
    const events = new PassportEventEmitter((error, event) => void errors.push([error, event]));
    const thrown = new Error('sync');
    const rejected = new Error('async');
    const reached: string[] = [];
    events.on('accessTokenRevoked', () => {
      throw thrown;
    });
    events.on('accessTokenRevoked', async () => {
      throw rejected;
    });
    events.on('accessTokenRevoked', ({ accessTokenId }) => void reached.push(accessTokenId));

    expect(() =>
      events.emit('accessTokenRevoked', { accessTokenId: 'jti-1', reason: 'revoked' }),
    ).not.toThrow();
    expect(reached).toEqual(['jti-1']);
    await Promise.resolve();
    expect(errors).toEqual([
      [thrown, 'accessTokenRevoked'],
      [rejected, 'accessTokenRevoked'],
    ]);
  });
});
