import { Command } from 'commander';
import { DAY_MS } from '../../core/clock.js';
import { ConfigError } from '../../core/errors.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';
import { printDelivery } from './incident.js';

type Output = { output: 'table' | 'json' };

export function probeCommand(ctx: CommandContext): Command {
  const probe = new Command('probe').description('HTTP probes of the public endpoints: component status on the status page, daily uptime, probe-failed signals');

  probe
    .command('run')
    .description('probe every endpoint now (not only those due), hand signals and component changes to the incident pipeline, deliver')
    .addOption(outputOption())
    .action(async (opts: Output, command: Command) => {
      const { incidentRuntime, runProbes, deliver } = await import('../../incidents/runtime.js');
      const { routeSignals } = await import('../../incidents/service.js');
      const runtime = await incidentRuntime(await ctx.app(command));
      if (runtime.probes.length === 0) throw new ConfigError([{ file: 'vigil.config.yaml', path: 'probes', message: 'no probes are configured' }]);
      // Forget when each probe last ran, so all of them are due now.
      for (const p of runtime.probes) {
        const state = await runtime.probeStore.load(p.name);
        if (state) {
          const { lastObservedAt: _last, ...rest } = state;
          await runtime.probeStore.save(p.name, rest);
        }
      }
      const result = await runProbes(runtime);
      const routed = await routeSignals(runtime);
      const delivery = await deliver(runtime);
      if (opts.output === 'json') return printJson(ctx.io, { ...result, routed, delivery });
      ctx.io.out(
        renderTable(
          ['probe', 'outcome', 'status', 'latency', 'note'],
          result.observations.map((o) => [o.probe, o.outcome + (o.muted ? ' (maintenance)' : ''), o.httpStatus, `${o.latencyMs} ms`, o.error]),
        ),
      );
      for (const r of routed) ctx.io.out(`signal ${r.signalId}: ${r.action}${r.incidentId ? ` ${r.incidentId}` : ''}`);
      printDelivery(ctx, delivery);
      ctx.exitCode = result.observations.every((o) => o.ok || o.muted) ? 0 : 1;
    });

  probe
    .command('uptime')
    .description('daily uptime per probe (maintenance excluded)')
    .option('--days <n>', 'how many days back', '7')
    .option('--time-zone <zone>', 'IANA zone the days are counted in', 'UTC')
    .addOption(outputOption())
    .action(async (opts: Output & { days: string; timeZone: string }, command: Command) => {
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 400) throw new ConfigError([{ file: 'argument --days', path: '', message: 'expected a whole number of days from 1 to 400' }]);
      const { dailyUptime } = await import('../../incidents/probes.js');
      const app = await ctx.app(command);
      const since = new Date(app.clock.now().getTime() - days * DAY_MS).toISOString();
      const rows = dailyUptime(await app.store().probes.observations(since), opts.timeZone);
      if (opts.output === 'json') return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('no probe observations yet; `vigil probe run` or `vigil serve` records them');
      ctx.io.out(renderTable(['probe', 'day', 'checks', 'up', 'degraded', 'down', 'maintenance', 'uptime'], rows.map((r) => [r.probe, r.day, r.checks, r.up, r.degraded, r.down, r.muted, r.uptimePercent === null ? '-' : `${r.uptimePercent.toFixed(3)}%`])));
    });

  return probe;
}
