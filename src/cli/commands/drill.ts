import { Command } from 'commander';
import type { App } from '../../app.js';
import { loadDrillDefinitions, type DrillDefinition } from '../../drills/definitions.js';
import { formatSeconds, type DrillPlan } from '../../drills/run.js';
import { ConfigError } from '../../core/errors.js';
import { PROJECT_ROOT } from '../../core/paths.js';
import type { DrillRecord } from '../../store/types.js';
import type { CommandContext } from '../context.js';
import { handOffSignals } from './incident.js';
import { ExitCode } from '../errors.js';
import { outputOption, printJson, renderTable } from '../output.js';

async function drillDeps(app: App) {
  const { createDrillDeps } = await import('../../drills/wiring.js');
  return createDrillDeps(app);
}

/**
 * Every drill command starts by cleaning up after crashed drills. S3 drills' scratch prefixes come from
 * their definitions; commands that do not otherwise need the definitions still sweep instances when a
 * definition file is broken, and say so.
 */
async function sweep(ctx: CommandContext, app: App, definitions?: DrillDefinition[]): Promise<void> {
  let defs = definitions;
  if (!defs) {
    try {
      defs = loadDrillDefinitions(PROJECT_ROOT);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      ctx.io.err(`sweep skips S3 scratch prefixes: runbooks/drills/ does not load (${err.problems.length} problem(s); vigil drill due shows them)`);
    }
  }
  const { sweepDrillOrphans } = await import('../../drills/wiring.js');
  const outcome = await sweepDrillOrphans(app, defs);
  for (const d of outcome.deleted) ctx.io.err(`swept: deleted ${d.resource} in ${d.accountId}/${d.region}, left by drill ${d.drillId ?? '(unknown)'}`);
  for (const id of outcome.aborted) ctx.io.err(`swept: drill ${id} recorded as aborted`);
  for (const e of outcome.errors) ctx.io.err(`sweep could not look in ${e.accountId}/${e.region}: ${e.reason}`);
}

function selectTargets(definitions: DrillDefinition[], targets: string[]): DrillDefinition[] {
  const byId = new Map(definitions.map((d) => [d.id, d]));
  const unknown = targets.filter((t) => !byId.has(t));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((t) => ({ file: 'argument TARGET', path: '', message: `no drill "${t}" in runbooks/drills/ (known: ${[...byId.keys()].join(', ')})` })));
  }
  return targets.map((t) => byId.get(t) as DrillDefinition);
}

function measureText(d: DrillRecord): string {
  const m = d.measures;
  const rto = m['rtoSeconds'] !== undefined ? `RTO ${formatSeconds(m['rtoSeconds'])} / ${formatSeconds(m['rtoTargetSeconds'] ?? 0)}` : 'RTO -';
  const rpo = m['rpoSeconds'] !== undefined ? `RPO ${formatSeconds(m['rpoSeconds'])} / ${formatSeconds(m['rpoTargetSeconds'] ?? 0)}` : 'RPO -';
  return `${rto}, ${rpo}`;
}

function printPlan(ctx: CommandContext, target: string, plan: DrillPlan): void {
  if (plan.kind === 'rds-instance') {
    ctx.io.out(`${target}: restore ${plan.recoveryPoint.id} (${plan.recoveryPoint.createdAt.toISOString()}) in ${plan.account}/${plan.region} as ${plan.instanceName}`);
  } else {
    const fewer = plan.objects.length < plan.requested ? ` (${plan.requested} asked for; only ${plan.eligibleKeys} of ${plan.listedKeys} keys have a usable noncurrent version)` : '';
    ctx.io.out(`${target}: restore ${plan.objects.length} noncurrent version(s) from s3://${plan.source.bucket}/${plan.source.prefix} in ${plan.account}/${plan.region} to s3://${plan.scratch.bucket}/${plan.scratch.prefix}${fewer}`);
    ctx.io.out(renderTable(['key', 'version', 'written', 'bytes', 'current'], plan.objects.map((o) => [o.key, o.versionId, o.lastModified.toISOString(), String(o.size), o.state])));
  }
  ctx.io.out(renderTable(['call', 'region', 'params', 'note'], plan.calls.map((c) => [c.operation, c.region, JSON.stringify(c.params, null, 1).slice(0, 600), c.note])));
}

export function drillCommand(ctx: CommandContext): Command {
  const drill = new Command('drill').description('restore drills: restore a snapshot or S3 object versions into throwaway copies, verify the data, measure RTO and RPO, tear down');

  drill
    .command('run')
    .description('run restore drills (targets are files in runbooks/drills/)')
    .argument('[targets...]', 'drill targets to run')
    .option('--due', 'run every target without a successful drill in its window')
    .option('--from-region <region>', 'restore from copies in this region instead of the definition\'s')
    .option('--snapshot <choice>', 'recovery point: latest, random:7d, or a snapshot id; for S3 drills latest, noncurrent or random:30d')
    .option('--dry-run', 'print the plan and the exact API calls; only read-only calls are made')
    .option('--reason <text>', 'why this drill is being run (required: it is recorded with the drill)')
    .addOption(outputOption())
    .action(async (targets: string[], opts: { due?: boolean; fromRegion?: string; snapshot?: string; dryRun?: boolean; reason?: string; output: 'table' | 'json' }, command: Command) => {
      const definitions = loadDrillDefinitions(PROJECT_ROOT);
      const problems = [];
      if (!opts.due && targets.length === 0) problems.push({ file: 'arguments', path: '', message: 'name at least one drill target, or use --due' });
      if (opts.due && targets.length > 0) problems.push({ file: 'arguments', path: '', message: 'give targets or --due, not both' });
      if (!opts.dryRun && !opts.reason?.trim()) problems.push({ file: 'argument --reason', path: '', message: 'say why you are running this drill; it is recorded with it' });
      if (opts.snapshot !== undefined && !/^(latest|random:\d+[dh]|(rds:)?[a-zA-Z][a-zA-Z0-9-]*)$/.test(opts.snapshot)) problems.push({ file: 'argument --snapshot', path: '', message: 'expected latest, random:7d or a snapshot id' });
      if (problems.length > 0) throw new ConfigError(problems);
      const chosen = opts.due ? [] : selectTargets(definitions, targets);
      const app = await ctx.app(command);
      const deps = await drillDeps(app);
      const request = { trigger: 'cli' as const, actor: ctx.env['USER'] ?? 'cli', reason: opts.reason, recoveryPoint: opts.snapshot, fromRegion: opts.fromRegion };

      if (opts.dryRun) {
        const { planDrill } = await import('../../drills/run.js');
        const plans = [];
        for (const def of chosen.length ? chosen : definitions) plans.push({ target: def.id, ...(await planDrill(def, request, deps)) });
        if (opts.output === 'json') printJson(ctx.io, plans);
        else {
          for (const p of plans) {
            if (!p.ok) {
              ctx.io.out(`${p.target}: cannot run: ${p.reason}`);
              continue;
            }
            printPlan(ctx, p.target, p.plan);
          }
        }
        ctx.exitCode = plans.every((p) => p.ok) ? ExitCode.Ok : ExitCode.Failed;
        return;
      }

      await sweep(ctx, app, definitions);
      let selected = chosen;
      if (opts.due) {
        const { dueDrills } = await import('../../drills/due.js');
        const due = dueDrills(definitions, await app.store().lastSuccessfulDrills(), app.clock.now()).filter((d) => d.due);
        selected = definitions.filter((d) => due.some((x) => x.target === d.id));
        if (selected.length === 0) ctx.io.err('no drill is due');
      }
      const { runDrill } = await import('../../drills/run.js');
      const records: DrillRecord[] = [];
      for (const def of selected) {
        ctx.io.err(`drill ${def.id}: starting`);
        const record = await runDrill(def, request, { ...deps, onPhase: (phase) => ctx.io.err(`drill ${def.id}: ${phase}`) });
        ctx.io.err(`drill ${def.id}: ${record.status}${record.failure ? ` — ${record.failure}` : ''}`);
        records.push(record);
      }
      ctx.exitCode = records.every((r) => r.status === 'succeeded') ? ExitCode.Ok : ExitCode.Failed;
      if (records.some((r) => r.status === 'failed')) await handOffSignals(ctx, app);
      if (opts.output === 'json') printJson(ctx.io, records);
      else if (records.length > 0) ctx.io.out(renderTable(['drill', 'target', 'status', 'recovery point', 'measures', 'why'], records.map((r) => [r.id, r.target, r.status, r.recoveryPoint?.id, measureText(r), r.failure ?? ''])));
    });

  drill
    .command('due')
    .description('list drill targets without a successful drill in their window ("have we done a test restore this week?")')
    .addOption(outputOption())
    .action(async (opts: { output: 'table' | 'json' }, command: Command) => {
      const definitions = loadDrillDefinitions(PROJECT_ROOT);
      const app = await ctx.app(command);
      await sweep(ctx, app, definitions);
      const { dueDrills } = await import('../../drills/due.js');
      const states = dueDrills(definitions, await app.store().lastSuccessfulDrills(), app.clock.now());
      if (opts.output === 'json') printJson(ctx.io, states);
      else ctx.io.out(renderTable(['target', 'due', 'last success', 'why'], states.map((s) => [s.target, s.due ? 'DUE' : 'no', s.lastSuccess?.at ?? 'never', s.reason])));
    });

  drill
    .command('list')
    .description('list recorded drills, newest first')
    .option('--target <id>', 'only this target')
    .addOption(outputOption())
    .action(async (opts: { target?: string; output: 'table' | 'json' }, command: Command) => {
      const app = await ctx.app(command);
      await sweep(ctx, app);
      const drills = await app.store().listDrills({ target: opts.target });
      if (opts.output === 'json') printJson(ctx.io, drills);
      else ctx.io.out(renderTable(['drill', 'target', 'status', 'started', 'by', 'measures'], drills.map((d) => [d.id, d.target, d.status, d.startedAt, `${d.actor ?? ''} (${d.trigger})`, measureText(d)])));
    });

  drill
    .command('show')
    .description('show one drill: phases, recovery point, queries and results, RTO and RPO')
    .argument('<id>', 'drill id')
    .addOption(outputOption())
    .action(async (id: string, opts: { output: 'table' | 'json' }, command: Command) => {
      const app = await ctx.app(command);
      await sweep(ctx, app);
      const d = await app.store().getDrill(id);
      if (!d) throw new ConfigError([{ file: 'argument ID', path: '', message: `no drill ${id}; see vigil drill list` }]);
      if (opts.output === 'json') {
        printJson(ctx.io, d);
        return;
      }
      ctx.io.out(`Drill ${d.id} of ${d.target}: ${d.status.toUpperCase()}${d.failure ? ` — ${d.failure}` : ''}`);
      ctx.io.out(`Triggered by ${d.actor ?? '-'} (${d.trigger}): ${d.reason ?? '-'}`);
      ctx.io.out(`Recovery point: ${d.recoveryPoint ? `${d.recoveryPoint.id} in ${d.recoveryPoint.region}, data as of ${d.recoveryPoint.createdAt}` : '-'}; restored as ${d.restoredResource ?? '-'}`);
      ctx.io.out(measureText(d));
      ctx.io.out(renderTable(['phase', 'at'], d.phases.map((p) => [p.name, p.at])));
      if (d.verification.length) ctx.io.out(renderTable(['step', 'passed', 'observed', 'message'], d.verification.map((s) => [String(s['name']), s['passed'] ? 'yes' : 'NO', JSON.stringify(s['observed']), String(s['message'])])));
    });

  return drill;
}
