import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';

type Options = { output: 'table' | 'json'; schedules?: string };

const schedulesOption = () => new Option('--schedules <dir>', 'directory of schedule files (default: the schedules/ Vigil ships)');

/** `2026-03-08 03:00 EDT`: a time as the schedule's own zone reads it. */
export function formatInZone(iso: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(new Date(iso));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${part('timeZoneName')}`;
}

export function scheduleCommand(ctx: CommandContext): Command {
  const schedule = new Command('schedule').description('the schedules `vigil serve` runs: which job, when, and with what catch-up rule');

  schedule
    .command('list')
    .description('each schedule with its job, cron and zone, next run, window rule, and last run from the store')
    .addOption(schedulesOption())
    .addOption(outputOption())
    .action(async (opts: Options, command: Command) => {
      const { loadProjectSchedules } = await import('../../service/schedules.js');
      const { scheduleStatuses } = await import('../../service/scheduler.js');
      const app = await ctx.app(command);
      const now = app.clock.now();
      const schedules = await loadProjectSchedules({ dir: opts.schedules ? resolve(opts.schedules) : undefined, now });
      const statuses = await scheduleStatuses(schedules, app.store(), now);
      if (opts.output === 'json') return printJson(ctx.io, statuses);
      if (statuses.length === 0) return ctx.io.out('no schedules');
      ctx.io.out(
        renderTable(
          ['schedule', 'job', 'cron', 'next run', 'window', 'last run'],
          statuses.map((s) => [
            s.name,
            s.jobText,
            `${s.cron} ${s.timeZone}`,
            s.nextRunAt ? formatInZone(s.nextRunAt, s.timeZone) : 'disabled',
            s.window ? `success within ${s.window.successWithin}${s.window.dueNow ? ': due now' : s.window.dueAt ? `: due ${formatInZone(s.window.dueAt, s.timeZone)}` : ': catch-up tried; next cron'}` : '',
            s.lastRun ? `${s.lastRun.status} ${formatInZone(s.lastRun.startedAt, s.timeZone)}${s.lastRun.trigger === 'catch-up' ? ' (catch-up)' : ''}` : 'never',
          ]),
        ),
      );
    });

  schedule
    .command('check')
    .description('validate the schedule files strictly, with every reference resolved; exit 2 on any problem')
    .addOption(schedulesOption())
    .addOption(outputOption())
    .action(async (opts: Options) => {
      const { describeJob, loadProjectSchedules } = await import('../../service/schedules.js');
      const schedules = await loadProjectSchedules({ dir: opts.schedules ? resolve(opts.schedules) : undefined });
      if (opts.output === 'json') return printJson(ctx.io, schedules);
      ctx.io.out(renderTable(['schedule', 'job', 'cron', 'window', 'file'], schedules.map((s) => [s.name + (s.enabled ? '' : ' (disabled)'), describeJob(s.job), `${s.cron} ${s.timeZone}`, s.ensure ? `success within ${s.ensure.successWithin}` : '', s.file])));
      ctx.io.out(`${schedules.length} schedule${schedules.length === 1 ? '' : 's'}, no problems`);
    });

  return schedule;
}
