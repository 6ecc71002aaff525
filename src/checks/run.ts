/**
 * A check run: validate the selection, record the run, evaluate, stream results into the store as
 * they arrive, and close the run with its summary and timing.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AccountConfig, VigilConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, type Problem } from '../core/errors.js';
import { countByStatus, type CheckResult, type Status } from '../core/results.js';
import { redact } from '../core/redact.js';
import { SignalGroups } from '../incidents/signals.js';
import type { CheckResultRecord, RunRecord, Signal, Store, Trigger } from '../store/types.js';
import { configuredAccounts, type AccountSource, type ResolvedAccounts, type UnavailableAccount } from './accounts.js';
import type { CheckDefinition } from './definitions.js';
import { countEvaluations, evaluate, sinceKey, type EvaluationPlan, type UnitProgress } from './engine.js';
import type { Evaluator } from './evaluator.js';
import type { InventoryPort } from './inventory.js';

export interface CheckSelection {
  checkIds?: string[];
  accountIds?: string[];
  regions?: string[];
}

export interface CheckRunRequest extends CheckSelection {
  trigger: Trigger;
  actor?: string;
  reason?: string;
}

export interface CheckRunDeps {
  config: VigilConfig;
  checks: CheckDefinition[];
  evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>;
  inventory: InventoryPort;
  store: Store;
  clock: Clock;
  /** Where the run's accounts come from: the config's list when absent (AWS Organizations needs one). */
  accounts?: AccountSource;
}

export interface CheckRunOutcome {
  run: RunRecord;
  results: CheckResult[];
  counts: Record<Status, number>;
}

export interface ResolvedSelection {
  checks: CheckDefinition[];
  accounts: AccountConfig[];
  /** Selected accounts that cannot be scanned; their checks get `error` results. */
  unavailable: UnavailableAccount[];
  regions?: string[];
  /** How many (check, account, region) units will be evaluated. */
  units: number;
}

/**
 * Checks the selection against the checks and the run's accounts (the config's, unless `resolved`
 * says otherwise); every unknown name is reported at once. Accounts discovered through AWS
 * Organizations are only known once resolved: until then account and region names are not checked.
 */
export function resolveSelection(selection: CheckSelection, checks: CheckDefinition[], config: VigilConfig, resolved?: ResolvedAccounts): ResolvedSelection {
  const problems: Problem[] = [];
  const byId = new Map(checks.map((c) => [c.id, c]));
  for (const id of selection.checkIds ?? []) {
    if (!byId.has(id)) problems.push({ file: 'argument --check', path: '', message: `unknown check "${id}"; run \`vigil check list\` to see them` });
  }
  const all = resolved ?? { accounts: config.accounts, unavailable: [] };
  const unresolved = !resolved && config.organization !== undefined;
  const known = new Map([...all.accounts, ...all.unavailable.map((u) => u.account)].map((a) => [a.id, a]));
  for (const id of unresolved ? [] : (selection.accountIds ?? [])) {
    const where = resolved && config.organization ? 'in the configuration or the organization' : 'in the configuration';
    if (!known.has(id)) problems.push({ file: 'argument --account', path: '', message: `account ${id} is not ${where} (known: ${[...known.keys()].join(', ')})` });
  }
  const picked = (id: string) => !selection.accountIds?.length || selection.accountIds.includes(id);
  const accounts = all.accounts.filter((a) => picked(a.id));
  const unavailable = all.unavailable.filter((u) => picked(u.account.id));
  const regionsKnown = new Set([...accounts, ...unavailable.map((u) => u.account)].flatMap((a) => a.regions));
  for (const region of unresolved ? [] : (selection.regions ?? [])) {
    if (!regionsKnown.has(region)) problems.push({ file: 'argument --region', path: '', message: `region ${region} is not configured for the selected accounts (known: ${[...regionsKnown].join(', ')})` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const chosen = selection.checkIds?.length ? checks.filter((c) => selection.checkIds?.includes(c.id)) : checks.filter((c) => c.enabled);
  const regions = selection.regions?.length ? selection.regions : undefined;
  return { checks: chosen, accounts, unavailable, regions, units: countEvaluations({ checks: chosen, accounts, unavailable, regions, scope: config.scope }) };
}

/** Results are written a few units at a time: one commit per unit would be thousands of fsyncs in a large scan. */
const FLUSH_RESULTS = 2_000;
const FLUSH_MS = 250;

/**
 * Streams a run's results into the store in order, one write at a time. Each write holds whole batches
 * (one check in one unit), so a run cut short has each batch stored entirely or not at all.
 */
export function resultWriter(store: Store, runId: string) {
  let buffer: CheckResultRecord[] = [];
  let flushedAt = performance.now();
  let writing: Promise<void> = Promise.resolve();
  const flush = (): Promise<void> => {
    if (buffer.length === 0) return writing;
    const out = buffer;
    buffer = [];
    flushedAt = performance.now();
    writing = writing.then(() => store.appendCheckResults(out));
    return writing;
  };
  return {
    add: (batch: CheckResult[]): Promise<void> => {
      for (const r of batch) buffer.push({ ...r, runId });
      return buffer.length >= FLUSH_RESULTS || performance.now() - flushedAt >= FLUSH_MS ? flush() : Promise.resolve();
    },
    flush,
  };
}

/** A recorded run about to be evaluated: its selection, when it started, and each scope's previous evaluation. */
export interface StartedCheckRun {
  run: RunRecord;
  selection: ResolvedSelection;
  started: Date;
  /** When each (check, account, region) was last evaluated (by `sinceKey`): where windowed reads resume. */
  since: Map<string, Date>;
}

/** Resolves the accounts, validates the selection and records the run as running. */
export async function startCheckRun(request: CheckRunRequest, deps: CheckRunDeps): Promise<StartedCheckRun> {
  const resolved = await (deps.accounts ?? configuredAccounts(deps.config)).resolve();
  const selection = resolveSelection(request, deps.checks, deps.config, resolved);
  const started = deps.clock.now();
  const run = await deps.store.startRun({
    id: randomUUID(),
    kind: 'check',
    startedAt: started.toISOString(),
    trigger: request.trigger,
    actor: request.actor,
    reason: request.reason,
    summary: {
      checks: selection.checks.map((c) => c.id),
      accounts: [...selection.accounts, ...selection.unavailable.map((u) => u.account)].map((a) => a.id).sort(),
      regions: selection.regions ?? 'all',
      ...(selection.unavailable.length > 0 ? { unavailable: selection.unavailable.map((u) => ({ account: u.account.id, reason: u.reason })) } : {}),
    },
  });
  const since = new Map(
    (await deps.store.lastEvaluations(selection.checks.map((c) => c.id))).map((e) => [sinceKey(e.checkId, e.accountId, e.region), new Date(e.at)]),
  );
  return { run, selection, started, since };
}

/** What the results of a run add up to, gathered as they stream: counts, and the signals they raise. */
export class RunTally {
  readonly counts = countByStatus([]);
  results = 0;
  private readonly groups = new SignalGroups();

  add(batch: readonly CheckResult[]): void {
    for (const r of batch) this.counts[r.status] += 1;
    this.results += batch.length;
    this.groups.add(batch);
  }

  signals(openKeys: ReadonlySet<string>, runId: string, config: VigilConfig): Signal[] {
    return this.groups.signals(openKeys, runId, config.incidents.raiseFromChecks);
  }
}

/**
 * Evaluates part of a started run (all of it, or one account's checks) and streams the results into
 * the store. `skip` names (check, account, region) batches already stored, which are evaluated again
 * but not written twice; `keep` is asked before each write and stops them when it says no (the work was
 * taken over by another replica).
 */
export async function evaluateInto(
  started: Pick<StartedCheckRun, 'run' | 'started'>,
  plan: Pick<EvaluationPlan, 'checks' | 'accounts' | 'unavailable' | 'regions' | 'since'>,
  deps: CheckRunDeps,
  options: { tally?: RunTally; onProgress?: (unit: UnitProgress) => void; skip?: ReadonlySet<string>; keep?: () => boolean } = {},
): Promise<void> {
  const writer = resultWriter(deps.store, started.run.id);
  try {
    await evaluate(
      { ...plan, scope: deps.config.scope },
      { inventory: deps.inventory, evaluators: deps.evaluators, now: started.started, clock: () => deps.clock.now(), unitTimeoutMs: deps.config.aws.scopeTimeoutMs },
      async (batch, unit) => {
        if (options.skip?.has(sinceKey(unit.checkId, unit.accountId, unit.region)) || options.keep?.() === false) return;
        options.tally?.add(batch);
        await writer.add(batch);
        options.onProgress?.(unit);
      },
    );
  } finally {
    await writer.flush();
  }
}

/** Records the run's signals and closes it with its counts; `tally` holds every result of the run. */
export async function finishCheckRun(started: StartedCheckRun, tally: RunTally, deps: CheckRunDeps): Promise<RunRecord> {
  const { run, selection } = started;
  const openKeys = new Set((await deps.store.incidents.listIncidents({ open: true })).flatMap((s) => s.incident.signalKeys));
  await deps.store.incidents.recordSignals(tally.signals(openKeys, run.id, deps.config));
  const { counts } = tally;
  const finishedAt = deps.clock.now();
  const status = counts.fail > 0 ? 'failed' : counts.error > 0 ? 'error' : 'succeeded';
  return deps.store.finishRun(run.id, status, finishedAt.toISOString(), {
    ...run.summary,
    counts,
    results: tally.results,
    units: selection.units,
    durationMs: finishedAt.getTime() - started.started.getTime(),
  });
}

/** Closes a run that failed as a whole (the store or the engine threw), with what it had stored. */
export async function failCheckRun(started: StartedCheckRun, err: unknown, deps: CheckRunDeps, results: number): Promise<void> {
  await deps.store.finishRun(started.run.id, 'error', deps.clock.now().toISOString(), { ...started.run.summary, error: redact(err instanceof Error ? err.message : String(err)), results });
}

/**
 * A whole check run in this process. The results are counted and their signals gathered as they
 * stream into the store; the outcome's `results` are read back from the store, unless
 * `options.results` is false (a scheduled run, where nobody prints them).
 */
export async function runChecks(
  request: CheckRunRequest,
  deps: CheckRunDeps,
  onProgress?: (unit: UnitProgress) => void,
  options: { results?: boolean } = {},
): Promise<CheckRunOutcome> {
  const started = await startCheckRun(request, deps);
  const { selection } = started;
  const tally = new RunTally();
  try {
    await evaluateInto(started, { checks: selection.checks, accounts: selection.accounts, unavailable: selection.unavailable, regions: selection.regions, since: started.since }, deps, { tally, onProgress });
  } catch (err) {
    await failCheckRun(started, err, deps, tally.results);
    throw err;
  }
  const run = await finishCheckRun(started, tally, deps);
  const results = options.results === false ? [] : await deps.store.checkResults(run.id);
  return { run, results, counts: tally.counts };
}
