import { Command, InvalidArgumentError } from 'commander';
import type { ClusterStatus, LeaseStatus, ReplicaStatus } from '../../service/cluster-status.js';
import type { CommandContext } from '../context.js';
import { outputOption, printJson, renderTable } from '../output.js';

type Options = { output: 'table' | 'json'; recent: number };

/** `12 s`, `3 min`, `2 h`, `5 d`: an age a person reads at a glance. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

function secondsBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 1000);
}

function replicaRow(r: ReplicaStatus): string[] {
  return [r.id, r.state, `${r.pid}@${r.host}`, r.version, `${formatAge(r.heartbeatAgeSeconds)} ago`, String(r.holding), r.startedAt];
}

/** When a held lease ends: `in 25 s`, or how long ago it expired (its holder stopped heartbeating). */
function leaseEnd(l: LeaseStatus, at: string): string {
  if (!l.expiresAt) return '';
  const seconds = secondsBetween(at, l.expiresAt);
  return l.expired ? `expired ${formatAge(-seconds)} ago` : `in ${formatAge(seconds)}`;
}

function heldRow(l: LeaseStatus, at: string): string[] {
  return [l.key, l.kind, l.owner ?? '', l.claimedAt ? `${formatAge(Math.max(0, secondsBetween(l.claimedAt, at)))} ago` : '', leaseEnd(l, at), l.takenOver ? `yes, from ${l.previousOwner ?? 'an earlier holder'}` : 'no'];
}

function waitingRow(l: LeaseStatus): string[] {
  return [l.key, l.kind, l.owner ?? '', l.outcome ?? '', l.finishedAt ?? ''];
}

function recentRow(l: LeaseStatus): string[] {
  return [l.key, l.kind, l.owner ?? '', l.outcome ?? '', l.finishedAt ?? '', l.takenOver ? `yes, from ${l.previousOwner ?? 'an earlier holder'}` : 'no'];
}

function printStatus(ctx: CommandContext, status: ClusterStatus): void {
  const s = status.settings;
  ctx.io.out(
    `store: ${status.store}` +
      (s ? `; lease timeout ${s.leaseTimeoutMs / 1000} s, heartbeat every ${s.heartbeatIntervalMs / 1000} s${s.replicaId ? `; this config's replica id: ${s.replicaId}` : ''}` : '; one process (no service.cluster): no replicas, no leases'),
  );
  ctx.io.out('');
  if (status.replicas.length === 0) ctx.io.out('replicas: none has registered (`vigil serve` registers one when it starts)');
  else ctx.io.out(renderTable(['replica', 'state', 'process', 'version', 'heartbeat', 'holding', 'started'], status.replicas.map(replicaRow)));
  ctx.io.out('');
  if (status.held.length === 0) ctx.io.out('held: nothing');
  else ctx.io.out(renderTable(['held', 'kind', 'by', 'claimed', 'lease ends', 'taken over'], status.held.map((l) => heldRow(l, status.at))));
  if (status.waiting.length > 0) {
    ctx.io.out('');
    ctx.io.out(renderTable(['waiting for a replica', 'kind', 'given back by', 'why', 'since'], status.waiting.map(waitingRow)));
  }
  ctx.io.out('');
  if (status.recent.length === 0) ctx.io.out('finished: nothing yet');
  else ctx.io.out(renderTable(['finished', 'kind', 'by', 'outcome', 'at', 'taken over'], status.recent.map(recentRow)));
}

/** `--recent`, as the other commands' counts are parsed: commander names the flag and the value at fault. */
function recentCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError(`expected a whole number from 0 to 1000, got "${value}"`);
  return n;
}

export function clusterCommand(ctx: CommandContext): Command {
  const cluster = new Command('cluster').description('the `vigil serve` replicas sharing this config\'s database, and the work they hold');

  cluster
    .command('status')
    .description('replicas (live, expired, stopped) with their heartbeats, the leases held and by whom, work waiting for a taker, and recent finished work')
    .option('--recent <n>', 'how many finished items to show (0 to 1000)', recentCount, 20)
    .addOption(outputOption())
    .action(async (opts: Options, command: Command) => {
      const { clusterStatus } = await import('../../service/cluster-status.js');
      const { clusterSettingsOf } = await import('../../service/serve.js');
      const app = await ctx.app(command);
      const store = app.store();
      if (!store.cluster) throw new Error(`the ${store.kind} store has no cluster store`);
      const settings = clusterSettingsOf(app, store);
      // The replica id a replica would take by default is this command's own pid@host: not worth showing.
      const shown = settings ? { leaseTimeoutMs: settings.leaseTimeoutMs, heartbeatIntervalMs: settings.heartbeatIntervalMs, ...(app.config.service.cluster?.replicaId ? { replicaId: app.config.service.cluster.replicaId } : {}) } : undefined;
      const status = await clusterStatus(store.cluster, { store: store.kind, now: app.clock.now(), recent: opts.recent, ...(shown ? { settings: shown } : {}) });
      if (opts.output === 'json') return printJson(ctx.io, status);
      printStatus(ctx, status);
    });

  return cluster;
}
