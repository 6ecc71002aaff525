/**
 * The state store, behind an interface so a PostgreSQL store can serve several replicas later. Every
 * record that belongs to an account and region carries both. Methods that write several rows commit
 * them together.
 */
import type { CheckResult } from '../core/results.js';
import type { ClusterStore } from './cluster-types.js';
import type { ProbeStateStore } from '../incidents/probes.js';
import type { EvidenceStore } from './evidence-types.js';
import type { IncidentStore } from './incident-types.js';
import type { LedgerStore } from './ledger-types.js';
import type { TokenStore } from './token-types.js';

export type RunKind = 'check' | 'drill' | 'report' | 'job';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'error' | 'aborted';
export type Trigger = 'cli' | 'schedule' | 'api' | 'demo';

export interface RunRecord {
  id: string;
  kind: RunKind;
  startedAt: string;
  finishedAt?: string;
  status: RunStatus;
  trigger: Trigger;
  actor?: string;
  reason?: string;
  /** Counts and timings; kind-specific. */
  summary: Record<string, unknown>;
}


/** A check result as stored: the CheckResult of src/core/results.ts plus the run it belongs to. */
export interface CheckResultRecord extends CheckResult {
  runId: string;
}

export type DrillStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

export interface DrillPhase {
  name: 'planned' | 'restore-requested' | 'available' | 'connected' | 'verified' | 'delete-requested' | 'deleted' | 'swept';
  at: string;
}

export interface DrillRecord {
  id: string;
  target: string;
  accountId: string;
  region: string;
  status: DrillStatus;
  trigger: Trigger;
  actor?: string;
  reason?: string;
  /** `pid@host` of the process running it, so a sweep can tell a crashed drill from a live one. */
  owner: string;
  startedAt: string;
  heartbeatAt: string;
  finishedAt?: string;
  recoveryPoint?: { id: string; arn: string; createdAt: string; region: string; type: string };
  /** What the drill created (an instance id, a scratch prefix). */
  restoredResource?: string;
  phases: DrillPhase[];
  /** Each verification step: what ran, what came back, what was expected, whether it held. */
  verification: Array<Record<string, unknown>>;
  /** RTO, RPO and freshness in seconds, with their targets. */
  measures: Record<string, number | undefined>;
  failure?: string;
}

export interface Signal {
  id: string;
  /** `drill-failed`, `check-failed`, `guardduty-finding`, ... */
  kind: string;
  /** Signals with the same key belong to the same problem. */
  key: string;
  source: string;
  raisedAt: string;
  summary: string;
  payload: Record<string, unknown>;
}

export interface RunFilter {
  kind?: RunKind;
  status?: RunStatus;
  since?: string;
  /** Only the runs of this schedule: runs of kind 'job' whose summary names it. */
  schedule?: string;
  limit?: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** The newest migration applied. */
  schemaVersion(): Promise<number>;

  startRun(run: Omit<RunRecord, 'status' | 'summary'> & { summary?: Record<string, unknown> }): Promise<RunRecord>;
  /** Appends results to a running run; all of them or none. */
  appendCheckResults(results: CheckResultRecord[]): Promise<void>;
  /** Closes a run with its status and summary. */
  finishRun(id: string, status: Exclude<RunStatus, 'running'>, finishedAt: string, summary: Record<string, unknown>): Promise<RunRecord>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  checkResults(runId: string): Promise<CheckResultRecord[]>;
  /**
   * What is true now as far as checks know: for each check in each account and region, the results of
   * the newest run that evaluated it there.
   */
  latestCheckResults(): Promise<CheckResultRecord[]>;
  /**
   * When each of these checks was last evaluated without error, per account and region: the latest
   * `evaluatedAt` of a pass, fail or not_applicable result.
   */
  lastEvaluations(checkIds: string[]): Promise<Array<{ checkId: string; accountId: string; region: string; at: string }>>;

  createDrill(drill: DrillRecord): Promise<void>;
  /** Updates a drill; `heartbeatAt` moves with every update. */
  updateDrill(id: string, patch: Partial<Omit<DrillRecord, 'id'>>): Promise<DrillRecord>;
  getDrill(id: string): Promise<DrillRecord | undefined>;
  listDrills(filter?: { target?: string; status?: DrillStatus; limit?: number }): Promise<DrillRecord[]>;
  /** The newest successful drill of each target. */
  lastSuccessfulDrills(): Promise<Map<string, DrillRecord>>;
  /** Records a signal for the incidents pipeline; a drill's failure and its signal commit together. */
  finishDrillWithSignal(id: string, patch: Partial<Omit<DrillRecord, 'id'>>, signal?: Signal): Promise<DrillRecord>;
  listSignals(filter?: { kind?: string; since?: string }): Promise<Signal[]>;

  /** Incidents, their outbox, SLA events and maintenance windows. */
  readonly incidents: IncidentStore;
  /** HTTP probes' alerting state and observations. */
  readonly probes: ProbeStateStore;
  /** API tokens, as hashes. */
  readonly tokens: TokenStore;
  /** Attestations, waivers, and the aggregate queries evidence reports are built from. */
  readonly evidence: EvidenceStore;
  /** The evidence ledger: every write above appends its entry in its own transaction. */
  readonly ledger: LedgerStore;
  /** Replicas sharing this database and their leases on scheduled occurrences, locks and units of work. */
  readonly cluster?: ClusterStore;

  close(): Promise<void>;
}
