/**
 * A check run: validate the selection, record the run, evaluate, stream results into the store as
 * they arrive, and close the run with its summary and timing.
 */
import { randomUUID } from 'node:crypto';
import type { AccountConfig, VigilConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, type Problem } from '../core/errors.js';
import { countByStatus, type CheckResult, type Status } from '../core/results.js';
import { signalsFromResults } from '../incidents/signals.js';
import type { RunRecord, Store, Trigger } from '../store/types.js';
import type { CheckDefinition } from './definitions.js';
import { countEvaluations, evaluate, sinceKey, type UnitProgress } from './engine.js';
import type { Evaluator } from './evaluator.js';
import { cachedInventory, type InventoryPort } from './inventory.js';

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
}

export interface CheckRunOutcome {
  run: RunRecord;
  results: CheckResult[];
  counts: Record<Status, number>;
}

export interface ResolvedSelection {
  checks: CheckDefinition[];
  accounts: AccountConfig[];
  regions?: string[];
  /** How many (check, account, region) units will be evaluated. */
  units: number;
}

/** Checks the selection against the checks and config; every unknown name is reported at once. */
export function resolveSelection(selection: CheckSelection, checks: CheckDefinition[], config: VigilConfig): ResolvedSelection {
  const problems: Problem[] = [];
  const byId = new Map(checks.map((c) => [c.id, c]));
  for (const id of selection.checkIds ?? []) {
    if (!byId.has(id)) problems.push({ file: 'argument --check', path: '', message: `unknown check "${id}"; run \`vigil check list\` to see them` });
  }
  const accountsById = new Map(config.accounts.map((a) => [a.id, a]));
  for (const id of selection.accountIds ?? []) {
    if (!accountsById.has(id)) problems.push({ file: 'argument --account', path: '', message: `account ${id} is not in the configuration (known: ${[...accountsById.keys()].join(', ')})` });
  }
  const accounts = selection.accountIds?.length ? config.accounts.filter((a) => selection.accountIds?.includes(a.id)) : config.accounts;
  const known = new Set(accounts.flatMap((a) => a.regions));
  for (const region of selection.regions ?? []) {
    if (!known.has(region)) problems.push({ file: 'argument --region', path: '', message: `region ${region} is not configured for the selected accounts (known: ${[...known].join(', ')})` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const chosen = selection.checkIds?.length ? checks.filter((c) => selection.checkIds?.includes(c.id)) : checks.filter((c) => c.enabled);
  const regions = selection.regions?.length ? selection.regions : undefined;
  return { checks: chosen, accounts, regions, units: countEvaluations({ checks: chosen, accounts, regions, scope: config.scope }) };
}

export async function runChecks(request: CheckRunRequest, deps: CheckRunDeps, onProgress?: (unit: UnitProgress) => void): Promise<CheckRunOutcome> {
  const selection = resolveSelection(request, deps.checks, deps.config);
  const started = deps.clock.now();
  const run = await deps.store.startRun({
    id: randomUUID(),
    kind: 'check',
    startedAt: started.toISOString(),
    trigger: request.trigger,
    actor: request.actor,
    reason: request.reason,
    summary: { checks: selection.checks.map((c) => c.id), accounts: selection.accounts.map((a) => a.id), regions: selection.regions ?? 'all' },
  });
  const results: CheckResult[] = [];
  const since = new Map(
    (await deps.store.lastEvaluations(selection.checks.map((c) => c.id))).map((e) => [sinceKey(e.checkId, e.accountId, e.region), new Date(e.at)]),
  );
  try {
    await evaluate(
      { checks: selection.checks, accounts: selection.accounts, regions: selection.regions, scope: deps.config.scope, since },
      { inventory: cachedInventory(deps.inventory), evaluators: deps.evaluators, now: started, clock: () => deps.clock.now() },
      async (batch, unit) => {
        results.push(...batch);
        await deps.store.appendCheckResults(batch.map((r) => ({ ...r, runId: run.id })));
        onProgress?.(unit);
      },
    );
  } catch (err) {
    await deps.store.finishRun(run.id, 'error', deps.clock.now().toISOString(), { error: err instanceof Error ? err.message : String(err), results: results.length });
    throw err;
  }
  const openKeys = new Set((await deps.store.incidents.listIncidents({ open: true })).flatMap((s) => s.incident.signalKeys));
  await deps.store.incidents.recordSignals(signalsFromResults(results, openKeys, run.id, deps.config.incidents.raiseFromChecks));
  const counts = countByStatus(results);
  const finishedAt = deps.clock.now();
  const status = counts.fail > 0 ? 'failed' : counts.error > 0 ? 'error' : 'succeeded';
  const finished = await deps.store.finishRun(run.id, status, finishedAt.toISOString(), {
    ...run.summary,
    counts,
    results: results.length,
    units: selection.units,
    durationMs: finishedAt.getTime() - started.getTime(),
  });
  return { run: finished, results, counts };
}
