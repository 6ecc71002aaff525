/**
 * Signals from check results, for the incident pipeline. One problem, one incident: a failing check
 * raises one signal for all the resources it fails on (its key is the check), CloudTrail events of
 * concern one per account and category, and each GuardDuty finding its own. A check that ran clean
 * clears its key. A problem an open incident already holds raises nothing new, so a daily run does not
 * post the same failure to the incident's thread every day.
 */
import type { CheckResult, Severity } from '../core/results.js';
import type { Signal } from '../store/types.js';

/** Check severities whose failures raise signals by default; lower ones stay in the reports. */
export const DEFAULT_SIGNALLING_SEVERITIES: readonly Severity[] = ['critical'];

export function checkSignalKey(checkId: string): string {
  return `check:${checkId}`;
}

interface Group {
  key: string;
  kind: string;
  failing: CheckResult[];
  clean: boolean;
  first: CheckResult;
}

export function signalsFromResults(
  results: readonly CheckResult[],
  openKeys: ReadonlySet<string>,
  runId: string,
  severities: readonly Severity[] = DEFAULT_SIGNALLING_SEVERITIES,
): Signal[] {
  const groups = new SignalGroups();
  groups.add(results);
  return groups.signals(openKeys, runId, severities);
}

/**
 * The signals of a run, gathered as its results stream in: one group per problem, holding only the
 * failing results, so a large scan's signals cost memory in proportion to what fails, not to the estate.
 */
export class SignalGroups {
  private readonly groups = new Map<string, Group>();

  add(results: Iterable<CheckResult>): void {
    for (const r of results) {
      const kind = kindOf(r);
      // GuardDuty's medium and low findings stay in the reports; high (7.0) and critical (9.0) are incidents.
      if (kind === 'guardduty-finding' && r.status === 'fail' && !(typeof r.facts['severity'] === 'number' && r.facts['severity'] >= 7)) continue;
      const key = keyOf(r, kind);
      const group = this.groups.get(key) ?? { key, kind, failing: [], clean: true, first: r };
      if (r.status === 'fail') group.failing.push(r);
      // A check that could not look everywhere has not shown the problem is gone.
      if (r.status === 'fail' || r.status === 'error') group.clean = false;
      this.groups.set(key, group);
    }
  }

  signals(openKeys: ReadonlySet<string>, runId: string, severities: readonly Severity[] = DEFAULT_SIGNALLING_SEVERITIES): Signal[] {
    const signals: Signal[] = [];
    for (const g of this.groups.values()) {
      const held = openKeys.has(g.key);
      if (g.failing.length === 0) {
        if (held && g.clean && g.kind === 'check-failed') signals.push(cleared(g, runId));
        continue;
      }
      if (held || (g.kind === 'check-failed' && !severities.includes(g.first.severity))) continue;
      signals.push(raised(g, runId));
    }
    return signals;
  }
}

function kindOf(r: CheckResult): string {
  if (r.facts['source'] === 'guardduty') return 'guardduty-finding';
  if (r.facts['source'] === 'cloudtrail') return 'cloudtrail-event';
  return 'check-failed';
}

function keyOf(r: CheckResult, kind: string): string {
  if (kind === 'guardduty-finding' && typeof r.facts['signalKey'] === 'string') return r.facts['signalKey'];
  if (kind === 'cloudtrail-event') {
    const categories = Array.isArray(r.facts['categories']) ? r.facts['categories'] : [];
    return `cloudtrail:${r.accountId}:${String(categories[0] ?? r.checkId)}`;
  }
  return checkSignalKey(r.checkId);
}

function raised(g: Group, runId: string): Signal {
  // What fails speaks for the group, whichever result happened to arrive first.
  const r = g.failing[0] as CheckResult;
  const base = { id: `${runId}:${g.key}`, kind: g.kind, key: g.key, source: `check ${r.checkId} (run ${runId})`, raisedAt: r.evaluatedAt };
  if (g.kind !== 'check-failed') {
    const more = g.failing.length > 1 ? ` (and ${g.failing.length - 1} more like it)` : '';
    return { ...base, summary: `${r.message}${more}`, payload: { ...r.facts, ...common(r), checkSeverity: r.severity, count: g.failing.length } };
  }
  const summary = g.failing.length === 1 ? r.message : `Check ${r.checkId} fails on ${g.failing.length} resources: ${r.message} (and ${g.failing.length - 1} more)`;
  return {
    ...base,
    summary,
    payload: { ...common(r), severity: r.severity, count: g.failing.length, resources: g.failing.map((f) => ({ resource: f.resource, name: f.name, accountId: f.accountId, region: f.region, message: f.message })) },
  };
}

function cleared(g: Group, runId: string): Signal {
  const r = g.first;
  return {
    id: `${runId}:${g.key}:cleared`,
    kind: g.kind,
    key: g.key,
    source: `check ${r.checkId} (run ${runId})`,
    raisedAt: r.evaluatedAt,
    summary: `Check ${r.checkId} passes everywhere it looked.`,
    payload: { ...common(r), severity: r.severity, cleared: true },
  };
}

function common(r: CheckResult): Record<string, unknown> {
  return { checkId: r.checkId, runbook: r.remediation };
}
