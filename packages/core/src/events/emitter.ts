import type {
  AccessTokenRecord,
  AuthCodeRecord,
  ClientRecord,
  DeviceCodeRecord,
  RefreshTokenRecord,
} from '../stores/records.js';

/**
 * Events Passport emits. Listeners run after the store write succeeded; a listener
 * that throws or rejects never fails the request (the error goes to `onListenerError`).
 */
export interface PassportEvents {
  /** An access token was issued (any grant, personal tokens included). */
  accessTokenCreated: { accessToken: AccessTokenRecord };
  /** A refresh token was issued. */
  refreshTokenCreated: { refreshToken: RefreshTokenRecord };
  /**
   * An access token was revoked: by the user or the revocation endpoint (`revoked`), by a refresh
   * (`rotated`), with its family when a rotated refresh token was presented again (`reuse`) or an
   * authorization code was redeemed twice (`code-reuse`). Deleting a client revokes all its tokens
   * in one store call and is reported once, as `clientDeleted`, not per token.
   */
  accessTokenRevoked: {
    accessTokenId: string;
    reason: 'revoked' | 'rotated' | 'reuse' | 'client' | 'code-reuse';
  };
  /** A refresh token was revoked. */
  refreshTokenRevoked: { refreshTokenId: string; reason: 'revoked' | 'rotated' | 'reuse' | 'client' };
  /** An authorization code was issued. */
  authCodeCreated: { authCode: AuthCodeRecord };
  /** A refresh token that was already rotated was presented again: the family was revoked. */
  refreshTokenReuseDetected: { refreshToken: RefreshTokenRecord; revokedCount: number };
  /** An authorization code was redeemed twice: the tokens issued from it were revoked. */
  authCodeReuseDetected: { authCode: AuthCodeRecord; revokedCount: number };
  /** A client was created. */
  clientCreated: { client: ClientRecord };
  /** A client was deleted (its tokens were revoked first). */
  clientDeleted: { clientId: string };
  /** A device authorization was requested. */
  deviceCodeCreated: { deviceCode: DeviceCodeRecord };
}

/** Name of a {@link PassportEvents} event. */
export type PassportEventName = keyof PassportEvents;

/** A listener for event `E`. */
export type PassportListener<E extends PassportEventName> = (
  payload: PassportEvents[E],
) => void | Promise<void>;

/**
 * A small typed event emitter (no Node `EventEmitter`, so it runs on every runtime).
 *
 * @example
 * ```ts
 * passport.events.on('refreshTokenReuseDetected', ({ refreshToken }) => alert(refreshToken.userId));
 * ```
 */
export class PassportEventEmitter {
  readonly #listeners = new Map<PassportEventName, Set<PassportListener<never>>>();
  readonly #onListenerError: (error: unknown, event: PassportEventName) => void;

  /** @param onListenerError receives errors thrown by listeners (default: ignored). */
  constructor(onListenerError: (error: unknown, event: PassportEventName) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener; returns a function that removes it. */
  on<E extends PassportEventName>(event: E, listener: PassportListener<E>): () => void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as PassportListener<never>);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<E extends PassportEventName>(event: E, listener: PassportListener<E>): void {
    this.#listeners.get(event)?.delete(listener as PassportListener<never>);
  }

  /** `true` when at least one listener is registered for `event` (lets hot paths skip work). */
  has(event: PassportEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; never throws. */
  emit<E extends PassportEventName>(event: E, payload: PassportEvents[E]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        const result = (listener as PassportListener<E>)(payload);
        if (result && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (error: unknown) => this.#onListenerError(error, event));
        }
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }
}
