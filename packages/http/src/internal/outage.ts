import type { StoreOutageEvent } from '../options.js';
import type { Incoming } from './incoming.js';
import { isStoreUnavailable } from './responses.js';

/** Least time between two probes of a store that is down, in ms. */
const probeIntervalMs = 1000;

/**
 * Follows store outages for one handler, so an outage is reported twice (when the first request is
 * refused with 503, and when the store answers again, with the number of requests refused) instead
 * of once per request: a 30 s database outage under load used to write megabytes of stacks.
 *
 * While the store is down, each request that did not itself fail on the store (JWKS, metadata, a
 * malformed request...) may start a probe (`passport.pingStore()`: one cheap read, at most one at
 * a time and one per second); the first probe the store answers ends the outage. Outside an outage {@link settled}
 * costs one comparison.
 *
 * @internal
 */
export class StoreOutageMonitor {
  #startedAt: number | null = null;
  #refused = 0;
  #probing = false;
  #lastProbe = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly now: () => number,
    private readonly report: (event: StoreOutageEvent, incoming: Incoming) => void,
  ) {}

  /** `true` while an outage is going on. */
  get down(): boolean {
    return this.#startedAt !== null;
  }

  /** A request was refused because the store is unavailable: starts an outage or counts into it. */
  refused(error: unknown, incoming: Incoming): void {
    this.#refused++;
    if (this.#startedAt !== null) return;
    this.#startedAt = this.now();
    this.#refused = 1;
    this.report({ type: 'started', error, startedAt: new Date(this.#startedAt) }, incoming);
  }

  /** A request finished without failing on the store. */
  settled(incoming: Incoming): void {
    if (this.#startedAt === null || this.#probing) return;
    const now = this.now();
    if (now - this.#lastProbe < probeIntervalMs) return;
    this.#lastProbe = now;
    this.#probing = true;
    void this.#probeNow(incoming);
  }

  async #probeNow(incoming: Incoming): Promise<void> {
    try {
      await this.probe();
    } catch (error) {
      // Still down; any other answer means the store is reachable again.
      if (isStoreUnavailable(error)) return;
    } finally {
      this.#probing = false;
    }
    const startedAt = this.#startedAt;
    if (startedAt === null) return;
    this.#startedAt = null;
    const refused = this.#refused;
    this.#refused = 0;
    this.report(
      { type: 'ended', startedAt: new Date(startedAt), endedAt: new Date(this.now()), refused },
      incoming,
    );
  }
}
