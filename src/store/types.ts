/**
 * The state store, behind an interface so a PostgreSQL store can serve several replicas later. Every
 * record that belongs to an account and region carries both. Methods that write several rows commit
 * them together.
 */
import type { CheckResult } from '../core/results.js';

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

export interface RunFilter {
  kind?: RunKind;
  status?: RunStatus;
  since?: string;
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
   * When each of these checks was last evaluated without error, per account and region: the latest
   * `evaluatedAt` of a pass, fail or not_applicable result.
   */
  lastEvaluations(checkIds: string[]): Promise<Array<{ checkId: string; accountId: string; region: string; at: string }>>;

  close(): Promise<void>;
}
