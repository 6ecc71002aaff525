/** /metrics: Prometheus text that parses, with the series the issue names and values from a seeded store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { act, openManually, sweepIncidents } from '../../src/incidents/service.js';
import type { CheckResultRecord, DrillRecord } from '../../src/store/types.js';
import { bearer, harness, type Harness } from './http-helpers.js';

/** The exposition format, strictly: every line is a comment, blank, or `name{labels} value`. */
function parseExposition(text: string): { samples: Map<string, number>; types: Map<string, string> } {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\w+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const labels = [...(sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)",?/g)].map((m) => `${m[1]}=${m[2]}`).sort();
    const value = Number(sample[3]);
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`not a value: ${line}`);
    samples.set(`${sample[1]}{${labels.join(',')}}`, value);
  }
  return { samples, types };
}

function result(runId: string, checkId: string, name: string, status: CheckResultRecord['status']): CheckResultRecord {
  return { runId, checkId, accountId: '222222222222', region: 'us-east-1', resource: `arn:${name}`, name, severity: 'high', remediation: 'runbooks/x.md', status, message: `${name}.`, facts: {}, params: {}, evaluatedAt: '2026-11-24T03:00:01.000Z' };
}

function drill(id: string, target: string, status: DrillRecord['status'], startedAt: string, measures: DrillRecord['measures']): DrillRecord {
  return {
    id, target, accountId: '222222222222', region: 'us-east-1', status, trigger: 'schedule', owner: '1@host', startedAt, heartbeatAt: startedAt,
    ...(status === 'running' ? {} : { finishedAt: new Date(Date.parse(startedAt) + 1800_000).toISOString() }),
    phases: [], verification: [], measures,
  };
}

let h: Harness;
let text: string;
let contentType: string | undefined;
let parsed: ReturnType<typeof parseExposition>;

beforeAll(async () => {
  h = await harness();
  await h.store.startRun({ id: 'run-old', kind: 'check', startedAt: '2026-11-24T01:00:00.000Z', trigger: 'schedule' });
  await h.store.appendCheckResults([result('run-old', 'rds-backup-retention', 'db-1', 'fail'), result('run-old', 'iam-root-mfa', 'root', 'pass')]);
  await h.store.startRun({ id: 'run-new', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule' });
  await h.store.appendCheckResults([result('run-new', 'rds-backup-retention', 'db-1', 'pass'), result('run-new', 'rds-backup-retention', 'db-2', 'error')]);

  const targets = { rtoTargetSeconds: 14_400, rpoTargetSeconds: 86_400 };
  await h.store.createDrill(drill('d1', 'analytics-prod', 'succeeded', '2026-11-20T02:00:00.000Z', { ...targets, rtoSeconds: 1200, rpoSeconds: 3600 }));
  await h.store.createDrill(drill('d2', 'analytics-prod', 'failed', '2026-11-23T02:00:00.000Z', { ...targets, rtoSeconds: 2000, rpoSeconds: 7200 }));
  await h.store.createDrill(drill('d3', 'analytics-prod', 'running', '2026-11-24T02:00:00.000Z', targets));
  await h.store.createDrill(drill('d4', 'reporting-prod', 'succeeded', '2026-11-22T02:00:00.000Z', { rtoTargetSeconds: 3600, rpoTargetSeconds: 86_400, rtoSeconds: 600, rpoSeconds: 1800 }));

  const who = { actor: 'alice', reason: 'seeded' };
  await openManually(h.deps.incidents, { title: 'Site down', components: [], severity: 'sev1', ...who });
  await openManually(h.deps.incidents, { title: 'Slow reports', components: [], severity: 'sev2', ...who });
  await openManually(h.deps.incidents, { title: 'Typo', components: [], severity: 'sev3', ...who });
  await act(h.deps.incidents, 'INC-3', { action: 'resolve' }, who);
  h.clock.advance(70 * MINUTE_MS);
  await sweepIncidents(h.deps.incidents);
  const [first] = await h.store.incidents.claimOutbox(h.clock.now().toISOString(), 'test', h.clock.now().toISOString(), 1);
  await h.store.incidents.outboxFailed(first?.id as string, 'HTTP 400');

  h.metrics.jobRun('retention-daily', 'checks', 'succeeded', 42);
  h.metrics.jobRun('retention-daily', 'checks', 'failed', 3);

  const res = await h.app.inject({ url: '/metrics', headers: bearer(h.tokens.auditor) });
  text = res.body;
  contentType = String(res.headers['content-type']);
  parsed = parseExposition(text);
});
afterAll(async () => {
  await h.app.close();
  await h.store.close();
});

describe('/metrics', () => {
  it('is Prometheus text with every series the issue names', () => {
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Object.fromEntries(parsed.types)).toEqual({
      vigil_job_runs_total: 'counter',
      vigil_job_duration_seconds: 'histogram',
      vigil_check_results: 'gauge',
      vigil_drill_rto_seconds: 'gauge',
      vigil_drill_rpo_seconds: 'gauge',
      vigil_drill_rto_target_seconds: 'gauge',
      vigil_drill_rpo_target_seconds: 'gauge',
      vigil_drill_last_succeeded: 'gauge',
      vigil_drill_last_success_timestamp_seconds: 'gauge',
      vigil_incidents_open: 'gauge',
      vigil_sla_warnings_total: 'counter',
      vigil_sla_breaches_total: 'counter',
      vigil_outbox_messages: 'gauge',
    });
  });

  it('counts job runs and their durations as the job runner reports them', () => {
    const s = parsed.samples;
    expect(s.get('vigil_job_runs_total{kind=checks,schedule=retention-daily,status=succeeded}')).toBe(1);
    expect(s.get('vigil_job_runs_total{kind=checks,schedule=retention-daily,status=failed}')).toBe(1);
    expect(s.get('vigil_job_duration_seconds_count{kind=checks,schedule=retention-daily}')).toBe(2);
    expect(s.get('vigil_job_duration_seconds_sum{kind=checks,schedule=retention-daily}')).toBe(45);
    expect(s.get('vigil_job_duration_seconds_bucket{kind=checks,le=5,schedule=retention-daily}')).toBe(1);
  });

  it('counts check results by status from the newest run of each check', () => {
    const s = parsed.samples;
    expect([
      s.get('vigil_check_results{check=rds-backup-retention,status=pass}'),
      s.get('vigil_check_results{check=rds-backup-retention,status=fail}'),
      s.get('vigil_check_results{check=rds-backup-retention,status=error}'),
      s.get('vigil_check_results{check=iam-root-mfa,status=pass}'),
    ]).toEqual([1, 0, 1, 1]);
  });

  it('shows RTO and RPO of the last finished drill of each target, with the targets', () => {
    const s = parsed.samples;
    const byTarget = (name: string) => [s.get(`${name}{target=analytics-prod}`), s.get(`${name}{target=reporting-prod}`)];
    expect(byTarget('vigil_drill_rto_seconds')).toEqual([2000, 600]);
    expect(byTarget('vigil_drill_rpo_seconds')).toEqual([7200, 1800]);
    expect(byTarget('vigil_drill_rto_target_seconds')).toEqual([14_400, 3600]);
    expect(byTarget('vigil_drill_rpo_target_seconds')).toEqual([86_400, 86_400]);
    expect(byTarget('vigil_drill_last_succeeded')).toEqual([0, 1]);
    expect(byTarget('vigil_drill_last_success_timestamp_seconds')).toEqual([Date.parse('2026-11-20T02:30:00.000Z') / 1000, Date.parse('2026-11-22T02:30:00.000Z') / 1000]);
  });

  it('counts open incidents by severity, and SLA warnings and breaches as recorded', () => {
    const s = parsed.samples;
    expect(['sev1', 'sev2', 'sev3', 'sev4'].map((sev) => s.get(`vigil_incidents_open{severity=${sev}}`))).toEqual([1, 1, 0, 0]);
    // Sev1 at +70 min: work-begins (1 h) warned at 50% and 80%, then breached; Sev2 (2 h) warned at 50%.
    expect(s.get('vigil_sla_warnings_total{clock=workBegins,severity=sev1}')).toBe(2);
    expect(s.get('vigil_sla_breaches_total{clock=workBegins,severity=sev1}')).toBe(1);
    expect(s.get('vigil_sla_warnings_total{clock=workBegins,severity=sev2}')).toBe(1);
    expect(s.get('vigil_sla_breaches_total{clock=workBegins,severity=sev2}')).toBe(0);
    expect(s.get('vigil_sla_warnings_total{clock=temporary,severity=sev1}')).toBe(0);
  });

  it('shows the outbox depth by status and channel', async () => {
    const outbox = await h.store.incidents.listOutbox({ limit: 10_000 });
    const count = (status: string, channel: string) => outbox.filter((o) => o.status === status && o.channel === channel).length;
    const s = parsed.samples;

    expect(s.get('vigil_outbox_messages{channel=pagerduty,status=failed}')).toBe(1);
    for (const channel of ['pagerduty', 'slack', 'statuspage']) {
      for (const status of ['pending', 'held', 'failed']) {
        expect({ channel, status, value: s.get(`vigil_outbox_messages{channel=${channel},status=${status}}`) }).toEqual({ channel, status, value: count(status, channel) });
      }
    }
    expect(s.get('vigil_outbox_messages{channel=slack,status=pending}')).toBeGreaterThan(0);
  });
});
