import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, MINUTE_MS } from '../../src/core/clock.js';
import { HttpProber, MemoryProbeStateStore, runProbesOnce, type ProbeDefinition } from '../../src/incidents/probes.js';
import { demoScenarioWith, startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';

const SCENARIO = `
name: site-test
accounts:
  - id: "111111111111"
    name: management
site:
  endpoints:
    - { host: app.coursecraft.example, path: /health, json: { status: ok } }
    - { host: app.coursecraft.example, path: /, body: "<html>Coursecraft</html>", contentType: text/html }
    - { host: api.coursecraft.example, path: /v1/health, status: 204 }
`;

const START = '2026-03-02T09:00:00.000Z';
let sandbox: TestSandbox;
let clock: ManualClock;
let prober: HttpProber;

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  clock = new ManualClock(START);
  prober = new HttpProber({ clock });
});

afterAll(async () => {
  await sandbox.stop();
});

afterEach(async () => {
  for (const path of ['app.coursecraft.example/health', 'api.coursecraft.example/v1/health']) {
    await fetch(`${sandbox.info.awsEndpoint}/_sandbox/site/${path}`, { method: 'DELETE' });
  }
  await sandbox.setFaults([]);
});

function probeOf(overrides: Partial<ProbeDefinition> = {}): ProbeDefinition {
  return {
    name: 'app',
    url: `${sandbox.info.siteUrl}/app.coursecraft.example/health`,
    component: 'SCORM Cloud Website',
    method: 'GET',
    intervalMs: 60_000,
    timeoutMs: 2_000,
    expectStatus: [{ min: 200, max: 399 }],
    expectText: '"status":"ok"',
    failuresToAlert: 3,
    ...overrides,
  };
}

async function change(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sandbox.info.awsEndpoint}/_sandbox/site/${path}`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('the sandbox site', () => {
  it('answers each endpoint as the scenario says', async () => {
    const health = await fetch(`${sandbox.info.siteUrl}/app.coursecraft.example/health`);
    const home = await fetch(`${sandbox.info.siteUrl}/app.coursecraft.example/`);
    const api = await fetch(`${sandbox.info.siteUrl}/api.coursecraft.example/v1/health`);
    const missing = await fetch(`${sandbox.info.siteUrl}/app.coursecraft.example/nope`);

    expect([health.status, health.headers.get('content-type'), await health.json()]).toEqual([200, 'application/json', { status: 'ok' }]);
    expect([home.status, home.headers.get('content-type'), await home.text()]).toEqual([200, 'text/html', '<html>Coursecraft</html>']);
    expect(api.status).toBe(204);
    expect([missing.status, await missing.text()]).toEqual([404, 'Not Found']);
  });

  it('lists every endpoint and how it answers now', async () => {
    await change('app.coursecraft.example/health', { status: 503 });

    const endpoints = await sandbox.inspect<Array<Record<string, unknown>>>('site');

    expect(endpoints.map((e) => [e['host'], e['path'], e['status'], e['changed']])).toEqual([
      ['api.coursecraft.example', '/v1/health', 204, false],
      ['app.coursecraft.example', '/', 200, false],
      ['app.coursecraft.example', '/health', 503, true],
    ]);
  });

  it('rejects a change it cannot apply, naming every problem', async () => {
    const result = await change('app.coursecraft.example/health', { status: 42, latency: 'soon', colour: 'red' });

    expect(result.status).toBe(400);
    expect((result.body as { problems: Array<{ path: string }> }).problems.map((p) => p.path).sort()).toEqual(['colour', 'latency', 'status']);
  });
});

describe('HttpProber against the sandbox site', () => {
  it('sees a healthy endpoint up', async () => {
    const observation = await prober.probe(probeOf());

    expect(observation).toEqual({ probe: 'app', at: START, ok: true, outcome: 'up', httpStatus: 200, latencyMs: expect.any(Number) });
  });

  it('sees the endpoint go down with a 503 and come back', async () => {
    await change('app.coursecraft.example/health', { status: 503 });
    const down = await prober.probe(probeOf());
    await fetch(`${sandbox.info.awsEndpoint}/_sandbox/site/app.coursecraft.example/health`, { method: 'DELETE' });

    const back = await prober.probe(probeOf());

    expect(down).toMatchObject({ ok: false, outcome: 'down', reason: 'status', httpStatus: 503, error: 'HTTP 503 Service Unavailable, expected 200-399' });
    expect(back).toMatchObject({ ok: true, outcome: 'up', httpStatus: 200 });
  });

  it('sees the wrong text as down', async () => {
    await change('app.coursecraft.example/health', { json: { status: 'maintenance' } });

    const observation = await prober.probe(probeOf());

    expect(observation).toMatchObject({ ok: false, outcome: 'down', reason: 'text', httpStatus: 200 });
  });

  it('sees a slow answer as degraded', async () => {
    await change('app.coursecraft.example/health', { latency: '300ms' });

    const observation = await prober.probe(probeOf({ slowAfterMs: 100 }));

    expect(observation).toMatchObject({ ok: false, outcome: 'degraded', reason: 'slow', httpStatus: 200 });
    expect(observation.latencyMs).toBeGreaterThanOrEqual(290);
  });

  it('gives up on a hanging endpoint at its timeout', async () => {
    await change('app.coursecraft.example/health', { hang: true });

    const observation = await prober.probe(probeOf({ timeoutMs: 300 }));

    expect(observation).toMatchObject({ ok: false, outcome: 'down', reason: 'timeout', error: 'no complete answer within 300ms' });
    expect(observation.latencyMs).toBeGreaterThanOrEqual(290);
    expect(observation.latencyMs).toBeLessThan(2_000);
  });

  it('checks with HEAD and an exact status', async () => {
    const probe = probeOf({ url: `${sandbox.info.siteUrl}/api.coursecraft.example/v1/health`, method: 'HEAD', expectStatus: [{ min: 204, max: 204 }], expectText: undefined });

    const observation = await prober.probe(probe);

    expect(observation).toMatchObject({ ok: true, outcome: 'up', httpStatus: 204 });
  });

  it('sees fault injection on the site service', async () => {
    await sandbox.setFaults([{ service: 'site', operation: 'GET app.coursecraft.example/health', errorRate: 1, errorStatus: 502, times: 1 }]);

    const first = await prober.probe(probeOf());
    const second = await prober.probe(probeOf());

    expect([first.outcome, first.httpStatus, second.outcome]).toEqual(['down', 502, 'up']);
  });

  it('sends credentials in the URL as Basic auth, not in the URL', async () => {
    const seen: Array<{ url?: string; authorization?: string }> = [];
    const server = createHttpServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      res.end('"status":"ok"');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const observation = await prober.probe(probeOf({ url: `http://monitor:hunter2-pass@127.0.0.1:${port}/health` }));
    await new Promise<void>((resolve) => server.close(() => resolve()));

    expect(observation.outcome).toBe('up');
    expect(seen).toEqual([{ url: '/health', authorization: `Basic ${Buffer.from('monitor:hunter2-pass').toString('base64')}` }]);
  });

  it('keeps credentials in the URL out of errors', async () => {
    const port = await closedPort();
    const url = `http://monitor:hunter2-pass@127.0.0.1:${port}/health?token=tok-5ecret-123`;

    const observation = await prober.probe(probeOf({ url }));

    expect(observation).toMatchObject({ ok: false, outcome: 'down', reason: 'network' });
    expect(observation.error).toMatch(/^request failed: .*ECONNREFUSED/);
    expect(JSON.stringify(observation)).not.toMatch(/hunter2-pass|tok-5ecret-123/);
  });
});

describe('runProbesOnce against the sandbox site', () => {
  it('raises after three failed checks, clears when the site is back, and records the day', async () => {
    const runClock = new ManualClock(START);
    const deps = { prober: new HttpProber({ clock: runClock }), store: new MemoryProbeStateStore(), clock: runClock, mutedComponents: [] };
    const probes = [probeOf()];
    const run = async () => {
      const result = await runProbesOnce(probes, deps);
      runClock.advance(MINUTE_MS);
      return result;
    };

    const healthy = await run();
    await change('app.coursecraft.example/health', { status: 503 });
    const failing = [await run(), await run(), await run(), await run()];
    await fetch(`${sandbox.info.awsEndpoint}/_sandbox/site/app.coursecraft.example/health`, { method: 'DELETE' });
    const recovered = await run();

    expect(healthy.componentChanges.map((c) => c.status)).toEqual(['operational']);
    expect(failing.map((r) => [r.signals.map((s) => s.payload['status']), r.componentChanges.map((c) => c.status)])).toEqual([
      [[], []],
      [[], []],
      [['down'], ['major_outage']],
      [[], []],
    ]);
    expect(recovered.signals.map((s) => [s.key, s.payload['cleared']])).toEqual([['probe:app', true]]);
    expect(recovered.componentChanges.map((c) => c.status)).toEqual(['operational']);
  });
});

describe('the demo scenario site', () => {
  let demo: TestSandbox;

  beforeAll(async () => {
    demo = await startTestSandbox(demoScenarioWith([]));
  });

  afterAll(async () => {
    await demo.stop();
  });

  it.each([
    ['the app', 'app.coursecraft.example/health'],
    ['the API', 'api.coursecraft.example/v1/health'],
    ['course content downloads', 'content.coursecraft.example/status'],
  ])('serves %s healthy', async (_name, path) => {
    const probe = probeOf({ url: `${demo.info.siteUrl}/${path}` });

    const observation = await prober.probe(probe);

    expect(observation).toMatchObject({ ok: true, outcome: 'up', httpStatus: 200 });
  });
});

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}
