import { Command } from 'commander';
import { ConfigError } from '../../core/errors.js';
import type { IncidentRuntime } from '../../incidents/runtime.js';
import type { MaintenanceWindow } from '../../store/incident-types.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';
import { actorOf, printDelivery } from './incident.js';

type Output = { output: 'table' | 'json' };

async function runtimeOf(ctx: CommandContext, command: Command): Promise<IncidentRuntime> {
  const { incidentRuntime } = await import('../../incidents/runtime.js');
  return incidentRuntime(await ctx.app(command));
}

function row(w: MaintenanceWindow): string[] {
  return [w.id, w.status, w.startsAt, w.endsAt, w.components.join(', '), w.emergency ? 'yes' : '', w.reason];
}

const HEAD = ['id', 'status', 'starts', 'ends', 'components', 'emergency', 'reason'];

export function maintenanceCommand(ctx: CommandContext): Command {
  const maintenance = new Command('maintenance').description('scheduled maintenance: announced 24 h ahead, posted to the status page, probes muted during the window');

  maintenance
    .command('schedule')
    .description('schedule a window; a start less than 24 h away is refused unless --emergency')
    .requiredOption('--start <instant>', 'ISO 8601 with a zone, e.g. 2026-12-01T02:00Z')
    .requiredOption('--end <instant>', 'ISO 8601 with a zone')
    .requiredOption('--components <list>', 'status-page components, comma-separated')
    .option('--reason <text>', 'what is being done and why (required; shown on the status page)')
    .option('--title <text>', 'the status-page title (default: "Scheduled maintenance: <components>")')
    .option('--emergency', 'allow a start less than 24 h away (the seeds\' policy exception)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { start: string; end: string; components: string; reason?: string; title?: string; emergency?: boolean; actor?: string }, command: Command) => {
      const runtime = await runtimeOf(ctx, command);
      const { scheduleMaintenance } = await import('../../incidents/maintenance.js');
      const window = await scheduleMaintenance(runtime, {
        start: opts.start,
        end: opts.end,
        components: opts.components.split(',').map((s) => s.trim()).filter(Boolean),
        reason: opts.reason ?? '',
        ...(opts.title ? { title: opts.title } : {}),
        emergency: Boolean(opts.emergency),
        actor: actorOf(ctx, opts.actor),
      });
      await finish(ctx, runtime, window, opts.output === 'json');
    });

  maintenance
    .command('list')
    .description('maintenance windows')
    .option('--all', 'include completed and cancelled windows')
    .addOption(outputOption())
    .action(async (opts: Output & { all?: boolean }, command: Command) => {
      const app = await ctx.app(command);
      const windows = await app.store().incidents.listMaintenance(opts.all ? {} : { status: ['scheduled', 'in_progress'] });
      if (opts.output === 'json') return printJson(ctx.io, windows);
      if (windows.length === 0) return ctx.io.out('no maintenance windows');
      ctx.io.out(renderTable(HEAD, windows.map(row)));
    });

  maintenance
    .command('cancel')
    .description('cancel a scheduled or running window')
    .argument('<id>', 'window id, e.g. MNT-3')
    .option('--reason <text>', 'why (required)')
    .option('--actor <name>', 'who you are')
    .addOption(outputOption())
    .action(async (id: string, opts: Output & { reason?: string; actor?: string }, command: Command) => {
      if (!opts.reason?.trim()) throw new ConfigError([{ file: 'argument --reason', path: '', message: 'say why; it is posted with the cancellation' }]);
      const runtime = await runtimeOf(ctx, command);
      const { cancelMaintenance } = await import('../../incidents/maintenance.js');
      const window = await cancelMaintenance(runtime, id.toUpperCase(), { actor: actorOf(ctx, opts.actor), reason: opts.reason });
      await finish(ctx, runtime, window, opts.output === 'json');
    });

  return maintenance;
}

async function finish(ctx: CommandContext, runtime: IncidentRuntime, window: MaintenanceWindow, json: boolean): Promise<void> {
  const { deliver } = await import('../../incidents/runtime.js');
  const delivery = await deliver(runtime);
  if (json) return printJson(ctx.io, { maintenance: window, delivery });
  ctx.io.out(renderTable(HEAD, [row(window)]));
  printDelivery(ctx, delivery);
}
