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

/** Asks for a permit; when it is granted, records `name` in `order` and ends the call at once. */
function recordGrant(pacer: Pacer, order: string[], name: string, scope: string, limit: RateLimit, page?: 'first' | 'next'): void {
  void pacer.acquire(scope, limit, { page }).then((permit) => {
    order.push(name);
    permit.done('ok');
  });
}

/**
 * A pacer with one slot, for tests of who gets a contended slot: `hold` takes the slot, calls asked for
 * meanwhile wait, and `release` lets them have it in turn, `order` recording who got it.
 */
function oneSlot(options: { jitterMs?: number } = {}) {
  const clock = new VirtualClock();
  const pacer = new Pacer({ maxInFlight: 1, clock, ...options });
  const order: string[] = [];
  let holder: Permit | undefined;
  return {
    clock,
    pacer,
    order,
    hold: async (scope = 'z') => {
      holder = await pacer.acquire(scope, { ratePerSecond: 100, burst: 100 });
    },
    ask: (name: string, scope: string, limit: RateLimit, page?: 'first' | 'next') => recordGrant(pacer, order, name, scope, limit, page),
    release: async (until = 0) => {
      holder?.done('ok');
      await clock.advanceTo(until);
    },
  };
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

/** One lookup of the scope has had a later page, `interval` ms after its first: its listings are long. */
async function lookupsProvedLong(pacer: Pacer, clock: VirtualClock, scope: string, limit: RateLimit, interval: number): Promise<void> {
  (await pacer.acquire(scope, limit, { page: 'first' })).done('ok');
  await clock.advanceTo(clock.now() + interval);
  (await pacer.acquire(scope, limit, { page: 'next' })).done('ok');
  await clock.advanceTo(clock.now() + interval);
}

describe('Pacer', () => {
  it('lets a burst through at once, then one call per refill interval', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 0 });

    const granted = callsOf(pacer, clock, 'ec2|222222222222|us-east-1', { ratePerSecond: 10, burst: 5 }, 9);
    await clock.advanceTo(10_000);

    expect(granted).toEqual([0, 0, 0, 0, 0, 100, 200, 300, 400]);
  });

  it('refills during a quiet spell, never beyond the burst', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 0 });
    const limit = { ratePerSecond: 2, burst: 3 };
    callsOf(pacer, clock, 's', limit, 3);
    await clock.advanceTo(60_000);

    const granted = callsOf(pacer, clock, 's', limit, 5);
    await clock.advanceTo(70_000);

    expect(granted).toEqual([60_000, 60_000, 60_000, 60_500, 61_000]);
  });

  it('keeps a reserve of AWS\'s burst for calls that arrive early, or stretches the interval when the burst has no room', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 100 });

    const bursty = callsOf(pacer, clock, 'ec2|a|r', { ratePerSecond: 10, burst: 5 }, 6);
    const single = callsOf(pacer, clock, 'cloudtrail:LookupEvents|a|r', { ratePerSecond: 2, burst: 1 }, 3);
    await clock.advanceTo(10_000);

    // 100 ms at 10/s is one token kept back; at 2/s, half a second becomes 600 ms.
    expect(bursty).toEqual([0, 0, 0, 0, 100, 200]);
    expect(single).toEqual([0, 600, 1200]);
  });

  it('empties the bucket on a throttled answer, once per wave of calls already sent, and halves the rate only when throttles recur', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 0, recoveryCalls: Infinity });
    const limit = { ratePerSecond: 10, burst: 3 };

    // The burst of three all come back throttled: one answer, not three; the bucket is empty, the rate kept.
    const granted = callsOf(pacer, clock, 's', limit, 6, (i) => (i < 3 ? 'throttled' : 'ok'));
    await clock.advanceTo(10_000);
    const isolated = pacer.stats('s');
    // The next call is throttled too, one call later: the scope is shared, so the rate halves.
    const again = callsOf(pacer, clock, 's', limit, 2, (i) => (i === 0 ? 'throttled' : 'ok'));
    await clock.advanceTo(20_000);

    expect(granted).toEqual([0, 0, 0, 100, 200, 300]);
    expect(isolated).toMatchObject({ ratePerSecond: 10, throttled: 3, granted: 6 });
    expect(again).toEqual([10_000, 10_000]);
    expect(pacer.stats('s')).toMatchObject({ ratePerSecond: 5, throttled: 4 });
  });

  it('recovers linearly, a share of the rate per successful call, to the configured rate, and halves again on the next throttle', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 0, recoveryCalls: 10 });
    const limit = { ratePerSecond: 10, burst: 1 };
    callsOf(pacer, clock, 's', limit, 2, () => 'throttled');
    await clock.advanceTo(1_000);
    const slowed = pacer.stats('s')?.ratePerSecond;

    callsOf(pacer, clock, 's', limit, 2);
    await clock.advanceTo(2_000);
    const afterTwoCalls = pacer.stats('s')?.ratePerSecond;
    callsOf(pacer, clock, 's', limit, 10);
    await clock.advanceTo(30_000);
    const recovered = pacer.stats('s')?.ratePerSecond;
    callsOf(pacer, clock, 's', limit, 1, () => 'throttled');
    await clock.advanceTo(31_000);

    expect(slowed).toBe(5);
    // Each success adds a tenth of 10/s.
    expect(afterTwoCalls).toBeCloseTo(7, 9);
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
    const pacer = new Pacer({ maxInFlight: 1, clock, jitterMs: 0 });
    const slow = callsOf(pacer, clock, 'cloudtrail:LookupEvents|a|r', { ratePerSecond: 2, burst: 1 }, 3);
    const fast = callsOf(pacer, clock, 'ec2|a|r', { ratePerSecond: 100, burst: 100 }, 5);

    await clock.advanceTo(5_000);

    expect(slow).toEqual([0, 500, 1000]);
    expect(fast).toEqual([0, 0, 0, 0, 0]);
  });

  it('gives contended slots to the longest queue at its rate first, equal claims taking turns', async () => {
    const { hold, ask, release, order } = oneSlot();
    await hold();
    for (const scope of ['a', 'a', 'a', 'b', 'b', 'b', 'c']) ask(scope, scope, { ratePerSecond: 100, burst: 100 });

    await release();

    expect(order).toEqual(['a', 'b', 'a', 'b', 'c', 'a', 'b']);
  });

  it('lets pages of a listing go before the calls already waiting in their scope, in order', async () => {
    const { hold, ask: askIn, release, order } = oneSlot();
    await hold('rds');
    const ask = (name: string, page?: 'first' | 'next') => askIn(name, 'rds', { ratePerSecond: 100, burst: 100 }, page);
    ask('read-1');
    ask('read-2');
    ask('page-1', 'first');
    ask('page-2', 'next');

    await release();

    expect(order).toEqual(['page-1', 'page-2', 'read-1', 'read-2']);
  });

  it('gives a contended slot to a scope with a page waiting before longer queues elsewhere', async () => {
    const { hold, ask: askIn, release, order } = oneSlot();
    await hold();
    const ask = (scope: string, page?: 'first' | 'next') => askIn(scope, scope, { ratePerSecond: 100, burst: 100 }, page);
    for (let i = 0; i < 5; i++) ask('reads');
    ask('listing', 'first');

    await release();

    expect(order).toEqual(['listing', 'reads', 'reads', 'reads', 'reads', 'reads']);
  });

  it('among scopes with pages waiting, gives a contended slot to the faster scope first', async () => {
    const { hold, ask, release, order } = oneSlot();
    await hold();
    ask('guardduty', 'guardduty', { ratePerSecond: 10, burst: 20 }, 'next');
    ask('rds', 'rds', { ratePerSecond: 12, burst: 300 }, 'next');

    await release();

    expect(order).toEqual(['rds', 'guardduty']);
  });

  it('among scopes with pages waiting, gives a contended slot first to the scope whose listings returned the most items', async () => {
    const { pacer, hold, ask: askIn, release, order } = oneSlot();
    const rds = { ratePerSecond: 12, burst: 300 };
    for (const [scope, items] of [['rds-big', 60], ['rds-small', 3], ['rds-empty', 0]] as const) {
      (await pacer.acquire(scope, rds, { page: 'first' })).done('ok');
      pacer.listedItems(scope, items);
    }
    await hold();
    const ask = (scope: string, limit: RateLimit) => askIn(scope, scope, limit, 'first');
    ask('rds-empty', rds);
    ask('ec2-new', { ratePerSecond: 20, burst: 100 });
    ask('rds-small', rds);
    ask('rds-big', rds);

    await release();

    // Items found come first; among scopes that found none, the faster one.
    expect(order).toEqual(['rds-big', 'rds-small', 'ec2-new', 'rds-empty']);
  });

  it('in a scope with a burst of one, ranks first pages by their queue and only later pages as links', async () => {
    const { hold, ask, release, order } = oneSlot();
    await hold();
    const lookups = { ratePerSecond: 2, burst: 1 };
    ask('first lookup', 'lookups-a', lookups, 'first');
    ask('next lookup page', 'lookups-b', lookups, 'next');
    for (let i = 0; i < 30; i++) ask('read', 'rds', { ratePerSecond: 12, burst: 300 });

    await release();

    // The later page is a link and goes first. The first page claims 0.5 s (one call at 2 a second): it
    // goes once the reads' queue (30 at 12 a second, 2.5 s) is down to 6.
    expect(order[0]).toBe('next lookup page');
    expect(order.indexOf('first lookup')).toBe(1 + 24);
  });

  it('in a scope with a burst of one whose lookups have had later pages, lets first pages claim slots as links do, behind its later pages', async () => {
    const { clock, pacer, hold, ask, release, order } = oneSlot({ jitterMs: 0 });
    const lookups = { ratePerSecond: 1000, burst: 1 };
    // One page of a long lookup has gone: the scope's listings fill pages.
    await lookupsProvedLong(pacer, clock, 'lookups-a', lookups, 10);
    await hold();
    for (let i = 0; i < 30; i++) ask('read', 'rds', { ratePerSecond: 12, burst: 300 });
    ask('first page, long scope', 'lookups-a', lookups, 'first');
    ask('first page, short scope', 'lookups-b', lookups, 'first');

    await release(1_000);

    // The long scope's first page goes before the reads' queue (2.5 s at 12 a second); the scope whose
    // lookups never had a second page still waits its turn by its queue (0.001 s).
    expect(order[0]).toBe('first page, long scope');
    expect(order.at(-1)).toBe('first page, short scope');
  });

  it('in a scope with a burst of one whose lookups have had later pages, gives it a contended slot before any other scope\'s pages', async () => {
    const { clock, pacer, hold, ask, release, order } = oneSlot({ jitterMs: 0 });
    const lookups = { ratePerSecond: 2, burst: 1 };
    await lookupsProvedLong(pacer, clock, 'lookups-a', lookups, 500);
    await hold();
    ask('snapshot page', 'ec2', { ratePerSecond: 20, burst: 100 }, 'next');
    ask('listing', 's3', { ratePerSecond: 100, burst: 100 }, 'first');
    ask('lookup', 'lookups-a', lookups, 'first');

    await release(1_000);

    // Its one token would be lost while it waited; the pages lose nothing by going a call later.
    expect(order).toEqual(['lookup', 'listing', 'snapshot page']);
  });

  it('gives a contended slot to the scope whose waiting calls only its rate can drain, before scopes with tokens to spare', async () => {
    const { hold, ask: askIn, release, order } = oneSlot({ jitterMs: 0 });
    await hold();
    const ask = (scope: string, limit: RateLimit, n: number) => {
      for (let i = 0; i < n; i++) askIn(scope, scope, limit);
    };
    ask('fast', { ratePerSecond: 100, burst: 100 }, 3);
    ask('floor', { ratePerSecond: 10, burst: 2 }, 4);

    await release();

    // The floor scope has two tokens and two calls beyond them: it goes first while its tokens last.
    expect(order).toEqual(['floor', 'floor', 'fast', 'fast', 'fast']);
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
  it('lets in to be built only as many calls as the scope can send in aheadMs, later pages first, and takes room back from calls that fail before their turn', async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer({ maxInFlight: 64, clock, jitterMs: 0, aheadMs: 1000 });
    // 2 a second with a burst of 1: room for 1 + 2 = 3 calls built ahead.
    const limit = { ratePerSecond: 2, burst: 1 };
    const built: string[] = [];
    const sent: Array<[string, number]> = [];
    const call = async (name: string, page?: 'first' | 'next', failsBeforeTurn = false) => {
      const admission = await pacer.admit('s', limit, { page });
      built.push(name);
      if (failsBeforeTurn) return admission();
      const permit = await pacer.acquire('s', limit, { page, admission });
      sent.push([name, clock.now()]);
      permit.done('ok');
    };
    for (const name of ['a', 'b', 'c', 'd', 'e']) void call(name);
    void call('broken', undefined, true);
    void call('page-2', 'next');
    await clock.advanceTo(0);

    // a went at once and gave its room to the later page.
    expect(built).toEqual(['a', 'b', 'c', 'page-2']);

    await clock.advanceTo(10_000);

    expect(built).toEqual(['a', 'b', 'c', 'page-2', 'd', 'e', 'broken']);
    expect(sent).toEqual([
      ['a', 0],
      ['page-2', 500],
      ['b', 1000],
      ['c', 1500],
      ['d', 2000],
      ['e', 2500],
    ]);
  });
});
