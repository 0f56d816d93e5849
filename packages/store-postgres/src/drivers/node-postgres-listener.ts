import type { NotificationHandlers } from '../driver.js';

/** A notification as node-postgres reports it. */
export interface PgNotificationLike {
  channel: string;
  payload?: string | undefined;
}

/**
 * The part of a node-postgres `Client` (`import { Client } from 'pg'`) the notification
 * connection uses.
 */
export interface PgListenClientLike {
  connect(): Promise<unknown>;
  query(config: { text: string; query_timeout?: number }): Promise<unknown>;
  end(): Promise<void>;
  on(event: 'notification', listener: (message: PgNotificationLike) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  removeAllListeners?(event?: string): unknown;
}

/** Timing of {@link listenOnOwnConnection}. */
export interface ListenTiming {
  /** Milliseconds to wait for the connection and for each `LISTEN` before giving up. */
  timeoutMs: number;
  /** Milliseconds between two checks that the idle connection is still alive. */
  heartbeatMs: number;
}

/** Delays before the 1st, 2nd, 3rd ... reconnection attempt (then the last one), in milliseconds. */
const BACKOFF_MS = [50, 250, 500, 1000, 2000, 5000] as const;

/** The delay before reconnection attempt `attempt` (0-based): the backoff step with +-20 % jitter. */
function backoff(attempt: number): number {
  const step = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 5000;
  return Math.round(step * (0.8 + Math.random() * 0.4));
}

/** `LISTEN` for a channel name (double quotes keep its case; the names the store builds never contain one). */
export function listenStatement(channel: string): string {
  return `LISTEN "${channel.replaceAll('"', '""')}"`;
}

/**
 * Listens on `channel` on a connection of its own, made by `open`, until the returned function is
 * called. Resolves once the first `LISTEN` succeeded or failed. While it runs:
 *
 * - the connection is checked every `heartbeatMs` (the `LISTEN` is sent again: a no-op that
 *   proves the session is alive), so a silently dead connection is found too;
 * - when the connection drops (server restart, `pg_terminate_backend`, network), `disconnected`
 *   is reported once and a new connection is opened after 50 ms, then with a growing backoff (up
 *   to 5 s, with jitter) while it fails; `connected` is reported once it listens again.
 */
export async function listenOnOwnConnection(
  open: () => PgListenClientLike,
  channel: string,
  handlers: NotificationHandlers,
  timing: ListenTiming,
): Promise<() => Promise<void>> {
  const statement = listenStatement(channel);
  let stopped = false;
  /** Wakes the loop: the connection was lost, or the listener stops. */
  let wake: (error: unknown) => void = () => undefined;
  let sleeping: ReturnType<typeof setTimeout> | null = null;
  let endSleep: () => void = () => undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      endSleep = resolve;
      sleeping = setTimeout(resolve, ms);
      unref(sleeping);
    });

  /** Closes a connection; its `'error'` listener stays, as a closing connection may still report. */
  const discard = (client: PgListenClientLike): Promise<void> => {
    client.removeAllListeners?.('notification');
    return client.end().catch(() => undefined);
  };

  /** Opens one connection and listens; resolves with the connection, rejects when either fails. */
  const connect = async (): Promise<{ client: PgListenClientLike; lost: Promise<unknown> }> => {
    const client = open();
    let reportLost: (error: unknown) => void = () => undefined;
    const lost = new Promise<unknown>((resolve) => {
      reportLost = resolve;
    });
    client.on('error', (error) => reportLost(error));
    client.on('end', () => reportLost(new Error('The PostgreSQL notification connection ended')));
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.notification(message.payload ?? '');
    });
    try {
      await withTimeout(client.connect(), timing.timeoutMs, 'connecting');
      // The feed never keeps a process alive on its own (node-postgres exposes the socket here).
      (
        client as unknown as { connection?: { stream?: { unref?: () => void } } }
      ).connection?.stream?.unref?.();
      await withTimeout(
        client.query({ text: statement, query_timeout: timing.timeoutMs }),
        timing.timeoutMs,
        'LISTEN',
      );
    } catch (error) {
      void discard(client);
      throw error;
    }
    return { client, lost };
  };

  let first = true;
  let settleFirst: () => void = () => undefined;
  const firstAttempt = new Promise<void>((resolve) => {
    settleFirst = resolve;
  });

  const run = async () => {
    let attempt = 0;
    while (!stopped) {
      let opened: { client: PgListenClientLike; lost: Promise<unknown> };
      try {
        opened = await connect();
      } catch (error) {
        if (stopped) break;
        if (attempt === 0) handlers.disconnected(error);
        if (first) {
          first = false;
          settleFirst();
        }
        await sleep(backoff(attempt++));
        continue;
      }
      if (stopped) {
        await discard(opened.client);
        break;
      }
      attempt = 0;
      handlers.connected();
      if (first) {
        first = false;
        settleFirst();
      }
      let wakeThis: (error: unknown) => void = () => undefined;
      const woken = new Promise<unknown>((resolve) => {
        wakeThis = resolve;
      });
      wake = wakeThis;
      const heartbeat = setInterval(() => {
        opened.client.query({ text: statement, query_timeout: timing.timeoutMs }).catch(wakeThis);
      }, timing.heartbeatMs);
      unref(heartbeat);
      const error = await Promise.race([opened.lost, woken]);
      clearInterval(heartbeat);
      const closed = discard(opened.client);
      if (stopped) {
        await closed;
        break;
      }
      handlers.disconnected(error);
      await sleep(backoff(attempt++));
    }
  };
  const running = run();
  await firstAttempt;

  return async () => {
    if (!stopped) {
      stopped = true;
      if (sleeping !== null) clearTimeout(sleeping);
      endSleep();
      wake(null);
    }
    await running;
  };
}

/** Lets the process exit while only this timer is pending (Node); a no-op where timers are numbers. */
function unref(timer: unknown): void {
  (timer as { unref?: () => void } | null)?.unref?.();
}

/** `promise`, or a rejection after `ms` milliseconds. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
