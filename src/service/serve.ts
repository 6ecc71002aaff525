/**
 * `vigil serve`: one long-running process. At start it sweeps what crashed drills left behind, loads
 * the schedules, checks and drills (a broken file stops it before anything runs), serves the API, the
 * metrics and the web pages, and runs the schedules. Stopping (SIGTERM) stops taking work, aborts
 * running jobs so drills tear down, waits up to the grace period, and closes the server and the store.
 *
 * On PostgreSQL (or with `service.cluster` set) the process is one replica of several: it registers and
 * heartbeats, claims each scheduled occurrence before running it, routes signals and sweeps SLA clocks
 * under a lock the replicas share, and reports not-ready while it cannot reach the database.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { App } from '../app.js';
import { resolveSelection } from '../checks/run.js';
import { DEFAULT_CLUSTER } from '../config/cluster.js';
import { ConfigError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { sweepDrillOrphans } from '../drills/wiring.js';
import type { BundleManifest } from '../evidence/bundle.js';
import { vigilVersion } from '../evidence/wiring.js';
import { incidentRuntime, type IncidentRuntime } from '../incidents/runtime.js';
import { storeReady } from '../store/open.js';
import type { RunRecord, Store } from '../store/types.js';
import { defaultReplicaId, Replica, type ClusterSettings } from './cluster.js';
import { replicaUnitLeases, ScanWorker } from './scan-worker.js';
import type { Job } from './schedules.js';
import { loadProjectSchedules, type Schedule } from './schedules.js';
import { createServiceMetrics, type ServiceMetrics } from './http/metrics.js';
import { buildServer, type CheckRunSelection, type DrillRunSelection, type Requester, type ScheduleView, type WorkAccepted } from './http/server.js';
import { checkRunDeps, createJobRunner, jobSignal, loadJobDefinitions, runJob, type JobDeps } from './jobs.js';
import { Scheduler, scheduleStatuses } from './scheduler.js';
import { webRenderer } from './web/render.js';
import { webRoutes } from './web/routes.js';
import { UptimeCache } from './web/uptime.js';

export interface ServeOptions {
  host?: string;
  port?: number;
  schedulesDir?: string;
}

export interface RunningService {
  /** `http://host:port` */
  url: string;
  server: FastifyInstance;
  scheduler: Scheduler;
  schedules: Schedule[];
  /** This process as one of several replicas on one database; absent for a single SQLite process. */
  replica?: Replica;
  /** Stops taking work, lets running jobs finish or abort within the grace period, closes everything. */
  stop(): Promise<void>;
}

/**
 * The replica settings when several `vigil serve` may share the store: always on PostgreSQL, and on SQLite
 * when `service.cluster` asks for it (processes on one host sharing the file). Undefined otherwise.
 */
export function clusterSettingsOf(app: App, store: Store): ClusterSettings | undefined {
  const configured = app.config.service.cluster;
  if (!configured && store.kind !== 'postgres') return undefined;
  return {
    replicaId: configured?.replicaId ?? defaultReplicaId(),
    leaseTimeoutMs: configured?.leaseTimeoutMs ?? DEFAULT_CLUSTER.leaseTimeoutMs,
    heartbeatIntervalMs: configured?.heartbeatIntervalMs ?? DEFAULT_CLUSTER.heartbeatIntervalMs,
  };
}

export async function startService(app: App, options: ServeOptions = {}): Promise<RunningService> {
  const log = app.logger.child({ component: 'serve' });
  // A database that cannot be used stops the start here (exit 2), before anything is claimed.
  const store = await storeReady(app.store());
  const definitions = loadJobDefinitions();
  const schedules = await loadProjectSchedules(options.schedulesDir ? { dir: options.schedulesDir } : {});
  const replica = await joinCluster(app, store, schedules);
  try {
    return await startReplica(app, options, { log, store, definitions, schedules, replica });
  } catch (err) {
    await replica?.leave();
    throw err;
  }
}

/** How the scheduled check runs of this replica are spread: units offered to all, looked at twice a heartbeat. */
function scanUnitsOf(replica: Replica, app: App): NonNullable<JobDeps['scanUnits']> {
  return { leases: replicaUnitLeases(replica), unitsInFlight: app.config.service.cluster?.scanUnitsInFlight ?? DEFAULT_CLUSTER.scanUnitsInFlight, pollMs: Math.max(250, Math.round(replica.settings.heartbeatIntervalMs / 2)) };
}

async function joinCluster(app: App, store: Store, schedules: Schedule[]): Promise<Replica | undefined> {
  const settings = clusterSettingsOf(app, store);
  if (!settings) return undefined;
  if (!store.cluster) throw new Error(`the ${store.kind} store has no cluster store`);
  const replica = new Replica({
    store: store.cluster,
    clock: app.clock,
    settings,
    version: vigilVersion(),
    log: app.logger.child({ component: 'cluster' }),
    configFile: app.loaded.file,
    detail: { schedules: schedules.filter((s) => s.enabled).map((s) => s.name) },
  });
  await replica.join();
  return replica;
}

async function startReplica(
  app: App,
  options: ServeOptions,
  parts: { log: App['logger']; store: Store; definitions: ReturnType<typeof loadJobDefinitions>; schedules: Schedule[]; replica: Replica | undefined },
): Promise<RunningService> {
  const { log, store, definitions, schedules, replica } = parts;
  const runtime = await incidentRuntime(app, replica ? { owner: replica.id, exclusive: (name, work) => replica.exclusive(name, work) } : {});
  const renderer = webRenderer();

  const swept = await sweepDrillOrphans(app, definitions.drills);
  for (const d of swept.deleted) log.warn({ resource: d.resource, account: d.accountId, region: d.region, drill: d.drillId }, 'swept a resource left by a crashed drill');
  for (const e of swept.errors) log.warn({ account: e.accountId, region: e.region, reason: e.reason }, 'the orphan sweep could not look');

  const metrics = createServiceMetrics({ store, ...(replica ? { replica } : {}) });
  const jobDeps: JobDeps = { app, runtime, ...definitions, ...(replica ? { replicaId: replica.id, scanUnits: scanUnitsOf(replica, app) } : {}) };
  // With replicas, each one works the scan units the others offer, at every heartbeat.
  const unitsInFlight = app.config.service.cluster?.scanUnitsInFlight ?? DEFAULT_CLUSTER.scanUnitsInFlight;
  const scanWorker = replica ? new ScanWorker(replica, () => checkRunDeps(jobDeps), { unitsInFlight, log: app.logger.child({ component: 'scan-worker' }) }) : undefined;
  if (scanWorker) replica?.onBeat(() => void scanWorker.poke());
  const scheduler = new Scheduler({
    schedules,
    store,
    clock: app.clock,
    runner: createJobRunner(jobDeps),
    log: app.logger.child({ component: 'scheduler' }),
    onFinished: (run, schedule) => onJobFinished(runtime, metrics, run, schedule),
    ...(replica ? { replica } : {}),
  });
  const adhoc = new AdhocWork(jobDeps);

  let ready = false;
  const server = buildServer({
    store,
    clock: app.clock,
    logger: app.logger,
    incidents: runtime,
    metrics,
    schedules: async () => scheduleViews(schedules, app),
    requestCheckRun: (selection, who) => adhoc.checks(selection, who),
    requestDrillRun: (selection, who) => adhoc.drills(selection, who),
    reports: async () => listReportBundles(app.dataDir),
    report: async (id) => readReportBundle(app.dataDir, id),
    ready: () => ready,
    notReadyReasons: () => replica?.notReadyReasons() ?? [],
  });
  const uptime = new UptimeCache();
  webRoutes(server, {
    store,
    clock: app.clock,
    renderer,
    policy: runtime.settings.policy,
    secureCookie: app.config.service.secureCookie,
    statusPage: {
      title: app.config.service.statusPageTitle,
      components: app.config.service.components,
      probes: app.config.probes.map((p) => ({ name: p.name, component: p.component, intervalMs: p.intervalMs })),
      requireApproval: runtime.settings.statuspageApproval,
      uptime,
    },
    schedules: async () =>
      (await scheduleStatuses(schedules, store, app.clock.now())).map((s) => ({
        name: s.name,
        job: s.jobText,
        nextRun: s.nextRunAt ?? null,
        lastRun: s.lastRun ? { at: s.lastRun.startedAt, status: s.lastRun.status } : null,
      })),
  });

  const host = options.host ?? app.config.service.host;
  const port = options.port ?? app.config.service.port;
  try {
    await server.listen({ host, port });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Name where the address came from: the flag when given, else the config field.
    const where = options.port !== undefined || options.host !== undefined ? { file: 'argument --host/--port', path: '' } : { file: app.loaded.file, path: 'service.port' };
    throw new ConfigError([{ ...where, message: `cannot listen on ${host}:${port}: ${code ?? String(err)}${code === 'EADDRINUSE' ? ' (another process holds the port; choose another)' : ''}` }]);
  }
  const address = server.server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  const { recovered } = await scheduler.start();
  for (const id of recovered) log.warn({ run: id }, 'a job run left running by a stopped service was recorded as aborted');
  ready = true;
  log.info({ url, schedules: schedules.filter((s) => s.enabled).map((s) => s.name), ...(replica ? { replica: replica.id } : {}) }, 'vigil serve is running');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      ready = false;
      const deadlineMs = app.config.service.shutdownGrace;
      log.info({ deadlineMs }, 'stopping: no new work; running jobs are told to stop');
      await Promise.all([scheduler.stop({ deadlineMs }), adhoc.stop(deadlineMs), scanWorker?.stop()]);
      await replica?.leave();
      await server.close();
      log.info({}, 'stopped');
    })());
  return { url, server, scheduler, schedules, ...(replica ? { replica } : {}), stop };
}

async function onJobFinished(runtime: IncidentRuntime, metrics: ServiceMetrics, run: RunRecord, schedule: Schedule): Promise<void> {
  const seconds = run.finishedAt ? (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000 : 0;
  metrics.jobRun(schedule.name, schedule.job.kind, run.status, seconds);
  const signal = jobSignal(run, schedule);
  if (!signal) return;
  // A success clears only a problem an incident holds; otherwise every minute's run would store a signal.
  if (signal.payload['cleared'] === true) {
    const open = await runtime.store.incidentsForSignal(signal.key, signal.id);
    if (!open.some((o) => o.incident.state !== 'resolved')) return;
  }
  await runtime.store.recordSignals([signal]);
}

/** Bundles the report job wrote under `<data dir>/reports/`, newest first, by their manifests. */
function listReportBundles(dataDir: string): Array<Record<string, unknown>> {
  const dir = join(dataDir, 'reports');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((id) => ({ id, manifest: readManifest(join(dir, id)) }))
    .filter((b): b is { id: string; manifest: BundleManifest } => b.manifest !== undefined)
    .map(({ id, manifest }) => ({ id, framework: manifest.framework, period: manifest.period, generatedAt: manifest.generatedAt, ledger: manifest.ledger, files: manifest.files.length }))
    .sort((a, b) => b.generatedAt.localeCompare(a.generatedAt));
}

function readReportBundle(dataDir: string, id: string): BundleManifest | undefined {
  // Only a plain directory name: an id never walks out of the reports directory.
  if (!/^[\w.-]+$/.test(id) || id.startsWith('.')) return undefined;
  return readManifest(join(dataDir, 'reports', id));
}

function readManifest(dir: string): BundleManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
}

async function scheduleViews(schedules: readonly Schedule[], app: App): Promise<ScheduleView[]> {
  return (await scheduleStatuses(schedules, app.store(), app.clock.now())).map((s) => ({
    name: s.name,
    jobKind: s.job.kind,
    cron: s.cron,
    timeZone: s.timeZone,
    ...(s.nextRunAt ? { nextRun: s.nextRunAt } : {}),
    ...(s.lastRun ? { lastRun: { startedAt: s.lastRun.startedAt, ...(s.lastRun.finishedAt ? { finishedAt: s.lastRun.finishedAt } : {}), status: s.lastRun.status } } : {}),
  }));
}

/**
 * Check runs and drills a person asked for through the API: recorded as job runs with their actor and
 * reason, run in the background, aborted like scheduled jobs when the service stops.
 */
class AdhocWork {
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();

  constructor(private readonly deps: JobDeps) {}

  async checks(selection: CheckRunSelection, who: Requester): Promise<WorkAccepted> {
    const resolved = resolveSelection(selection, this.deps.checks, this.deps.app.config);
    if (selection.accountIds?.length || selection.regions?.length) {
      throw new ConfigError([{ file: 'body', path: 'accountIds', message: 'the service runs checks across every configured account and region; select checks only' }]);
    }
    const checkIds = resolved.checks.map((c) => c.id);
    return this.start({ kind: 'checks', checks: checkIds, checkIds }, who, { checks: checkIds.length, units: resolved.units });
  }

  async drills(selection: DrillRunSelection, who: Requester): Promise<WorkAccepted> {
    if ('targets' in selection) {
      const known = new Set(this.deps.drills.map((d) => d.id));
      const unknown = selection.targets.filter((t) => !known.has(t));
      if (unknown.length > 0) throw new ConfigError(unknown.map((t) => ({ file: 'body', path: 'targets', message: `no drill "${t}" in runbooks/drills/ (known: ${[...known].join(', ')})` })));
      return this.start({ kind: 'drills', targets: selection.targets }, who, { targets: selection.targets });
    }
    return this.start({ kind: 'drills', due: true }, who, { due: true });
  }

  private async start(job: Job, who: Requester, detail: Record<string, unknown>): Promise<WorkAccepted> {
    if (this.controller.signal.aborted) throw new ConfigError([{ file: 'request', path: '', message: 'the service is stopping and takes no new work' }]);
    const { app } = this.deps;
    const store = app.store();
    const run = await store.startRun({ id: randomUUID(), kind: 'job', startedAt: app.clock.now().toISOString(), trigger: 'api', actor: who.actor, reason: who.reason, summary: { request: job.kind, ...detail } });
    const work = runJob(this.deps, job, { trigger: 'api', actor: who.actor, reason: who.reason, signal: this.controller.signal })
      .then((outcome) => store.finishRun(run.id, this.controller.signal.aborted ? 'aborted' : outcome.status, app.clock.now().toISOString(), { ...run.summary, result: outcome.summary }))
      .catch((err: unknown) => store.finishRun(run.id, 'error', app.clock.now().toISOString(), { ...run.summary, error: redact(err instanceof Error ? err.message : String(err)) }))
      .then(() => undefined)
      .catch((err: unknown) => app.logger.error({ run: run.id, err: err instanceof Error ? err.message : String(err) }, 'could not record an API job run'));
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
    return { ref: run.id, kind: job.kind, ...detail };
  }

  async stop(deadlineMs: number): Promise<void> {
    this.controller.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.running]), new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
    clearTimeout(timer);
  }
}
