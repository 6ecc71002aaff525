/**
 * Incidents: the severity levels of the customer promise (the seed's table), the states an incident moves
 * through, the actions that move it, and the shape recorded in the store. Pure data, no I/O.
 */
import type { Signal as StoredSignal } from '../store/types.js';

/** Sev1 is the worst. Distinct from a check's `Severity` (critical..info) in src/core/results.ts. */
export const INCIDENT_SEVERITIES = ['sev1', 'sev2', 'sev3', 'sev4'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** The seed's own words for each level; the classifier quotes them as its explanation. */
export const SEVERITY_DESCRIPTIONS: Record<IncidentSeverity, string> = {
  sev1: 'Severity 1: the service is not available or is unusable.',
  sev2: 'Severity 2: service or performance is substantially degraded in a way that prevents normal use.',
  sev3: 'Severity 3: a service not essential to main functionality is unavailable or degraded.',
  sev4: 'Severity 4: minor or cosmetic issues, and all feature requests.',
};

/**
 * `mitigated` = a temporary solution is in place; `monitoring` = the signal cleared and we watch before
 * closing; `resolved` = the final resolution.
 */
export const INCIDENT_STATES = ['triage', 'investigating', 'mitigated', 'monitoring', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const OPEN_STATES = ['triage', 'investigating', 'mitigated', 'monitoring'] as const satisfies readonly IncidentState[];

export const INCIDENT_ACTIONS = ['ack', 'update', 'mitigate', 'monitor', 'resolve', 'reclassify', 'reopen'] as const;
export type IncidentAction = (typeof INCIDENT_ACTIONS)[number];

/**
 * What each action may start from and where it leads; `to: undefined` keeps the state. This table is the
 * only statement of the lifecycle: the transition code and the tests both read it.
 */
export const ACTION_RULES: Record<IncidentAction, { from: readonly IncidentState[]; to: IncidentState | undefined }> = {
  ack: { from: ['triage'], to: 'investigating' },
  update: { from: OPEN_STATES, to: undefined },
  mitigate: { from: ['triage', 'investigating'], to: 'mitigated' },
  monitor: { from: ['triage', 'investigating', 'mitigated'], to: 'monitoring' },
  resolve: { from: OPEN_STATES, to: 'resolved' },
  reclassify: { from: OPEN_STATES, to: undefined },
  // The fix did not hold, or the problem came back after resolution.
  reopen: { from: ['mitigated', 'monitoring', 'resolved'], to: 'investigating' },
};

/** The state graph implied by ACTION_RULES: from -> states reachable by one action. */
export const ALLOWED_TRANSITIONS: Record<IncidentState, readonly IncidentState[]> = transitionsOf(ACTION_RULES);

function transitionsOf(rules: typeof ACTION_RULES): Record<IncidentState, IncidentState[]> {
  const graph = { triage: [], investigating: [], mitigated: [], monitoring: [], resolved: [] } as Record<IncidentState, IncidentState[]>;
  for (const rule of Object.values(rules)) {
    if (rule.to === undefined) continue;
    for (const from of rule.from) if (from !== rule.to && !graph[from].includes(rule.to)) graph[from].push(rule.to);
  }
  return graph;
}

/** Changes made by Vigil itself (`vigil`, `rule:<id>`, `schedule:<name>`, `probe:<name>`): their reasons are internal explanations, not words for the public. */
export function isAutomaticActor(actor: string): boolean {
  return actor === 'vigil' || /^(rule|schedule|probe):/.test(actor);
}

export function isOpen(state: IncidentState): boolean {
  return state !== 'resolved';
}

/** The input shape of a signal: the store's record, so a stored signal can be classified as is. */
export type Signal = StoredSignal;

/** The three SLA clocks of the seed's table. */
export const SLA_CLOCKS = ['workBegins', 'temporary', 'final'] as const;
export type SlaClock = (typeof SLA_CLOCKS)[number];

/** Due instants recorded when clocks start or are re-based, so the promise made is on the record. */
export type ClockDue = Partial<Record<SlaClock, string>>;

export type TimelineChange =
  | {
      kind: 'opened';
      severity: IncidentSeverity;
      state: IncidentState;
      /** The rule or the answers that chose the severity. */
      classification: { ruleId?: string; explanation: string };
      due: ClockDue;
    }
  | { kind: 'state'; action: IncidentAction; from: IncidentState; to: IncidentState }
  | { kind: 'note'; action: 'update' }
  | { kind: 'severity'; from: IncidentSeverity; to: IncidentSeverity; due: ClockDue }
  | { kind: 'commander'; from?: string; to: string }
  | { kind: 'signal'; signalId: string; key: string; cleared: boolean }
  /** A person let held status-page posts go out (the approval gate). */
  | { kind: 'approval'; channel: 'statuspage'; released: number };

export interface TimelineEntry {
  /** ISO instant. */
  at: string;
  /** A person's handle, or `vigil` / `rule:<id>` for automatic changes. */
  actor: string;
  /** Why; required for every change. */
  reason: string;
  change: TimelineChange;
}

export interface Incident {
  id: string;
  severity: IncidentSeverity;
  title: string;
  /** What the public status pages say instead of the internal title (which may name hosts and errors). */
  publicTitle?: string;
  components: string[];
  state: IncidentState;
  commander?: string;
  /** The instant the problem was reported (opened, or the first signal's raisedAt); the SLA clocks start here. */
  reportedAt: string;
  /** Keys of the signals that raised or joined it; a new signal with one of these keys joins. */
  signalKeys: string[];
  /** Ids of signals already recorded, so a redelivered signal is ignored. */
  signalIds: string[];
  /** Channels told about it so far: they hear how it ends even after a reclassification they would not post. */
  notified?: string[];
  /** Runbooks and evidence from the signals (the drill, the check), for pages and messages. */
  links?: Array<{ href: string; text: string }>;
  /** Oldest first. */
  timeline: TimelineEntry[];
}
