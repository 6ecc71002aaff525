/**
 * The HTML evidence report in a real browser: Debian's chromium driven by playwright-core opens the
 * rendered file from a file:// URL with JavaScript off, as an auditor would open it from a bundle.
 * The report must render from the file alone (every request other than the file itself is refused
 * and counted) under its own Content-Security-Policy, and print. A screenshot and a PDF land in
 * .vitest/screenshots/.
 *
 * Without chromium this skips locally and fails under CI (`CI` set), where .ci/run installs it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { renderHtmlReport } from '../../src/evidence/render-html.js';
import { emptyReport, FAILING_RESOURCE, fullReport, MARKUP_NAME } from './render-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(PROJECT_ROOT, '.vitest', 'screenshots');
const hasChromium = existsSync(CHROMIUM);
const title = hasChromium ? 'evidence report in chromium' : `evidence report in chromium (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`;
const PNG_SIGNATURE = '89504e470d0a1a0a';

// Under CI a missing browser is a failed test, counted as one, not a quiet skip.
if (!hasChromium && process.env['CI']) {
  it('chromium is installed for the evidence report browser test', () => {
    expect.fail(`${CHROMIUM} is not installed; CI must install Debian's chromium (apt-get install chromium) for the evidence report's browser test`);
  });
}

describe.skipIf(!hasChromium)(title, () => {
  let browser: Browser;
  let context: BrowserContext;
  const files = { full: join(SCREENSHOTS, 'iso27001-report.html'), empty: join(SCREENSHOTS, 'iso27001-report-empty.html') };
  /** Every request the pages made, the files themselves included. */
  const requested: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(files.full, renderHtmlReport(fullReport()));
    writeFileSync(files.empty, renderHtmlReport(emptyReport()));
    // Chromium's sandbox cannot start as root (CI containers); elsewhere it stays on.
    const asRoot = process.getuid?.() === 0;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, chromiumSandbox: !asRoot, args: asRoot ? ['--no-sandbox'] : [] });
    context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 1400 } });
    context.on('request', (request) => {
      requested.push(request.url());
    });
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith('file:')) return route.continue();
      refused.push(route.request().url());
      return route.abort();
    });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  /** Opens a rendered file, collecting what the browser logs as errors (a CSP violation would be one). */
  async function open(file: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(pathToFileURL(file).href);
    return { page, errors };
  }

  it('shows all 93 controls, a not-effective control with its failing resource, and the three charts, from the file alone', async () => {
    const { page, errors } = await open(files.full);

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('ISO/IEC 27001:2022 Annex A');
    const table = page.getByRole('table', { name: 'All 93 controls and their verdicts' });
    await expect(table.locator('tbody tr').count()).resolves.toBe(93);
    await expect(table.getByRole('row', { name: /^A\.8\.13 / }).getByRole('cell').nth(2).textContent()).resolves.toBe('Not effective');

    const backup = page.getByRole('article', { name: 'A.8.13 Information backup' });
    const failing = backup.getByRole('table', { name: /^Failing resources of A\.8\.13/ }).getByRole('row', { name: /reporting-prod/ });
    await expect(failing.getByText(FAILING_RESOURCE).isVisible()).resolves.toBe(true);
    await expect(failing.getByText('reporting-prod has no snapshot on 2026-03-27.').isVisible()).resolves.toBe(true);
    await expect(failing.getByText('not waived').isVisible()).resolves.toBe(true);
    // The stylesheet applied under the file's own CSP: the verdict is red as well as written out.
    await expect(backup.locator('.verdict').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).backgroundColor)).resolves.toBe('rgb(207, 34, 46)');

    for (const name of [/^Drill RTO over time against target/, /^SLA adherence by severity/, /^Check pass rate over time/]) {
      const chart = page.getByRole('img', { name });
      await expect(chart.evaluate((el) => el.tagName)).resolves.toBe('svg');
      await expect(chart.boundingBox().then((box) => (box?.width ?? 0) > 600)).resolves.toBe(true);
    }

    // Evidence text with markup in it is shown as text, never parsed.
    await expect(page.getByText(`Finding on ${MARKUP_NAME} is 12 days old.`).count()).resolves.toBe(1);
    await expect(page.locator('script').count()).resolves.toBe(0);

    const png = await page.screenshot({ path: join(SCREENSHOTS, 'iso27001-report.png') });
    expect(png.subarray(0, 8).toString('hex')).toBe(PNG_SIGNATURE);
    await backup.screenshot({ path: join(SCREENSHOTS, 'iso27001-report-a-8-13.png') });
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    expect(new Set(requested)).toEqual(new Set([pathToFileURL(files.full).href]));
    await page.close();
  });

  it('renders for print with a page per control and saves a PDF', async () => {
    const { page, errors } = await open(files.full);

    await page.emulateMedia({ media: 'print' });

    const breakBefore = (selector: string) => page.locator(selector).first().evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).breakBefore);
    await expect(breakBefore('#summary')).resolves.toBe('page');
    await expect(breakBefore('#control-a-8-13')).resolves.toBe('page');
    await expect(page.locator('.skip').evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).display)).resolves.toBe('none');
    await expect(page.getByRole('img', { name: /^Drill RTO over time against target/ }).isVisible()).resolves.toBe(true);

    const pdfPath = join(SCREENSHOTS, 'iso27001-report.pdf');
    await page.pdf({ path: pdfPath, format: 'A4', printBackground: true });
    const pdf = readFileSync(pdfPath);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Cover, summary, the controls table and then one page or more for each of the 93 controls.
    expect(pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length ?? 0).toBeGreaterThan(93);
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('shows a period without evidence as such, with "no data" charts', async () => {
    const { page, errors } = await open(files.empty);

    await expect(page.getByRole('heading', { name: 'Read this first' }).isVisible()).resolves.toBe(true);
    await expect(page.getByText(/^No evidence in this period: no check run/).isVisible()).resolves.toBe(true);
    await expect(page.locator('figure svg').getByText('No data in this period', { exact: true }).count()).resolves.toBe(3);
    const verdicts = await page.locator('table.controls tbody tr').evaluateAll((rows) => rows.map((tr) => tr.getAttribute('data-verdict')));
    expect(new Set(verdicts)).toEqual(new Set(['not_evidenced', 'not_applicable']));

    await page.screenshot({ path: join(SCREENSHOTS, 'iso27001-report-empty.png') });
    expect(errors).toEqual([]);
    expect(refused).toEqual([]);
    await page.close();
  });
});
