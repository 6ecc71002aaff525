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
import { configuredAccounts, type AccountSource, type ResolvedAccounts, type UnavailableAccount } from './accounts.js';
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

export async function runChecks(request: CheckRunRequest, deps: CheckRunDeps, onProgress?: (unit: UnitProgress) => void): Promise<CheckRunOutcome> {
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
  const results: CheckResult[] = [];
  const since = new Map(
    (await deps.store.lastEvaluations(selection.checks.map((c) => c.id))).map((e) => [sinceKey(e.checkId, e.accountId, e.region), new Date(e.at)]),
  );
  try {
    await evaluate(
      { checks: selection.checks, accounts: selection.accounts, unavailable: selection.unavailable, regions: selection.regions, scope: deps.config.scope, since },
      { inventory: cachedInventory(deps.inventory), evaluators: deps.evaluators, now: started, clock: () => deps.clock.now(), unitTimeoutMs: deps.config.aws.scopeTimeoutMs },
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
