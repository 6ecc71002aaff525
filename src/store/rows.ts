/**
 * Rows as both stores read and write them: the tables are the same on SQLite and PostgreSQL (one
 * migration list), so a row maps to a record the same way whichever database it came from. JSON columns
 * are TEXT on both, numbers come back as numbers (the PostgreSQL pool parses BIGINT), nullable columns as
 * null.
 */
import type { ChannelName, Notification } from '../incidents/delivery.js';
import type { Incident } from '../incidents/types.js';
import type { Attestation } from '../evidence/report-model.js';
import type { StoredWaiver } from './evidence-types.js';
import type { OutboxRecord, OutboxStatus, SlaEventRecord, StoredIncident } from './incident-types.js';
import type { LedgerKind } from './ledger-types.js';
import type { ApiToken } from './token-types.js';
import type { CheckResultRecord, DrillRecord, DrillStatus, RunRecord, RunStatus, Signal } from './types.js';

export interface RunRow {
  id: string;
  kind: RunRecord['kind'];
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  trigger: RunRecord['trigger'];
  actor: string | null;
  reason: string | null;
  summary: string;
}

export function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    startedAt: row.started_at,
    finishedAt: row.finished_at ?? undefined,
    status: row.status,
    trigger: row.trigger,
    actor: row.actor ?? undefined,
    reason: row.reason ?? undefined,
    summary: JSON.parse(row.summary) as Record<string, unknown>,
  };
}

export interface ResultRow {
  run_id: string;
  check_id: string;
  account_id: string;
  region: string;
  resource: string;
  resource_name: string;
  severity: CheckResultRecord['severity'];
  remediation: string;
  status: CheckResultRecord['status'];
  message: string;
  facts: string;
  params: string;
  evaluated_at: string;
}

export function toResult(r: ResultRow): CheckResultRecord {
  return {
    runId: r.run_id,
    checkId: r.check_id,
    accountId: r.account_id,
    region: r.region,
    resource: r.resource,
    name: r.resource_name,
    severity: r.severity,
    remediation: r.remediation,
    status: r.status,
    message: r.message,
    facts: JSON.parse(r.facts) as Record<string, unknown>,
    params: JSON.parse(r.params) as Record<string, unknown>,
    evaluatedAt: r.evaluated_at,
  };
}

/** A result's column values after run_id and seq, in the order of `RESULT_COLUMNS`. */
export function resultValues(r: CheckResultRecord): unknown[] {
  return [r.checkId, r.accountId, r.region, r.resource, r.name, r.severity, r.status, r.message, JSON.stringify(r.facts), JSON.stringify(r.params), r.remediation, r.evaluatedAt];
}

export const RESULT_COLUMNS = ['run_id', 'seq', 'check_id', 'account_id', 'region', 'resource', 'resource_name', 'severity', 'status', 'message', 'facts', 'params', 'remediation', 'evaluated_at'] as const;

/** A result's account and region, either of which may be missing (organization-wide checks). */
export interface ScopeColumns {
  account_id: string | null;
  region: string | null;
}

export function sameScope(a: ScopeColumns, b: ScopeColumns): boolean {
  return a.account_id === b.account_id && a.region === b.region;
}

/** The order of an evidence report's failing results: check, account, region, resource. */
export function byCheckScopeResource(a: ResultRow, b: ResultRow): number {
  return a.check_id.localeCompare(b.check_id) || (a.account_id ?? '').localeCompare(b.account_id ?? '') || (a.region ?? '').localeCompare(b.region ?? '') || a.resource.localeCompare(b.resource);
}

export interface DrillRow {
  id: string;
  target: string;
  account_id: string;
  region: string;
  status: DrillStatus;
  trigger: DrillRecord['trigger'];
  actor: string | null;
  reason: string | null;
  owner: string;
  started_at: string;
  heartbeat_at: string;
  finished_at: string | null;
  recovery_point: string | null;
  restored_resource: string | null;
  phases: string;
  verification: string;
  measures: string;
  failure: string | null;
}

/** A drill as named parameters (`@accountId`, ...), the form the SQLite statements bind. */
export function drillRow(d: DrillRecord): Record<string, unknown> {
  return {
    id: d.id,
    target: d.target,
    accountId: d.accountId,
    region: d.region,
    status: d.status,
    trigger: d.trigger,
    actor: d.actor ?? null,
    reason: d.reason ?? null,
    owner: d.owner,
    startedAt: d.startedAt,
    heartbeatAt: d.heartbeatAt,
    finishedAt: d.finishedAt ?? null,
    recoveryPoint: d.recoveryPoint ? JSON.stringify(d.recoveryPoint) : null,
    restoredResource: d.restoredResource ?? null,
    phases: JSON.stringify(d.phases),
    verification: JSON.stringify(d.verification),
    measures: JSON.stringify(d.measures),
    failure: d.failure ?? null,
  };
}

export function toDrill(r: DrillRow): DrillRecord {
  return {
    id: r.id,
    target: r.target,
    accountId: r.account_id,
    region: r.region,
    status: r.status,
    trigger: r.trigger,
    actor: r.actor ?? undefined,
    reason: r.reason ?? undefined,
    owner: r.owner,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    finishedAt: r.finished_at ?? undefined,
    recoveryPoint: r.recovery_point ? (JSON.parse(r.recovery_point) as DrillRecord['recoveryPoint']) : undefined,
    restoredResource: r.restored_resource ?? undefined,
    phases: JSON.parse(r.phases) as DrillRecord['phases'],
    verification: JSON.parse(r.verification) as DrillRecord['verification'],
    measures: JSON.parse(r.measures) as DrillRecord['measures'],
    failure: r.failure ?? undefined,
  };
}

export interface SignalRow {
  id: string;
  kind: string;
  key: string;
  source: string;
  raised_at: string;
  summary: string;
  payload: string;
}

export function toSignal(r: SignalRow): Signal {
  return { id: r.id, kind: r.kind, key: r.key, source: r.source, raisedAt: r.raised_at, summary: r.summary, payload: JSON.parse(r.payload) as Record<string, unknown> };
}

export interface IncidentRow {
  id: string;
  version: number;
  sla_swept_to: string;
  doc: string;
}

export function toStoredIncident(row: IncidentRow): StoredIncident {
  return { incident: JSON.parse(row.doc) as Incident, version: row.version, slaSweptTo: row.sla_swept_to };
}

export interface OutboxRow {
  seq: number;
  id: string;
  subject_id: string;
  channel: ChannelName;
  notification: string;
  status: OutboxStatus;
  attempts: number;
  created_at: string;
  next_attempt_at: string;
  delivered_at: string | null;
  last_error: string | null;
}

export function toOutbox(r: OutboxRow): OutboxRecord {
  return {
    id: r.id,
    seq: r.seq,
    subjectId: r.subject_id,
    channel: r.channel,
    notification: JSON.parse(r.notification) as Notification,
    status: r.status,
    attempts: r.attempts,
    createdAt: r.created_at,
    nextAttemptAt: r.next_attempt_at,
    ...(r.delivered_at ? { deliveredAt: r.delivered_at } : {}),
    ...(r.last_error ? { lastError: r.last_error } : {}),
  };
}

/** The outbox's subject of a notification: messages of one subject to one channel go out in order. */
export function subjectOf(n: Notification): string {
  if (n.subject === 'incident') return n.incident.id;
  if (n.subject === 'maintenance') return n.maintenance.id;
  return `component:${n.component}`;
}

export interface SlaEventRow {
  id: string;
  incident_id: string;
  clock: SlaEventRecord['clock'];
  severity: SlaEventRecord['severity'];
  kind: SlaEventRecord['kind'];
  threshold: number;
  at: string;
  due_at: string;
}

export function toSlaEvent(r: SlaEventRow): SlaEventRecord {
  return { id: r.id, incidentId: r.incident_id, clock: r.clock, severity: r.severity, kind: r.kind, threshold: r.threshold, at: r.at, dueAt: r.due_at };
}

export interface TokenRow {
  id: string;
  name: string;
  role: ApiToken['role'];
  hash: string;
  created_at: string;
  created_by: string;
  reason: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  last_used_at: string | null;
}

export function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    reason: row.reason,
    ...(row.revoked_at ? { revokedAt: row.revoked_at } : {}),
    ...(row.revoked_by ? { revokedBy: row.revoked_by } : {}),
    ...(row.revoke_reason ? { revokeReason: row.revoke_reason } : {}),
    ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}),
  };
}

export interface AttestationRow {
  id: string;
  control: string;
  owner: string;
  reason: string;
  file_name: string | null;
  file_sha256: string | null;
  file_bytes: number | null;
  at: string;
  actor: string;
  expires_at: string | null;
}

export function toAttestation(r: AttestationRow): Attestation {
  return {
    id: r.id,
    control: r.control,
    owner: r.owner,
    reason: r.reason,
    ...(r.file_name !== null && r.file_sha256 !== null ? { file: { name: r.file_name, sha256: r.file_sha256, bytes: r.file_bytes ?? 0 } } : {}),
    at: r.at,
    actor: r.actor,
    ...(r.expires_at !== null ? { expiresAt: r.expires_at } : {}),
  };
}

export interface WaiverRow {
  id: string;
  check_id: string;
  resource: string;
  reason: string;
  until_at: string;
  at: string;
  actor: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

/** A waiver with its revocation, if any: the SELECT both stores read waivers with. */
export const WAIVER_SELECT = `SELECT w.id, w.check_id, w.resource, w.reason, w.until_at, w.at, w.actor, r.at AS revoked_at, r.actor AS revoked_by, r.reason AS revoke_reason
  FROM waivers w LEFT JOIN waiver_revocations r ON r.waiver_id = w.id`;

export function toWaiver(r: WaiverRow): StoredWaiver {
  return {
    id: r.id,
    checkId: r.check_id,
    resource: r.resource,
    reason: r.reason,
    until: r.until_at,
    at: r.at,
    actor: r.actor,
    ...(r.revoked_at !== null ? { revokedAt: r.revoked_at } : {}),
    ...(r.revoked_by !== null ? { revokedBy: r.revoked_by } : {}),
    ...(r.revoke_reason !== null ? { revokeReason: r.revoke_reason } : {}),
  };
}

export interface LedgerRow {
  seq: number;
  kind: LedgerKind;
  at: string;
  actor: string;
  subject: string;
  data: string;
  prev_hash: string;
  hash: string;
}
