/**
 * The web pages in a real browser: Debian's chromium driven by playwright-core, JavaScript off (the pages
 * must not need it), every request outside the test server refused (the status page must render
 * offline), and the pages' own Content-Security-Policy on. The pages come from a tiny node:http server
 * over a seeded store; mounting them in the service is the HTTP server's business and tested there.
 *
 * Without chromium this skips locally and fails under CI (`CI` set), where .ci/run installs it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { loadOverview } from '../../src/service/web/overview-data.js';
import { webRenderer } from '../../src/service/web/render.js';
import { loadStatusPage } from '../../src/service/web/status-data.js';
import { UptimeCache } from '../../src/service/web/uptime.js';
import type { SqliteStore } from '../../src/store/sqlite.js';
import { INCIDENT_TITLE, INTERNAL_NOTE, OUTAGE_DAY, PROBES, PUBLIC_REASON, SCHEDULES, seedPlatform, tempStore } from './web/fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(PROJECT_ROOT, '.vitest', 'screenshots');
const TOKEN = 'vgl_test_token_for_the_browser';
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium ? 'web pages in chromium' : `web pages in chromium (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`;

/** Status page at /, sign-in form at /sign-in, the overview only in answer to a right token. */
function harness(store: SqliteStore, clock: ManualClock): Server {
  const renderer = webRenderer();
  const uptime = new UptimeCache();
  const send = (res: ServerResponse, status: number, html: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': renderer.contentSecurityPolicy });
    res.end(html);
  };
  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
      req.on('error', reject);
    });
  return createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && req.url === '/') {
        const view = await loadStatusPage(store, clock, { title: 'CourseCraft status', components: ['Web app', 'API'], probes: PROBES, uptime });
        return send(res, 200, renderer.renderStatusPage(view));
      }
      if (req.method === 'GET' && req.url === '/sign-in') return send(res, 200, renderer.renderSignIn());
      if (req.method === 'POST' && req.url === '/sign-in') {
        const token = new URLSearchParams(await body(req)).get('token');
        if (token !== TOKEN) return send(res, 401, renderer.renderSignIn('That token is not valid, or it was revoked.'));
        const view = await loadOverview(store, clock, { policy: DEFAULT_SLA_POLICY, schedules: async () => SCHEDULES });
        return send(res, 200, renderer.renderOverview(view, { signOutAction: '/sign-out' }));
      }
      send(res, 404, 'not found');
    })().catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
}

// Under CI a missing browser is a failed test, counted as one, not a quiet skip. Defined only then, so
// it adds no "skipped" to every other run.
if (!hasChromium && process.env['CI']) {
  it('chromium is installed for the browser test', () => {
    expect.fail(`${CHROMIUM} is not installed; CI must install Debian's chromium (apt-get install chromium) for the web pages' browser test`);
  });
}

describe.skipIf(!hasChromium)(title, () => {
  let store: SqliteStore;
  let server: Server;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const refused: string[] = [];

  beforeAll(async () => {
    store = tempStore();
    const clock = await seedPlatform(store);
    server = harness(store, clock);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Chromium's sandbox cannot start as root (CI containers); elsewhere it stays on.
    const asRoot = process.getuid?.() === 0;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: !asRoot, args: asRoot ? ['--no-sandbox'] : [] });
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 900 } });
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith(base)) return route.continue();
      refused.push(route.request().url());
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await store?.close();
  });

  /** Opens a page, collecting what the browser logs as errors (a CSP violation would be one). */
  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const response = await page.goto(`${base}${path}`);
    expect(response?.status()).toBe(200);
    return { page, errors };
  }

  const PNG_SIGNATURE = '89504e470d0a1a0a';
  async function screenshot(page: Page, file: string): Promise<string> {
    const png = await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
    return png.subarray(0, 8).toString('hex');
  }

  it('renders the status page with components, the incident and its public update, maintenance and uptime bars', async () => {
    const { page, errors } = await open('/');

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('CourseCraft status');
    await expect(page.getByRole('status').textContent()).resolves.toBe('Partial outage');
    const statuses = await page.locator('li.component').evaluateAll((items) => items.map((li) => [li.getAttribute('data-component'), li.querySelector('.badge')?.textContent]));
    expect(statuses).toEqual([
      ['Web app', 'Operational'],
      ['API', 'Partial outage'],
      ['Reports', 'Under maintenance'],
    ]);

    const incident = page.getByRole('article', { name: INCIDENT_TITLE });
    await expect(incident.getByText(PUBLIC_REASON).isVisible()).resolves.toBe(true);
    await expect(incident.getByText('We have reassessed the impact of this incident as partial outage.').isVisible()).resolves.toBe(true);
    await expect(page.content()).resolves.not.toContain(INTERNAL_NOTE);

    const scheduled = page.getByRole('article', { name: 'Web app load balancer replacement' });
    await expect(scheduled.getByText('2026-03-18 12:00 UTC – 2026-03-18 14:00 UTC').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('article', { name: 'Reporting database upgrade' }).getByText('In progress').isVisible()).resolves.toBe(true);

    const webBars = page.getByRole('list', { name: /^Daily uptime of Web app over the last 90 days/ });
    await expect(webBars.getByRole('img').count()).resolves.toBe(90);
    const downDay = webBars.getByRole('img', { name: `${OUTAGE_DAY}: 0% uptime, 24 of 24 checks down` });
    await expect(downDay.isVisible()).resolves.toBe(true);
    // The stylesheet applied under the page's CSP: the down day is red, a day without data grey. (The
    // window is reached through the element: the tests' TypeScript lib has no DOM globals.)
    await expect(downDay.evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(207, 34, 46)');
    await expect(webBars.getByRole('img', { name: '2025-12-16: no data' }).evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(209, 217, 224)');

    await expect(screenshot(page, 'status.png')).resolves.toBe(PNG_SIGNATURE);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('refuses a wrong token on the sign-in form and shows the overview for the right one', async () => {
    const { page, errors } = await open('/sign-in');
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toBe('That token is not valid, or it was revoked.');
    await expect(page.getByLabel('API token').inputValue()).resolves.toBe('');
    await expect(screenshot(page, 'sign-in.png')).resolves.toBe(PNG_SIGNATURE);

    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Vigil overview' }).waitFor();

    const clocks = page.getByRole('table', { name: 'SLA clocks of INC-1' });
    const rows = await clocks.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent?.trim())));
    expect(rows).toEqual([
      ['work begins', 'Breached', '2026-03-14 08:00 UTC', 'met 2026-03-14 08:30 UTC, 30 min late'],
      ['temporary solution', 'Warning', '2026-03-16 06:00 UTC', 'due in 18.0 h'],
      ['final resolution', 'Running', '2026-03-28 06:00 UTC', 'due in 12.8 d'],
    ]);
    const failing = page.getByRole('table', { name: 'Failures and errors' }).getByRole('row', { name: /rds-snapshot-daily/ });
    await expect(failing.getByText('reporting-prod has no snapshot on 2026-03-13.').isVisible()).resolves.toBe(true);
    const drill = page.getByRole('table', { name: 'The last drill of each target' }).getByRole('row', { name: /reporting-prod/ });
    await expect(drill.getByRole('cell', { name: 'RTO 90 min / target 60 min, over target' }).textContent()).resolves.toBe('90 min / 60 min');
    await expect(drill.getByText('last success 2026-03-01 04:00 UTC (drill-2)').isVisible()).resolves.toBe(true);
    await expect(page.getByRole('row', { name: /sla-sweep/ }).getByText('2026-03-15 12:01 UTC').isVisible()).resolves.toBe(true);

    await expect(screenshot(page, 'overview.png')).resolves.toBe(PNG_SIGNATURE);
    // The refused token's 401 is the only error the browser reports.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    expect(refused).toEqual([]);
    await page.close();
  });
});
