import { describe, expect, it } from 'vitest';
import { RatePacer, type PacerClock } from '../../src/adapters/aws/pacer.js';

/** Virtual time: sleeps wait for `drain`, which fires timers in order. Nothing waits for real. */
class VirtualClock implements PacerClock {
  private t = 0;
  private timers: Array<{ at: number; wake: () => void }> = [];
  now = () => this.t;
  sleep = (ms: number) => new Promise<void>((wake) => this.timers.push({ at: this.t + ms, wake }));
  jump = (ms: number) => {
    this.t += ms;
  };

  /** Lets pending promise callbacks run, then fires the earliest timer; until nothing is waiting. */
  async drain(): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.wake();
    }
  }
}

/** Runs one call per key through the pacer; each call takes `takesMs` of virtual time. Returns [key, start]. */
async function runAll(pacer: RatePacer, clock: VirtualClock, keys: string[], takesMs = 0): Promise<Array<[string, number]>> {
  const started: Array<[string, number]> = [];
  const all = Promise.all(
    keys.map((key) =>
      pacer.run(key, async () => {
        started.push([key, clock.now()]);
        if (takesMs > 0) await clock.sleep(takesMs);
      }),
    ),
  );
  await clock.drain();
  await all;
  return started;
}

describe('RatePacer', () => {
  it('starts the calls of one key an interval apart', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(550, clock);

    const started = await runAll(pacer, clock, Array.from({ length: 5 }, () => '222222222222|us-east-1'));

    expect(started.map(([, at]) => at)).toEqual([0, 550, 1100, 1650, 2200]);
  });

  it('counts the interval from the end of the previous call, so slow calls never bunch up on arrival', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(550, clock);

    const started = await runAll(pacer, clock, ['k', 'k', 'k'], 300);

    expect(started.map(([, at]) => at)).toEqual([0, 850, 1700]);
  });

  it('never lets more than two calls start within a second', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(550, clock);

    const times = (await runAll(pacer, clock, Array.from({ length: 25 }, () => 'k'))).map(([, at]) => at);

    for (let i = 2; i < times.length; i++) expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(1000);
  });

  it('keeps account-regions independent of each other', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(550, clock);

    const started = await runAll(pacer, clock, ['a|us-east-1', 'a|us-east-1', 'b|us-east-1', 'a|us-west-2']);

    expect(started).toEqual([
      ['a|us-east-1', 0],
      ['b|us-east-1', 0],
      ['a|us-west-2', 0],
      ['a|us-east-1', 550],
    ]);
  });

  it('does not make a call wait after a quiet spell, and frees the turn when a call fails', async () => {
    const clock = new VirtualClock();
    const pacer = new RatePacer(550, clock);
    const failed = pacer.run('k', () => Promise.reject(new Error('ThrottlingException')));
    await expect(failed).rejects.toThrow('ThrottlingException');
    clock.jump(5000);

    const started = await runAll(pacer, clock, ['k', 'k']);

    expect(started.map(([, at]) => at)).toEqual([5000, 5550]);
  });
});
