/**
 * What each scheduled job does: the same code the CLI commands run, with the schedule as the actor and
 * the run's AbortSignal passed down, so a stopping service makes a drill tear down rather than wait.
 * A job run's status says whether the job did its work; findings (failing checks, failed drills) raise
 * their own signals, and a job that could not run at all raises `job-failed`.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { App } from '../app.js';
import { loadCheckDefinitions, type CheckDefinition } from '../checks/definitions.js';
import { EVALUATORS } from '../checks/registry.js';
import type { CheckRunDeps, CheckRunOutcome } from '../checks/run.js';
import type { UnitLeases } from '../checks/scan-units.js';
import { PROJECT_ROOT } from '../core/paths.js';
import { loadDrillDefinitions, type DrillDefinition } from '../drills/definitions.js';
import { loadFrameworkControls } from '../evidence/framework.js';
import { deliver, incidentPass, INCIDENTS_LOCK, runProbes, type IncidentRuntime } from '../incidents/runtime.js';
import { routeSignals } from '../incidents/service.js';
import type { RunRecord, Signal } from '../store/types.js';
import type { JobOutcome, JobRun, JobRunner } from './scheduler.js';
import type { Job, Schedule } from './schedules.js';

export interface JobDeps {
  app: App;
  runtime: IncidentRuntime;
  /** Loaded once at start; a broken file stops the service before it runs anything. */
  checks: CheckDefinition[];
  drills: DrillDefinition[];
  /** The replica running the jobs (several `vigil serve` on one database): recorded as each drill's owner. */
  replicaId?: string;
  /** With replicas: a check run is offered as per-account units any replica may claim (src/checks/scan-units.ts). */
  scanUnits?: { leases: UnitLeases; unitsInFlight: number; pollMs: number };
}

/** What a check run needs, as the CLI builds it: the AWS inventory, the store, accounts from config or Organizations. */
export async function checkRunDeps(deps: Pick<JobDeps, 'app' | 'checks'>): Promise<CheckRunDeps> {
  const [{ createAwsInventory }, { accountSource }] = await Promise.all([import('../adapters/aws/inventory-all.js'), import('../adapters/aws/accounts.js')]);
  const { app } = deps;
  return { config: app.config, checks: deps.checks, evaluators: EVALUATORS, inventory: createAwsInventory(app.aws(), app.vault()), store: app.store(), clock: app.clock, accounts: accountSource(app.aws(), app.config) };
}

export function loadJobDefinitions(): { checks: CheckDefinition[]; drills: DrillDefinition[] } {
  return {
    checks: loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: loadFrameworkControls(PROJECT_ROOT) }),
    drills: loadDrillDefinitions(PROJECT_ROOT),
  };
}

/** Who asked: the scheduler, or a person through the API. */
export interface JobRequest {
  trigger: 'schedule' | 'api';
  actor: string;
  reason: string;
  signal: AbortSignal;
}

export function createJobRunner(deps: JobDeps): JobRunner {
  return (schedule: Schedule, run: JobRun) =>
    runJob(deps, schedule.job, { trigger: 'schedule', actor: `schedule:${schedule.name}`, reason: `${schedule.description} (${run.trigger} run ${run.id})`, signal: run.signal });
}

export async function runJob(deps: JobDeps, job: Job, request: JobRequest): Promise<JobOutcome> {
  switch (job.kind) {
    case 'checks':
      return runChecksJob(deps, job.checkIds, request);
    case 'drills':
      return runDrillsJob(deps, 'due' in job ? 'due' : job.targets, request);
    case 'incidents': {
      const pass = await incidentPass(deps.runtime);
      return {
        status: pass.delivery.failed.length > 0 ? 'failed' : 'succeeded',
        summary: {
          routed: pass.routed.length,
          opened: pass.routed.filter((r) => r.action === 'open').map((r) => r.incidentId),
          slaEvents: pass.sweep.slaEvents.map((e) => e.id),
          autoResolved: pass.sweep.autoResolved,
          maintenance: pass.maintenance,
          delivered: pass.delivery.delivered.length,
          retrying: pass.delivery.retrying.length,
          failedDeliveries: pass.delivery.failed,
        },
      };
    }
    case 'probes': {
      const result = await runProbes(deps.runtime);
      const handedOff = await handOff(deps);
      return {
        status: 'succeeded',
        summary: { probed: result.observations.map((o) => ({ probe: o.probe, outcome: o.outcome, muted: o.muted ?? false })), signals: result.signals.length, ...handedOff },
      };
    }
    case 'report':
      return runReportJob(deps, job.period, request);
  }
}

async function runChecksJob(deps: JobDeps, checkIds: string[], request: JobRequest): Promise<JobOutcome> {
  const checkRequest = { checkIds, trigger: request.trigger, actor: request.actor, reason: request.reason };
  const runDeps = await checkRunDeps(deps);
  let outcome: CheckRunOutcome;
  if (deps.scanUnits) {
    const { runChecksAcrossReplicas } = await import('../checks/scan-units.js');
    const { unitsInFlight, pollMs, leases } = deps.scanUnits;
    outcome = await runChecksAcrossReplicas(checkRequest, runDeps, leases, { unitsInFlight, pollMs, sleep: (ms, signal) => delay(ms, undefined, { signal }), signal: request.signal });
  } else {
    const { runChecks } = await import('../checks/run.js');
    outcome = await runChecks(checkRequest, runDeps, undefined, { results: false });
  }
  const handedOff = await handOff(deps);
  // Failing checks are findings, not a failed job: they raise their own signals and fill the reports. A
  // run that could look at nothing (every result an error: credentials gone, every region unreachable)
  // is a job that could not run, and raises job-failed rather than passing quietly.
  const { counts } = outcome;
  const blind = counts.error > 0 && counts.pass + counts.fail === 0;
  return {
    status: blind ? 'error' : 'succeeded',
    summary: { checkRun: outcome.run.id, counts, ...handedOff, ...(blind ? { error: `every one of ${counts.error} evaluations was an error: Vigil could not look (see vigil check show ${outcome.run.id})` } : {}) },
  };
}

async function runDrillsJob(deps: JobDeps, which: 'due' | string[], request: JobRequest): Promise<JobOutcome> {
  const [{ runDrill }, { dueDrills }, { createDrillDeps, sweepDrillOrphans }] = await Promise.all([
    import('../drills/run.js'),
    import('../drills/due.js'),
    import('../drills/wiring.js'),
  ]);
  const { app } = deps;
  const swept = await sweepDrillOrphans(app, deps.drills);
  let targets = deps.drills;
  if (which === 'due') {
    const due = new Set(dueDrills(deps.drills, await app.store().lastSuccessfulDrills(), app.clock.now()).filter((d) => d.due).map((d) => d.target));
    targets = deps.drills.filter((d) => due.has(d.id));
  } else {
    targets = deps.drills.filter((d) => which.includes(d.id));
  }
  // Under a replica the drill is the replica's: another replica's sweep tells it is dead by the replica's heartbeat.
  const drillDeps = { ...(await createDrillDeps(app, request.signal)), ...(deps.replicaId ? { owner: deps.replicaId } : {}) };
  const records = [];
  for (const def of targets) {
    if (request.signal.aborted) break;
    records.push(await runDrill(def, { trigger: request.trigger, actor: request.actor, reason: request.reason }, drillDeps));
  }
  const handedOff = await handOff(deps);
  const failed = records.filter((r) => r.status !== 'succeeded');
  return {
    status: failed.length > 0 ? 'failed' : 'succeeded',
    summary: {
      drills: records.map((r) => ({ id: r.id, target: r.target, status: r.status, failure: r.failure, rtoSeconds: r.measures['rtoSeconds'], rpoSeconds: r.measures['rpoSeconds'] })),
      skipped: targets.length - records.length,
      swept: { deleted: swept.deleted.length, aborted: swept.aborted },
      ...handedOff,
    },
  };
}

/**
 * The evidence report for the period just ended, written as a bundle (HTML, JSON, OSCAL, raw evidence,
 * manifest) under `<data dir>/reports/`. A broken ledger is not papered over: the run fails and says where.
 */
async function runReportJob(deps: JobDeps, kind: 'previous-month' | 'previous-quarter' | 'previous-year', request: JobRequest): Promise<JobOutcome> {
  const [{ produceReport }, { reportSources, previousPeriod, vigilVersion }, { loadTrustedKeys }] = await Promise.all([
    import('../evidence/produce.js'),
    import('../evidence/wiring.js'),
    import('../evidence/signing.js'),
  ]);
  const { app } = deps;
  const period = previousPeriod(kind, app.clock.now());
  const outDir = join(app.dataDir, 'reports', `iso27001-${period.from.slice(0, 10)}-to-${period.to.slice(0, 10)}-${Date.now().toString(36)}`);
  const outcome = await produceReport(app.store(), await reportSources(app), {
    period,
    format: 'html',
    outDir,
    allowBrokenLedger: false,
    publicKeys: loadTrustedKeys(app.config.evidence, app.loaded.file),
    version: vigilVersion(),
    actor: request.actor,
  });
  if (outcome.kind === 'refused') {
    const b = outcome.ledger.break;
    return { status: 'failed', summary: { period, error: `the evidence ledger breaks at entry ${b?.seq ?? '?'} (${b?.kind ?? 'unknown'}); no report was produced` } };
  }
  return { status: 'succeeded', summary: { period, bundle: outDir, verdicts: outcome.report.summary.byVerdict, notices: outcome.report.notices } };
}

/** Signals the job raised become incidents now, and their pages go out now. */
async function handOff(deps: JobDeps): Promise<{ incidentsOpened: string[] }> {
  // With replicas, the one routing right now routes these too (or the next incident pass does).
  const exclusive = deps.runtime.exclusive ?? (<T>(_name: string, work: () => Promise<T>) => work());
  const routed = (await exclusive(INCIDENTS_LOCK, () => routeSignals(deps.runtime))) ?? [];
  await deliver(deps.runtime);
  return { incidentsOpened: routed.filter((r) => r.action === 'open').map((r) => r.incidentId as string) };
}

/**
 * The signal a finished job run raises: a job that errored (could not run) raises `job-failed`; one that
 * then succeeds clears it. Failed drills and failing checks have their own signals.
 */
export function jobSignal(run: RunRecord, schedule: Schedule): Signal | undefined {
  const key = `job:${schedule.name}`;
  const base = { kind: 'job-failed', key, source: `schedule ${schedule.name} (job run ${run.id})`, raisedAt: run.finishedAt ?? run.startedAt };
  if (run.status === 'error') {
    // A thrown error is the run's own `error`; a runner that returned `error` says why in its result.
    const result = (run.summary['result'] ?? {}) as Record<string, unknown>;
    const why = typeof run.summary['error'] === 'string' ? run.summary['error'] : typeof result['error'] === 'string' ? result['error'] : JSON.stringify(result);
    return { ...base, id: `job:${run.id}`, summary: `Scheduled job ${schedule.name} could not run: ${why}`, payload: { schedule: schedule.name, job: schedule.job.kind, runId: run.id, error: why } };
  }
  if (run.status === 'succeeded') {
    return { ...base, id: `job:${run.id}:cleared`, summary: `Scheduled job ${schedule.name} ran again.`, payload: { schedule: schedule.name, job: schedule.job.kind, runId: run.id, cleared: true } };
  }
  return undefined;
}
