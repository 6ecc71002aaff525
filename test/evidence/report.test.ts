/**
 * The report's content against a store seeded with known evidence: verdicts, counts, RTO and RPO
 * figures, SLA adherence, waivers, attestations, the statement of applicability and the notices.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { PROJECT_ROOT } from '../../src/core/paths.js';
import { loadFramework } from '../../src/evidence/framework.js';
import { REPORT_CSV_COLUMNS, renderCsvReport } from '../../src/evidence/render-csv.js';
import { markdownText, renderMarkdownReport } from '../../src/evidence/render-md.js';
import { buildReport, median, type BuildReportOptions } from '../../src/evidence/report.js';
import type { ControlReport, EvidenceReport, ReportPeriod } from '../../src/evidence/report-model.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { arnOf, seedCheckRun, seedDrill, seedIncident } from './seed.js';

const MARCH: ReportPeriod = { from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };
const framework = loadFramework(PROJECT_ROOT);
let store: SqliteStore;

function options(period: ReportPeriod, overrides: Partial<BuildReportOptions> = {}): BuildReportOptions {
  return {
    framework,
    checks: [
      { id: 'guardduty-enabled', title: 'GuardDuty is enabled in every region', severity: 'high' },
      { id: 'rds-backup-retention', title: 'RDS automated backups are kept 30 days', severity: 'high' },
    ],
    drills: [
      { id: 'lms-prod', targets: { rto: 2 * 3_600_000, rpo: 24 * 3_600_000 }, controls: ['A.8.13', 'A.5.30'] },
      { id: 'analytics-prod', targets: { rto: 2 * 3_600_000, rpo: 24 * 3_600_000 }, controls: ['A.5.30'] },
    ],
    period,
    applicability: [{ control: 'A.7.1', applicable: false, justification: 'No offices; AWS data centres only.' }],
    policy: DEFAULT_SLA_POLICY,
    clock: new ManualClock('2025-04-10T00:00:00Z'),
    generatedBy: 'vigil test',
    ledger: { from: 1, to: 40, entries: 40, ok: true, headHash: 'ab'.repeat(32), checkpoints: { checked: 0, signed: 0 } },
    ...overrides,
  };
}

function control(report: EvidenceReport, id: string): ControlReport {
  const found = report.controls.find((c) => c.id === id);
  if (!found) throw new Error(`no control ${id}`);
  return found;
}

function verdicts(report: EvidenceReport, ids: string[]): Record<string, string> {
  return Object.fromEntries(ids.map((id) => [id, control(report, id).verdict]));
}

beforeAll(async () => {
  store = SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-report-')));
  // Before the period: must not count.
  await seedCheckRun(store, 'run-feb', '2025-02-20T04:30:00.000Z', [{ checkId: 'guardduty-enabled', status: 'fail' }]);
  // Three runs in March. rds-backup-retention fails once and is fixed; rds-multi-az fails throughout
  // under a waiver; cloudtrail-logging fails in the last run; iam-root-mfa never manages to look.
  await seedCheckRun(store, 'run-1', '2025-03-05T04:30:00.000Z', [
    { checkId: 'guardduty-enabled', status: 'pass' },
    { checkId: 'rds-backup-retention', status: 'fail' },
    { checkId: 'rds-multi-az', status: 'fail' },
    { checkId: 'cloudtrail-logging', status: 'pass', name: 'main' },
    { checkId: 'iam-root-mfa', status: 'error', name: 'root' },
  ]);
  await seedCheckRun(store, 'run-2', '2025-03-15T04:30:00.000Z', [
    { checkId: 'guardduty-enabled', status: 'pass' },
    { checkId: 'rds-backup-retention', status: 'pass' },
    { checkId: 'rds-multi-az', status: 'fail' },
    { checkId: 'cloudtrail-logging', status: 'pass', name: 'main' },
    { checkId: 'iam-root-mfa', status: 'error', name: 'root' },
  ]);
  await seedCheckRun(store, 'run-3', '2025-03-25T04:30:00.000Z', [
    { checkId: 'guardduty-enabled', status: 'pass' },
    { checkId: 'rds-backup-retention', status: 'pass' },
    { checkId: 'rds-multi-az', status: 'fail' },
    { checkId: 'cloudtrail-logging', status: 'fail', name: 'main' },
    { checkId: 'iam-root-mfa', status: 'error', name: 'root' },
  ]);
  await store.evidence.createWaiver({ checkId: 'rds-multi-az', resource: arnOf('lms-prod'), reason: 'replica being rebuilt', until: '2025-06-01T00:00:00.000Z', at: '2025-03-01T00:00:00.000Z', actor: 'carol' });

  await seedDrill(store, { id: 'd1', target: 'lms-prod', at: '2025-03-02T05:00:00.000Z', status: 'succeeded', rtoSeconds: 600, rpoSeconds: 3600 });
  await seedDrill(store, { id: 'd2', target: 'lms-prod', at: '2025-03-09T05:00:00.000Z', status: 'succeeded', rtoSeconds: 900, rpoSeconds: 7200 });
  await seedDrill(store, { id: 'd3', target: 'lms-prod', at: '2025-03-16T05:00:00.000Z', status: 'succeeded', rtoSeconds: 1200, rpoSeconds: 1800 });
  await seedDrill(store, { id: 'd4', target: 'analytics-prod', at: '2025-03-09T06:00:00.000Z', status: 'failed', rtoSeconds: 700, failure: 'relation "learners" does not exist' });

  await seedIncident(store, 'sev2', 'Before the period', '2025-02-10T10:00:00.000Z', [[0.5, 'ack'], [2, 'resolve']]);
  // Sev1: work began after 2.5 h (1 h promised), mitigated at 3 h, resolved at 6 h.
  await seedIncident(store, 'sev1', 'Site down', '2025-03-10T10:00:00.000Z', [[2.5, 'ack'], [3, 'mitigate'], [6, 'resolve']]);
  // Sev2: every clock met.
  await seedIncident(store, 'sev2', 'Player slow', '2025-03-20T09:00:00.000Z', [[0.5, 'ack'], [24, 'mitigate'], [120, 'resolve']]);
  // Sev3: acknowledged within the period, resolved only after it ended.
  await seedIncident(store, 'sev3', 'Reports late', '2025-03-30T00:00:00.000Z', [[24, 'ack'], [24 * 6, 'resolve']]);

  await store.evidence.createAttestation({ control: 'A.5.1', owner: 'CISO', reason: 'Policy set approved by the board.', file: { name: 'policy.pdf', sha256: 'c'.repeat(64), bytes: 1234 }, at: '2025-02-01T00:00:00.000Z', actor: 'dave' });
  await store.evidence.createAttestation({ control: 'A.5.2', owner: 'CISO', reason: 'Roles document.', at: '2024-02-01T00:00:00.000Z', actor: 'dave', expiresAt: '2025-02-15T00:00:00.000Z' });
  await store.evidence.createAttestation({ control: 'A.5.3', owner: 'CISO', reason: 'Role matrix.', at: '2025-04-05T00:00:00.000Z', actor: 'dave' });
});

afterAll(async () => {
  await store.close();
});

describe('buildReport over a seeded month', () => {
  it('gives each control the verdict its evidence supports', async () => {
    const report = await buildReport(store, options(MARCH));

    expect(verdicts(report, ['A.5.7', 'A.8.13', 'A.8.14', 'A.8.15', 'A.5.30', 'A.8.5', 'A.5.24', 'A.5.1', 'A.5.2', 'A.5.3', 'A.7.1'])).toEqual({
      'A.5.7': 'effective',
      'A.8.13': 'effective',
      'A.8.14': 'effective_with_exceptions',
      'A.8.15': 'not_effective',
      'A.5.30': 'not_effective',
      'A.8.5': 'not_evidenced',
      'A.5.24': 'not_effective',
      'A.5.1': 'attested',
      'A.5.2': 'not_evidenced',
      'A.5.3': 'not_evidenced',
      'A.7.1': 'not_applicable',
    });
    expect(report.controls).toHaveLength(93);
  });

  it('says why, naming the evidence', async () => {
    const report = await buildReport(store, options(MARCH));

    expect(control(report, 'A.8.13').verdictReason).toBe('3 evaluations of 1 of its 23 checks, 3 successful restore drills; nothing failing at the end of the period (1 failing result earlier in the period, none left at its end).');
    expect(control(report, 'A.8.14').verdictReason).toBe('3 evaluations of 1 of its 3 checks; 1 failing resource accepted by 1 waiver (WVR-1).');
    expect(control(report, 'A.8.15').verdictReason).toBe('1 resource still failing at the end of the period without a waiver: cloudtrail-logging (main).');
    expect(control(report, 'A.5.30').verdictReason).toContain('1 restore drill failed in the period (analytics-prod on 2025-03-09: relation "learners" does not exist)');
    expect(control(report, 'A.5.24').verdictReason).toBe('1 SLA clock breached (INC-2 sev1 workBegins).');
    expect(control(report, 'A.8.5').verdictReason).toContain('could not evaluate (3 errors)');
    expect(control(report, 'A.5.1').verdictReason).toBe('Attested by CISO (ATT-1, 2025-02-01): Policy set approved by the board; nothing Vigil automates evidences this control.');
    expect(control(report, 'A.7.1')).toMatchObject({ applicable: false, justification: 'No offices; AWS data centres only.' });
  });

  it('counts check runs and results in the period only, with the failures left at its end', async () => {
    const report = await buildReport(store, options(MARCH));
    const a814 = control(report, 'A.8.14');

    expect(control(report, 'A.5.7').checks).toEqual([
      {
        checkId: 'guardduty-enabled',
        title: 'GuardDuty is enabled in every region',
        severity: 'high',
        runs: 3,
        evaluations: 3,
        pass: 3,
        fail: 0,
        error: 0,
        notApplicable: 0,
        passRate: 1,
        lastEvaluatedAt: '2025-03-25T04:30:00.000Z',
        failing: [],
      },
    ]);
    expect(control(report, 'A.8.13').checks.find((c) => c.checkId === 'rds-backup-retention')).toMatchObject({ runs: 3, pass: 2, fail: 1, passRate: 0.6667, failing: [] });
    expect(a814.checks.find((c) => c.checkId === 'rds-multi-az')?.failing).toEqual([
      { checkId: 'rds-multi-az', resource: arnOf('lms-prod'), name: 'lms-prod', accountId: '111111111111', region: 'us-east-1', message: 'rds-multi-az is fail for lms-prod.', lastSeenAt: '2025-03-25T04:30:00.000Z', waiverId: 'WVR-1' },
    ]);
    expect(a814.exceptions.map((w) => [w.id, w.checkId, w.reason])).toEqual([['WVR-1', 'rds-multi-az', 'replica being rebuilt']]);
    expect(report.summary).toEqual({
      controls: 93,
      byVerdict: expect.any(Object),
      checkRuns: 3,
      checkEvaluations: 15,
      drills: 4,
      incidents: 3,
      attestations: 1,
      exceptions: 1,
    });
  });

  it('reports drills with RTO and RPO medians and maxima against their targets', async () => {
    const report = await buildReport(store, options(MARCH));

    expect(control(report, 'A.8.13').drills).toEqual([
      {
        target: 'lms-prod',
        runs: 3,
        succeeded: 3,
        failed: 0,
        aborted: 0,
        lastAt: '2025-03-16T05:00:00.000Z',
        lastStatus: 'succeeded',
        rtoTargetSeconds: 7200,
        rpoTargetSeconds: 86_400,
        rtoSeconds: { median: 900, max: 1200 },
        rpoSeconds: { median: 3600, max: 7200 },
        withinTargets: 3,
        history: [
          { id: 'd1', at: '2025-03-02T05:00:00.000Z', status: 'succeeded', rtoSeconds: 600, rpoSeconds: 3600 },
          { id: 'd2', at: '2025-03-09T05:00:00.000Z', status: 'succeeded', rtoSeconds: 900, rpoSeconds: 7200 },
          { id: 'd3', at: '2025-03-16T05:00:00.000Z', status: 'succeeded', rtoSeconds: 1200, rpoSeconds: 1800 },
        ],
      },
    ]);
    expect(control(report, 'A.5.30').drills.map((d) => [d.target, d.runs, d.failed])).toEqual([
      ['lms-prod', 3, 0],
      ['analytics-prod', 1, 1],
    ]);
    expect(report.charts.drillRto.map((s) => [s.target, s.targetSeconds, s.points.map((p) => p.rtoSeconds)])).toEqual([
      ['lms-prod', 7200, [600, 900, 1200]],
      ['analytics-prod', 7200, [700]],
    ]);
  });

  it('tallies SLA clocks per severity as they stood at the end of the period', async () => {
    const report = await buildReport(store, options(MARCH));
    const incidents = control(report, 'A.5.24').incidents;

    expect(incidents?.bySeverity).toEqual([
      {
        severity: 'sev1',
        incidents: 1,
        clocks: { workBegins: { met: 0, breached: 1, running: 0, notApplicable: 0 }, temporary: { met: 1, breached: 0, running: 0, notApplicable: 0 }, final: { met: 1, breached: 0, running: 0, notApplicable: 0 } },
        adherencePercent: 66.67,
      },
      {
        severity: 'sev2',
        incidents: 1,
        clocks: { workBegins: { met: 1, breached: 0, running: 0, notApplicable: 0 }, temporary: { met: 1, breached: 0, running: 0, notApplicable: 0 }, final: { met: 1, breached: 0, running: 0, notApplicable: 0 } },
        adherencePercent: 100,
      },
      {
        severity: 'sev3',
        incidents: 1,
        clocks: { workBegins: { met: 1, breached: 0, running: 0, notApplicable: 0 }, temporary: { met: 0, breached: 0, running: 1, notApplicable: 0 }, final: { met: 0, breached: 0, running: 1, notApplicable: 0 } },
        adherencePercent: 100,
      },
      {
        severity: 'sev4',
        incidents: 0,
        clocks: { workBegins: { met: 0, breached: 0, running: 0, notApplicable: 0 }, temporary: { met: 0, breached: 0, running: 0, notApplicable: 0 }, final: { met: 0, breached: 0, running: 0, notApplicable: 0 } },
      },
    ]);
    expect(incidents?.list.map((i) => [i.id, i.severity, i.state, i.resolvedAt, i.breaches])).toEqual([
      ['INC-2', 'sev1', 'resolved', '2025-03-10T16:00:00.000Z', ['workBegins']],
      ['INC-3', 'sev2', 'resolved', '2025-03-25T09:00:00.000Z', []],
      ['INC-4', 'sev3', 'investigating', undefined, []],
    ]);
    expect([incidents?.opened, incidents?.resolved]).toEqual([3, 2]);
    expect(report.charts.slaAdherence.map((s) => [s.severity, s.met, s.breached, s.adherencePercent])).toEqual([
      ['sev1', 2, 1, 66.67],
      ['sev2', 3, 0, 100],
      ['sev3', 1, 0, 100],
      ['sev4', 0, 0, undefined],
    ]);
  });

  it('charts the daily pass rate over the checks judged each day', async () => {
    const report = await buildReport(store, options(MARCH));

    expect(report.charts.passRate).toEqual([
      { day: '2025-03-05', pass: 2, fail: 2, passRate: 0.5 },
      { day: '2025-03-15', pass: 3, fail: 1, passRate: 0.75 },
      { day: '2025-03-25', pass: 2, fail: 2, passRate: 0.5 },
    ]);
  });

  it('judges incident controls effective when every decided clock was met, and restore controls not evidenced without a drill', async () => {
    const lateMarch = { from: '2025-03-20T00:00:00.000Z', to: '2025-03-29T00:00:00.000Z' };

    const report = await buildReport(store, options(lateMarch));

    expect(verdicts(report, ['A.5.24', 'A.8.13'])).toEqual({ 'A.5.24': 'effective', 'A.8.13': 'not_evidenced' });
    expect(control(report, 'A.5.24').verdictReason).toBe('1 incident, no SLA clock breached; nothing failing at the end of the period.');
    expect(control(report, 'A.8.13').verdictReason).toBe('Not fully evidenced: no successful restore drill of lms-prod in the period (only 1 evaluation of 1 of its 23 checks), and no attestation covers it.');
  });
});

describe('buildReport honesty', () => {
  it('says how many SLA clocks were still running when the period ended', async () => {
    const lastDays = { from: '2025-03-29T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };

    const report = await buildReport(store, options(lastDays));

    expect(control(report, 'A.5.24')).toMatchObject({
      verdict: 'effective',
      verdictReason: '1 incident, no SLA clock breached; nothing failing at the end of the period (2 SLA clocks still running at its end).',
    });
  });

  it('says so, for every control, when the period holds no evidence', async () => {
    const empty = { from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z' };

    const report = await buildReport(store, options(empty, { ledger: { from: 0, to: 0, entries: 0, ok: true, checkpoints: { checked: 0, signed: 0 } } }));

    expect(report.summary.byVerdict).toEqual({ effective: 0, effective_with_exceptions: 0, not_effective: 0, not_evidenced: 92, attested: 0, not_applicable: 1 });
    expect(report.notices).toEqual([
      'No evidence in this period: the store holds no check results, restore drills, incidents or attestations between 2024-01-01T00:00:00.000Z and 2024-02-01T00:00:00.000Z, so no control is shown effective.',
      'The evidence ledger holds no entries for this period, so no record in it is proven by the chain.',
    ]);
    for (const c of report.controls.filter((c) => c.applicable)) expect(c.verdictReason, c.id).toMatch(/^No evidence in the period/);
  });

  it('carries a ledger break into the report and its notices', async () => {
    const broken = { from: 1, to: 40, entries: 12, ok: false, break: { seq: 13, kind: 'altered' as const, message: 'entry 13 does not match its hash' }, checkpoints: { checked: 0, signed: 0 } };

    const report = await buildReport(store, options(MARCH, { ledger: broken }));

    expect(report.ledger).toEqual({ fromSeq: 1, toSeq: 40, verified: false, break: { seq: 13, kind: 'altered', message: 'entry 13 does not match its hash' } });
    expect(report.notices).toEqual([
      'The evidence ledger breaks at entry 13 (altered): entry 13 does not match its hash. This report was produced anyway; records from that entry on are not proven unaltered.',
    ]);
  });

  it('does not apply a waiver to a failure seen after it was revoked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-report-revoked-'));
    const own = SqliteStore.open(dir);
    await seedCheckRun(own, 'r1', '2025-03-10T00:00:00.000Z', [{ checkId: 'rds-multi-az', status: 'fail' }]);
    const waiver = await own.evidence.createWaiver({ checkId: 'rds-multi-az', resource: '*', reason: 'accepted', until: '2025-06-01T00:00:00.000Z', at: '2025-03-01T00:00:00.000Z', actor: 'carol' });
    await own.evidence.revokeWaiver(waiver.id, { at: '2025-03-05T00:00:00.000Z', actor: 'dave', reason: 'replica is back' });

    const report = await buildReport(own, options(MARCH));
    await own.close();

    expect(control(report, 'A.8.14').verdict).toBe('not_effective');
    expect(control(report, 'A.8.14').exceptions.map((w) => [w.id, w.revokedAt])).toEqual([['WVR-1', '2025-03-05T00:00:00.000Z']]);
    expect(control(report, 'A.8.14').checks.find((c) => c.checkId === 'rds-multi-az')?.failing.map((f) => f.waiverId)).toEqual([undefined]);
  });
});

describe('rendering', () => {
  it('lays the report out as Markdown: summary, drills, SLA adherence, and each control', async () => {
    const report = await buildReport(store, options(MARCH));

    const md = renderMarkdownReport(report);

    expect(md).toContain('| Not effective | 9 |');
    expect(md).toContain('| lms-prod | 3 | 3 | 0 | 0 | 15 min | 20 min | 2.0 h | 60 min | 2.0 h | 24.0 h | 3 of 3 | 2025-03-16 succeeded |');
    expect(md).toContain('| sev1 | 1 | 0 / 1 / 0 | 1 / 0 / 0 | 1 / 0 / 0 | 66.7 % |');
    expect(md).toContain('| 2025-03 | 7 | 5 | 58.3 % |');
    expect(md).toContain('- rds-multi-az: lms-prod (111111111111 us-east-1), rds-multi-az is fail for lms-prod. Last seen 2025-03-25T04:30:00.000Z. Accepted by WVR-1.');
    expect(md).toContain(`- ATT-1 by CISO on 2025-02-01 (recorded by dave): Policy set approved by the board. File policy.pdf, 1234 bytes, SHA-256 \`${'c'.repeat(64)}\`.`);
    expect(md.match(/^### A\.\d+\.\d+$/gm)).toHaveLength(93);
  });

  it('keeps free text from breaking a Markdown table or opening HTML', () => {
    expect(markdownText('a | b\n<script>alert(1)</script>')).toBe('a \\| b &lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('writes one CSV row per control, quoting fields that need it', async () => {
    const report = await buildReport(store, options(MARCH));

    const lines = renderCsvReport(report).trimEnd().split('\r\n');

    expect(lines).toHaveLength(94);
    expect(lines[0]).toBe(REPORT_CSV_COLUMNS.join(','));
    expect(lines.find((l) => l.startsWith('A.8.13,'))).toBe(
      'A.8.13,Information backup,technological,true,,effective,Effective,"3 evaluations of 1 of its 23 checks, 3 successful restore drills; nothing failing at the end of the period (1 failing result earlier in the period, none left at its end).",checks drills attestation,23,3,2,1,0,0,0.6667,0,0,3,3,0,,,0,0,2025-03-01T00:00:00.000Z,2025-04-01T00:00:00.000Z',
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect([median([]), median([5]), median([3, 1, 2]), median([4, 1, 3, 2])]).toEqual([undefined, 5, 2, 2.5]);
  });
});
