/**
 * Signals from check results, for the incident pipeline: a GuardDuty finding, a CloudTrail event of
 * concern, or a failing check of high or critical severity raises one; a pass whose key an open incident
 * holds clears it. A failure already held by an open incident raises nothing new, so a daily check run
 * does not post the same problem to the incident's thread every day.
 */
import type { CheckResult, Severity } from '../core/results.js';
import type { Signal } from '../store/types.js';

/** Check severities whose failures raise signals; lower ones stay in the reports. */
export const SIGNALLING_SEVERITIES: readonly Severity[] = ['critical', 'high'];

export function checkSignalKey(r: Pick<CheckResult, 'checkId' | 'resource'>): string {
  return `check:${r.checkId}:${r.resource}`;
}

export function signalsFromResults(results: readonly CheckResult[], openKeys: ReadonlySet<string>, runId: string): Signal[] {
  const signals = new Map<string, Signal>();
  for (const r of results) {
    const key = typeof r.facts['signalKey'] === 'string' ? r.facts['signalKey'] : checkSignalKey(r);
    const base = { key, source: `check ${r.checkId} (run ${runId})`, raisedAt: r.evaluatedAt };
    if (r.status === 'pass' && openKeys.has(key)) {
      signals.set(key, { ...base, id: `${runId}:${key}:cleared`, kind: kindOf(r), summary: `Cleared: ${r.message}`, payload: { ...payloadOf(r), cleared: true } });
      continue;
    }
    if (r.status !== 'fail' || openKeys.has(key)) continue;
    const kind = kindOf(r);
    if (kind === 'check-failed' && !SIGNALLING_SEVERITIES.includes(r.severity)) continue;
    signals.set(key, { ...base, id: `${runId}:${key}`, kind, summary: r.message, payload: payloadOf(r) });
  }
  return [...signals.values()];
}

function kindOf(r: CheckResult): string {
  if (r.facts['source'] === 'guardduty') return 'guardduty-finding';
  if (r.facts['source'] === 'cloudtrail') return 'cloudtrail-event';
  return 'check-failed';
}

/** GuardDuty and CloudTrail facts carry their own `severity` (a number) and categories for the rules. */
function payloadOf(r: CheckResult): Record<string, unknown> {
  const common = { checkId: r.checkId, resource: r.resource, name: r.name, accountId: r.accountId, region: r.region, runbook: r.remediation };
  if (kindOf(r) === 'check-failed') return { ...common, severity: r.severity, message: r.message };
  return { ...r.facts, ...common, checkSeverity: r.severity };
}
