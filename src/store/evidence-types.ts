/**
 * The evidence part of the store: attestations and waivers (append-only), and the aggregate queries an
 * evidence report is built from. A report over a year of hourly checks must not load a million rows, so
 * counting happens in the store (GROUP BY) and raw rows are only ever streamed.
 */
import type { Attestation, ReportPeriod, Waiver } from '../evidence/report-model.js';
import type { Incident } from '../incidents/types.js';
import type { CheckResultRecord, DrillRecord } from './types.js';

/** A waiver with who revoked it and why, when it was revoked. */
export interface StoredWaiver extends Waiver {
  revokedBy?: string;
  revokeReason?: string;
}

export interface WaiverRevocation {
  at: string;
  actor: string;
  reason: string;
}

/** One check's results in a period, counted by the store. */
export interface CheckStats {
  checkId: string;
  /** Distinct runs that evaluated it. */
  runs: number;
  evaluations: number;
  pass: number;
  fail: number;
  error: number;
  notApplicable: number;
  manual: number;
  lastEvaluatedAt: string;
}

/** Judged results of one UTC day, across all checks. */
export interface DailyCheckCounts {
  /** `YYYY-MM-DD`. */
  day: string;
  pass: number;
  fail: number;
}

export interface EvidenceStore {
  /** Allocates the next id (`ATT-<n>`) and records the attestation (and its ledger entry) in one transaction. */
  createAttestation(attestation: Omit<Attestation, 'id'>): Promise<Attestation>;
  /** Oldest first. With `period`: those covering it (made before it ends, not expired by its start). */
  listAttestations(filter?: { control?: string; period?: ReportPeriod }): Promise<Attestation[]>;

  /** Allocates the next id (`WVR-<n>`) and records the waiver (and its ledger entry) in one transaction. */
  createWaiver(waiver: Omit<Waiver, 'id' | 'revokedAt'>): Promise<StoredWaiver>;
  getWaiver(id: string): Promise<StoredWaiver | undefined>;
  /**
   * Oldest first. With `period`: those in force at some instant of it (made before it ends, expiring
   * after it starts, not revoked before it starts). With `activeAt`: those in force at that instant.
   */
  listWaivers(filter?: { checkId?: string; period?: ReportPeriod; activeAt?: string }): Promise<StoredWaiver[]>;
  /** Revokes a waiver not yet revoked; undefined when there is no such waiver or it was already revoked. */
  revokeWaiver(id: string, revocation: WaiverRevocation): Promise<StoredWaiver | undefined>;

  /** Per check, its results evaluated in the period. */
  checkStats(period: ReportPeriod): Promise<CheckStats[]>;
  /** Distinct check runs with results evaluated in the period. */
  checkRunCount(period: ReportPeriod): Promise<number>;
  /**
   * The failing results of each check's last run in the period, per account and region: what was still
   * failing when the period ended.
   */
  failingAtEnd(period: ReportPeriod): Promise<CheckResultRecord[]>;
  /** Pass and fail counts per UTC day, oldest first. */
  dailyCheckCounts(period: ReportPeriod): Promise<DailyCheckCounts[]>;
  /** Drills started in the period, oldest first. */
  drillsIn(period: ReportPeriod): Promise<DrillRecord[]>;
  /** Incidents reported in the period, oldest first, as currently stored. */
  incidentsIn(period: ReportPeriod): Promise<Incident[]>;
  /** Every check result evaluated in the period, oldest first, one at a time (for bundles; never collected). */
  streamCheckResults(period: ReportPeriod): AsyncIterable<CheckResultRecord>;
}
