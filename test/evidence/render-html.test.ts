/**
 * The HTML report as a string: one self-contained file (no script, no external asset, its own CSP),
 * every control in the table, escaping, redaction, and strict templates. The browser test renders it.
 */
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvironmentError } from '../../src/core/errors.js';
import { clearSecrets, registerSecret } from '../../src/core/redact.js';
import { buildHtmlView, controlAnchor, createHtmlReportRenderer, renderHtmlReport } from '../../src/evidence/render-html.js';
import { emptyReport, FAILING_RESOURCE, fullReport, HEAD_HASH, MARKUP_NAME } from './render-fixtures.js';

function count(html: string, needle: string): number {
  return html.split(needle).length - 1;
}

afterEach(() => clearSecrets());

describe('renderHtmlReport', () => {
  it('writes one self-contained file: no script, no external reference, a policy that allows only its stylesheet', () => {
    const html = renderHtmlReport(fullReport());

    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(http|src=/i);
    expect(html.match(/(?:href|src)="(?!#)[^"]*"/g)).toBeNull();
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;; style-src &#x27;sha256-[A-Za-z0-9+/]+(?:&#x3D;)*&#x27;; base-uri &#x27;none&#x27;; form-action &#x27;none&#x27;">/);
    expect(count(html, '<svg ')).toBe(3);
  });

  it('lists every control in the table and gives each its own section', () => {
    const html = renderHtmlReport(fullReport());

    expect(count(html, '<tr data-control="')).toBe(93);
    expect(count(html, '<article class="control"')).toBe(93);
    expect(html).toContain(`<a href="#${controlAnchor('A.8.13')}">A.8.13</a>`);
    expect(html).toContain('<span class="verdict v-not_effective">Not effective</span>');
  });

  it('puts the period, the generator and the ledger range, head hash and verification on the cover', () => {
    const view = buildHtmlView(fullReport());

    expect(view.period).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-04-01T00:00:00.000Z', fromText: '2026-03-01 00:00 UTC', toText: '2026-04-01 00:00 UTC', days: '31 days' });
    expect(view.ledger).toEqual({ rangeText: 'entries 1201 to 48950', headHash: HEAD_HASH, verified: true, statusText: 'Verified: every entry in the range matches its hash chain.', breakText: null });
    expect(view.generatedBy).toBe('maria (vigil report iso27001)');
  });

  it('says where a tampered ledger breaks when the report was produced anyway', () => {
    const report = { ...fullReport(), ledger: { fromSeq: 1, toSeq: 500, headHash: HEAD_HASH, verified: false, break: { seq: 234, kind: 'altered', message: 'entry 234 does not match its hash' } } };

    const html = renderHtmlReport(report);

    expect(html).toContain('<span class="ledger-broken">NOT verified: the ledger does not match its hash chain.</span>');
    expect(html).toContain('<span class="ledger-broken" data-ledger-break>The chain breaks at entry 234 (altered): entry 234 does not match its hash</span>');
  });

  it('shows a failing resource of a control that is not effective, and whether it is waived', () => {
    const view = buildHtmlView(fullReport());

    const backup = view.controls.find((c) => c.id === 'A.8.13');
    const auth = view.controls.find((c) => c.id === 'A.8.5');

    expect(backup?.failing.map((f) => [f.checkId, f.resource, f.message, f.waiverText])).toEqual([['rds-snapshot-daily', FAILING_RESOURCE, 'reporting-prod has no snapshot on 2026-03-27.', 'not waived']]);
    expect(backup?.drills.find((d) => d.target === 'reporting-prod')?.rto).toEqual({ medianText: '48 min', maxText: '9.5 h', targetText: '60 min', over: true });
    expect(auth?.failing.map((f) => f.waiverText)).toEqual(['waived by W-1']);
    expect(auth?.exceptions.map((e) => [e.id, e.untilText])).toEqual([['W-1', '2026-04-30 00:00 UTC']]);
  });

  it('words SLA adherence per severity from the clock tallies', () => {
    const view = buildHtmlView(fullReport());

    const incidents = view.controls.find((c) => c.id === 'A.5.26')?.incidents;

    expect(incidents?.severities.map((s) => [s.label, s.incidents, ...s.clocks.map((c) => c.text), s.adherenceText])).toEqual([
      ['Sev1', 1, '1 met, 0 breached', '1 met, 0 breached', '0 met, 1 breached', '66.7%'],
      ['Sev2', 2, '2 met, 0 breached', '1 met, 0 breached, 1 running', '1 met, 0 breached, 1 running', '100%'],
      ['Sev3', 2, '1 met, 1 breached', '2 met, 0 breached', '2 met, 0 breached', '83.3%'],
      ['Sev4', 1, 'no promise', 'no promise', 'no promise', '–'],
    ]);
  });

  it('escapes markup from the evidence', () => {
    const html = renderHtmlReport(fullReport());

    expect(html).not.toContain(MARKUP_NAME);
    expect(html).toContain('reports&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
  });

  it('masks registered secrets that reached the evidence', () => {
    registerSecret('hunter2-vault-token');
    const report = fullReport();
    const control = report.controls.find((c) => c.id === 'A.8.13');
    const check = control?.checks.find((c) => c.failing.length > 0);
    if (check?.failing[0]) check.failing[0].message = 'connection string had password hunter2-vault-token in it.';

    const html = renderHtmlReport(report);

    expect(html).not.toContain('hunter2-vault-token');
    expect(html).toContain('connection string had password **** in it.');
  });

  it('says so for every applicable control of a period without evidence, and draws empty charts', () => {
    const html = renderHtmlReport(emptyReport());

    expect(count(html, '<tr data-control="')).toBe(93);
    expect(html.match(/<tr data-control="[^"]+" data-verdict="not_evidenced">/g)).toHaveLength(89);
    expect(count(html, '>No data in this period</text>')).toBe(3);
    expect(html).toContain('<li>No evidence in this period: no check run, drill, incident or attestation was recorded between 2026-05-01 and 2026-05-31.</li>');
    expect(html).toContain('<dd>no ledger entries</dd>');
  });
});

describe('createHtmlReportRenderer', () => {
  function templates(main: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-report-templates-'));
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'html', 'report.css'), 'body{margin:0}');
    writeFileSync(join(dir, 'html', 'control.hbs'), '{{id}}');
    writeFileSync(join(dir, 'iso27001.html.hbs'), main);
    return dir;
  }

  it('fails on a field the view does not have instead of printing nothing', () => {
    const renderer = createHtmlReportRenderer(templates('{{frameworkName}} {{ledger.headHashh}}'));

    expect(() => renderer.render(fullReport())).toThrow(/"headHashh" not defined/);
  });

  it('names a missing template directory', () => {
    const dir = join(tmpdir(), 'vigil-no-such-templates');

    expect(() => createHtmlReportRenderer(dir)).toThrow(EnvironmentError);
    expect(() => createHtmlReportRenderer(dir)).toThrow(`cannot read the report template ${join(dir, 'html/report.css')} (ENOENT)`);
  });

  it('names a template that does not parse', () => {
    const dir = templates('{{#each controls}}');

    expect(() => createHtmlReportRenderer(dir)).toThrow(`the report template ${join(dir, 'iso27001.html.hbs')} does not parse`);
  });
});
