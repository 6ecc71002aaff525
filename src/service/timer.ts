/**
 * Timers are injected like the clock, so a test steps time and the scheduler wakes exactly when it
 * would, without anyone sleeping.
 */
import type { ManualClock } from '../core/clock.js';

export type TimerHandle = { readonly id: number };

export interface Timer {
  /** Calls `callback` once, `delayMs` from now. */
  set(callback: () => void, delayMs: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

// setTimeout fires at once for delays above 2^31-1 ms (24.8 days); a monthly job's wait is longer.
const MAX_DELAY_MS = 2_147_483_647;

/** Real time. A callback for a delay beyond setTimeout's limit fires early; callers recompute on every wake. */
export function systemTimer(): Timer {
  const handles = new Map<number, NodeJS.Timeout>();
  let next = 0;
  return {
    set(callback, delayMs) {
      const id = ++next;
      handles.set(
        id,
        setTimeout(() => {
          handles.delete(id);
          callback();
        }, Math.min(Math.max(0, delayMs), MAX_DELAY_MS)),
      );
      return { id };
    },
    clear(handle) {
      clearTimeout(handles.get(handle.id));
      handles.delete(handle.id);
    },
  };
}

/** Lets promise chains started by a callback (store writes, a job's bookkeeping) run before time moves on. */
export async function settle(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A timer over a ManualClock: `advanceTo` moves the clock and fires each timer at its own time, in order. */
export class ManualTimer implements Timer {
  private readonly pending = new Map<number, { at: number; callback: () => void }>();
  private next = 0;

  constructor(private readonly clock: ManualClock) {}

  set(callback: () => void, delayMs: number): TimerHandle {
    const id = ++this.next;
    this.pending.set(id, { at: this.clock.now().getTime() + Math.max(0, delayMs), callback });
    return { id };
  }

  clear(handle: TimerHandle): void {
    this.pending.delete(handle.id);
  }

  /** When the earliest pending timer fires, if any. */
  nextAt(): Date | undefined {
    const at = Math.min(...[...this.pending.values()].map((p) => p.at));
    return Number.isFinite(at) ? new Date(at) : undefined;
  }

  get size(): number {
    return this.pending.size;
  }

  async advanceTo(to: Date | string | number): Promise<void> {
    const target = new Date(to).getTime();
    await settle();
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      const [id, timer] = due;
      this.pending.delete(id);
      if (timer.at > this.clock.now().getTime()) this.clock.set(timer.at);
      timer.callback();
      await settle();
    }
    if (target > this.clock.now().getTime()) this.clock.set(target);
    await settle();
  }

  advance(ms: number): Promise<void> {
    return this.advanceTo(this.clock.now().getTime() + ms);
  }
}
