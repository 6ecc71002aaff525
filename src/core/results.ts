/** What a check says about one resource. */

export const STATUSES = ['pass', 'fail', 'error', 'not_applicable', 'manual'] as const;
export type Status = (typeof STATUSES)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** An evaluator's judgement of one resource: a status, one sentence naming the resource, and the facts. */
export interface Verdict {
  status: Status;
  /** One sentence that names the resource and ends with a period. */
  message: string;
  /** The raw facts the verdict was judged on. */
  facts: Record<string, unknown>;
  /**
   * When one subject yields several results (each GuardDuty finding, each CloudTrail event of
   * concern), the thing this verdict is about; defaults to the subject itself.
   */
  about?: { resource: string; name: string };
}

export interface Subject {
  /** ARN or another name unique across accounts and regions. */
  resource: string;
  /** A short human name (`lms-prod`, `vol-0abc (worker-data)`). */
  name: string;
  accountId: string;
  region: string;
}

export interface CheckResult extends Verdict, Subject {
  checkId: string;
  severity: Severity;
  /** The params the verdict used, pinned. */
  params: Record<string, unknown>;
  evaluatedAt: string;
  /** The runbook to follow when it fails. */
  remediation: string;
}

export function pass(message: string, facts: Record<string, unknown> = {}): Verdict {
  return { status: 'pass', message, facts };
}

export function fail(message: string, facts: Record<string, unknown> = {}): Verdict {
  return { status: 'fail', message, facts };
}

export function notApplicable(message: string, facts: Record<string, unknown> = {}): Verdict {
  return { status: 'not_applicable', message, facts };
}

export function errorVerdict(message: string, facts: Record<string, unknown> = {}): Verdict {
  return { status: 'error', message, facts };
}

/** Counts per status, in a fixed key order. */
export function countByStatus(results: ReadonlyArray<{ status: Status }>): Record<Status, number> {
  const counts: Record<Status, number> = { pass: 0, fail: 0, error: 0, not_applicable: 0, manual: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}
