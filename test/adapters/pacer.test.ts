import { describe, expect, it } from 'vitest';
import { Pacer, type PacerClock, type Permit, type RateLimit } from '../../src/adapters/aws/pacer.js';

/** Virtual time: timers fire only when the test advances the clock. Nothing waits for real. */
class VirtualClock implements PacerClock {
  t = 0;
  private timers: Array<{ at: number; wake: () => void; live: boolean }> = [];
  now = () => this.t;
  timer = (ms: number, wake: () => void) => {
    const entry = { at: this.t + ms, wake, live: true };
    this.timers.push(entry);
    return () => {
      entry.live = false;
    };
  };

  /** Lets promise callbacks run, then fires timers in time order up to `until`. */
  async advanceTo(until: number): Promise<void> {
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.live && x.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.live = false;
      this.t = Math.max(this.t, due.at);
      due.wake();
    }
    this.t = Math.max(this.t, until);
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Asks for `n` permits of one scope; records when each was granted, and ends each call at once with `outcome`. */
function callsOf(pacer: Pacer, clock: VirtualClock, scope: string, limit: RateLimit, n: number, outcome: (i: number) => 'ok' | 'throttled' = () => 'ok'): number[] {
  const granted: number[] = [];
  for (let i = 0; i < n; i++) {
    void pacer.acquire(scope, limit).then((permit) => {
      granted.push(clock.now());
      permit.done(outcome(i));
    });
  }
  return granted;
}

describe('Pacer', () => {
  it('lets a burst through at once, then one call per refill interval', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock });

    const granted = callsOf(pacer, clock, 'ec2|222222222222|us-east-1', { ratePerSecond: 10, burst: 5 }, 9);
    await clock.advanceTo(10_000);

    expect(granted).toEqual([0, 0, 0, 0, 0, 100, 200, 300, 400]);
  });

  it('refills during a quiet spell, never beyond the burst', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock });
    const limit = { ratePerSecond: 2, burst: 3 };
    callsOf(pacer, clock, 's', limit, 3);
    await clock.advanceTo(60_000);

    const granted = callsOf(pacer, clock, 's', limit, 5);
    await clock.advanceTo(70_000);

    expect(granted).toEqual([60_000, 60_000, 60_000, 60_500, 61_000]);
  });

  it('halves the rate and empties the bucket on a throttled answer, once per wave of calls already sent', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, recoveryPerSecond: 0 });
    const limit = { ratePerSecond: 10, burst: 3 };

    // The burst of three all come back throttled: one halving, not three.
    const granted = callsOf(pacer, clock, 's', limit, 6, (i) => (i < 3 ? 'throttled' : 'ok'));
    await clock.advanceTo(10_000);

    expect(granted).toEqual([0, 0, 0, 200, 400, 600]);
    expect(pacer.stats('s')).toMatchObject({ ratePerSecond: 5, throttled: 3, granted: 6 });
  });

  it('recovers linearly to the configured rate while calls succeed, and halves again on the next throttle', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, recoveryPerSecond: 0.1 });
    const limit = { ratePerSecond: 10, burst: 1 };
    callsOf(pacer, clock, 's', limit, 1, () => 'throttled');
    await clock.advanceTo(1);
    const slowed = pacer.stats('s')?.ratePerSecond;

    callsOf(pacer, clock, 's', limit, 40);
    await clock.advanceTo(1_001);
    const afterOneSecond = pacer.stats('s')?.ratePerSecond;
    callsOf(pacer, clock, 's', limit, 100);
    await clock.advanceTo(30_000);
    const recovered = pacer.stats('s')?.ratePerSecond;
    callsOf(pacer, clock, 's', limit, 1, () => 'throttled');
    await clock.advanceTo(31_000);

    expect(slowed).toBe(5);
    // 10% of 10/s per second of successful calls: about 6/s after one second at 5/s.
    expect(afterOneSecond).toBeGreaterThan(5.8);
    expect(afterOneSecond).toBeLessThan(6.6);
    expect(recovered).toBe(10);
    expect(pacer.stats('s')?.ratePerSecond).toBe(5);
  });

  it('never slows a scope below its floor, however often it is throttled', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, minRateFraction: 1 / 8 });

    callsOf(pacer, clock, 's', { ratePerSecond: 16, burst: 1 }, 12, () => 'throttled');
    await clock.advanceTo(120_000);

    expect(pacer.stats('s')?.ratePerSecond).toBe(2);
  });

  it('caps the calls in flight across scopes, and a slot freed goes to the next call waiting', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 2, clock });
    const permits: Array<[string, Permit]> = [];
    for (const scope of ['a', 'b', 'c', 'd']) void pacer.acquire(scope, { ratePerSecond: 100, burst: 100 }).then((p) => permits.push([scope, p]));
    await clock.advanceTo(1_000);
    const first = permits.map(([s]) => s);

    permits[1]?.[1].done('failed');
    await clock.advanceTo(2_000);

    expect(first).toEqual(['a', 'b']);
    expect(permits.map(([s]) => s)).toEqual(['a', 'b', 'c']);
    expect(pacer.callsInFlight).toBe(2);
  });

  it('does not let a scope waiting for its rate hold a slot that another scope could use', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 1, clock });
    const slow = callsOf(pacer, clock, 'cloudtrail:LookupEvents|a|r', { ratePerSecond: 2, burst: 1 }, 3);
    const fast = callsOf(pacer, clock, 'ec2|a|r', { ratePerSecond: 100, burst: 100 }, 5);

    await clock.advanceTo(5_000);

    expect(slow).toEqual([0, 500, 1000]);
    expect(fast).toEqual([0, 0, 0, 0, 0]);
  });

  it('shares slots round-robin between scopes that all have tokens', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 1, clock });
    const limit = { ratePerSecond: 100, burst: 100 };
    const holder = await pacer.acquire('z', limit);
    const order: string[] = [];
    for (const scope of ['a', 'a', 'a', 'b', 'b', 'b', 'c']) {
      void pacer.acquire(scope, limit).then((p) => {
        order.push(scope);
        p.done('ok');
      });
    }

    holder.done('ok');
    await clock.advanceTo(0);

    expect(order).toEqual(['a', 'b', 'c', 'a', 'b', 'a', 'b']);
  });

  it('leaves no timer behind once nothing waits', async () => {
    const clock = new VirtualClock();
    let live = 0;
    const counting: PacerClock = {
      now: clock.now,
      timer: (ms, wake) => {
        live += 1;
        const cancel = clock.timer(ms, () => {
          live -= 1;
          wake();
        });
        return () => {
          live -= 1;
          cancel();
        };
      },
    };
    const pacer = new Pacer({ maxInFlight: 8, clock: counting });

    callsOf(pacer, clock, 's', { ratePerSecond: 1, burst: 1 }, 3);
    await clock.advanceTo(10_000);

    expect(live).toBe(0);
  });
});
