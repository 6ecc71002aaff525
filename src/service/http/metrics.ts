/**
 * Prometheus metrics on a registry of Vigil's own (never prom-client's global default, so two servers in
 * one process, as in tests, do not share series). What the store knows (check results, drills,
 * incidents, SLA events, the outbox) is read at scrape time, once per scrape for all series; what only
 * the job runner sees (each job run and its duration) it reports through `jobRun`.
 *
 * With several replicas every series carries a `replica` label (its id), so each replica's own figures
 * (its job runs, the leases it holds, whether it reaches the database) stay apart; the store-wide series
 * are the same on every replica and are read with `max by` (or from any one replica).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { STATUSES } from '../../core/results.js';
import { CHANNELS } from '../../incidents/delivery.js';
import { INCIDENT_SEVERITIES, SLA_CLOCKS } from '../../incidents/types.js';
import type { OutboxStatus } from '../../store/incident-types.js';
import type { DrillRecord, Store } from '../../store/types.js';

export interface ServiceMetrics {
  readonly registry: Registry;
  /** Called by the job runner when a job run ends. */
  jobRun(schedule: string, kind: string, status: string, seconds: number): void;
  /** The exposition text and its content type, read from the store now. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** Undelivered messages; delivered ones are history, not depth. */
const OUTBOX_DEPTH_STATUSES: readonly OutboxStatus[] = ['pending', 'held', 'failed'];

interface Snapshot {
  checks: Map<string, Map<string, number>>;
  lastDrills: DrillRecord[];
  lastSuccess: Map<string, DrillRecord>;
  openBySeverity: Map<string, number>;
  sla: Array<{ kind: 'warning' | 'breach'; clock: string; severity: string; count: number }>;
  outbox: Map<string, number>;
}

/** What a replica tells the metrics about itself (src/service/cluster.ts). */
export interface ReplicaMetricsSource {
  id: string;
  stats(): { held: number; claimed: number; takenOver: number; lost: number; reachable: boolean };
}

export function createServiceMetrics(source: { store: Store; replica?: ReplicaMetricsSource }): ServiceMetrics {
  const registry = new Registry();
  const { replica } = source;
  if (replica) {
    registry.setDefaultLabels({ replica: replica.id });
    replicaMetrics(registry, replica);
  }
  let pending: Promise<Snapshot> | undefined;
  // Every collect of one scrape shares one read of the store; a collect outside `render` reads its own.
  const snapshot = () => pending ?? readSnapshot(source.store);

  const jobRuns = new Counter({ name: 'vigil_job_runs_total', help: 'Job runs finished, by schedule, job kind and outcome.', labelNames: ['schedule', 'kind', 'status'], registers: [registry] });
  const jobDuration = new Histogram({
    name: 'vigil_job_duration_seconds',
    help: 'How long job runs took.',
    labelNames: ['schedule', 'kind'],
    buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
    registers: [registry],
  });

  new Gauge({
    name: 'vigil_check_results',
    help: 'Results by check and status, from the newest run that evaluated each check in each account and region.',
    labelNames: ['check', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const [check, counts] of (await snapshot()).checks) {
        for (const status of STATUSES) this.set({ check, status }, counts.get(status) ?? 0);
      }
    },
  });

  const drillGauge = (name: string, help: string, value: (d: DrillRecord) => number | undefined, from: (s: Snapshot) => Iterable<DrillRecord>) =>
    new Gauge({
      name,
      help,
      labelNames: ['target'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const drill of from(await snapshot())) {
          const v = value(drill);
          if (v !== undefined) this.set({ target: drill.target }, v);
        }
      },
    });
  const last = (s: Snapshot) => s.lastDrills;
  drillGauge('vigil_drill_rto_seconds', 'Recovery time measured by the last finished drill of each target.', (d) => d.measures['rtoSeconds'], last);
  drillGauge('vigil_drill_rpo_seconds', 'Recovery point age measured by the last finished drill of each target.', (d) => d.measures['rpoSeconds'], last);
  drillGauge('vigil_drill_rto_target_seconds', 'The RTO promised for each target, as its last drill recorded it.', (d) => d.measures['rtoTargetSeconds'], last);
  drillGauge('vigil_drill_rpo_target_seconds', 'The RPO promised for each target, as its last drill recorded it.', (d) => d.measures['rpoTargetSeconds'], last);
  drillGauge('vigil_drill_last_succeeded', '1 when the last finished drill of the target succeeded, 0 when it failed or was aborted.', (d) => (d.status === 'succeeded' ? 1 : 0), last);
  drillGauge(
    'vigil_drill_last_success_timestamp_seconds',
    'When the newest successful drill of each target finished (Unix seconds).',
    (d) => Date.parse(d.finishedAt ?? d.startedAt) / 1000,
    (s) => s.lastSuccess.values(),
  );

  new Gauge({
    name: 'vigil_incidents_open',
    help: 'Open incidents by severity.',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      const { openBySeverity } = await snapshot();
      for (const severity of INCIDENT_SEVERITIES) this.set({ severity }, openBySeverity.get(severity) ?? 0);
    },
  });

  const slaCounter = (name: string, help: string, kind: 'warning' | 'breach') =>
    new Counter({
      name,
      help,
      labelNames: ['clock', 'severity'],
      registers: [registry],
      async collect() {
        // Recorded SLA events are never deleted, so the count from the store is a true counter.
        this.reset();
        const rows = (await snapshot()).sla.filter((e) => e.kind === kind);
        for (const severity of INCIDENT_SEVERITIES) {
          for (const clock of SLA_CLOCKS) this.inc({ clock, severity }, rows.find((r) => r.clock === clock && r.severity === severity)?.count ?? 0);
        }
      },
    });
  slaCounter('vigil_sla_warnings_total', 'SLA warnings fired, by clock and severity.', 'warning');
  slaCounter('vigil_sla_breaches_total', 'SLA breaches fired, by clock and severity.', 'breach');

  new Gauge({
    name: 'vigil_outbox_messages',
    help: 'Notifications not delivered yet, by status and channel.',
    labelNames: ['status', 'channel'],
    registers: [registry],
    async collect() {
      const { outbox } = await snapshot();
      for (const status of OUTBOX_DEPTH_STATUSES) {
        for (const channel of CHANNELS) this.set({ status, channel }, outbox.get(`${status}/${channel}`) ?? 0);
      }
    },
  });

  return {
    registry,
    jobRun(schedule, kind, status, seconds) {
      jobRuns.inc({ schedule, kind, status });
      jobDuration.observe({ schedule, kind }, seconds);
    },
    async render() {
      const mine = readSnapshot(source.store);
      pending = mine;
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        if (pending === mine) pending = undefined;
      }
    },
  };
}

function replicaMetrics(registry: Registry, replica: ReplicaMetricsSource): void {
  new Gauge({
    name: 'vigil_replica_leases_held',
    help: 'Leases (scheduled occurrences, locks) this replica holds now.',
    registers: [registry],
    collect() {
      this.set(replica.stats().held);
    },
  });
  new Gauge({
    name: 'vigil_replica_store_reachable',
    help: '1 while this replica reaches the database; 0 while it does not (it claims no work then).',
    registers: [registry],
    collect() {
      this.set(replica.stats().reachable ? 1 : 0);
    },
  });
  const counter = (name: string, help: string, value: (s: ReturnType<ReplicaMetricsSource['stats']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(replica.stats()));
      },
    });
  counter('vigil_replica_claims_total', 'Leases this replica won since it started.', (s) => s.claimed);
  counter('vigil_replica_takeovers_total', 'Leases this replica took over from a replica that stopped heartbeating.', (s) => s.takenOver);
  counter('vigil_replica_leases_lost_total', 'Leases this replica lost (taken over, or the database was gone past the lease timeout).', (s) => s.lost);
}

async function readSnapshot(store: Store): Promise<Snapshot> {
  const [results, drills, lastSuccess, open, slaEvents, outbox] = await Promise.all([
    store.latestCheckResults(),
    store.listDrills({ limit: 10_000 }),
    store.lastSuccessfulDrills(),
    store.incidents.listIncidents({ open: true, limit: 100_000 }),
    store.incidents.slaEvents(),
    store.incidents.outboxCounts(),
  ]);
  const checks = new Map<string, Map<string, number>>();
  for (const r of results) {
    const counts = checks.get(r.checkId) ?? new Map<string, number>();
    counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    checks.set(r.checkId, counts);
  }
  // listDrills is newest first: the first finished drill seen per target is its last.
  const lastDrills = new Map<string, DrillRecord>();
  for (const d of drills) if (d.status !== 'running' && !lastDrills.has(d.target)) lastDrills.set(d.target, d);
  const openBySeverity = new Map<string, number>();
  for (const { incident } of open) openBySeverity.set(incident.severity, (openBySeverity.get(incident.severity) ?? 0) + 1);
  const sla = new Map<string, Snapshot['sla'][number]>();
  for (const e of slaEvents) {
    const key = `${e.kind}/${e.clock}/${e.severity}`;
    const row = sla.get(key) ?? { kind: e.kind, clock: e.clock, severity: e.severity, count: 0 };
    row.count += 1;
    sla.set(key, row);
  }
  const depth = new Map<string, number>();
  for (const o of outbox) if (OUTBOX_DEPTH_STATUSES.includes(o.status)) depth.set(`${o.status}/${o.channel}`, o.count);
  return { checks, lastDrills: [...lastDrills.values()], lastSuccess, openBySeverity, sla: [...sla.values()], outbox: depth };
}
