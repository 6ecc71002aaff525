import { Command, Option } from 'commander';
import type { App } from '../../app.js';
import { ConfigError, type Problem } from '../../core/errors.js';
import type { DispatchOutcome } from '../../incidents/dispatcher.js';
import type { IncidentRuntime } from '../../incidents/runtime.js';
import { deadlines } from '../../incidents/sla.js';
import { INCIDENT_SEVERITIES, SLA_CLOCKS, type Incident, type TimelineEntry } from '../../incidents/types.js';
import type { ActionRequest } from '../../incidents/transitions.js';
import type { OutboxRecord, StoredIncident } from '../../store/incident-types.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';

type Output = { output: 'table' | 'json' };

/** Who is acting: `--actor`, else VIGIL_ACTOR, else the login name. Recorded in the timeline. */
export function actorOf(ctx: CommandContext, flag: string | undefined): string {
  return flag?.trim() || ctx.env['VIGIL_ACTOR'] || ctx.env['USER'] || ctx.env['LOGNAME'] || 'cli';
}

function requireReason(reason: string | undefined, flag = '--reason'): Problem[] {
  return reason?.trim() ? [] : [{ file: `argument ${flag}`, path: '', message: 'say why; it is recorded in the timeline with your name' }];
}

function list(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function runtimeOf(ctx: CommandContext, command: Command): Promise<IncidentRuntime> {
  const { incidentRuntime } = await import('../../incidents/runtime.js');
  return incidentRuntime(await ctx.app(command));
}

/** Tells the channels now; what cannot be delivered now stays in the outbox for `vigil serve`. */
async function deliverNow(ctx: CommandContext, runtime: IncidentRuntime, json: boolean): Promise<DispatchOutcome> {
  const { deliver } = await import('../../incidents/runtime.js');
  const outcome = await deliver(runtime);
  if (!json) printDelivery(ctx, outcome);
  return outcome;
}

/**
 * After a command that may have raised signals (a drill run, a check run): route them into incidents and
 * tell the channels now, so a failed drill pages at once rather than at the service's next pass.
 */
export async function handOffSignals(ctx: CommandContext, app: App): Promise<void> {
  const { incidentRuntime, deliver } = await import('../../incidents/runtime.js');
  const { routeSignals } = await import('../../incidents/service.js');
  const runtime = await incidentRuntime(app);
  for (const r of await routeSignals(runtime)) {
    if (r.action === 'open' || r.action === 'clear') ctx.io.err(`incident ${r.incidentId}: ${r.action === 'open' ? 'opened' : 'signal cleared'} (${r.explanation})`);
  }
  printDelivery(ctx, await deliver(runtime));
}

export function printDelivery(ctx: CommandContext, outcome: DispatchOutcome): void {
  for (const d of outcome.delivered) ctx.io.err(`delivered ${d.id}`);
  for (const r of outcome.retrying) ctx.io.err(`will retry ${r.id} at ${r.nextAttemptAt}: ${r.error}`);
  for (const f of outcome.failed) ctx.io.err(`NOT delivered ${f.id}: ${f.error} (fix it, then \`vigil incident outbox --retry\`)`);
}

function summary(i: Incident): string {
  return `${i.id} ${i.severity} ${i.state}${i.commander ? ` (commander ${i.commander})` : ''}: ${i.title}`;
}

const ACTIONS: Array<{ name: ActionRequest['action']; description: string }> = [
  { name: 'ack', description: 'acknowledge: work has begun (stops the work-begins clock); --commander names who leads' },
  { name: 'update', description: 'add an update to the timeline and the channels (--reason is the update)' },
  { name: 'mitigate', description: 'a temporary solution is in place (stops the temporary-solution clock)' },
  { name: 'monitor', description: 'the fix is in; watch before resolving' },
  { name: 'resolve', description: 'the final resolution (stops the last clock)' },
  { name: 'reopen', description: 'the fix did not hold' },
];

export function incidentCommand(ctx: CommandContext): Command {
  const incident = new Command('incident').description('incidents: severity by the seeds\' table, SLA clocks, paging, Slack and status-page updates');

  incident
    .command('open')
    .description('open an incident: give --severity with --reason, or answer the questions (--unavailable, --degraded, --non-essential, --cosmetic)')
    .requiredOption('--title <text>', 'what is wrong, in a line')
    .option('--components <list>', 'affected components, comma-separated (status-page component names)')
    .addOption(new Option('--severity <sev>', 'sev1-sev4').argParser((v) => v))
    .option('--unavailable', 'the service is not available or is unusable (Sev1)')
    .option('--degraded', 'service or performance is substantially degraded, preventing normal use (Sev2)')
    .option('--non-essential', 'a service not essential to main functionality is unavailable or degraded (Sev3)')
    .option('--cosmetic', 'a minor or cosmetic issue, or a feature request (Sev4)')
    .option('--commander <name>', 'who leads the response')
    .option('--public-title <text>', 'what the public status pages call it, when --title is internal')
    .option('--investigating', 'work has already begun')
    .option('--reason <text>', 'why you are opening it (required)')
    .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
    .addOption(outputOption())
    .action(async (opts: Output & { title: string; components?: string; severity?: string; unavailable?: boolean; degraded?: boolean; nonEssential?: boolean; cosmetic?: boolean; commander?: string; publicTitle?: string; investigating?: boolean; reason?: string; actor?: string }, command: Command) => {
      const answered = opts.unavailable || opts.degraded || opts.nonEssential || opts.cosmetic;
      const problems = requireReason(opts.reason);
      if (opts.severity === undefined && !answered) problems.push({ file: 'arguments', path: '', message: 'give --severity sev1-sev4, or answer one of --unavailable, --degraded, --non-essential, --cosmetic' });
      if (problems.length > 0) throw new ConfigError(problems);
      const runtime = await runtimeOf(ctx, command);
      const { openManually } = await import('../../incidents/service.js');
      const stored = await openManually(runtime, {
        title: opts.title,
        components: list(opts.components),
        ...(opts.severity !== undefined ? { severity: opts.severity } : {}),
        ...(answered
          ? { answers: { unavailable: Boolean(opts.unavailable), substantiallyDegraded: Boolean(opts.degraded), nonEssentialDegraded: Boolean(opts.nonEssential), cosmetic: Boolean(opts.cosmetic) } }
          : {}),
        ...(opts.commander ? { commander: opts.commander } : {}),
        ...(opts.publicTitle ? { publicTitle: opts.publicTitle } : {}),
        investigating: Boolean(opts.investigating),
        actor: actorOf(ctx, opts.actor),
        reason: opts.reason as string,
      });
      await reportChange(ctx, runtime, stored, opts.output === 'json');
    });

  for (const action of ACTIONS) {
    const sub = incident
      .command(action.name)
      .description(action.description)
      .argument('<id>', 'incident id, e.g. INC-7')
      .option('--reason <text>', action.name === 'update' ? 'the update (required)' : 'why (required)')
      .option('--actor <name>', 'who you are (default: $VIGIL_ACTOR or $USER)')
      .addOption(outputOption());
    if (action.name === 'ack') sub.option('--commander <name>', 'who leads (default: you)');
    sub.action(async (id: string, opts: Output & { reason?: string; actor?: string; commander?: string }, command: Command) => {
      const problems = requireReason(opts.reason);
      if (problems.length > 0) throw new ConfigError(problems);
      const runtime = await runtimeOf(ctx, command);
      const { act } = await import('../../incidents/service.js');
      const request = (action.name === 'ack' && opts.commander ? { action: 'ack', commander: opts.commander } : { action: action.name }) as ActionRequest;
      const stored = await act(runtime, id.toUpperCase(), request, { actor: actorOf(ctx, opts.actor), reason: opts.reason as string });
      await reportChange(ctx, runtime, stored, opts.output === 'json');
    });
  }

  incident
    .command('reclassify')
    .description('change the severity; the clocks re-base on the new severity\'s targets from the report time')
    .argument('<id>', 'incident id')
    .requiredOption('--severity <sev>', `one of ${INCIDENT_SEVERITIES.join(', ')}`)
    .option('--reason <text>', 'why (required)')
    .option('--actor <name>', 'who you are')
    .addOption(outputOption())
    .action(async (id: string, opts: Output & { severity: string; reason?: string; actor?: string }, command: Command) => {
      const { parseSeverity } = await import('../../incidents/classify.js');
      const problems = requireReason(opts.reason);
      let severity;
      try {
        severity = parseSeverity(opts.severity, 'argument --severity', '');
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        problems.push(...err.problems);
      }
      if (problems.length > 0 || !severity) throw new ConfigError(problems);
      const runtime = await runtimeOf(ctx, command);
      const { act } = await import('../../incidents/service.js');
      const stored = await act(runtime, id.toUpperCase(), { action: 'reclassify', severity }, { actor: actorOf(ctx, opts.actor), reason: opts.reason as string });
      await reportChange(ctx, runtime, stored, opts.output === 'json');
    });

  incident
    .command('approve')
    .description('let the status-page posts held for approval go out')
    .argument('<id>', 'incident id')
    .option('--reason <text>', 'why (required)')
    .option('--actor <name>', 'who you are')
    .addOption(outputOption())
    .action(async (id: string, opts: Output & { reason?: string; actor?: string }, command: Command) => {
      const problems = requireReason(opts.reason);
      if (problems.length > 0) throw new ConfigError(problems);
      const runtime = await runtimeOf(ctx, command);
      const { approveStatusPage } = await import('../../incidents/service.js');
      const { stored, released } = await approveStatusPage(runtime, id.toUpperCase(), { actor: actorOf(ctx, opts.actor), reason: opts.reason as string });
      if (opts.output !== 'json') ctx.io.out(`${stored.incident.id}: ${released} status-page post(s) released`);
      const delivery = await deliverNow(ctx, runtime, opts.output === 'json');
      if (opts.output === 'json') printJson(ctx.io, { incident: stored.incident, released, delivery });
    });

  incident
    .command('list')
    .description('incidents, newest first')
    .option('--all', 'include resolved incidents')
    .option('--severity <sev>', 'only this severity')
    .option('--limit <n>', 'at most this many', '50')
    .addOption(outputOption())
    .action(async (opts: Output & { all?: boolean; severity?: string; limit: string }, command: Command) => {
      const { parseSeverity } = await import('../../incidents/classify.js');
      const severity = opts.severity ? parseSeverity(opts.severity, 'argument --severity', '') : undefined;
      const app = await ctx.app(command);
      const stored = await app.store().incidents.listIncidents({ ...(opts.all ? {} : { open: true }), ...(severity ? { severity } : {}), limit: Number(opts.limit) || 50 });
      if (opts.output === 'json') return printJson(ctx.io, stored.map((s) => s.incident));
      if (stored.length === 0) return ctx.io.out(opts.all ? 'no incidents' : 'no open incidents');
      ctx.io.out(
        renderTable(
          ['id', 'severity', 'state', 'title', 'components', 'commander', 'reported'],
          stored.map(({ incident: i }) => [i.id, i.severity, i.state, i.title, i.components.join(', '), i.commander, i.reportedAt]),
        ),
      );
    });

  incident
    .command('show')
    .description('one incident: clocks, timeline with actor and reason, deliveries')
    .argument('<id>', 'incident id')
    .addOption(outputOption())
    .action(async (id: string, opts: Output, command: Command) => {
      const runtime = await runtimeOf(ctx, command);
      const stored = await load(runtime, id);
      const clocks = deadlines(stored.incident, runtime.settings.policy, runtime.clock);
      const outbox = await runtime.store.listOutbox({ subjectId: stored.incident.id });
      const sla = await runtime.store.slaEvents(stored.incident.id);
      if (opts.output === 'json') return printJson(ctx.io, { incident: stored.incident, clocks, slaEvents: sla, deliveries: outbox.map(deliveryView) });
      const i = stored.incident;
      ctx.io.out(summary(i));
      ctx.io.out(`reported ${i.reportedAt}; components: ${i.components.join(', ') || '-'}`);
      for (const link of i.links ?? []) ctx.io.out(`${link.text}: ${link.href}`);
      ctx.io.out(clockTable(clocks, runtime.clock.now()));
      ctx.io.out(renderTable(['at', 'actor', 'change', 'reason'], i.timeline.map((e) => [e.at, e.actor, describeChange(e), e.reason])));
      if (outbox.length > 0) ctx.io.out(renderTable(['delivery', 'status', 'attempts', 'error'], outbox.map((o) => [o.id, o.status, o.attempts, o.lastError])));
    });

  incident
    .command('sla')
    .description('the SLA clocks of open incidents (or one), with warnings and breaches so far')
    .argument('[id]', 'incident id')
    .addOption(outputOption())
    .action(async (id: string | undefined, opts: Output, command: Command) => {
      const runtime = await runtimeOf(ctx, command);
      const incidents = id ? [await load(runtime, id)] : await runtime.store.listIncidents({ open: true });
      const now = runtime.clock.now();
      const rows = [];
      for (const { incident: i } of incidents) {
        rows.push({ incident: i.id, severity: i.severity, state: i.state, clocks: deadlines(i, runtime.settings.policy, runtime.clock), events: await runtime.store.slaEvents(i.id) });
      }
      if (opts.output === 'json') return printJson(ctx.io, rows);
      if (rows.length === 0) return ctx.io.out('no open incidents');
      const table: Array<Array<string | undefined>> = [];
      for (const r of rows) {
        for (const name of SLA_CLOCKS) {
          const c = r.clocks[name];
          const warned = r.events.filter((e) => e.clock === name && e.severity === r.severity).map((e) => `${Math.round(e.threshold * 100)}%`);
          table.push([r.incident, r.severity, name, c.status, c.dueAt ?? 'at discretion', c.dueAt ? remaining(c.dueAt, c.metAt, now) : '', warned.join(' ')]);
        }
      }
      ctx.io.out(renderTable(['incident', 'severity', 'clock', 'status', 'due', 'left', 'fired'], table));
    });

  incident
    .command('outbox')
    .description('what is waiting to be delivered to PagerDuty, Slack and the status page; --retry requeues failed messages')
    .option('--status <status>', 'pending, held, delivered or failed')
    .option('--retry [ids...]', 'requeue failed messages (all failed when no id is given) and deliver now')
    .addOption(outputOption())
    .action(async (opts: Output & { status?: string; retry?: string[] | boolean }, command: Command) => {
      const statuses = ['pending', 'held', 'delivered', 'failed'];
      if (opts.status && !statuses.includes(opts.status)) throw new ConfigError([{ file: 'argument --status', path: '', message: `expected one of ${statuses.join(', ')}` }]);
      const runtime = await runtimeOf(ctx, command);
      if (opts.retry) {
        const ids = Array.isArray(opts.retry) ? opts.retry : (await runtime.store.listOutbox({ status: 'failed' })).map((o) => o.id);
        const requeued = await runtime.store.outboxRequeue(ids, runtime.clock.now().toISOString());
        ctx.io.err(`requeued ${requeued} message(s)`);
        await deliverNow(ctx, runtime, opts.output === 'json');
      }
      const rows = await runtime.store.listOutbox(opts.status ? { status: opts.status as OutboxRecord['status'] } : {});
      const shown = opts.status ? rows : rows.filter((o) => o.status !== 'delivered');
      if (opts.output === 'json') return printJson(ctx.io, shown.map(deliveryView));
      if (shown.length === 0) return ctx.io.out('nothing waiting');
      ctx.io.out(renderTable(['delivery', 'status', 'attempts', 'next attempt', 'error'], shown.map((o) => [o.id, o.status, o.attempts, o.status === 'pending' ? o.nextAttemptAt : '', o.lastError])));
    });

  incident
    .command('process')
    .description('one pass of what `vigil serve` does every minute: route new signals, sweep SLA clocks and maintenance windows, deliver the outbox')
    .addOption(outputOption())
    .action(async (opts: Output, command: Command) => {
      const runtime = await runtimeOf(ctx, command);
      const { processIncidents } = await import('../../incidents/runtime.js');
      const outcome = await processIncidents(runtime);
      if (opts.output === 'json') return printJson(ctx.io, outcome);
      for (const o of outcome.probes.observations) ctx.io.out(`probe ${o.probe}: ${o.outcome}${o.muted ? ' (maintenance)' : ''}${o.error ? ` - ${o.error}` : ''}`);
      for (const r of outcome.routed) ctx.io.out(`signal ${r.signalId}: ${r.action}${r.incidentId ? ` ${r.incidentId}` : ''} (${r.explanation})`);
      for (const e of outcome.sweep.slaEvents) ctx.io.out(`${e.incidentId}: SLA ${e.kind} ${e.clock} ${Math.round(e.threshold * 100)}% (due ${e.dueAt})`);
      for (const id of outcome.sweep.autoResolved) ctx.io.out(`${id}: resolved by rule`);
      for (const m of outcome.maintenance) ctx.io.out(`${m.id}: ${m.event}`);
      printDelivery(ctx, outcome.delivery);
    });

  return incident;
}

async function load(runtime: IncidentRuntime, id: string): Promise<StoredIncident> {
  const stored = await runtime.store.getIncident(id);
  if (!stored) throw new ConfigError([{ file: 'argument <id>', path: '', message: `no incident ${id}; \`vigil incident list --all\` shows them` }]);
  return stored;
}

async function reportChange(ctx: CommandContext, runtime: IncidentRuntime, stored: StoredIncident, json: boolean): Promise<void> {
  if (!json) ctx.io.out(summary(stored.incident));
  const delivery = await deliverNow(ctx, runtime, json);
  if (json) printJson(ctx.io, { incident: stored.incident, delivery });
}

function deliveryView(o: OutboxRecord) {
  return { id: o.id, channel: o.channel, event: o.notification.event, status: o.status, attempts: o.attempts, nextAttemptAt: o.nextAttemptAt, deliveredAt: o.deliveredAt, lastError: o.lastError };
}

function describeChange(e: TimelineEntry): string {
  const c = e.change;
  switch (c.kind) {
    case 'opened':
      return `opened ${c.severity} (${c.state})`;
    case 'state':
      return `${c.action}: ${c.from} -> ${c.to}`;
    case 'note':
      return 'update';
    case 'severity':
      return `severity ${c.from} -> ${c.to}`;
    case 'commander':
      return `commander ${c.to}`;
    case 'signal':
      return `signal ${c.key}${c.cleared ? ' cleared' : ''}`;
    case 'approval':
      return `approved ${c.released} ${c.channel} post(s)`;
  }
}

function clockTable(clocks: ReturnType<typeof deadlines>, now: Date): string {
  return renderTable(
    ['clock', 'status', 'due', 'left'],
    SLA_CLOCKS.map((name) => {
      const c = clocks[name];
      return [name, c.status, c.dueAt ?? 'at discretion', c.dueAt ? remaining(c.dueAt, c.metAt, now) : ''];
    }),
  );
}

function remaining(dueAt: string, metAt: string | undefined, now: Date): string {
  if (metAt) return `met ${metAt}`;
  const ms = Date.parse(dueAt) - now.getTime();
  const text = formatDuration(Math.abs(ms));
  return ms >= 0 ? text : `overdue ${text}`;
}

function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}
