/**
 * Schedules: one YAML file per schedule under schedules/, its name equal to its file name, like checks/
 * and runbooks/drills/. A run record, a log line or an error names the schedule, and that name is the
 * file to open; adding, changing or disabling a schedule is a one-file change. Each file names a job
 * (a check set, restore drills, the incident pass, probes, a report), a cron expression with an IANA
 * time zone, and optionally a window rule: "ensure a successful run within 7 days; if none, run now".
 * Every problem in every file is reported at once, with the file, line and field.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { CronTime } from 'cron';
import { z } from 'zod';
import { parseDuration } from '../core/clock.js';
import { ConfigError, type Problem } from '../core/errors.js';
import { formatPath, issuesToProblems, parseYamlDocument } from '../core/input.js';
import { PROJECT_ROOT } from '../core/paths.js';

export const JOB_KINDS = ['checks', 'drills', 'incidents', 'probes', 'report'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const REPORT_PERIODS = ['previous-month', 'previous-quarter', 'previous-year'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

/** Check sets name checks by id or by a `*` pattern over ids (`guardduty-*`). */
export interface ChecksJob {
  kind: 'checks';
  /** As written: ids and patterns. */
  checks: string[];
  /** What they resolve to: explicit ids, plus the enabled checks each pattern matches. */
  checkIds: string[];
}
/** `due: true` runs the targets whose own drill window has lapsed; `targets` runs those named. */
export type DrillsJob = { kind: 'drills'; due: true } | { kind: 'drills'; targets: string[] };
/** One pass of the incident pipeline: route signals, sweep SLA clocks and maintenance, deliver. */
export interface IncidentsJob {
  kind: 'incidents';
}
export interface ProbesJob {
  kind: 'probes';
}
export interface ReportJob {
  kind: 'report';
  framework: string;
  period: ReportPeriod;
}
export type Job = ChecksJob | DrillsJob | IncidentsJob | ProbesJob | ReportJob;

export interface Schedule {
  name: string;
  description: string;
  cron: string;
  timeZone: string;
  job: Job;
  /** The window rule: without a successful run within this long, the job is due now, whatever the cron says. */
  ensure?: { successWithin: string; successWithinMs: number };
  /** The job's signal is aborted after this long. */
  timeout?: string;
  timeoutMs?: number;
  enabled: boolean;
  /** The file, as shown in errors. */
  file: string;
}

/** What the files may refer to, so every reference is checked at load. */
export interface ScheduleContext {
  checks: ReadonlyArray<{ id: string; enabled: boolean }>;
  drillTargets: ReadonlySet<string>;
  frameworks: ReadonlySet<string>;
}

// Vigil schedules to the minute. The cron package also takes a leading seconds field, which would
// turn a misplaced "0 4 * * * *" into a daily job at 04:00:00 silently; five fields only.
const PRESETS = ['@yearly', '@monthly', '@weekly', '@daily', '@hourly', '@minutely', '@weekdays', '@weekends'] as const;
const FIVE_FIELDS = 'five fields (minute hour day-of-month month day-of-week)';

/** Why a cron expression is refused, or undefined when it parses. Whether it ever fires is checked with its zone. */
export function cronProblem(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('@')) {
    if (!(PRESETS as readonly string[]).includes(text.toLowerCase())) return `unknown preset "${text}"; expected ${FIVE_FIELDS} or one of ${PRESETS.join(', ')}`;
  } else {
    const fields = text.split(/\s+/).filter(Boolean);
    if (fields.length !== 5) {
      const seconds = fields.length === 6 ? '; Vigil schedules to the minute, so there is no seconds field' : '';
      return `expected ${FIVE_FIELDS}, got ${fields.length}${seconds}`;
    }
  }
  try {
    new CronTime(text, 'UTC');
    return undefined;
  } catch (err) {
    return `not a valid cron expression: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** An IANA zone both Intl and the cron package accept; never the host's own ("system", "local"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    new CronTime('* * * * *', zone);
    return true;
  } catch {
    return false;
  }
}

const cronTimes = new Map<string, CronTime>();

function cronTimeOf(cron: string, timeZone: string): CronTime {
  const key = `${timeZone}\u0000${cron}`;
  let time = cronTimes.get(key);
  if (!time) {
    time = new CronTime(cron.trim(), timeZone);
    cronTimes.set(key, time);
  }
  return time;
}

/**
 * The first time the cron expression fires strictly after `after`, in its zone. Across a DST change
 * the cron package runs a time that does not exist (02:30 on a spring-forward night) at the first
 * minute after the gap, and a time that exists twice (01:30 on a fall-back night) once.
 */
export function nextRunAfter(schedule: Pick<Schedule, 'cron' | 'timeZone'>, after: Date): Date {
  return cronTimeOf(schedule.cron, schedule.timeZone).getNextDateFrom(after, schedule.timeZone).toJSDate();
}

export interface CronGap {
  gapMs: number;
  from: Date;
  to: Date;
}

const SAMPLE_SPAN_MS = 400 * 86_400_000;
const SAMPLE_MAX_RUNS = 1000;

// At least this many gaps, so a yearly job is seen across a leap year.
const SAMPLE_MIN_GAPS = 6;

/**
 * The longest time between two consecutive runs, sampled over the coming 400 days (both DST changes and
 * every month length) and at least six gaps, up to 1000 runs; stops early at the first gap longer than
 * `stopAboveMs`.
 */
export function longestGap(schedule: Pick<Schedule, 'cron' | 'timeZone'>, from: Date, stopAboveMs = Infinity): CronGap | undefined {
  let previous = nextRunAfter(schedule, from);
  let worst: CronGap | undefined;
  for (let i = 0; i < SAMPLE_MAX_RUNS && (i < SAMPLE_MIN_GAPS || previous.getTime() <= from.getTime() + SAMPLE_SPAN_MS); i++) {
    let next: Date;
    try {
      next = nextRunAfter(schedule, previous);
    } catch {
      // The cron package looks 8 years ahead at most (a leap-day job); what was sampled stands.
      break;
    }
    const gapMs = next.getTime() - previous.getTime();
    if (!worst || gapMs > worst.gapMs) worst = { gapMs, from: previous, to: next };
    if (gapMs > stopAboveMs) return worst;
    previous = next;
  }
  return worst;
}

/** `7d`, `36h`, `90m` for messages: the largest unit that divides evenly. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)}h` : `${ms}ms`;
}

const durationText = (example: string) =>
  z.string().refine((t) => parseDuration(t) !== undefined && (parseDuration(t) as number) > 0, { message: `expected a duration such as ${example}` });

const name = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected lower-case words joined by hyphens');
const checkRef = z.string().regex(/^[a-z0-9*]+(-[a-z0-9*]+)*$/, 'expected a check id such as iam-root-mfa, or a pattern such as guardduty-*');

const JOB_SCHEMAS = {
  checks: z.strictObject({
    kind: z.literal('checks'),
    /** Ids and `*` patterns; each must name at least one check. */
    checks: z.array(checkRef).min(1, 'name at least one check id or pattern'),
  }),
  drills: z
    .strictObject({
      kind: z.literal('drills'),
      due: z.literal(true, { message: 'expected true (run the targets that are due); to run named targets, list them under targets' }).optional(),
      targets: z.array(name).min(1, 'name at least one drill target').optional(),
    })
    .superRefine((job, ctx) => {
      if (job.due === undefined && job.targets === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'state which drills: due: true, or targets: [...]' });
      if (job.due !== undefined && job.targets !== undefined) ctx.addIssue({ code: 'custom', path: ['targets'], message: 'either due: true or targets, not both' });
    }),
  incidents: z.strictObject({ kind: z.literal('incidents') }),
  probes: z.strictObject({ kind: z.literal('probes') }),
  report: z.strictObject({
    kind: z.literal('report'),
    framework: name,
    period: z.enum(REPORT_PERIODS),
  }),
} as const satisfies Record<JobKind, z.ZodType>;

function documentSchema<J extends z.ZodType>(job: J) {
  return z.strictObject({
    name,
    /** Why it runs when it does: "after the 03:00 snapshots". */
    description: z.string().min(10, 'say in a sentence what runs and why at this time'),
    cron: z.string().superRefine((text, ctx) => {
      const problem = cronProblem(text);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    timeZone: z.string().refine(isTimeZone, { message: 'expected an IANA time zone such as UTC, Europe/London or America/New_York' }),
    job,
    ensure: z.strictObject({ successWithin: durationText('7d') }).optional(),
    timeout: durationText('30m or 4h').optional(),
    enabled: z.boolean().default(true),
  });
}

// When job.kind is missing or unknown, the rest of the document is still checked against this.
const UNKNOWN_JOB = z.object({
  kind: z.enum(JOB_KINDS, { error: (issue) => `${issue.input === undefined ? 'required field is missing: ' : ''}expected one of: ${JOB_KINDS.join(', ')}` }),
});

function jobKindOf(value: unknown): unknown {
  const job = (value as { job?: unknown } | null)?.job;
  return typeof job === 'object' && job !== null ? (job as { kind?: unknown }).kind : undefined;
}

type Document = Omit<Schedule, 'file' | 'job' | 'ensure' | 'timeoutMs'> & { job: Record<string, unknown> & { kind: JobKind }; ensure?: { successWithin: string } };

/** Validates one parsed file; every problem at once. */
function validateDocument(value: unknown, file: string, locate: (path: readonly PropertyKey[]) => number | undefined): Document {
  const kind = jobKindOf(value);
  const known = (JOB_KINDS as readonly unknown[]).includes(kind);
  const schema = documentSchema(known ? JOB_SCHEMAS[kind as JobKind] : UNKNOWN_JOB);
  const result = schema.safeParse(value);
  if (result.success && known) return result.data as Document;
  const problems = result.success ? [] : issuesToProblems(result.error.issues, schema, file, locate);
  throw new ConfigError(problems);
}

/** The job part alone, when it is valid, so its references can be checked while other fields are wrong. */
function validJob(value: unknown): Document['job'] | undefined {
  const kind = jobKindOf(value);
  if (!(JOB_KINDS as readonly unknown[]).includes(kind)) return undefined;
  const result = JOB_SCHEMAS[kind as JobKind].safeParse((value as { job: unknown }).job);
  return result.success ? (result.data as Document['job']) : undefined;
}

export function scheduleFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .map((f) => join(dir, f));
}

function shownPath(file: string): string {
  const rel = relative(PROJECT_ROOT, file);
  return rel.startsWith('..') ? file : rel;
}

function patternRegex(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[a-z0-9-]*')}$`);
}

type Where = (path: Array<string | number>) => Pick<Problem, 'file' | 'line' | 'path'>;

function resolveJob(job: Document['job'], context: ScheduleContext, where: Where, problems: Problem[]): Job | undefined {
  const before = problems.length;
  switch (job.kind) {
    case 'checks': {
      const refs = job['checks'] as string[];
      const ids = new Set<string>();
      const byId = new Set(context.checks.map((c) => c.id));
      refs.forEach((ref, i) => {
        if (!ref.includes('*')) {
          if (byId.has(ref)) ids.add(ref);
          else problems.push({ ...where(['job', 'checks', i]), message: `no check "${ref}" in checks/; \`vigil check list\` shows them` });
          return;
        }
        // A pattern takes the enabled checks only: a disabled check runs only when named.
        const matched = context.checks.filter((c) => c.enabled && patternRegex(ref).test(c.id));
        if (matched.length === 0) problems.push({ ...where(['job', 'checks', i]), message: `the pattern "${ref}" matches no enabled check in checks/` });
        for (const c of matched) ids.add(c.id);
      });
      return problems.length > before ? undefined : { kind: 'checks', checks: refs, checkIds: [...ids].sort() };
    }
    case 'drills': {
      if (job['due'] === true) return { kind: 'drills', due: true };
      const targets = job['targets'] as string[];
      targets.forEach((target, i) => {
        if (!context.drillTargets.has(target)) {
          problems.push({ ...where(['job', 'targets', i]), message: `no drill "${target}" in runbooks/drills/ (known: ${[...context.drillTargets].sort().join(', ') || 'none'})` });
        }
      });
      return problems.length > before ? undefined : { kind: 'drills', targets };
    }
    case 'report': {
      const framework = job['framework'] as string;
      if (!context.frameworks.has(framework)) {
        problems.push({ ...where(['job', 'framework']), message: `no framework "${framework}" in checks/frameworks/ (known: ${[...context.frameworks].sort().join(', ') || 'none'})` });
        return undefined;
      }
      return { kind: 'report', framework, period: job['period'] as ReportPeriod };
    }
    case 'incidents':
      return { kind: 'incidents' };
    case 'probes':
      return { kind: 'probes' };
  }
}

/** The cron expression must fire, and fire often enough for the window rule to be met. */
function checkTiming(doc: Document, now: Date, where: Where, problems: Problem[]): void {
  let first: Date;
  try {
    first = nextRunAfter(doc, now);
  } catch {
    problems.push({ ...where(['cron']), message: `"${doc.cron}" never fires (no time in the next 8 years matches it)` });
    return;
  }
  if (!doc.ensure) return;
  const windowMs = parseDuration(doc.ensure.successWithin) as number;
  const gap = longestGap(doc, new Date(first.getTime() - 1), windowMs);
  if (gap && gap.gapMs > windowMs) {
    problems.push({
      ...where(['ensure', 'successWithin']),
      message:
        `a successful run within ${doc.ensure.successWithin} cannot be met by cron "${doc.cron}" (${doc.timeZone}), which leaves ` +
        `${formatDuration(gap.gapMs)} between the runs of ${gap.from.toISOString()} and ${gap.to.toISOString()}; ` +
        `make successWithin at least ${formatDuration(gap.gapMs)} or run more often`,
    });
  }
}

/** Reads every file in `dir`; throws one ConfigError with every problem in every file. */
export function loadSchedules(dir: string, context: ScheduleContext, options: { now?: Date } = {}): Schedule[] {
  const now = options.now ?? new Date();
  if (!existsSync(dir)) throw new ConfigError([{ file: shownPath(dir), path: '', message: 'no such directory of schedule files' }]);
  const problems: Problem[] = [];
  const schedules: Schedule[] = [];
  const seen = new Map<string, string>();
  for (const path of scheduleFiles(dir)) {
    const file = shownPath(path);
    try {
      const doc = parseYamlDocument(readFileSync(path, 'utf8'), file);
      const where: Where = (p) => ({ file, line: doc.locate(p), path: formatPath(p) });
      let def: Document;
      try {
        def = validateDocument(doc.value, file, doc.locate);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
        // The job's references are checked even when another field is wrong: all problems at once.
        const job = validJob(doc.value);
        if (job) resolveJob(job, context, where, problems);
        continue;
      }
      const before = problems.length;
      const expected = basename(path).replace(/\.ya?ml$/, '');
      if (def.name !== expected) problems.push({ ...where(['name']), message: `must equal the file name "${expected}"` });
      const other = seen.get(def.name);
      if (other) problems.push({ ...where(['name']), message: `duplicate schedule name "${def.name}" (also in ${other})` });
      else seen.set(def.name, file);
      const job = resolveJob(def.job, context, where, problems);
      checkTiming(def, now, where, problems);
      if (problems.length > before || !job) continue;
      schedules.push({
        name: def.name,
        description: def.description,
        cron: def.cron.trim(),
        timeZone: def.timeZone,
        job,
        ensure: def.ensure ? { successWithin: def.ensure.successWithin, successWithinMs: parseDuration(def.ensure.successWithin) as number } : undefined,
        timeout: def.timeout,
        timeoutMs: def.timeout === undefined ? undefined : parseDuration(def.timeout),
        enabled: def.enabled,
        file,
      });
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return schedules;
}

export const SCHEDULES_DIR = 'schedules';

/** The checks, drill targets and frameworks of a project root, as the files may name them. */
export async function projectScheduleContext(root: string = PROJECT_ROOT): Promise<ScheduleContext> {
  const [{ loadCheckDefinitions }, { EVALUATORS }, { loadDrillDefinitions }, { loadFrameworkControls }] = await Promise.all([
    import('../checks/definitions.js'),
    import('../checks/registry.js'),
    import('../drills/definitions.js'),
    import('../evidence/framework.js'),
  ]);
  const checks = loadCheckDefinitions({ root, evaluators: EVALUATORS, knownControls: loadFrameworkControls(root) });
  const frameworksDir = join(root, 'checks', 'frameworks');
  const frameworks = existsSync(frameworksDir) ? readdirSync(frameworksDir).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')) : [];
  return {
    checks: checks.map((c) => ({ id: c.id, enabled: c.enabled })),
    drillTargets: new Set(loadDrillDefinitions(root).map((d) => d.id)),
    frameworks: new Set(frameworks),
  };
}

/** The schedules in `dir` (default: the schedules/ Vigil ships), checked against the project's checks, drills and frameworks. */
export async function loadProjectSchedules(options: { dir?: string; root?: string; now?: Date } = {}): Promise<Schedule[]> {
  const root = options.root ?? PROJECT_ROOT;
  return loadSchedules(options.dir ?? join(root, SCHEDULES_DIR), await projectScheduleContext(root), { now: options.now });
}

/** A one-line description of the job, for tables and logs. */
export function describeJob(job: Job): string {
  switch (job.kind) {
    case 'checks':
      return `checks ${job.checks.join(' ')} (${job.checkIds.length})`;
    case 'drills':
      return 'due' in job ? 'drills that are due' : `drills ${job.targets.join(' ')}`;
    case 'incidents':
      return 'incident pass: route signals, SLA and maintenance sweep, deliver';
    case 'probes':
      return 'HTTP probes';
    case 'report':
      return `${job.framework} report for the ${job.period.replace('-', ' ')}`;
  }
}
