/**
 * A platform's history in a temp SqliteStore, for the web pages' loaders and the browser test: hourly
 * probe checks over ten days (a whole day of outage on the web app, a maintenance on reports), an open
 * incident reclassified Sev3 -> Sev2 with public and internal updates, a maintenance in progress and one
 * scheduled, a check run with failures and an error, and drills with RTO and RPO on and over target.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, HOUR_MS, MINUTE_MS, ManualClock } from '../../../src/core/clock.js';
import { DEFAULT_RULES } from '../../../src/incidents/classify.js';
import type { Channel } from '../../../src/incidents/delivery.js';
import { scheduleMaintenance, sweepMaintenance } from '../../../src/incidents/maintenance.js';
import { advanceProbe, INITIAL_PROBE_STATE, type ProbeObservation, type ProbeOutcome } from '../../../src/incidents/probes.js';
import { act, openManually, type IncidentDeps } from '../../../src/incidents/service.js';
import { DEFAULT_SLA_POLICY } from '../../../src/incidents/sla.js';
import { SqliteStore } from '../../../src/store/sqlite.js';
import type { CheckResultRecord, DrillRecord } from '../../../src/store/types.js';
import type { StatusPageOptions } from '../../../src/service/web/status-data.js';

/** The page's "now": a Sunday noon, UTC. */
export const NOW = '2026-03-15T12:00:00.000Z';
/** The day the web app was down all day. */
export const OUTAGE_DAY = '2026-03-10';
/** Probes started ten days ago; the 80 days before have no data. */
export const FIRST_DAY = '2026-03-05';

export const PROBES: StatusPageOptions['probes'] = [
  { name: 'web', component: 'Web app', intervalMs: HOUR_MS },
  { name: 'api', component: 'API', intervalMs: HOUR_MS },
  { name: 'reports', component: 'Reports', intervalMs: HOUR_MS },
];

export const INCIDENT_TITLE = 'API requests failing for some customers';
export const PUBLIC_REASON = 'The error rate rose to 20% of API requests.';
export const INTERNAL_NOTE = 'Internal: suspect the connection pool on db-7; paging the DBA.';

export function tempStore(): SqliteStore {
  return SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-web-')));
}

/** A status-page channel that is never delivered to: it makes the pipeline write (and hold) its outbox rows. */
const STATUSPAGE: Channel = { name: 'statuspage', wants: () => true, deliver: async (_n, refs) => refs };

export function incidentDeps(store: SqliteStore, clock: ManualClock, statuspageApproval = false): IncidentDeps {
  return { store: store.incidents, clock, channels: [STATUSPAGE], settings: { policy: DEFAULT_SLA_POLICY, rules: DEFAULT_RULES, autoResolveAfterMs: HOUR_MS, statuspageApproval } };
}

function outcomeAt(probe: string, at: Date): ProbeOutcome {
  const day = at.toISOString().slice(0, 10);
  if (probe === 'web' && day === OUTAGE_DAY) return 'down';
  // One slow hour a day on the API: degraded still counts as up.
  if (probe === 'api' && at.getUTCHours() === 9) return 'degraded';
  return 'up';
}

/** Hourly checks from FIRST_DAY to `until`, each probe's state advanced through them as the service does. */
export async function seedProbes(store: SqliteStore, until: Date, maintenance?: { component: string; from: number; to: number }): Promise<void> {
  for (const probe of PROBES) {
    let state = INITIAL_PROBE_STATE;
    for (let t = Date.parse(`${FIRST_DAY}T00:00:00Z`); t <= until.getTime(); t += HOUR_MS) {
      const at = new Date(t);
      const outcome = outcomeAt(probe.name, at);
      const muted = maintenance !== undefined && maintenance.component === probe.component && t >= maintenance.from && t < maintenance.to;
      const observation: ProbeObservation = {
        probe: probe.name,
        at: at.toISOString(),
        ok: outcome === 'up',
        outcome,
        latencyMs: outcome === 'degraded' ? 4_000 : 120,
        ...(outcome === 'down' ? { reason: 'status' as const, httpStatus: 503, error: 'HTTP 503 Service Unavailable, expected 200-399' } : {}),
        ...(muted ? { muted: true } : {}),
      };
      const definition = { ...probe, url: `https://${probe.name}.example.com/health`, method: 'GET' as const, timeoutMs: 10_000, expectStatus: [{ min: 200, max: 399 }], failuresToAlert: 3 };
      state = advanceProbe(state, observation, { probe: definition, mutedComponents: muted ? [probe.component] : [] }).state;
      await store.probes.record(observation);
    }
    await store.probes.save(probe.name, state);
  }
}

function result(runId: string, checkId: string, name: string, status: CheckResultRecord['status'], severity: CheckResultRecord['severity'], message: string): CheckResultRecord {
  return {
    runId,
    checkId,
    accountId: '222222222222',
    region: 'us-east-1',
    resource: `arn:aws:rds:us-east-1:222222222222:db:${name}`,
    name,
    severity,
    remediation: `runbooks/${checkId}.md`,
    status,
    message,
    facts: {},
    params: {},
    evaluatedAt: '2026-03-15T03:10:00.000Z',
  };
}

function drill(id: string, target: string, status: DrillRecord['status'], startedAt: string, measures: DrillRecord['measures'], failure?: string): DrillRecord {
  return {
    id,
    target,
    accountId: '222222222222',
    region: 'us-west-2',
    status,
    trigger: 'schedule',
    owner: '1@test',
    startedAt,
    heartbeatAt: startedAt,
    finishedAt: new Date(Date.parse(startedAt) + HOUR_MS).toISOString(),
    phases: [],
    verification: [],
    measures,
    ...(failure ? { failure } : {}),
  };
}

/** Everything the two pages show; returns the store and a clock at NOW. */
export async function seedPlatform(store: SqliteStore): Promise<ManualClock> {
  const now = Date.parse(NOW);
  const clock = new ManualClock(now - 2 * DAY_MS);
  const deps = incidentDeps(store, clock);

  // Maintenance announced two days ahead: reports now (started an hour ago), the web app in three days.
  const maintenanceDeps = { store: store.incidents, clock, channels: [] };
  await scheduleMaintenance(maintenanceDeps, {
    title: 'Reporting database upgrade',
    start: new Date(now - HOUR_MS).toISOString(),
    end: new Date(now + 3 * HOUR_MS).toISOString(),
    components: ['Reports'],
    reason: 'Upgrading the reporting database to PostgreSQL 17.',
    emergency: false,
    actor: 'ops-alice',
  });
  await scheduleMaintenance(maintenanceDeps, {
    title: 'Web app load balancer replacement',
    start: new Date(now + 3 * DAY_MS).toISOString(),
    end: new Date(now + 3 * DAY_MS + 2 * HOUR_MS).toISOString(),
    components: ['Web app'],
    reason: 'Replacing the load balancer; expect a few seconds of reconnects.',
    emergency: false,
    actor: 'ops-alice',
  });

  // Reported 30 h ago as Sev3, acknowledged 2.5 h later, raised to Sev2 (whose 2 h work-begins clock was
  // then already missed), with an internal note.
  clock.set(now - 30 * HOUR_MS);
  const opened = await openManually(deps, { title: INCIDENT_TITLE, components: ['API'], severity: 'sev3', actor: 'oncall-bob', reason: 'Customers report slow and failing API calls.' });
  const id = opened.incident.id;
  clock.set(now - 27.5 * HOUR_MS);
  await act(deps, id, { action: 'ack' }, { actor: 'oncall-bob', reason: 'Looking into it.' });
  clock.set(now - 20 * HOUR_MS);
  await act(deps, id, { action: 'reclassify', severity: 'sev2' }, { actor: 'oncall-bob', reason: PUBLIC_REASON });
  clock.set(now - 10 * HOUR_MS);
  await act(deps, id, { action: 'update' }, { actor: 'oncall-bob', reason: INTERNAL_NOTE });

  clock.set(now);
  await sweepMaintenance(maintenanceDeps);
  await seedProbes(store, new Date(now), { component: 'Reports', from: now - HOUR_MS, to: now + 3 * HOUR_MS });

  await store.startRun({ id: 'run-old', kind: 'check', startedAt: '2026-03-14T03:00:00.000Z', trigger: 'schedule' });
  await store.finishRun('run-old', 'succeeded', '2026-03-14T03:05:00.000Z', {});
  await store.startRun({ id: 'run-latest', kind: 'check', startedAt: '2026-03-15T03:00:00.000Z', trigger: 'schedule', reason: 'daily retention checks' });
  await store.appendCheckResults([
    result('run-latest', 'rds-backup-retention', 'lms-prod', 'pass', 'high', 'lms-prod keeps automated backups for 30 days.'),
    result('run-latest', 'rds-multi-az', 'lms-prod', 'pass', 'medium', 'lms-prod is Multi-AZ.'),
    result('run-latest', 'rds-snapshot-daily', 'reporting-prod', 'fail', 'high', 'reporting-prod has no snapshot on 2026-03-13.'),
    result('run-latest', 'rds-deletion-protection', 'reporting-prod', 'fail', 'medium', 'reporting-prod has deletion protection off.'),
    result('run-latest', 'rds-snapshot-encrypted', 'analytics-prod', 'error', 'critical', 'analytics-prod could not be read: AccessDenied on DescribeDBSnapshots.'),
  ]);
  await store.finishRun('run-latest', 'failed', '2026-03-15T03:04:00.000Z', {});

  await store.createDrill(drill('drill-1', 'lms-prod', 'succeeded', '2026-03-12T04:00:00.000Z', { rtoSeconds: 1_500, rtoTargetSeconds: 3_600, rpoSeconds: 3_000, rpoTargetSeconds: 86_400 }));
  await store.createDrill(drill('drill-2', 'reporting-prod', 'succeeded', '2026-03-01T04:00:00.000Z', { rtoSeconds: 2_400, rtoTargetSeconds: 3_600, rpoSeconds: 7_200, rpoTargetSeconds: 86_400 }));
  await store.createDrill(
    drill('drill-3', 'reporting-prod', 'failed', '2026-03-14T04:00:00.000Z', { rtoSeconds: 5_400, rtoTargetSeconds: 3_600, rpoSeconds: 4_000, rpoTargetSeconds: 86_400 }, 'RTO 90 min exceeds the 60 min target'),
  );
  return clock;
}

export const SCHEDULES = [
  { name: 'sla-sweep', job: 'incidents', nextRun: new Date(Date.parse(NOW) + MINUTE_MS) },
  { name: 'retention-daily', job: 'checks:retention', nextRun: '2026-03-16T03:00:00.000Z', lastRun: { at: '2026-03-15T03:00:00.000Z', status: 'failed' } },
  { name: 'drills-weekly', job: 'drills', nextRun: '2026-03-19T04:00:00.000Z' },
];
