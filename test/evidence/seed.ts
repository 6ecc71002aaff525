/** Writes known evidence into a real store through its own write methods, for report tests. */
import { HOUR_MS, ManualClock } from '../../src/core/clock.js';
import type { Status } from '../../src/core/results.js';
import { DEFAULT_SLA_POLICY } from '../../src/incidents/sla.js';
import { applyAction, openIncident, type ActionRequest } from '../../src/incidents/transitions.js';
import type { IncidentSeverity } from '../../src/incidents/types.js';
import type { CheckResultRecord, DrillRecord, Store } from '../../src/store/types.js';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';

export interface ResultSpec {
  checkId: string;
  status: Status;
  /** Resource name; the ARN is built from it. */
  name?: string;
}

export function arnOf(name: string): string {
  return `arn:aws:rds:${REGION}:${ACCOUNT}:db:${name}`;
}

/** One finished check run at `at`, with one result per spec. */
export async function seedCheckRun(store: Store, id: string, at: string, specs: ResultSpec[]): Promise<void> {
  await store.startRun({ id, kind: 'check', startedAt: at, trigger: 'schedule' });
  const results: CheckResultRecord[] = specs.map((s) => {
    const name = s.name ?? 'lms-prod';
    return {
      runId: id,
      checkId: s.checkId,
      accountId: ACCOUNT,
      region: REGION,
      resource: arnOf(name),
      name,
      severity: 'high',
      status: s.status,
      message: `${s.checkId} is ${s.status} for ${name}.`,
      facts: { seeded: true },
      params: {},
      remediation: `runbooks/${s.checkId}.md`,
      evaluatedAt: at,
    };
  });
  await store.appendCheckResults(results);
  await store.finishRun(id, 'succeeded', at, { results: results.length });
}

export async function seedDrill(store: Store, drill: { id: string; target: string; at: string; status: DrillRecord['status']; rtoSeconds?: number; rpoSeconds?: number; failure?: string }): Promise<void> {
  const record: DrillRecord = {
    id: drill.id,
    target: drill.target,
    accountId: ACCOUNT,
    region: REGION,
    status: drill.status,
    trigger: 'schedule',
    owner: '1@test',
    startedAt: drill.at,
    heartbeatAt: drill.at,
    finishedAt: drill.at,
    phases: [],
    verification: [],
    measures: { rtoSeconds: drill.rtoSeconds, rpoSeconds: drill.rpoSeconds, rtoTargetSeconds: 7200, rpoTargetSeconds: 86_400 },
    ...(drill.failure ? { failure: drill.failure } : {}),
  };
  await store.createDrill(record);
}

/** An incident reported at `reportedAt`, then moved by `steps` (hours after the report, action). */
export async function seedIncident(store: Store, severity: IncidentSeverity, title: string, reportedAt: string, steps: Array<[hours: number, ActionRequest['action']]>): Promise<string> {
  const stored = await store.incidents.createIncident((id) => {
    const clock = new ManualClock(reportedAt);
    let incident = openIncident({ id, severity, title, components: ['web'], classification: { explanation: 'seeded' } }, { actor: 'alice', reason: 'seeded', clock }, DEFAULT_SLA_POLICY);
    for (const [hours, action] of steps) {
      clock.set(Date.parse(reportedAt) + hours * HOUR_MS);
      incident = applyAction(incident, { action } as ActionRequest, { actor: 'bob', reason: `${action} (seeded)`, clock }, DEFAULT_SLA_POLICY);
    }
    return { incident, notifications: [] };
  });
  return stored.incident.id;
}
