/**
 * Keeps AWS calls at the rate AWS allows, per rate-limit scope (a service or API, in one account and
 * region), so a scan sits on the API floor instead of being throttled into retries.
 *
 * Each scope is a token bucket with AWS's own shape: a burst, then a steady refill rate. A call
 * takes a token and one of `maxInFlight` global slots at the same moment, so a call never holds a
 * slot while it waits for its scope's rate (a slow scope cannot starve the others), and tokens are
 * spent when the call is sent, not earlier (a queue that waited for a slot cannot burst past the
 * rate). Free slots go round-robin to the scopes that have a token, so every account and region keeps
 * moving. A throttled answer halves that scope's rate and empties its bucket; successful answers
 * bring the rate back linearly (AIMD), so a scope shared with another tool settles just below
 * whatever is left for Vigil. Time is injected: tests run on a virtual clock and never sleep.
 */
import { performance } from 'node:perf_hooks';

export interface PacerClock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  /** Calls `wake` after `ms`; returns a function that cancels the call. */
  timer(ms: number, wake: () => void): () => void;
}

export const systemPacerClock: PacerClock = {
  now: () => performance.now(),
  timer: (ms, wake) => {
    const handle = setTimeout(wake, ms);
    return () => clearTimeout(handle);
  },
};

export interface RateLimit {
  /** The steady rate: tokens added per second. */
  ratePerSecond: number;
  /** The bucket's size: calls that may go at once after a quiet spell. */
  burst: number;
}

export interface PacerOptions {
  /** Calls in flight at once across every scope. */
  maxInFlight: number;
  clock?: PacerClock;
  /** What a throttled answer multiplies the rate by. */
  decreaseFactor?: number;
  /** The lowest rate a scope is slowed to, as a fraction of its configured rate. */
  minRateFraction?: number;
  /** How fast a slowed scope recovers: this fraction of its configured rate, per second of successful calls. */
  recoveryPerSecond?: number;
}

/** One granted call: report how it ended, exactly once. */
export interface Permit {
  readonly scope: string;
  /** When the call was let through, on the pacer's clock. */
  readonly grantedAt: number;
  done(outcome: 'ok' | 'throttled' | 'failed'): void;
}

export interface ScopeStats {
  limit: RateLimit;
  /** The rate in force now: lower than the limit after throttling, until it recovers. */
  ratePerSecond: number;
  tokens: number;
  waiting: number;
  granted: number;
  throttled: number;
}

interface Waiter {
  grant: (permit: Permit) => void;
}

interface Bucket {
  scope: string;
  limit: RateLimit;
  rate: number;
  tokens: number;
  updatedAt: number;
  queue: Waiter[];
  /** Throttles of calls granted up to this one were answered by the last halving: ignore them. */
  answeredUpTo: number;
  granted: number;
  throttled: number;
}

/** Float refills land a hair under a whole token; count those as whole. */
const EPSILON = 1e-9;

export class Pacer {
  private readonly buckets = new Map<string, Bucket>();
  /** Scopes with waiting calls, in the order they next get a slot. */
  private readonly ready: string[] = [];
  private inFlight = 0;
  private wake?: { at: number; cancel: () => void };
  private readonly clock: PacerClock;
  private readonly maxInFlight: number;
  private readonly decreaseFactor: number;
  private readonly minRateFraction: number;
  private readonly recoveryPerSecond: number;

  constructor(options: PacerOptions) {
    if (!(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1)) throw new Error(`maxInFlight must be a whole number of at least 1, got ${options.maxInFlight}`);
    this.maxInFlight = options.maxInFlight;
    this.clock = options.clock ?? systemPacerClock;
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.minRateFraction = options.minRateFraction ?? 1 / 16;
    this.recoveryPerSecond = options.recoveryPerSecond ?? 0.05;
  }

  /** Waits for a token of `scope` and a free slot; the first call of a scope sets its limit. */
  acquire(scope: string, limit: RateLimit): Promise<Permit> {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) throw new Error(`rate limit of ${scope} must have a positive rate and a burst of at least 1`);
    let bucket = this.buckets.get(scope);
    if (!bucket) {
      bucket = { scope, limit, rate: limit.ratePerSecond, tokens: limit.burst, updatedAt: this.clock.now(), queue: [], answeredUpTo: 0, granted: 0, throttled: 0 };
      this.buckets.set(scope, bucket);
    }
    const target = bucket;
    return new Promise<Permit>((grant) => {
      target.queue.push({ grant });
      if (target.queue.length === 1) this.ready.push(scope);
      this.pump();
    });
  }

  /** Runs `call` under a permit; `isThrottle` tells a throttled failure from any other. */
  async run<T>(scope: string, limit: RateLimit, call: () => Promise<T>, isThrottle: (err: unknown) => boolean): Promise<T> {
    const permit = await this.acquire(scope, limit);
    try {
      const out = await call();
      permit.done('ok');
      return out;
    } catch (err) {
      permit.done(isThrottle(err) ? 'throttled' : 'failed');
      throw err;
    }
  }

  stats(scope: string): ScopeStats | undefined {
    const b = this.buckets.get(scope);
    if (!b) return undefined;
    this.refill(b, this.clock.now());
    return { limit: b.limit, ratePerSecond: b.rate, tokens: b.tokens, waiting: b.queue.length, granted: b.granted, throttled: b.throttled };
  }

  scopes(): string[] {
    return [...this.buckets.keys()];
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  /** The bucket shrinks with the rate, so a slowed scope cannot save up its old burst during a pause. */
  private capacity(b: Bucket): number {
    return Math.max(1, b.limit.burst * (b.rate / b.limit.ratePerSecond));
  }

  private refill(b: Bucket, now: number): void {
    const elapsed = Math.max(0, now - b.updatedAt);
    b.tokens = Math.min(this.capacity(b), b.tokens + (elapsed / 1000) * b.rate);
    b.updatedAt = now;
  }

  /** Grants what can go now, round-robin over scopes with a token; sets a timer for the next token otherwise. */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.ready.length > 0) {
      const now = this.clock.now();
      let earliest = Infinity;
      let index = -1;
      for (let i = 0; i < this.ready.length; i++) {
        const b = this.buckets.get(this.ready[i] as string) as Bucket;
        this.refill(b, now);
        if (b.tokens >= 1 - EPSILON) {
          index = i;
          break;
        }
        earliest = Math.min(earliest, now + ((1 - b.tokens) / b.rate) * 1000);
      }
      if (index < 0) {
        this.schedule(earliest);
        return;
      }
      const [scope] = this.ready.splice(index, 1) as [string];
      const b = this.buckets.get(scope) as Bucket;
      b.tokens = Math.max(0, b.tokens - 1);
      b.granted += 1;
      const waiter = b.queue.shift() as Waiter;
      if (b.queue.length > 0) this.ready.push(scope);
      this.inFlight += 1;
      waiter.grant(this.permit(b, now));
    }
    if (this.ready.length === 0) this.cancelWake();
  }

  private permit(b: Bucket, grantedAt: number): Permit {
    let finished = false;
    const sequence = b.granted;
    return {
      scope: b.scope,
      grantedAt,
      done: (outcome) => {
        if (finished) return;
        finished = true;
        this.inFlight -= 1;
        if (outcome === 'throttled') this.slowDown(b, sequence);
        else if (outcome === 'ok') this.speedUp(b);
        this.pump();
      },
    };
  }

  private slowDown(b: Bucket, sequence: number): void {
    b.throttled += 1;
    // Calls sent before the last decrease were paced by the old rate: one halving answers them all.
    if (sequence <= b.answeredUpTo) return;
    this.refill(b, this.clock.now());
    b.rate = Math.max(b.limit.ratePerSecond * this.minRateFraction, b.rate * this.decreaseFactor);
    b.tokens = 0;
    b.answeredUpTo = b.granted;
  }

  /** Linear recovery in time: each success at rate r adds 1/r of a second's worth. */
  private speedUp(b: Bucket): void {
    if (b.rate >= b.limit.ratePerSecond) return;
    this.refill(b, this.clock.now());
    b.rate = Math.min(b.limit.ratePerSecond, b.rate + (b.limit.ratePerSecond * this.recoveryPerSecond) / b.rate);
  }

  private schedule(at: number): void {
    if (!Number.isFinite(at)) return;
    if (this.wake && this.wake.at <= at) return;
    this.cancelWake();
    const now = this.clock.now();
    // Whole milliseconds, rounded up: a timer that fires early would find no token and spin.
    const ms = Math.max(1, Math.ceil(at - now));
    const wake = { at: now + ms, cancel: () => {} };
    wake.cancel = this.clock.timer(ms, () => {
      if (this.wake === wake) this.wake = undefined;
      this.pump();
    });
    this.wake = wake;
  }

  private cancelWake(): void {
    this.wake?.cancel();
    this.wake = undefined;
  }
}
