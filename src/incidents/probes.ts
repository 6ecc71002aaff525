/**
 * HTTP probes of the platform's public endpoints. A probe fetches a URL on an interval and judges the
 * answer up, degraded (right answer, too slow) or down; enough failures in a row raise a `probe-failed`
 * signal, the return clears it, and the status page's component follows. Judging and alerting are pure
 * (`judgeResponse`, `advanceProbe`, `dailyUptime`); the network and the state store sit behind the
 * `Prober` and `ProbeStateStore` ports.
 */
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { parseDuration, type Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { ComponentNotification, ComponentStatus } from './delivery.js';
import type { Signal } from './types.js';

// ---------------------------------------------------------------------------------------------------
// Configuration: the `probes:` list of vigil.config.yaml.

export const PROBE_METHODS = ['GET', 'HEAD'] as const;
export type ProbeMethod = (typeof PROBE_METHODS)[number];

/** Inclusive range of HTTP statuses; a single code is a range of one. */
export interface StatusRange {
  min: number;
  max: number;
}

export interface ProbeDefinition {
  /** Unique; the signal key is `probe:<name>`. */
  name: string;
  url: string;
  /** The status page component this endpoint stands for, by name. */
  component: string;
  method: ProbeMethod;
  intervalMs: number;
  timeoutMs: number;
  /** Any of these ranges is the expected answer. */
  expectStatus: StatusRange[];
  /** A substring the body must contain. */
  expectText?: string;
  /** Failed checks in a row that make an outage (one blip is not an incident). */
  failuresToAlert: number;
  /** A correct answer slower than this counts as degraded. */
  slowAfterMs?: number;
}

/** Redirects count as up by default: the probe checks the endpoint itself and does not follow them. */
export const DEFAULT_EXPECT_STATUS: StatusRange[] = [{ min: 200, max: 399 }];

const PROBE_NAME = /^[a-z0-9][a-z0-9-]*$/;
const STATUS_HINT = 'expected a status code (200), a range ("200-399") or a list of them ([200, "300-308"])';

function durationSchema(minMs: number) {
  return z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration; expected e.g. 60s, 5m or 500ms` });
      return z.NEVER;
    }
    if (ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `"${text}" is too short; the least is ${formatMs(minMs)}` });
      return z.NEVER;
    }
    return ms;
  });
}

const statusSpecSchema = z.unknown().optional().transform((value, ctx): StatusRange[] => {
  if (value === undefined) return DEFAULT_EXPECT_STATUS;
  const items = Array.isArray(value) ? value : [value];
  const ranges = items.map(statusRangeOf);
  if (items.length === 0 || ranges.some((r) => r === undefined)) {
    ctx.addIssue({ code: 'custom', message: STATUS_HINT });
    return z.NEVER;
  }
  return ranges as StatusRange[];
});

function statusRangeOf(item: unknown): StatusRange | undefined {
  const isCode = (n: number) => Number.isInteger(n) && n >= 100 && n <= 599;
  if (typeof item === 'number') return isCode(item) ? { min: item, max: item } : undefined;
  if (typeof item !== 'string') return undefined;
  const match = /^\s*(\d{3})\s*(?:-\s*(\d{3})\s*)?$/.exec(item);
  if (!match) return undefined;
  const min = Number(match[1]);
  const max = Number(match[2] ?? match[1]);
  return isCode(min) && isCode(max) && min <= max ? { min, max } : undefined;
}

/** `vault:` references are resolved after validation, so they pass here and are checked when resolved. */
function isProbeUrl(text: string): boolean {
  if (text.startsWith('vault:')) return true;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const probeSchema = z
  .strictObject({
    name: z.string().regex(PROBE_NAME, 'expected lower-case letters, digits and dashes'),
    /** A URL carrying a secret (userinfo, a token in the query) can be a `vault:` reference. */
    url: z.string().refine(isProbeUrl, { message: 'expected an http(s) URL such as https://app.example.com/health' }),
    component: z.string().min(1),
    method: z.enum(PROBE_METHODS).default('GET'),
    interval: durationSchema(1_000).prefault('60s'),
    timeout: durationSchema(100).prefault('10s'),
    expectStatus: statusSpecSchema,
    expectText: z.string().min(1).optional(),
    failuresToAlert: z.number().int('expected a whole number').min(1, 'expected at least 1').max(100, 'expected at most 100').default(3),
    slowAfter: durationSchema(1).optional(),
  })
  .superRefine((p, ctx) => {
    // A timeout longer than the interval would let probes of one endpoint pile up.
    if (p.timeout > p.interval) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: `must not be longer than the interval (${formatMs(p.interval)})` });
    }
    if (p.slowAfter !== undefined && p.slowAfter >= p.timeout) {
      ctx.addIssue({ code: 'custom', path: ['slowAfter'], message: `must be shorter than the timeout (${formatMs(p.timeout)}): an answer after the timeout is down, not slow` });
    }
    if (p.method === 'HEAD' && p.expectText !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['expectText'], message: 'a HEAD answer has no body to search; use method GET' });
    }
  })
  .transform(
    (p): ProbeDefinition => ({
      name: p.name,
      url: p.url,
      component: p.component,
      method: p.method,
      intervalMs: p.interval,
      timeoutMs: p.timeout,
      expectStatus: p.expectStatus,
      ...(p.expectText !== undefined ? { expectText: p.expectText } : {}),
      failuresToAlert: p.failuresToAlert,
      ...(p.slowAfter !== undefined ? { slowAfterMs: p.slowAfter } : {}),
    }),
  );

/** The `probes:` list of vigil.config.yaml; names are unique. */
export const probesConfigSchema = z.array(probeSchema).superRefine(
  (probes, ctx) => {
    // Runs even when some probe is wrong (every problem at once), so it reads the names defensively.
    const seen = new Map<string, number>();
    probes.forEach((probe, index) => {
      const name: unknown = (probe as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `duplicate probe name "${name}" (also probes[${first}])` });
      else seen.set(name, index);
    });
  },
  { when: () => true },
);
export type ProbesConfig = z.output<typeof probesConfigSchema>;

// ---------------------------------------------------------------------------------------------------
// One check and how it is judged.

export const PROBE_OUTCOMES = ['up', 'degraded', 'down'] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

/** Why a check was not up; rules can tell a slow site from a broken one by it. */
export const PROBE_REASONS = ['status', 'text', 'timeout', 'network', 'slow'] as const;
export type ProbeReason = (typeof PROBE_REASONS)[number];

export interface ProbeObservation {
  probe: string;
  /** ISO instant the check started. */
  at: string;
  /** The answer was as expected and in time (outcome `up`). */
  ok: boolean;
  outcome: ProbeOutcome;
  reason?: ProbeReason;
  httpStatus?: number;
  latencyMs: number;
  /** What was wrong, in a sentence; never carries credentials from the URL. */
  error?: string;
  /** Taken while the component was under maintenance: on the record, out of alerting and uptime. */
  muted?: boolean;
}

type Verdict = Pick<ProbeObservation, 'ok' | 'outcome' | 'reason' | 'error'>;

/** Judges an answer that arrived. Wrong status or missing text is down; right but slow is degraded. */
export function judgeResponse(probe: ProbeDefinition, answer: { httpStatus: number; body: string; latencyMs: number }): Verdict {
  if (!probe.expectStatus.some((r) => answer.httpStatus >= r.min && answer.httpStatus <= r.max)) {
    const phrase = STATUS_CODES[answer.httpStatus];
    return { ok: false, outcome: 'down', reason: 'status', error: `HTTP ${answer.httpStatus}${phrase ? ` ${phrase}` : ''}, expected ${describeStatus(probe.expectStatus)}` };
  }
  if (probe.expectText !== undefined && !answer.body.includes(probe.expectText)) {
    return { ok: false, outcome: 'down', reason: 'text', error: `HTTP ${answer.httpStatus} without the expected text ${JSON.stringify(probe.expectText)}` };
  }
  if (probe.slowAfterMs !== undefined && answer.latencyMs > probe.slowAfterMs) {
    return { ok: false, outcome: 'degraded', reason: 'slow', error: `answered in ${answer.latencyMs} ms, slower than ${formatMs(probe.slowAfterMs)}` };
  }
  return { ok: true, outcome: 'up' };
}

export function describeStatus(ranges: readonly StatusRange[]): string {
  return ranges.map((r) => (r.min === r.max ? String(r.min) : `${r.min}-${r.max}`)).join(', ');
}

/** Performs one check. Never throws for the endpoint's failures: those are observations. */
export interface Prober {
  probe(probe: ProbeDefinition): Promise<ProbeObservation>;
}

/** Enough of a page to find a health marker; a probe must not buffer a large download. */
const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpProberOptions {
  clock: Clock;
  fetch?: typeof fetch;
}

export class HttpProber implements Prober {
  private readonly clock: Clock;
  private readonly fetch: typeof fetch;

  constructor(options: HttpProberOptions) {
    this.clock = options.clock;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async probe(probe: ProbeDefinition): Promise<ProbeObservation> {
    const at = this.clock.now().toISOString();
    // Latency is real elapsed time whatever the injected clock says.
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let httpStatus: number | undefined;
    try {
      const { url, headers } = withoutCredentials(probe.url);
      const response = await this.fetch(url, {
        method: probe.method,
        headers: { 'user-agent': 'vigil-probe', ...headers },
        redirect: 'manual',
        signal: AbortSignal.timeout(probe.timeoutMs),
      });
      httpStatus = response.status;
      const body = probe.method === 'HEAD' ? '' : await readCapped(response, MAX_BODY_BYTES);
      const latencyMs = elapsed();
      return { probe: probe.name, at, httpStatus, latencyMs, ...judgeResponse(probe, { httpStatus, body, latencyMs }) };
    } catch (err) {
      const timedOut = isTimeout(err);
      const error = timedOut ? `no complete answer within ${formatMs(probe.timeoutMs)}` : `request failed: ${describeFetchError(err)}`;
      return {
        probe: probe.name,
        at,
        ok: false,
        outcome: 'down',
        reason: timedOut ? 'timeout' : 'network',
        ...(httpStatus !== undefined ? { httpStatus } : {}),
        latencyMs: elapsed(),
        error: scrubUrlSecrets(error, probe.url),
      };
    }
  }
}

/** fetch refuses URLs with userinfo, so credentials in the URL travel as Basic auth instead. */
function withoutCredentials(raw: string): { url: string; headers: Record<string, string> } {
  const url = new URL(raw);
  if (url.username === '' && url.password === '') return { url: raw, headers: {} };
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  url.username = '';
  url.password = '';
  return { url: url.toString(), headers: { authorization: `Basic ${Buffer.from(pair).toString('base64')}` } };
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isTimeout(err: unknown): boolean {
  const name = (e: unknown) => (e && typeof e === 'object' && 'name' in e ? String(e.name) : '');
  return name(err) === 'TimeoutError' || name((err as { cause?: unknown } | undefined)?.cause) === 'TimeoutError';
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a reset) is in its cause. */
function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  for (const candidate of [cause, err]) {
    if (!(candidate instanceof Error)) continue;
    const code = (candidate as NodeJS.ErrnoException).code;
    if (candidate.message) return candidate.message;
    if (code) return code;
    const inner = (candidate as { errors?: unknown[] }).errors?.[0];
    if (inner instanceof Error && inner.message) return inner.message;
  }
  return String(err);
}

const SECRET_QUERY = /(token|key|secret|pass|pwd|sig|auth|credential|session|code)/i;
const MASK = '****';

/** The URL fit for a log, a signal or an error: userinfo and secret-looking query values masked. */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.startsWith('vault:') ? raw : '(not a valid URL)';
  }
  if (url.username !== '') url.username = MASK;
  if (url.password !== '') url.password = MASK;
  for (const name of [...new Set(url.searchParams.keys())]) if (SECRET_QUERY.test(name)) url.searchParams.set(name, MASK);
  return redact(url.toString());
}

/** Masks the URL's secrets wherever they appear in a text (an error message from below us). */
export function scrubUrlSecrets(text: string, raw: string): string {
  let out = text.split(raw).join(redactUrl(raw));
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    return redact(out);
  }
  const secrets = [url.username, url.password, ...[...url.searchParams].filter(([name]) => SECRET_QUERY.test(name)).map(([, value]) => value)];
  for (const secret of secrets.flatMap((s) => [s, safeDecode(s)])) {
    // Short values are left alone: masking "a" everywhere would garble the message.
    if (secret.length >= 4) out = out.split(secret).join(MASK);
  }
  return redact(out);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function formatMs(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

// ---------------------------------------------------------------------------------------------------
// From observations to signals and component statuses.

export interface ProbeState {
  /** Checks in a row that were not up, since the last up or the end of a maintenance window. */
  failures: number;
  /** When that run of failures began. */
  failingSince?: string;
  /** The worst outcome in that run. */
  worst?: 'degraded' | 'down';
  /** The outage a signal was raised for and not yet cleared. */
  alert?: { status: 'degraded' | 'down'; raisedAt: string; signalId: string };
  /** What this probe last said the component is; absent when unknown (never said, or a maintenance owned it). */
  componentStatus?: ComponentStatus;
  lastObservedAt?: string;
  /** The last check fell in a maintenance window of the component. */
  muted: boolean;
}

export const INITIAL_PROBE_STATE: ProbeState = { failures: 0, muted: false };

export const PROBE_SIGNAL_KIND = 'probe-failed';

/** A component status for the status page, as the pipeline announces it. */
export type ComponentAnnouncement = Omit<ComponentNotification, 'id' | 'channel'>;

export interface ProbeStep {
  state: ProbeState;
  signal?: Signal;
  componentStatus?: ComponentAnnouncement;
}

const COMPONENT_STATUS_OF: Record<ProbeOutcome, ComponentStatus> = {
  up: 'operational',
  degraded: 'degraded_performance',
  down: 'major_outage',
};

export interface AdvanceContext {
  probe: ProbeDefinition;
  /** Components under maintenance now: their probes raise nothing and set nothing. */
  mutedComponents: ReadonlySet<string> | readonly string[];
}

/**
 * Moves a probe's state by one observation. `failuresToAlert` failures in a row raise a signal, once
 * per outage (and once more should a degraded outage turn down, so it can be re-classified); the first
 * check that is up again clears it. The component follows only a confirmed outage, so one blip never
 * reaches the status page.
 */
export function advanceProbe(state: ProbeState, observation: ProbeObservation, context: AdvanceContext): ProbeStep {
  const { probe } = context;
  const at = observation.at;
  if (observation.muted === true || isMuted(probe.component, context.mutedComponents)) {
    // The maintenance owns the component and explains any failure. The run of failures restarts after
    // it, and the component status is unknown (the page's maintenance set it), so the first check after
    // the window sets it afresh. An open alert stays open so that recovery still clears it.
    const { failingSince: _since, worst: _worst, componentStatus: _status, ...kept } = state;
    return { state: { ...kept, failures: 0, lastObservedAt: at, muted: true } };
  }
  const base: ProbeState = { ...state, lastObservedAt: at, muted: false };

  if (observation.outcome === 'up') {
    const { failingSince: _since, worst: _worst, alert: _alert, ...kept } = base;
    const next: ProbeState = { ...kept, failures: 0, componentStatus: 'operational' };
    return {
      state: next,
      ...(state.alert ? { signal: clearedSignal(probe, state, observation) } : {}),
      ...(state.componentStatus !== 'operational' ? { componentStatus: announce(probe, 'operational', observation, 'is up') } : {}),
    };
  }

  const failures = state.failures + 1;
  const worst = state.worst === 'down' || observation.outcome === 'down' ? 'down' : 'degraded';
  const next: ProbeState = { ...base, failures, worst, failingSince: state.failingSince ?? at };
  if (!state.alert && failures < probe.failuresToAlert) return { state: next };

  let signal: Signal | undefined;
  if (!state.alert || (state.alert.status === 'degraded' && worst === 'down')) {
    signal = failedSignal(probe, next, observation, worst, state.alert !== undefined);
    next.alert = { status: worst, raisedAt: at, signalId: signal.id };
  }
  const status = COMPONENT_STATUS_OF[observation.outcome];
  let componentStatus: ComponentAnnouncement | undefined;
  if (state.componentStatus !== status) {
    next.componentStatus = status;
    componentStatus = announce(probe, status, observation, `is ${observation.outcome} after ${failures} failed checks in a row`);
  }
  return { state: next, ...(signal ? { signal } : {}), ...(componentStatus ? { componentStatus } : {}) };
}

function isMuted(component: string, muted: ReadonlySet<string> | readonly string[]): boolean {
  return Array.isArray(muted) ? muted.includes(component) : (muted as ReadonlySet<string>).has(component);
}

export function probeSignalKey(name: string): string {
  return `probe:${name}`;
}

function failedSignal(probe: ProbeDefinition, state: ProbeState, observation: ProbeObservation, status: 'degraded' | 'down', worsened: boolean): Signal {
  const url = redactUrl(probe.url);
  const what = worsened ? `is now ${status}` : `is ${status}`;
  return {
    id: `${probeSignalKey(probe.name)}:${observation.at}`,
    kind: PROBE_SIGNAL_KIND,
    key: probeSignalKey(probe.name),
    source: 'probe',
    raisedAt: observation.at,
    summary: `Probe ${probe.name}: ${url} ${what} (${observation.error ?? observation.outcome}) after ${state.failures} failed checks in a row.`,
    payload: {
      probe: probe.name,
      status,
      url,
      component: probe.component,
      failures: state.failures,
      failingSince: state.failingSince,
      reason: observation.reason,
      latencyMs: observation.latencyMs,
      ...(probe.slowAfterMs !== undefined ? { slowAfterMs: probe.slowAfterMs } : {}),
      ...(observation.httpStatus !== undefined ? { httpStatus: observation.httpStatus } : {}),
      ...(observation.error !== undefined ? { error: observation.error } : {}),
    },
  };
}

function clearedSignal(probe: ProbeDefinition, state: ProbeState, observation: ProbeObservation): Signal {
  const url = redactUrl(probe.url);
  const answer = observation.httpStatus !== undefined ? `HTTP ${observation.httpStatus} in ${observation.latencyMs} ms` : `in ${observation.latencyMs} ms`;
  return {
    id: `${probeSignalKey(probe.name)}:${observation.at}`,
    kind: PROBE_SIGNAL_KIND,
    key: probeSignalKey(probe.name),
    source: 'probe',
    raisedAt: observation.at,
    summary: `Probe ${probe.name}: ${url} is up again (${answer}).`,
    payload: {
      probe: probe.name,
      status: 'up',
      cleared: true,
      url,
      component: probe.component,
      ...(state.alert ? { alertedAt: state.alert.raisedAt } : {}),
      latencyMs: observation.latencyMs,
      ...(observation.httpStatus !== undefined ? { httpStatus: observation.httpStatus } : {}),
    },
  };
}

function announce(probe: ProbeDefinition, status: ComponentStatus, observation: ProbeObservation, what: string): ComponentAnnouncement {
  const detail = observation.error ? ` (${observation.error})` : '';
  return {
    subject: 'component',
    event: 'component-status',
    component: probe.component,
    status,
    actor: `probe:${probe.name}`,
    reason: `Probe ${probe.name}: ${redactUrl(probe.url)} ${what}${detail}.`,
    at: observation.at,
  };
}

// ---------------------------------------------------------------------------------------------------
// Daily uptime.

export interface DailyUptime {
  probe: string;
  /** `YYYY-MM-DD` in the report's time zone. */
  day: string;
  /** Checks outside maintenance: up + degraded + down. */
  checks: number;
  up: number;
  degraded: number;
  down: number;
  /** Checks inside maintenance windows, reported apart and left out of the percentage. */
  muted: number;
  /** (up + degraded) / checks: a slow answer is still an answer. null when every check was muted. */
  uptimePercent: number | null;
}

/** Per probe and calendar day in `timeZone` (IANA), sorted by probe then day. */
export function dailyUptime(observations: readonly ProbeObservation[], timeZone = 'UTC'): DailyUptime[] {
  const dayOf = dayFormatter(timeZone);
  const rows = new Map<string, DailyUptime>();
  for (const o of observations) {
    const day = dayOf(new Date(o.at));
    const id = `${o.probe}\u0000${day}`;
    let row = rows.get(id);
    if (!row) {
      row = { probe: o.probe, day, checks: 0, up: 0, degraded: 0, down: 0, muted: 0, uptimePercent: null };
      rows.set(id, row);
    }
    if (o.muted) {
      row.muted += 1;
      continue;
    }
    row.checks += 1;
    row[o.outcome] += 1;
  }
  const out = [...rows.values()].map((r) => ({ ...r, uptimePercent: r.checks === 0 ? null : Math.round(((r.up + r.degraded) / r.checks) * 100_000) / 1_000 }));
  return out.sort((a, b) => a.probe.localeCompare(b.probe) || a.day.localeCompare(b.day));
}

function dayFormatter(timeZone: string): (date: Date) => string {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  } catch {
    throw new ConfigError([{ file: 'argument', path: 'timeZone', message: `"${timeZone}" is not a known IANA time zone (e.g. UTC, Europe/Berlin)` }]);
  }
  return (date) => {
    const parts = Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
    return `${parts['year']}-${parts['month']}-${parts['day']}`;
  };
}

// ---------------------------------------------------------------------------------------------------
// Running the due probes.

/** Where probe states and observations live; the service implements it in its state store. */
export interface ProbeStateStore {
  load(name: string): Promise<ProbeState | undefined>;
  save(name: string, state: ProbeState): Promise<void>;
  record(observation: ProbeObservation): Promise<void>;
  /** Observations at or after `since` (ISO), oldest first. */
  observations(since: string, probe?: string): Promise<ProbeObservation[]>;
}

export class MemoryProbeStateStore implements ProbeStateStore {
  private readonly states = new Map<string, ProbeState>();
  private readonly log: ProbeObservation[] = [];

  async load(name: string): Promise<ProbeState | undefined> {
    const state = this.states.get(name);
    return state && structuredClone(state);
  }

  async save(name: string, state: ProbeState): Promise<void> {
    this.states.set(name, structuredClone(state));
  }

  async record(observation: ProbeObservation): Promise<void> {
    this.log.push(structuredClone(observation));
  }

  async observations(since: string, probe?: string): Promise<ProbeObservation[]> {
    const from = Date.parse(since);
    return this.log
      .filter((o) => Date.parse(o.at) >= from && (probe === undefined || o.probe === probe))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      .map((o) => structuredClone(o));
  }
}

export interface ProbeRunDeps {
  prober: Prober;
  store: ProbeStateStore;
  clock: Clock;
  /** Components under maintenance now. */
  mutedComponents: ReadonlySet<string> | readonly string[];
  /**
   * Takes the signals and component changes before the probes' states are saved, so a crash in
   * between raises them again on the next run rather than losing them.
   */
  handOff?: (result: { signals: Signal[]; componentChanges: ComponentAnnouncement[] }) => Promise<void>;
}

export interface ProbeRunResult {
  observations: ProbeObservation[];
  signals: Signal[];
  componentChanges: ComponentAnnouncement[];
}

/**
 * A scheduler's tick may come a little before a whole interval has passed since the last check;
 * without this slack a 60s probe on a 60s tick would run every other tick.
 */
function dueSlackMs(intervalMs: number): number {
  return Math.min(1_000, intervalMs / 10);
}

export function isDue(probe: ProbeDefinition, state: ProbeState, now: Date): boolean {
  if (state.lastObservedAt === undefined) return true;
  return now.getTime() - Date.parse(state.lastObservedAt) >= probe.intervalMs - dueSlackMs(probe.intervalMs);
}

/**
 * Checks every due probe (at once: they wait on the network), advances their states, records the
 * observations, and returns what the pipeline must hear. Several probes may watch one component: the
 * component shows the worst of what they say, and changes only when that does.
 */
export async function runProbesOnce(probes: readonly ProbeDefinition[], deps: ProbeRunDeps): Promise<ProbeRunResult> {
  const now = deps.clock.now();
  const states = new Map<string, ProbeState>();
  for (const probe of probes) states.set(probe.name, (await deps.store.load(probe.name)) ?? INITIAL_PROBE_STATE);
  const due = probes.filter((p) => isDue(p, states.get(p.name) as ProbeState, now));
  const raw = await Promise.all(due.map((p) => safeProbe(deps.prober, p, now)));

  const before = componentViews(probes, states);
  const muted = new Set(deps.mutedComponents);
  const observations: ProbeObservation[] = [];
  const signals: Signal[] = [];
  const announced: ComponentAnnouncement[] = [];
  due.forEach((probe, i) => {
    const observed = raw[i] as ProbeObservation;
    const observation = muted.has(probe.component) ? { ...observed, muted: true } : observed;
    const step = advanceProbe(states.get(probe.name) as ProbeState, observation, { probe, mutedComponents: muted });
    states.set(probe.name, step.state);
    observations.push(observation);
    if (step.signal) signals.push(step.signal);
    if (step.componentStatus) announced.push(step.componentStatus);
  });
  const after = componentViews(probes, states);
  const componentChanges: ComponentAnnouncement[] = [];
  for (const [component, status] of after) {
    if (muted.has(component) || before.get(component) === status) continue;
    // The probe whose own change is the component's new status explains it; otherwise it is what is left
    // once another probe of the component recovered.
    const own = announced.find((a) => a.component === component && a.status === status);
    componentChanges.push(
      own ?? { subject: 'component', event: 'component-status', component, status, actor: 'vigil', reason: `The worst that the probes of ${component} now say is ${status}.`, at: now.toISOString() },
    );
  }

  for (const observation of observations) await deps.store.record(observation);
  if (deps.handOff) await deps.handOff({ signals, componentChanges });
  for (const probe of due) await deps.store.save(probe.name, states.get(probe.name) as ProbeState);
  return { observations, signals, componentChanges };
}

async function safeProbe(prober: Prober, probe: ProbeDefinition, now: Date): Promise<ProbeObservation> {
  try {
    return await prober.probe(probe);
  } catch (err) {
    // A prober that throws is a bug, but the check still happened and could not see the endpoint.
    const error = scrubUrlSecrets(`the probe could not run: ${err instanceof Error ? err.message : String(err)}`, probe.url);
    return { probe: probe.name, at: now.toISOString(), ok: false, outcome: 'down', reason: 'network', latencyMs: 0, error };
  }
}

/** Worst first, so "the worst view" is the lowest index. */
const STATUS_ORDER: readonly ComponentStatus[] = ['major_outage', 'partial_outage', 'degraded_performance', 'under_maintenance', 'operational'];

function componentViews(probes: readonly ProbeDefinition[], states: ReadonlyMap<string, ProbeState>): Map<string, ComponentStatus> {
  const views = new Map<string, ComponentStatus>();
  for (const probe of probes) {
    const said = states.get(probe.name)?.componentStatus;
    if (said === undefined) continue;
    const current = views.get(probe.component);
    if (current === undefined || STATUS_ORDER.indexOf(said) < STATUS_ORDER.indexOf(current)) views.set(probe.component, said);
  }
  return views;
}
