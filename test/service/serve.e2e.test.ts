/**
 * `vigil serve` against the demo sandbox: the drill schedule's window rule runs the drill at start, its
 * failure becomes an incident that pages, the status page and the API serve the store with roles
 * enforced, and a stop in the middle of a drill tears the drill down and closes the job run as aborted.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { AccountConfig } from '../../src/config/schema.js';
import { createDrillDeps } from '../../src/drills/wiring.js';
import { demoConfig } from '../../src/cli/commands/demo.js';
import { DEMO_SCENARIO_URL, loadScenario } from '../../src/sandbox/scenario.js';
import { sandboxEnv } from '../../src/sandbox/index.js';
import { startService, type RunningService } from '../../src/service/serve.js';
import { createToken } from '../../src/service/tokens.js';
import { startTestSandbox, type TestSandbox } from '../helpers/sandbox.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
let sandbox: TestSandbox;
let dir: string;
let restoreEnv: () => void;

function schedulesDir(files: Record<string, string>): string {
  const out = mkdtempSync(join(tmpdir(), 'vigil-schedules-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(out, `${name}.yaml`), text);
  return out;
}

const DRILL_SCHEDULE = (target: string) => `name: drill-${target}
description: Restore drill of ${target}, weekly, at once when none succeeded this week
cron: "0 5 * * 0"
timeZone: UTC
job: { kind: drills, targets: [${target}] }
ensure: { successWithin: 7d }
`;

async function appFor(dataDir: string): Promise<App> {
  const configFile = join(dataDir, 'vigil.config.yaml');
  writeFileSync(configFile, demoConfig(sandbox.info));
  return createApp({ configFile, dataDir, env: process.env });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
  mkdirSync(join(dir, 'sandbox'));
  sandbox = await startTestSandbox(loadScenario(fileURLToPath(DEMO_SCENARIO_URL)), { stateDir: join(dir, 'sandbox') });
  const saved = { ...process.env };
  Object.assign(process.env, sandboxEnv(sandbox));
  delete process.env['AWS_PROFILE'];
  restoreEnv = () => {
    process.env = saved;
  };
}, 60_000);

afterAll(async () => {
  restoreEnv();
  await sandbox.stop();
});

describe('vigil serve', () => {
  let app: App;
  let service: RunningService;

  afterAll(async () => {
    await service?.stop();
    await app?.close();
  });

  it('runs a due drill at start; its failure pages; the status page, API and metrics serve it with roles enforced', async () => {
    app = await appFor(mkdtempSync(join(dir, 'a-')));
    service = await startService(app, { port: 0, schedulesDir: schedulesDir({ 'drill-analytics-prod': DRILL_SCHEDULE('analytics-prod') }) });
    const store = app.store();

    const run = await waitFor('the drill job run', async () => (await store.listRuns({ kind: 'job' })).find((r) => r.status !== 'running'));
    expect(run).toMatchObject({ status: 'failed', summary: { schedule: 'drill-analytics-prod', trigger: 'catch-up' } });
    const [incident] = await store.incidents.listIncidents({ open: true });
    expect(incident?.incident).toMatchObject({ severity: 'sev2', signalKeys: ['drill:analytics-prod'] });
    expect((await store.incidents.listOutbox({ subjectId: incident?.incident.id })).map((o) => [o.channel, o.status])).toEqual([
      ['pagerduty', 'delivered'],
      ['slack', 'delivered'],
      ['statuspage', 'delivered'],
    ]);

    const page = await fetch(`${service.url}/`);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('Degraded backup and recovery');
    expect(html).not.toContain('relation &quot;learners&quot;');
    expect(html).toContain('SCORM Cloud Website');

    const oncall = await createToken(store.tokens, { name: 'pager', role: 'oncall' }, { actor: 'test', reason: 'e2e', clock: app.clock });
    const auditor = await createToken(store.tokens, { name: 'audit', role: 'auditor' }, { actor: 'test', reason: 'e2e', clock: app.clock });
    const api = (path: string, token?: string, init: RequestInit = {}) =>
      fetch(`${service.url}/api/v1${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...(init.headers ?? {}) } });
    expect((await api('/incidents')).status).toBe(401);
    const listed = (await (await api('/incidents', oncall.token)).json()) as { incidents: Array<{ id: string }> };
    expect(listed.incidents.map((i) => i.id)).toEqual([incident?.incident.id]);
    const forbidden = await api(`/incidents/${incident?.incident.id}/actions`, auditor.token, { method: 'POST', body: JSON.stringify({ action: 'ack', reason: 'x' }) });
    expect(forbidden.status).toBe(403);
    const acked = await api(`/incidents/${incident?.incident.id}/actions`, oncall.token, { method: 'POST', body: JSON.stringify({ action: 'ack', reason: 'looking at the snapshot job' }) });
    expect(acked.status).toBe(200);
    expect((await store.incidents.getIncident(incident!.incident.id))?.incident.timeline.at(-1)).toMatchObject({ actor: 'api:pager', reason: 'looking at the snapshot job' });

    const metrics = await (await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${auditor.token}` } })).text();
    expect(metrics).toMatch(/vigil_job_runs_total\{[^}]*schedule="drill-analytics-prod"[^}]*\} 1/);
    expect(metrics).toMatch(/vigil_incidents_open\{severity="sev2"\} 1/);

    const signIn = await fetch(`${service.url}/sign-in`, { method: 'POST', body: new URLSearchParams({ token: oncall.token }), redirect: 'manual' });
    expect(signIn.status).toBe(303);
    const overview = await fetch(`${service.url}/overview`, { headers: { cookie: (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string } });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('analytics-prod');

    // The status page in a real browser, showing what the sandbox run produced.
    if (existsSync(CHROMIUM)) {
      const asRoot = process.getuid?.() === 0;
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: !asRoot, args: asRoot ? ['--no-sandbox'] : [] });
      try {
        const tab = await browser.newPage();
        await tab.goto(`${service.url}/`);
        expect(await tab.locator('body').innerText()).toContain('Degraded backup and recovery');
        mkdirSync('.vitest/screenshots', { recursive: true });
        await tab.screenshot({ path: '.vitest/screenshots/serve-status-page.png', fullPage: true });
      } finally {
        await browser.close();
      }
    }
  }, 240_000);

  it('stopping during a drill tears the drill down and records the job run as aborted', async () => {
    await service?.stop();
    app = await appFor(mkdtempSync(join(dir, 'b-')));
    service = await startService(app, { port: 0, schedulesDir: schedulesDir({ 'drill-lms-prod': DRILL_SCHEDULE('lms-prod') }) });
    const store = app.store();
    await waitFor('the restore to be requested', async () => ((await store.listDrills()).find((d) => d.phases.some((p) => p.name === 'restore-requested')) ? true : undefined));

    await service.stop();

    const [drill] = await store.listDrills();
    expect(drill?.status).toBe('failed');
    expect(drill?.failure).toContain('the service is stopping');
    expect(drill?.phases.map((p) => p.name)).toContain('deleted');
    const [run] = await store.listRuns({ kind: 'job' });
    expect(run?.status).toBe('aborted');
    const { platform } = await createDrillDeps(app);
    const account = app.config.accounts[0] as AccountConfig;
    for (const region of account.regions) expect(await platform.drillInstances(account, region)).toEqual([]);
  }, 240_000);
});
