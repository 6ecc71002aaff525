/**
 * What the HTTP server needs. It owns the API; what it cannot own (the schedules, the job queue, the
 * reports, whether the service is ready) the composition in src/service/serve.ts hands in as callbacks.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/log.js';
import type { IncidentRuntime } from '../../incidents/runtime.js';
import type { Store } from '../../store/types.js';
import type { ServiceMetrics } from './metrics.js';

/** One schedule as the API shows it. */
export interface ScheduleView {
  name: string;
  /** The job kind: `checks`, `drills`, `incidents`, `probes`, `report`, ... */
  jobKind: string;
  cron: string;
  timeZone: string;
  /** ISO instant; absent when the schedule will not run again. */
  nextRun?: string;
  lastRun?: { startedAt: string; finishedAt?: string; status: string };
}

/** Who asked for work, recorded with it: `api:<token name>` and the request's reason. */
export interface Requester {
  actor: string;
  reason: string;
}

export interface CheckRunSelection {
  checkIds?: string[];
  accountIds?: string[];
  regions?: string[];
}

export type DrillRunSelection = { targets: string[] } | { due: true };

/** What the job queue says about work it took: a reference the caller can look for later. */
export interface WorkAccepted {
  /** The job run (or check run, or drill) id. */
  ref: string;
  [detail: string]: unknown;
}

export interface ServerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** For incident actions and their delivery. */
  incidents: IncidentRuntime;
  metrics: ServiceMetrics;
  schedules(): Promise<ScheduleView[]>;
  /** Enqueues a check run; throws ConfigError (400) for an unknown check, account or region. */
  requestCheckRun(selection: CheckRunSelection, who: Requester): Promise<WorkAccepted>;
  /** Enqueues drills; throws ConfigError (400) for an unknown target. */
  requestDrillRun(selection: DrillRunSelection, who: Requester): Promise<WorkAccepted>;
  reports(): Promise<unknown[]>;
  /** undefined: no such report (404). */
  report(id: string): Promise<unknown>;
  /** The service has started its scheduler and can take work. */
  ready(): boolean;
  /** Other reasons not to send this replica traffic (its database is out of reach), in words. */
  notReadyReasons?(): string[];
}
