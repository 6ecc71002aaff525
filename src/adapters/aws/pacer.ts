/**
 * Keeps AWS calls at the rate AWS allows, per rate-limit scope (a service or API, in one account and
 * region), so a scan sits on the API floor instead of being throttled into retries.
 *
 * Each scope is a token bucket with AWS's own shape: a burst, then a steady refill rate. A call
 * takes a token and one of `maxInFlight` global slots at the same moment, so a call never holds a
 * slot while it waits for its scope's rate (a slow scope cannot starve the others), and tokens are
 * spent when the call is sent, not earlier (a queue that waited for a slot cannot burst past the
 * rate).
 *
 * Pages of a listing are links of a chain: the pages after one cannot be asked for until it returns,
 * while other calls (reads of what earlier pages listed) lose nothing by waiting. So a page goes ahead
 * of the other calls waiting in its scope (pages in order among themselves), and a listing runs ahead
 * of the reads it feeds, keeping work queued for the scope's rate. In a scope with a burst of one
 * (LookupEvents) only later pages count as links: such a scope sends one call per interval whatever
 * waits, and the first pages of its lookups, dozens per region at the start of a scan, would
 * otherwise crowd out every other scope's work. Once one of its lookups has had a later page, though,
 * the scope is a long one (an account whose history fills pages), and its calls, first pages included,
 * take a free slot before any other scope's whenever it has a token: its bucket holds one token, so
 * each turn it waits for is lost for good, while it takes one slot per interval. Ranked as links by
 * their rate, the slowest there is, its calls waited behind every other scope's pages, and the
 * benchmark's large account ran its lookups at two thirds of the pace it allows, to the end of the scan.
 *
 * When calls wait for slots (the in-flight cap is reached), a free slot goes first to a scope with a
 * link waiting: the one whose listings have returned the most items (`listedItems`, told by the
 * pacing middleware), for a scope that lists thousands of things is the one whose later pages and
 * per-item reads set the scan's floor (the large account's snapshot listing, asked for when its
 * instances came back, waited half a second behind the start's empty listings); among equals the
 * fastest scope (a chain's pace is the slower of its round trips and its scope's rate, so a slot
 * matters most where the rate is high). Then it goes to the scope whose waiting calls
 * take longest at its rate: the scope that sets the scan's floor is not kept waiting by scopes with
 * time to spare. Tokens do not lower that claim: a scope with a long queue needs many slots whether or
 * not its bucket is full. Equal claims take turns.
 *
 * A call is built (serialized, its endpoint resolved, signed) only shortly before its turn: `admit`
 * lets a scope have as many calls built and waiting as it can send in `aheadMs` (its burst, then its
 * rate), links first, and the rest wait unbuilt. Building costs CPU; at the start of a large scan,
 * thousands of calls queued behind slow scopes (twenty lookups per region at 2 a second) would
 * otherwise be built before the first call of a scope that could go at once.
 *
 * Calls reach AWS a little early or late (event loops, the network), so the pacer leaves `jitterMs`
 * of slack in AWS's bucket: a few tokens of the burst where the burst allows, a longer interval where
 * it does not (LookupEvents' burst of one). 20 ms by default: a busy event loop delays one call's
 * sending by tens of milliseconds and not the next one's, and a scope with a burst of one throttled
 * again and again is slowed to half its rate, a far larger cost than the slack.
 *
 * A throttled answer empties the scope's bucket: AWS's is empty. A throttle soon after another one
 * means the scope is shared or its limit lower than configured, and halves the rate; successful calls
 * then bring it back linearly, a fixed share of the limit per call, so recovery takes the same number
 * of calls at any rate (AIMD). A scope shared with another tool settles just below whatever is left
 * for Vigil. Time is injected: tests run on a virtual clock and never sleep.
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
  /** What a recurring throttle multiplies the rate by. */
  decreaseFactor?: number;
  /** The lowest rate a scope is slowed to, as a fraction of its configured rate. */
  minRateFraction?: number;
  /** How fast a slowed scope recovers: each successful call adds the configured rate divided by this. */
  recoveryCalls?: number;
  /** A throttle within this many calls of the previous one slows the scope; a later one only empties its bucket. */
  recurringWithinCalls?: number;
  /** How early a call may reach AWS relative to when it was let through, in milliseconds. */
  jitterMs?: number;
  /** How far ahead of its turn a call is let in to be built, in milliseconds of its scope's pace. */
  aheadMs?: number;
}

export const DEFAULT_JITTER_MS = 20;
export const DEFAULT_AHEAD_MS = 250;
/** A scope may always have this many calls built ahead, however slow it is. */
const MIN_AHEAD = 2;

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

type Waiter = (permit: Permit) => void;

interface Bucket {
  scope: string;
  limit: RateLimit;
  rate: number;
  /** shape() at the current rate: recomputed only when the rate changes. */
  capacity: number;
  refillPerMs: number;
  tokens: number;
  updatedAt: number;
  /** Links of chains (pages of listings) go before the other waiting calls; each queue in order. */
  chainQueue: Waiter[];
  queue: Waiter[];
  /** Calls let in to be built and not yet granted, and how many may be. */
  admitted: number;
  ahead: number;
  /** Calls waiting to be let in, links first. */
  admitLinks: Array<() => void>;
  admitQueue: Array<() => void>;
  /** Throttles of calls granted up to this one were answered already: ignore them. */
  answeredUpTo: number;
  /** `granted` when the last throttle was answered, if one was. */
  lastThrottleAt?: number;
  granted: number;
  throttled: number;
  /** Whether a later page has been asked for in this scope: its listings are long. */
  paged: boolean;
  /** Items the scope's listings have returned so far: how much its reads have found to look at. */
  listed: number;
}

/** Above any backlog in seconds: a scope with a link waiting claims the next slot before others. */
const CHAIN_CLAIM = 1e9;
/** Among links, the rate only breaks ties between scopes whose listings returned as many items. */
const RATE_RANK = 1e6;
/** Above any link: a long scope with a burst of one, whose token is lost if it waits. */
const TURN_CLAIM = 2 * CHAIN_CLAIM;

/** Float refills land a hair under a whole token; count those as whole. */
const EPSILON = 1e-9;

function waiting(b: Bucket): number {
  return b.chainQueue.length + b.queue.length;
}

export class Pacer {
  private readonly buckets = new Map<string, Bucket>();
  /** Scopes with waiting calls, in the order they next get a slot. */
  private readonly ready: Bucket[] = [];
  private inFlight = 0;
  private wake?: { at: number; cancel: () => void };
  private readonly clock: PacerClock;
  private readonly maxInFlight: number;
  private readonly decreaseFactor: number;
  private readonly minRateFraction: number;
  private readonly recoveryCalls: number;
  private readonly recurringWithinCalls: number;
  private readonly jitterSeconds: number;
  private readonly aheadSeconds: number;

  constructor(options: PacerOptions) {
    if (!(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1)) throw new Error(`maxInFlight must be a whole number of at least 1, got ${options.maxInFlight}`);
    this.maxInFlight = options.maxInFlight;
    this.clock = options.clock ?? systemPacerClock;
    this.decreaseFactor = options.decreaseFactor ?? 0.5;
    this.minRateFraction = options.minRateFraction ?? 1 / 16;
    this.recoveryCalls = options.recoveryCalls ?? 50;
    this.recurringWithinCalls = options.recurringWithinCalls ?? 50;
    this.jitterSeconds = (options.jitterMs ?? DEFAULT_JITTER_MS) / 1000;
    this.aheadSeconds = (options.aheadMs ?? DEFAULT_AHEAD_MS) / 1000;
  }

  /**
   * Waits until the scope has room for one more call built ahead of its turn (see the top of this
   * file); returns the function that gives the room back, which `acquire` with the same `admission`
   * calls when the call is let through. Calling it again does nothing.
   */
  async admit(scope: string, limit: RateLimit, options: { page?: 'first' | 'next' } = {}): Promise<() => void> {
    const b = this.bucketOf(scope, limit);
    if (b.admitted < b.ahead) b.admitted += 1;
    else {
      // The room is handed over by the call that gives it back.
      await new Promise<void>((enter) => {
        if (options.page === 'next') b.admitLinks.push(enter);
        else b.admitQueue.push(enter);
      });
    }
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = b.admitLinks.shift() ?? b.admitQueue.shift();
      if (next) next();
      else b.admitted -= 1;
    };
  }

  private bucketOf(scope: string, limit: RateLimit): Bucket {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) throw new Error(`rate limit of ${scope} must have a positive rate and a burst of at least 1`);
    let bucket = this.buckets.get(scope);
    if (!bucket) {
      const ahead = Math.max(MIN_AHEAD, Math.ceil(limit.burst + limit.ratePerSecond * this.aheadSeconds));
      bucket = { scope, limit, rate: limit.ratePerSecond, capacity: 1, refillPerMs: 0, tokens: 0, updatedAt: this.clock.now(), chainQueue: [], queue: [], admitted: 0, ahead, admitLinks: [], admitQueue: [], answeredUpTo: 0, granted: 0, throttled: 0, paged: false, listed: 0 };
      this.reshape(bucket);
      bucket.tokens = bucket.capacity;
      this.buckets.set(scope, bucket);
    }
    return bucket;
  }

  /**
   * Waits for a token of `scope` and a free slot; the first call of a scope sets its limit. `page` says
   * the call is a page of a listing, its first or a later one: a link of a chain, which goes first.
   * `admission`, from `admit`, is given back when the call is let through.
   */
  acquire(scope: string, limit: RateLimit, options: { page?: 'first' | 'next'; admission?: () => void } = {}): Promise<Permit> {
    const target = this.bucketOf(scope, limit);
    if (options.page === 'next') target.paged = true;
    const link = options.page === 'next' || (options.page === 'first' && target.limit.burst > 1);
    return new Promise<Permit>((resolve) => {
      const grant: Waiter = options.admission
        ? (permit) => {
            options.admission?.();
            resolve(permit);
          }
        : resolve;
      if (waiting(target) === 0) this.ready.push(target);
      if (link) target.chainQueue.push(grant);
      else target.queue.push(grant);
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

  /** Tells the pacer how many items a listing page of the scope returned. */
  listedItems(scope: string, items: number): void {
    const b = this.buckets.get(scope);
    if (b) b.listed += items;
  }

  stats(scope: string): ScopeStats | undefined {
    const b = this.buckets.get(scope);
    if (!b) return undefined;
    this.refill(b, this.clock.now());
    return { limit: b.limit, ratePerSecond: b.rate, tokens: b.tokens, waiting: waiting(b), granted: b.granted, throttled: b.throttled };
  }

  scopes(): string[] {
    return [...this.buckets.keys()];
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  /**
   * The bucket as the pacer runs it: it shrinks with the rate, so a slowed scope cannot save up its old
   * burst during a pause, and it keeps `jitterMs` of AWS's tokens in reserve; a burst too small for
   * that reserve keeps one token and stretches the interval between calls instead.
   */
  private shape(b: Bucket): { capacity: number; rate: number } {
    const capacity = Math.max(1, b.limit.burst * (b.rate / b.limit.ratePerSecond));
    const reserve = b.rate * this.jitterSeconds;
    if (reserve <= capacity - 1) return { capacity: capacity - reserve, rate: b.rate };
    const shortfall = this.jitterSeconds - (capacity - 1) / b.rate;
    return { capacity: 1, rate: 1 / (1 / b.rate + shortfall) };
  }

  /** Sets the bucket's shape for its current rate (the pump refills every waiting scope for every slot). */
  private reshape(b: Bucket): void {
    const { capacity, rate } = this.shape(b);
    b.capacity = capacity;
    b.refillPerMs = rate / 1000;
  }

  private refill(b: Bucket, now: number): void {
    const elapsed = now - b.updatedAt;
    if (elapsed > 0) b.tokens = Math.min(b.capacity, b.tokens + elapsed * b.refillPerMs);
    b.updatedAt = now;
  }

  /**
   * How much the scope needs the next slot (see the top of this file): a long scope with a burst of one
   * first, then links (and the other calls of a scope whose listings proved long), then the longest
   * queue at its rate.
   */
  private claim(b: Bucket): number {
    if (b.paged && b.capacity <= 1) return TURN_CLAIM;
    return b.chainQueue.length > 0 || (b.paged && b.queue.length > 0) ? CHAIN_CLAIM + b.listed + b.rate / RATE_RANK : waiting(b) / b.rate;
  }

  /**
   * Grants what can go now: among scopes with a token, the one with the largest claim, the first in
   * turn among equals; sets a timer for the next token when none has one.
   */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.ready.length > 0) {
      const now = this.clock.now();
      let earliest = Infinity;
      let index = -1;
      let best = -1;
      // With slots to spare every scope with a token goes now, so only a contended slot needs the claims.
      const contended = this.inFlight + 1 < this.maxInFlight ? false : this.ready.length > 1;
      for (let i = 0; i < this.ready.length; i++) {
        const b = this.ready[i] as Bucket;
        this.refill(b, now);
        if (b.tokens < 1 - EPSILON) {
          earliest = Math.min(earliest, now + (1 - b.tokens) / b.refillPerMs);
          continue;
        }
        if (!contended) {
          index = i;
          break;
        }
        const claim = this.claim(b);
        if (claim > best) {
          best = claim;
          index = i;
        }
      }
      if (index < 0) {
        this.schedule(earliest);
        return;
      }
      const [b] = this.ready.splice(index, 1) as [Bucket];
      b.tokens = Math.max(0, b.tokens - 1);
      b.granted += 1;
      const waiter = (b.chainQueue.length > 0 ? b.chainQueue.shift() : b.queue.shift()) as Waiter;
      if (waiting(b) > 0) this.ready.push(b);
      this.inFlight += 1;
      waiter(this.permit(b, now));
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
    // Calls sent before the last answer were paced by what the pacer knew then: one answer covers them all.
    if (sequence <= b.answeredUpTo) return;
    this.refill(b, this.clock.now());
    // AWS's bucket is empty now; only a throttle that recurs says the scope is shared or its limit lower.
    b.tokens = 0;
    const recurring = b.lastThrottleAt !== undefined && b.granted - b.lastThrottleAt <= this.recurringWithinCalls;
    if (recurring) {
      b.rate = Math.max(b.limit.ratePerSecond * this.minRateFraction, b.rate * this.decreaseFactor);
      this.reshape(b);
      b.tokens = Math.min(b.tokens, b.capacity);
    }
    b.answeredUpTo = b.granted;
    b.lastThrottleAt = b.granted;
  }

  /** Linear recovery in calls: each success adds the same share of the configured rate. */
  private speedUp(b: Bucket): void {
    if (b.rate >= b.limit.ratePerSecond) return;
    this.refill(b, this.clock.now());
    b.rate = Math.min(b.limit.ratePerSecond, b.rate + b.limit.ratePerSecond / this.recoveryCalls);
    this.reshape(b);
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
