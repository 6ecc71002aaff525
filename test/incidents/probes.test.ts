import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseYamlInput } from '../../src/core/input.js';
import {
  INITIAL_PROBE_STATE,
  MemoryProbeStateStore,
  advanceProbe,
  dailyUptime,
  judgeResponse,
  probesConfigSchema,
  redactUrl,
  runProbesOnce,
  scrubUrlSecrets,
  type ProbeDefinition,
  type ProbeObservation,
  type ProbeOutcome,
  type ProbeState,
  type Prober,
} from '../../src/incidents/probes.js';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const at = (minute: number) => new Date(T0 + minute * MINUTE_MS).toISOString();

const configFile = z.strictObject({ probes: probesConfigSchema });

function parseProbes(yaml: string): ProbeDefinition[] {
  return parseYamlInput(yaml, 'vigil.config.yaml', configFile).probes;
}

function problemsOf(fn: () => unknown): Array<{ path: string; line?: number; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => ({ path: p.path, line: p.line, message: p.message }));
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const APP: ProbeDefinition = {
  name: 'app',
  url: 'https://app.coursecraft.example/health',
  component: 'SCORM Cloud Website',
  method: 'GET',
  intervalMs: 60_000,
  timeoutMs: 10_000,
  expectStatus: [{ min: 200, max: 399 }],
  expectText: '"status":"ok"',
  failuresToAlert: 3,
  slowAfterMs: 2_000,
};

/** One observation per step: `up`, `down` (503), `slow` (degraded), `timeout`. */
type Step = 'up' | 'down' | 'slow' | 'timeout';

function observe(step: Step, minute: number, probe = APP): ProbeObservation {
  const base = { probe: probe.name, at: at(minute) };
  switch (step) {
    case 'up':
      return { ...base, ok: true, outcome: 'up', httpStatus: 200, latencyMs: 120 };
    case 'down':
      return { ...base, ok: false, outcome: 'down', reason: 'status', httpStatus: 503, latencyMs: 40, error: 'HTTP 503 Service Unavailable, expected 200-399' };
    case 'slow':
      return { ...base, ok: false, outcome: 'degraded', reason: 'slow', httpStatus: 200, latencyMs: 3_500, error: 'answered in 3500 ms, slower than 2s' };
    case 'timeout':
      return { ...base, ok: false, outcome: 'down', reason: 'timeout', latencyMs: 10_000, error: 'no complete answer within 10s' };
  }
}

/** A step, optionally inside a maintenance window of the probe's component (`m:`). */
type Played = Step | `m:${Step}`;

/** Plays the steps and reports, per step, the signal (status or `cleared`) and the component status set. */
function play(steps: Played[], probe = APP): { events: Array<[number, string]>; state: ProbeState } {
  let state = INITIAL_PROBE_STATE;
  const events: Array<[number, string]> = [];
  steps.forEach((played, i) => {
    const muted = played.startsWith('m:');
    const step = (muted ? played.slice(2) : played) as Step;
    const result = advanceProbe(state, observe(step, i, probe), { probe, mutedComponents: muted ? [probe.component] : [] });
    state = result.state;
    if (result.signal) events.push([i, result.signal.payload['cleared'] === true ? 'signal:cleared' : `signal:${String(result.signal.payload['status'])}`]);
    if (result.componentStatus) events.push([i, `component:${result.componentStatus.status}`]);
  });
  return { events, state };
}

describe('probesConfigSchema', () => {
  it('fills the defaults around a name, a URL and a component', () => {
    const yaml = `
probes:
  - name: app
    url: https://app.coursecraft.example/health
    component: SCORM Cloud Website
`;

    const probes = parseProbes(yaml);

    expect(probes).toEqual([
      {
        name: 'app',
        url: 'https://app.coursecraft.example/health',
        component: 'SCORM Cloud Website',
        method: 'GET',
        intervalMs: 60_000,
        timeoutMs: 10_000,
        expectStatus: [{ min: 200, max: 399 }],
        failuresToAlert: 3,
      },
    ]);
  });

  it.each([
    ['a code', '204', [{ min: 204, max: 204 }]],
    ['a range', '"200-299"', [{ min: 200, max: 299 }]],
    ['a list of codes and ranges', '[200, "301-302"]', [{ min: 200, max: 200 }, { min: 301, max: 302 }]],
  ])('reads expectStatus as %s', (_case, text, expected) => {
    const yaml = `
probes:
  - { name: api, url: "http://api.example/v1/health", component: API, method: HEAD, interval: 30s, timeout: 5s, slowAfter: 800ms, failuresToAlert: 2, expectStatus: ${text} }
`;

    const [probe] = parseProbes(yaml);

    expect(probe).toEqual({
      name: 'api',
      url: 'http://api.example/v1/health',
      component: 'API',
      method: 'HEAD',
      intervalMs: 30_000,
      timeoutMs: 5_000,
      slowAfterMs: 800,
      failuresToAlert: 2,
      expectStatus: expected,
    });
  });

  it('accepts a vault reference for a URL that carries a secret', () => {
    const yaml = `
probes:
  - { name: admin, url: "vault:secret/data/vigil#admin_probe_url", component: Admin }
`;

    const [probe] = parseProbes(yaml);

    expect(probe?.url).toBe('vault:secret/data/vigil#admin_probe_url');
  });

  it('reports every problem at once, with its line', () => {
    const yaml = `
probes:
  - name: app
    url: ftp://app.example/health
    component: Website
    interval: soon
    expect_status: 200
  - name: app
    url: https://app.example/other
    component: Website
    interval: 30s
    timeout: 45s
  - name: Bad Name
    url: https://api.example/health
    component: API
    method: HEAD
    expectText: ok
    slowAfter: 20s
    expectStatus: [200, "2xx"]
    failuresToAlert: 0
`;

    const problems = problemsOf(() => parseProbes(yaml));

    expect(problems).toEqual([
      { path: 'probes[0].url', line: 4, message: 'expected an http(s) URL such as https://app.example.com/health' },
      { path: 'probes[0].interval', line: 6, message: '"soon" is not a duration; expected e.g. 60s, 5m or 500ms' },
      { path: 'probes[0].expect_status', line: 7, message: 'unknown field; did you mean "expectStatus"?' },
      { path: 'probes[1].name', line: 8, message: 'duplicate probe name "app" (also probes[0])' },
      { path: 'probes[1].timeout', line: 12, message: 'must not be longer than the interval (30s)' },
      { path: 'probes[2].name', line: 13, message: 'expected lower-case letters, digits and dashes' },
      {
        path: 'probes[2].expectStatus',
        line: 19,
        message: 'expected a status code (200), a range ("200-399") or a list of them ([200, "300-308"])',
      },
      { path: 'probes[2].failuresToAlert', line: 20, message: 'expected at least 1' },
    ]);
  });

  it('reports cross-field problems and duplicate names', () => {
    const yaml = `
probes:
  - { name: app, url: "https://app.example/health", component: Website }
  - { name: app, url: "https://app.example/other", component: Website }
  - { name: api, url: "https://api.example/health", component: API, method: HEAD, expectText: ok, timeout: 2s, slowAfter: 2s }
`;

    const problems = problemsOf(() => parseProbes(yaml));

    expect(problems).toEqual([
      { path: 'probes[1].name', line: 4, message: 'duplicate probe name "app" (also probes[0])' },
      { path: 'probes[2].slowAfter', line: 5, message: 'must be shorter than the timeout (2s): an answer after the timeout is down, not slow' },
      { path: 'probes[2].expectText', line: 5, message: 'a HEAD answer has no body to search; use method GET' },
    ]);
  });
});

describe('judgeResponse', () => {
  it.each([
    { name: 'expected status, text, in time', answer: { httpStatus: 200, body: '{"status":"ok"}', latencyMs: 150 }, verdict: { ok: true, outcome: 'up' } },
    { name: 'a redirect within 200-399', answer: { httpStatus: 302, body: '{"status":"ok"}', latencyMs: 10 }, verdict: { ok: true, outcome: 'up' } },
    {
      name: 'a 503',
      answer: { httpStatus: 503, body: 'Service Unavailable', latencyMs: 20 },
      verdict: { ok: false, outcome: 'down', reason: 'status', error: 'HTTP 503 Service Unavailable, expected 200-399' },
    },
    {
      name: 'the right status without the text',
      answer: { httpStatus: 200, body: '{"status":"maintenance"}', latencyMs: 20 },
      verdict: { ok: false, outcome: 'down', reason: 'text', error: 'HTTP 200 without the expected text "\\"status\\":\\"ok\\""' },
    },
    {
      name: 'a right answer after slowAfter',
      answer: { httpStatus: 200, body: '{"status":"ok"}', latencyMs: 2_001 },
      verdict: { ok: false, outcome: 'degraded', reason: 'slow', error: 'answered in 2001 ms, slower than 2s' },
    },
    {
      name: 'a wrong status that is also slow (down wins)',
      answer: { httpStatus: 500, body: '', latencyMs: 9_000 },
      verdict: { ok: false, outcome: 'down', reason: 'status', error: 'HTTP 500 Internal Server Error, expected 200-399' },
    },
  ])('$name', ({ answer, verdict }) => {
    const result = judgeResponse(APP, answer);

    expect(result).toEqual(verdict);
  });

  it('names every expected range', () => {
    const probe = { ...APP, expectStatus: [{ min: 200, max: 200 }, { min: 301, max: 302 }] };

    const result = judgeResponse(probe, { httpStatus: 204, body: '"status":"ok"', latencyMs: 1 });

    expect(result.error).toBe('HTTP 204 No Content, expected 200, 301-302');
  });
});

describe('advanceProbe', () => {
  it.each<{ name: string; steps: Played[]; events: Array<[number, string]> }>([
    { name: 'one check up announces the component once', steps: ['up', 'up', 'up'], events: [[0, 'component:operational']] },
    { name: 'N-1 failures raise nothing', steps: ['down', 'down'], events: [] },
    {
      name: 'the Nth failure raises once, however long it lasts',
      steps: ['down', 'down', 'down', 'down', 'timeout', 'down'],
      events: [
        [2, 'signal:down'],
        [2, 'component:major_outage'],
      ],
    },
    {
      name: 'recovery clears once',
      steps: ['up', 'down', 'down', 'down', 'up', 'up'],
      events: [
        [0, 'component:operational'],
        [3, 'signal:down'],
        [3, 'component:major_outage'],
        [4, 'signal:cleared'],
        [4, 'component:operational'],
      ],
    },
    { name: 'blips shorter than N never reach anyone', steps: ['up', 'down', 'down', 'up', 'slow', 'timeout', 'up'], events: [[0, 'component:operational']] },
    {
      name: 'a slow site is degraded, and raised again only when it goes down',
      steps: ['slow', 'slow', 'slow', 'slow', 'down', 'down', 'slow', 'up'],
      events: [
        [2, 'signal:degraded'],
        [2, 'component:degraded_performance'],
        [4, 'signal:down'],
        [4, 'component:major_outage'],
        [6, 'component:degraded_performance'],
        [7, 'signal:cleared'],
        [7, 'component:operational'],
      ],
    },
    {
      name: 'an outage with any down check in it is raised as down',
      steps: ['down', 'down', 'slow'],
      events: [
        [2, 'signal:down'],
        [2, 'component:degraded_performance'],
      ],
    },
    { name: 'a muted window raises nothing and sets no status', steps: ['m:down', 'm:down', 'm:down', 'm:down', 'm:up', 'm:timeout'], events: [] },
    {
      name: 'failures before a window do not count after it',
      steps: ['up', 'down', 'down', 'm:down', 'down', 'down', 'down'],
      events: [
        [0, 'component:operational'],
        [6, 'signal:down'],
        [6, 'component:major_outage'],
      ],
    },
    {
      name: 'an outage that ends inside the window clears at the first check after it',
      steps: ['down', 'down', 'down', 'm:down', 'm:up', 'up'],
      events: [
        [2, 'signal:down'],
        [2, 'component:major_outage'],
        [5, 'signal:cleared'],
        [5, 'component:operational'],
      ],
    },
    {
      name: 'an outage that outlasts the window sets the component again without a second signal',
      steps: ['down', 'down', 'down', 'm:down', 'down', 'down'],
      events: [
        [2, 'signal:down'],
        [2, 'component:major_outage'],
        [4, 'component:major_outage'],
      ],
    },
    {
      name: 'leaving a window re-evaluates a healthy site',
      steps: ['up', 'm:up', 'up'],
      events: [
        [0, 'component:operational'],
        [2, 'component:operational'],
      ],
    },
  ])('$name', ({ steps, events }) => {
    const result = play(steps);

    expect(result.events).toEqual(events);
  });

  it('alerts on the first failure when failuresToAlert is 1', () => {
    const result = play(['up', 'down'], { ...APP, failuresToAlert: 1 });

    expect(result.events).toEqual([
      [0, 'component:operational'],
      [1, 'signal:down'],
      [1, 'component:major_outage'],
    ]);
  });

  it('raises a probe-failed signal with what rules and people need', () => {
    const first = advanceProbe(INITIAL_PROBE_STATE, observe('down', 0), { probe: APP, mutedComponents: [] });
    const second = advanceProbe(first.state, observe('timeout', 1), { probe: APP, mutedComponents: new Set() });

    const third = advanceProbe(second.state, observe('down', 2), { probe: APP, mutedComponents: new Set(['Reporting']) });

    expect(third.signal).toEqual({
      id: `probe:app:${at(2)}`,
      kind: 'probe-failed',
      key: 'probe:app',
      source: 'probe',
      raisedAt: at(2),
      summary: 'Probe app: https://app.coursecraft.example/health is down (HTTP 503 Service Unavailable, expected 200-399) after 3 failed checks in a row.',
      payload: {
        probe: 'app',
        status: 'down',
        url: 'https://app.coursecraft.example/health',
        component: 'SCORM Cloud Website',
        failures: 3,
        failingSince: at(0),
        reason: 'status',
        httpStatus: 503,
        latencyMs: 40,
        slowAfterMs: 2_000,
        error: 'HTTP 503 Service Unavailable, expected 200-399',
      },
    });
    expect(third.componentStatus).toEqual({
      subject: 'component',
      event: 'component-status',
      component: 'SCORM Cloud Website',
      status: 'major_outage',
      actor: 'probe:app',
      reason: 'Probe app: https://app.coursecraft.example/health is down after 3 failed checks in a row (HTTP 503 Service Unavailable, expected 200-399).',
      at: at(2),
    });
    expect(third.state).toEqual({
      failures: 3,
      failingSince: at(0),
      worst: 'down',
      alert: { status: 'down', raisedAt: at(2), signalId: `probe:app:${at(2)}` },
      componentStatus: 'major_outage',
      lastObservedAt: at(2),
      muted: false,
    });
  });

  it('clears on the same key with cleared: true', () => {
    const { state } = play(['down', 'down', 'down']);

    const result = advanceProbe(state, observe('up', 3), { probe: APP, mutedComponents: [] });

    expect(result.signal).toEqual({
      id: `probe:app:${at(3)}`,
      kind: 'probe-failed',
      key: 'probe:app',
      source: 'probe',
      raisedAt: at(3),
      summary: 'Probe app: https://app.coursecraft.example/health is up again (HTTP 200 in 120 ms).',
      payload: {
        probe: 'app',
        status: 'up',
        cleared: true,
        url: 'https://app.coursecraft.example/health',
        component: 'SCORM Cloud Website',
        alertedAt: at(2),
        httpStatus: 200,
        latencyMs: 120,
      },
    });
    expect(result.state).toEqual({ failures: 0, componentStatus: 'operational', lastObservedAt: at(3), muted: false });
  });

  it('keeps credentials in the URL out of signals and component reasons', () => {
    const probe = { ...APP, url: 'https://monitor:hunter2-pass@app.coursecraft.example/health?token=tok-5ecret-123&region=eu' };

    const { state } = play(['down', 'down'], probe);
    const result = advanceProbe(state, observe('down', 2, probe), { probe, mutedComponents: [] });

    const text = JSON.stringify(result);
    expect(result.signal?.payload['url']).toBe('https://****:****@app.coursecraft.example/health?token=****&region=eu');
    expect(text).not.toContain('hunter2-pass');
    expect(text).not.toContain('tok-5ecret-123');
  });
});

describe('redactUrl and scrubUrlSecrets', () => {
  it.each([
    ['a plain URL stays as it is', 'https://app.example/health?region=eu', 'https://app.example/health?region=eu'],
    ['userinfo is masked', 'https://probe:pa55word@app.example/health', 'https://****:****@app.example/health'],
    ['secret-looking query values are masked', 'https://app.example/h?api_key=k1&sig=abc&access_token=t&page=2', 'https://app.example/h?api_key=****&sig=****&access_token=****&page=2'],
    ['a vault reference is shown as a reference', 'vault:secret/data/vigil#url', 'vault:secret/data/vigil#url'],
  ])('%s', (_case, url, expected) => {
    const result = redactUrl(url);

    expect(result).toBe(expected);
  });

  it('masks the secrets of the URL wherever an error message repeats them', () => {
    const url = 'https://probe:pa55word@app.example/health?token=s3cr3t-value';

    const result = scrubUrlSecrets(`request to ${url} failed: bad credentials pa55word for token s3cr3t-value`, url);

    expect(result).toBe('request to https://****:****@app.example/health?token=**** failed: bad credentials **** for token ****');
  });
});

describe('dailyUptime', () => {
  function obs(probe: string, iso: string, outcome: ProbeOutcome, muted = false): ProbeObservation {
    return { probe, at: iso, ok: outcome === 'up', outcome, latencyMs: 100, ...(muted ? { muted } : {}) };
  }

  const OBSERVATIONS = [
    obs('app', '2026-03-01T22:00:00.000Z', 'up'),
    obs('app', '2026-03-01T23:30:00.000Z', 'down'),
    obs('app', '2026-03-02T00:30:00.000Z', 'degraded'),
    obs('app', '2026-03-02T01:00:00.000Z', 'up'),
    obs('app', '2026-03-02T02:00:00.000Z', 'down', true),
    obs('api', '2026-03-02T12:00:00.000Z', 'down', true),
  ];

  it('counts per probe and UTC day, muted checks apart and out of the percentage', () => {
    const result = dailyUptime(OBSERVATIONS);

    expect(result).toEqual([
      { probe: 'api', day: '2026-03-02', checks: 0, up: 0, degraded: 0, down: 0, muted: 1, uptimePercent: null },
      { probe: 'app', day: '2026-03-01', checks: 2, up: 1, degraded: 0, down: 1, muted: 0, uptimePercent: 50 },
      { probe: 'app', day: '2026-03-02', checks: 2, up: 1, degraded: 1, down: 0, muted: 1, uptimePercent: 100 },
    ]);
  });

  it.each([
    // UTC-5: everything before 05:00Z belongs to March 1st.
    ['America/New_York', [{ day: '2026-03-01', checks: 4, up: 2, degraded: 1, down: 1, muted: 1, uptimePercent: 75 }]],
    // UTC+9: 22:00Z on March 1st is already March 2nd.
    ['Asia/Tokyo', [{ day: '2026-03-02', checks: 4, up: 2, degraded: 1, down: 1, muted: 1, uptimePercent: 75 }]],
  ])('cuts days in %s', (timeZone, expected) => {
    const result = dailyUptime(OBSERVATIONS.filter((o) => o.probe === 'app'), timeZone);

    expect(result).toEqual(expected.map((row) => ({ probe: 'app', ...row })));
  });

  it('rounds to a thousandth of a percent', () => {
    const day = Array.from({ length: 1440 }, (_, i) => obs('app', at(i - 540), i === 0 ? 'down' : 'up'));

    const [row] = dailyUptime(day);

    expect(row).toEqual({ probe: 'app', day: '2026-03-02', checks: 1440, up: 1439, degraded: 0, down: 1, muted: 0, uptimePercent: 99.931 });
  });

  it('rejects an unknown time zone', () => {
    const problems = problemsOf(() => dailyUptime(OBSERVATIONS, 'Mars/Olympus'));

    expect(problems).toEqual([{ path: 'timeZone', line: undefined, message: '"Mars/Olympus" is not a known IANA time zone (e.g. UTC, Europe/Berlin)' }]);
  });
});

describe('runProbesOnce', () => {
  /** A prober scripted per probe; the real one is tested against the sandbox. */
  function scripted(clock: ManualClock, script: Record<string, Step[]>): Prober & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      probe: async (probe) => {
        calls.push(probe.name);
        const step = script[probe.name]?.shift() ?? 'up';
        return { ...observe(step, 0, probe), at: clock.now().toISOString() };
      },
    };
  }

  const API: ProbeDefinition = { ...APP, name: 'api', url: 'https://api.coursecraft.example/v1/health', component: 'SCORM Cloud API', intervalMs: 120_000 };

  it('checks only the due probes, by the interval since their last check', async () => {
    const clock = new ManualClock(at(0));
    const prober = scripted(clock, {});
    const store = new MemoryProbeStateStore();

    await runProbesOnce([APP, API], { prober, store, clock, mutedComponents: [] });
    clock.advance(60_000 - 500);
    await runProbesOnce([APP, API], { prober, store, clock, mutedComponents: [] });
    clock.advance(60_000);
    await runProbesOnce([APP, API], { prober, store, clock, mutedComponents: [] });

    // 59.5s is close enough to a minute for a scheduler tick; the api's two minutes had not passed then.
    expect(prober.calls).toEqual(['app', 'api', 'app', 'app', 'api']);
    expect((await store.observations(at(0))).map((o) => [o.probe, o.at])).toEqual([
      ['app', at(0)],
      ['api', at(0)],
      ['app', new Date(T0 + 59_500).toISOString()],
      ['app', new Date(T0 + 119_500).toISOString()],
      ['api', new Date(T0 + 119_500).toISOString()],
    ]);
  });

  it('raises, records and hands off before saving', async () => {
    const clock = new ManualClock(at(0));
    const prober = scripted(clock, { app: ['down', 'down', 'down'] });
    const store = new MemoryProbeStateStore();
    const handedOff: Array<{ signals: string[]; components: string[]; savedBefore: number | undefined }> = [];
    const handOff = async (result: { signals: Array<{ id: string }>; componentChanges: Array<{ component: string; status: string }> }) => {
      handedOff.push({
        signals: result.signals.map((s) => s.id),
        components: result.componentChanges.map((c) => `${c.component}=${c.status}`),
        savedBefore: (await store.load('app'))?.failures,
      });
    };

    for (let i = 0; i < 3; i++) {
      await runProbesOnce([APP], { prober, store, clock, mutedComponents: [], handOff });
      clock.advance(MINUTE_MS);
    }

    expect(handedOff).toEqual([
      { signals: [], components: [], savedBefore: undefined },
      { signals: [], components: [], savedBefore: 1 },
      { signals: [`probe:app:${at(2)}`], components: ['SCORM Cloud Website=major_outage'], savedBefore: 2 },
    ]);
    expect(await store.load('app')).toMatchObject({ failures: 3, alert: { status: 'down' } });
  });

  it('records checks in a maintenance window as muted and says nothing about them', async () => {
    const clock = new ManualClock(at(0));
    const prober = scripted(clock, { app: ['down', 'down', 'down'] });
    const store = new MemoryProbeStateStore();

    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await runProbesOnce([APP], { prober, store, clock, mutedComponents: new Set(['SCORM Cloud Website']) }));
      clock.advance(MINUTE_MS);
    }

    expect(results.map((r) => [r.signals.length, r.componentChanges.length])).toEqual([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect((await store.observations(at(0))).map((o) => o.muted)).toEqual([true, true, true]);
  });

  it('shows the worst of several probes of one component, and changes it only when that changes', async () => {
    const clock = new ManualClock(at(0));
    const app2: ProbeDefinition = { ...APP, name: 'app-login', url: 'https://app.coursecraft.example/login' };
    const prober = scripted(clock, { app: ['up', 'down', 'down', 'down', 'up'], 'app-login': ['up', 'up', 'slow', 'slow', 'slow'] });
    const store = new MemoryProbeStateStore();

    const changes: string[][] = [];
    for (let i = 0; i < 5; i++) {
      const result = await runProbesOnce([APP, app2], { prober, store, clock, mutedComponents: [] });
      changes.push(result.componentChanges.map((c) => `${c.status} by ${c.actor}`));
      clock.advance(MINUTE_MS);
    }

    expect(changes).toEqual([
      ['operational by probe:app'],
      [],
      [],
      // app-login alone would say degraded now, but app's outage is worse.
      ['major_outage by probe:app'],
      // app is back: the component is as bad as app-login says.
      ['degraded_performance by probe:app-login'],
    ]);
  });

  it('turns a prober that throws into a down check', async () => {
    const clock = new ManualClock(at(0));
    const prober: Prober = {
      probe: async () => {
        throw new Error('boom at https://u:supersecret@app.coursecraft.example/health');
      },
    };
    const probe = { ...APP, url: 'https://u:supersecret@app.coursecraft.example/health' };

    const result = await runProbesOnce([probe], { prober, store: new MemoryProbeStateStore(), clock, mutedComponents: [] });

    expect(result.observations).toEqual([
      {
        probe: 'app',
        at: at(0),
        ok: false,
        outcome: 'down',
        reason: 'network',
        latencyMs: 0,
        error: 'the probe could not run: boom at https://****:****@app.coursecraft.example/health',
      },
    ]);
  });
});
