/**
 * Keeps calls under a rate per key (for LookupEvents: 2 per second per account and region), so a
 * scan waits its turn instead of being throttled. Calls of one key run one at a time, each starting
 * at least an interval after the previous one finished: however long a call takes to reach AWS
 * (signing, credentials, a slow network), two never arrive closer together than the interval. Keys do
 * not wait on each other. Time is injected, so tests run on a virtual clock and never sleep.
 */
import { performance } from 'node:perf_hooks';

export interface PacerClock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemPacerClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

interface Lane {
  /** The previous call's turn; the next one starts after it. */
  tail: Promise<void>;
  /** When the next call may start. */
  readyAt: number;
}

export class RatePacer {
  private readonly lanes = new Map<string, Lane>();

  /** @param intervalMs the least time between one call finishing and the next starting, per key. */
  constructor(
    private readonly intervalMs: number,
    private readonly clock: PacerClock = systemPacerClock,
  ) {
    if (!(intervalMs >= 0)) throw new Error(`intervalMs must be zero or more, got ${intervalMs}`);
  }

  /** Runs `call` when its key's turn comes; its failure is the caller's, and frees the turn. */
  run<T>(key: string, call: () => Promise<T>): Promise<T> {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { tail: Promise.resolve(), readyAt: -Infinity };
      this.lanes.set(key, lane);
    }
    const current = lane;
    const result = current.tail.then(async () => {
      const wait = current.readyAt - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      try {
        return await call();
      } finally {
        current.readyAt = this.clock.now() + this.intervalMs;
      }
    });
    current.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
