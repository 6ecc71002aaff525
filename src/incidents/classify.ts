/**
 * Severity of an incident: rules (data, from a strict YAML file) for automatic signals, the seed's
 * questions for a person, and the decision whether a signal opens an incident, joins one, or clears one.
 * Every decision carries an explanation a person can read in the timeline.
 */
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { parseYamlInput } from '../core/input.js';
import { ACTION_RULES, INCIDENT_SEVERITIES, SEVERITY_DESCRIPTIONS, isOpen, type Incident, type IncidentSeverity, type Signal } from './types.js';

const scalar = z.union([z.string(), z.number(), z.boolean()]);
type Scalar = z.infer<typeof scalar>;

const OPERATORS = ['equals', 'in', 'contains', 'gte', 'gt', 'lte', 'lt', 'exists'] as const;

/** One test on a payload field; several operators in one condition must all hold (`gte: 7, lt: 9`). */
const conditionSchema = z
  .strictObject({
    /** Dotted path into the signal's payload, e.g. `severity` or `finding.type`. */
    field: z.string().min(1),
    equals: scalar.optional(),
    in: z.array(scalar).min(1).optional(),
    /** The field is a list holding this value. */
    contains: scalar.optional(),
    gte: z.number().optional(),
    gt: z.number().optional(),
    lte: z.number().optional(),
    lt: z.number().optional(),
    exists: z.boolean().optional(),
  })
  .refine((c) => OPERATORS.some((op) => c[op] !== undefined), { message: `a condition needs at least one of: ${OPERATORS.join(', ')}` });
export type Condition = z.infer<typeof conditionSchema>;

const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes'),
  /** The signal kind it applies to, e.g. `drill-failed`. */
  kind: z.string().min(1),
  /** All must hold; none = every signal of the kind. */
  where: z.array(conditionSchema).default([]),
  severity: z.enum(INCIDENT_SEVERITIES),
  /** Why this severity, in a sentence a person reads in the timeline. */
  reason: z.string().min(1),
  /** What public status pages call an incident this rule opens; default: "Degraded service: <components>". */
  publicTitle: z.string().min(1).optional(),
});
export type SeverityRule = z.infer<typeof ruleSchema>;

/** A rules file: first matching rule wins; `fallback` decides a signal no rule matches. */
export const rulesFileSchema = z
  .strictObject({
    rules: z.array(ruleSchema).min(1),
    fallback: z.strictObject({ severity: z.enum(INCIDENT_SEVERITIES), reason: z.string().min(1) }),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.rules.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${rule.id}"` });
      seen.add(rule.id);
    });
  });
export type SeverityRules = z.infer<typeof rulesFileSchema>;

export function parseRulesFile(text: string, file: string): SeverityRules {
  return parseYamlInput(text, file, rulesFileSchema);
}

/**
 * The built-in rules, kept as YAML so they read like (and are checked like) a user's file. Order
 * matters: the more specific rule of a kind comes first.
 */
export const DEFAULT_RULES_YAML = `# Severity rules: the first rule whose kind and conditions match decides.
rules:
  - id: probe-site-down
    kind: probe-failed
    where: [{ field: status, equals: down }]
    severity: sev1
    reason: A probe says the site is down, so the service is not available.
    publicTitle: Service unavailable
  - id: guardduty-critical
    kind: guardduty-finding
    where: [{ field: severity, gte: 9 }]
    severity: sev1
    reason: GuardDuty reports a critical finding (severity 9.0 or more), a likely active compromise.
  - id: guardduty-high
    kind: guardduty-finding
    where: [{ field: severity, gte: 7 }]
    severity: sev2
    reason: GuardDuty reports a high finding (severity 7.0 or more).
  - id: drill-failed
    kind: drill-failed
    severity: sev2
    reason: A restore drill failed, so backups may not restore when needed.
    publicTitle: Degraded backup and recovery
  - id: cloudtrail-root-use
    kind: cloudtrail-event
    where: [{ field: categories, contains: root-activity }]
    severity: sev2
    reason: CloudTrail recorded use of the root user.
  - id: cloudtrail-event-of-concern
    kind: cloudtrail-event
    severity: sev3
    reason: CloudTrail recorded an event of concern.
  # A failing control is a risk, not an outage: customers can still use the service, so it is never
  # Sev1 or Sev2 (which page at night and post on the public status page) by default.
  - id: job-failed
    kind: job-failed
    severity: sev3
    reason: A scheduled job could not run, so the evidence it produces is missing until it does.
  - id: check-failed-critical
    kind: check-failed
    where: [{ field: severity, equals: critical }]
    severity: sev3
    reason: A critical check fails; a safeguard the platform promises is missing, though the service itself still works.
  - id: check-failed-high
    kind: check-failed
    where: [{ field: severity, equals: high }]
    severity: sev4
    reason: A high-severity check fails; it is tracked and fixed at the team's discretion.
  - id: check-failed
    kind: check-failed
    severity: sev4
    reason: A check of medium severity or lower fails.
fallback:
  severity: sev4
  reason: No rule matches this signal; a person decides its severity in triage.
`;

export const DEFAULT_RULES: SeverityRules = parseRulesFile(DEFAULT_RULES_YAML, '(built-in severity rules)');

export interface Classification {
  severity: IncidentSeverity;
  /** null when the fallback decided. */
  ruleId: string | null;
  explanation: string;
  publicTitle?: string;
}

export function classifySignal(signal: Signal, rules: SeverityRules): Classification {
  for (const rule of rules.rules) {
    if (rule.kind !== signal.kind) continue;
    const facts: string[] = [];
    let matched = true;
    for (const condition of rule.where) {
      const value = fieldValue(signal.payload, condition.field);
      if (!holds(condition, value)) {
        matched = false;
        break;
      }
      facts.push(`${condition.field} = ${JSON.stringify(value)}`);
    }
    if (!matched) continue;
    const because = facts.length > 0 ? ` (${facts.join(', ')})` : '';
    return { severity: rule.severity, ruleId: rule.id, explanation: `Rule ${rule.id} matched ${signal.kind} signal${because}: ${rule.reason}`, ...(rule.publicTitle ? { publicTitle: rule.publicTitle } : {}) };
  }
  return { severity: rules.fallback.severity, ruleId: null, explanation: `No rule matched ${signal.kind} signal: ${rules.fallback.reason}` };
}

function fieldValue(payload: Record<string, unknown>, path: string): unknown {
  let current: unknown = payload;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function holds(c: Condition, value: unknown): boolean {
  if (c.exists !== undefined && (value !== undefined && value !== null) !== c.exists) return false;
  if (c.equals !== undefined && value !== c.equals) return false;
  if (c.in !== undefined && !c.in.includes(value as Scalar)) return false;
  if (c.contains !== undefined && !(Array.isArray(value) && value.includes(c.contains))) return false;
  const bounds: Array<[number | undefined, (v: number, b: number) => boolean]> = [
    [c.gte, (v, b) => v >= b],
    [c.gt, (v, b) => v > b],
    [c.lte, (v, b) => v <= b],
    [c.lt, (v, b) => v < b],
  ];
  for (const [bound, test] of bounds) {
    if (bound === undefined) continue;
    // A threshold never matches a missing or non-numeric field: no guessing from strings.
    if (typeof value !== 'number' || !test(value, bound)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// A person's answers.

export interface SeverityAnswers {
  unavailable: boolean;
  substantiallyDegraded: boolean;
  nonEssentialDegraded: boolean;
  cosmetic: boolean;
}

/** The seed's questions, worst first; the first "yes" decides. */
export const SEVERITY_QUESTIONS: ReadonlyArray<{ answer: keyof SeverityAnswers; severity: IncidentSeverity; question: string }> = [
  { answer: 'unavailable', severity: 'sev1', question: 'Is the service not available or unusable?' },
  { answer: 'substantiallyDegraded', severity: 'sev2', question: 'Is service or performance substantially degraded in a way that prevents normal use?' },
  { answer: 'nonEssentialDegraded', severity: 'sev3', question: 'Is a service not essential to main functionality unavailable or degraded?' },
  { answer: 'cosmetic', severity: 'sev4', question: 'Is it a minor or cosmetic issue, or a feature request?' },
];

export function classifyAnswers(answers: SeverityAnswers): Classification {
  for (const q of SEVERITY_QUESTIONS) {
    if (answers[q.answer]) return { severity: q.severity, ruleId: null, explanation: `"${q.question}" Yes. ${SEVERITY_DESCRIPTIONS[q.severity]}` };
  }
  throw new ConfigError([
    { file: 'answers', path: '', message: 'every question was answered no; answer one yes or give a severity with a reason' },
  ]);
}

/** A severity a person typed (`sev2`, `Sev2`, `2`); unknown text is a ConfigError. */
export function parseSeverity(text: string, file = 'argument', path = 'severity'): IncidentSeverity {
  const normal = text.trim().toLowerCase();
  const candidate = /^[1-4]$/.test(normal) ? `sev${normal}` : normal;
  if ((INCIDENT_SEVERITIES as readonly string[]).includes(candidate)) return candidate as IncidentSeverity;
  throw new ConfigError([{ file, path, message: `unknown severity "${text}"; expected one of: ${INCIDENT_SEVERITIES.join(', ')}` }]);
}

// ---------------------------------------------------------------------------------------------------
// Open, join, clear or ignore.

export type SignalRoute =
  | { action: 'open' }
  | { action: 'join'; incidentId: string }
  /** The problem is gone: the incident moves to monitoring and resolves by rule. */
  | { action: 'clear'; incidentId: string }
  | { action: 'ignore'; reason: string; incidentId?: string };

/**
 * What to do with a signal given the incidents (open and recently resolved) that could hold it. A signal
 * whose payload says `cleared: true` reports that the problem went away. A key joins only an open
 * incident: after resolution the same key opens a new one.
 */
export function routeSignal(signal: Signal, incidents: readonly Incident[]): SignalRoute {
  const recorded = incidents.find((i) => i.signalIds.includes(signal.id));
  if (recorded) return { action: 'ignore', incidentId: recorded.id, reason: `signal ${signal.id} is already recorded on incident ${recorded.id}` };
  // Should two open incidents share a key, the oldest holds it, so the decision never depends on order.
  const holder = incidents
    .filter((i) => isOpen(i.state) && i.signalKeys.includes(signal.key))
    .sort((a, b) => a.reportedAt.localeCompare(b.reportedAt) || a.id.localeCompare(b.id))[0];
  const cleared = signal.payload['cleared'] === true;
  if (!holder) return cleared ? { action: 'ignore', reason: `no open incident has key ${signal.key} to clear` } : { action: 'open' };
  if (cleared && ACTION_RULES.monitor.from.includes(holder.state)) return { action: 'clear', incidentId: holder.id };
  return { action: 'join', incidentId: holder.id };
}
