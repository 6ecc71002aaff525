/**
 * What the ledger records of each write: small, but enough for a report to rely on (ids, status,
 * timestamps, measures, severity, who and why). Reports read records from the store's own tables; these
 * entries prove those records were not altered afterwards. Bulky facts are kept as their hash. Never a
 * secret: tokens appear by name and role only.
 */
import type { Attestation } from '../evidence/report-model.js';
import type { StoredWaiver } from './evidence-types.js';
import type { ApiToken } from './token-types.js';
import type { MaintenanceWindow, SlaEventRecord } from './incident-types.js';
import type { NewLedgerEntry } from './ledger-types.js';
import type { CheckResultRecord, DrillRecord, RunRecord, Trigger } from './types.js';
import type { Notification } from '../incidents/delivery.js';
import type { Incident, TimelineEntry } from '../incidents/types.js';
import { canonicalJson, sha256Hex } from '../evidence/canonical.js';
import { redact } from '../core/redact.js';

/** Who a run or drill acted for: the recorded actor, else the scheduler or Vigil itself. */
export function actorOfTrigger(actor: string | undefined | null, trigger: Trigger | string): string {
  if (actor) return actor;
  return trigger === 'schedule' ? 'scheduler' : 'vigil';
}

/**
 * A check result; its subject is `<run>:<seq>`, the result's key in `check_results`. `factsSha256` is
 * the SHA-256 of the facts' canonical JSON, when the caller has it already.
 */
export function checkResultEntry(result: CheckResultRecord, seq: number, actor: string, factsSha256?: string): NewLedgerEntry {
  return {
    kind: 'check-result',
    at: result.evaluatedAt,
    actor,
    subject: `${result.runId}:${seq}`,
    data: {
      runId: result.runId,
      seq,
      checkId: result.checkId,
      accountId: result.accountId,
      region: result.region,
      resource: result.resource,
      name: result.name,
      severity: result.severity,
      status: result.status,
      message: result.message,
      evaluatedAt: result.evaluatedAt,
      params: result.params,
      // The facts can be large (a policy document, a finding); their hash proves them just as well.
      factsSha256: factsSha256 ?? sha256Hex(canonicalJson(result.facts)),
    },
  };
}

/** A finished run: `check-run` for check runs, `job-run` for scheduled and API jobs (and any other kind). */
export function runEntry(run: RunRecord): NewLedgerEntry {
  return {
    kind: run.kind === 'check' ? 'check-run' : 'job-run',
    at: run.finishedAt ?? run.startedAt,
    actor: actorOfTrigger(run.actor, run.trigger),
    subject: run.id,
    data: {
      id: run.id,
      kind: run.kind,
      trigger: run.trigger,
      actor: run.actor,
      reason: run.reason,
      status: run.status,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      summary: run.summary,
    },
  };
}

/** A drill's final record; `owner` and `heartbeatAt` are bookkeeping, not evidence. */
export function drillEntry(drill: DrillRecord): NewLedgerEntry {
  return {
    kind: 'drill',
    at: drill.finishedAt ?? drill.heartbeatAt,
    actor: actorOfTrigger(drill.actor, drill.trigger),
    subject: drill.id,
    data: {
      id: drill.id,
      target: drill.target,
      accountId: drill.accountId,
      region: drill.region,
      status: drill.status,
      trigger: drill.trigger,
      actor: drill.actor,
      reason: drill.reason,
      startedAt: drill.startedAt,
      finishedAt: drill.finishedAt,
      recoveryPoint: drill.recoveryPoint,
      restoredResource: drill.restoredResource,
      measures: drill.measures,
      failure: drill.failure,
      phases: drill.phases,
      verification: drill.verification,
    },
  };
}

/**
 * An incident write: the timeline entries it added and the SLA events it recorded, with the incident's
 * severity and state after it. Undefined when the write changed nothing an auditor asks about (only
 * delivery bookkeeping such as which channels were told).
 */
export function incidentEntry(
  incident: Incident,
  version: number,
  change: { newTimeline: TimelineEntry[]; slaEvents: SlaEventRecord[]; severityOrStateChanged: boolean },
): NewLedgerEntry | undefined {
  const { newTimeline, slaEvents } = change;
  if (newTimeline.length === 0 && slaEvents.length === 0 && !change.severityOrStateChanged) return undefined;
  const last = newTimeline[newTimeline.length - 1];
  const lastSla = slaEvents.reduce<string | undefined>((max, e) => (max === undefined || e.at > max ? e.at : max), undefined);
  return {
    kind: 'incident-change',
    at: last?.at ?? lastSla ?? incident.reportedAt,
    actor: last?.actor ?? 'vigil',
    subject: incident.id,
    data: {
      id: incident.id,
      version,
      title: incident.title,
      severity: incident.severity,
      state: incident.state,
      components: incident.components,
      commander: incident.commander,
      reportedAt: incident.reportedAt,
      timeline: newTimeline,
      slaEvents: slaEvents.map((e) => ({ id: e.id, clock: e.clock, severity: e.severity, kind: e.kind, threshold: e.threshold, at: e.at, dueAt: e.dueAt })),
    },
  };
}

/** A notification's outcome: delivered, or given up on (a 4xx the channel will not accept). */
export function notificationEntry(
  notification: Notification,
  outcome: { status: 'delivered'; at: string; attempts: number } | { status: 'failed'; at: string; attempts: number; error: string },
): NewLedgerEntry {
  return {
    kind: 'notification',
    at: outcome.at,
    actor: 'vigil',
    subject: notification.id,
    data: {
      id: notification.id,
      channel: notification.channel,
      subject: notification.subject,
      subjectId: subjectIdOf(notification),
      event: notification.event,
      severity: notification.subject === 'incident' ? notification.incident.severity : undefined,
      sla: notification.subject === 'incident' ? notification.sla : undefined,
      // Who made the change being announced, when, and why: the notification's timeliness is measured from `changeAt`.
      changeActor: notification.actor,
      changeReason: notification.reason,
      changeAt: notification.at,
      status: outcome.status,
      attempts: outcome.attempts,
      deliveredAt: outcome.status === 'delivered' ? outcome.at : undefined,
      error: outcome.status === 'failed' ? redact(outcome.error).slice(0, 500) : undefined,
    },
  };
}

/**
 * A maintenance window as saved. Who and why come from the announcement the write queued; a write
 * that announced nothing is the creator's when new and Vigil's otherwise.
 */
export function maintenanceEntry(window: MaintenanceWindow, notifications: Notification[], now: string): NewLedgerEntry {
  const announced = notifications[0];
  const isNew = window.version === 1;
  return {
    kind: 'maintenance',
    at: announced?.at ?? (isNew ? window.createdAt : now),
    actor: announced?.actor ?? (isNew ? window.actor : 'vigil'),
    subject: window.id,
    data: {
      id: window.id,
      version: window.version,
      title: window.title,
      components: window.components,
      startsAt: window.startsAt,
      endsAt: window.endsAt,
      status: window.status,
      emergency: window.emergency,
      reason: window.reason,
      createdBy: window.actor,
      event: announced?.event,
      changeReason: announced?.reason,
    },
  };
}

/** A token created or revoked: its name, role, who and why. Never the token or its hash. */
export function tokenEntry(token: Pick<ApiToken, 'name' | 'role'>, change: { action: 'created' | 'revoked'; at: string; actor: string; reason: string }): NewLedgerEntry {
  return {
    kind: 'token-change',
    at: change.at,
    actor: change.actor,
    subject: `token:${token.name}`,
    data: { action: change.action, name: token.name, role: token.role, reason: change.reason },
  };
}

/** The ledger entry of an attestation: the record as written, file by name, size and hash. */
export function attestationEntry(a: Attestation): NewLedgerEntry {
  return {
    kind: 'attestation',
    at: a.at,
    actor: a.actor,
    subject: a.id,
    data: { id: a.id, control: a.control, owner: a.owner, reason: a.reason, file: a.file, at: a.at, expiresAt: a.expiresAt },
  };
}

/** The ledger entry of a waiver granted or revoked. */
export function waiverEntry(w: StoredWaiver, action: 'granted' | 'revoked'): NewLedgerEntry {
  return {
    kind: 'waiver',
    at: action === 'granted' ? w.at : (w.revokedAt as string),
    actor: action === 'granted' ? w.actor : (w.revokedBy as string),
    subject: w.id,
    data: {
      action,
      id: w.id,
      checkId: w.checkId,
      resource: w.resource,
      reason: w.reason,
      until: w.until,
      at: w.at,
      grantedBy: w.actor,
      revokedAt: w.revokedAt,
      revokeReason: w.revokeReason,
    },
  };
}

function subjectIdOf(n: Notification): string {
  if (n.subject === 'incident') return n.incident.id;
  if (n.subject === 'maintenance') return n.maintenance.id;
  return `component:${n.component}`;
}
