/**
 * The incident pipeline as the CLI and the service run it: settings and channels from the config, and
 * one `processIncidents` pass (route signals, sweep SLA clocks and maintenance windows, deliver the
 * outbox) that `vigil incident process` runs once and `vigil serve` runs every minute.
 */
import type { App } from '../app.js';
import type { Channel, Notification } from './delivery.js';
import { drainOutbox, type DispatchOutcome } from './dispatcher.js';
import { mutedComponents, sweepMaintenance, type MaintenanceDeps } from './maintenance.js';
import { HttpProber, runProbesOnce, type ComponentAnnouncement, type ProbeDefinition, type ProbeRunResult, type ProbeStateStore, type Prober } from './probes.js';
import { routeSignals, sweepIncidents, type IncidentDeps, type RouteOutcome, type SweepOutcome } from './service.js';
import { incidentSettings } from './settings.js';

export interface IncidentRuntime extends IncidentDeps, MaintenanceDeps {
  /** `owner`: who leases outbox rows while delivering them (the replica's id under `vigil serve`). */
  dispatch: { initialBackoffMs: number; maxBackoffMs: number; owner?: string };
  probes: readonly ProbeDefinition[];
  probeStore: ProbeStateStore;
  prober: Prober;
  /**
   * With several replicas: runs `work` only while holding the named lock across them (undefined when
   * another replica holds it), so signals are routed and SLA clocks swept by one replica at a time.
   */
  exclusive?: <T>(name: string, work: () => Promise<T>) => Promise<T | undefined>;
}

/** The lock the incident pass and the jobs' hand-off take to route signals and sweep clocks. */
export const INCIDENTS_LOCK = 'incidents';

export async function incidentRuntime(app: App, options: { owner?: string; exclusive?: IncidentRuntime['exclusive'] } = {}): Promise<IncidentRuntime> {
  const { createChannels } = await import('../adapters/channels/index.js');
  const channels: Channel[] = createChannels(app.config.integrations, { log: app.logger });
  return {
    store: app.store().incidents,
    clock: app.clock,
    channels,
    settings: incidentSettings(app.config, app.loaded.file),
    dispatch: { initialBackoffMs: app.config.incidents.delivery.initialBackoff, maxBackoffMs: app.config.incidents.delivery.maxBackoff, ...(options.owner ? { owner: options.owner } : {}) },
    probes: app.config.probes,
    probeStore: app.store().probes,
    prober: new HttpProber({ clock: app.clock }),
    ...(options.exclusive ? { exclusive: options.exclusive } : {}),
  };
}

export interface ProcessOutcome {
  probes: ProbeRunResult;
  routed: RouteOutcome[];
  sweep: SweepOutcome;
  maintenance: Awaited<ReturnType<typeof sweepMaintenance>>;
  delivery: DispatchOutcome;
}

/** Probes that are due, then the incident pass: what `vigil incident process` does once. */
export async function processIncidents(runtime: IncidentRuntime): Promise<ProcessOutcome> {
  const maintenance = await sweepMaintenance(runtime);
  const probes = await runProbes(runtime);
  const pass = await incidentPass(runtime, { maintenance: false });
  return { ...pass, probes, maintenance };
}

/**
 * Maintenance windows moved by the clock, new signals routed, SLA clocks swept, the outbox delivered:
 * the service's every-minute job (its probes run on their own schedule).
 */
export async function incidentPass(
  runtime: IncidentRuntime,
  options: { maintenance?: boolean } = {},
): Promise<Omit<ProcessOutcome, 'probes'>> {
  const exclusive = runtime.exclusive ?? (<T>(_name: string, work: () => Promise<T>) => work());
  // Another replica doing the same right now does it for everyone; its deliveries are leased, so both deliver.
  const locked = await exclusive(INCIDENTS_LOCK, async () => {
    const maintenance = options.maintenance === false ? [] : await sweepMaintenance(runtime);
    const routed = await routeSignals(runtime);
    const sweep = await sweepIncidents(runtime);
    return { maintenance, routed, sweep };
  });
  const delivery = await deliver(runtime);
  return { ...(locked ?? { maintenance: [], routed: [], sweep: { slaEvents: [], autoResolved: [] } }), delivery };
}

/**
 * Runs the probes that are due. Their signals and status-page component changes are stored before the
 * probes' states, so a crash in between raises them again instead of losing them (the ids are
 * deterministic, so raising twice stores once).
 */
export async function runProbes(runtime: IncidentRuntime): Promise<ProbeRunResult> {
  const windows = await runtime.store.listMaintenance({ status: ['scheduled', 'in_progress'] });
  return runProbesOnce(runtime.probes, {
    prober: runtime.prober,
    store: runtime.probeStore,
    clock: runtime.clock,
    mutedComponents: mutedComponents(windows, runtime.clock.now()),
    handOff: async ({ signals, componentChanges }) => {
      await runtime.store.recordSignals(signals);
      await runtime.store.enqueue(componentChanges.flatMap((c) => componentNotifications(runtime.channels, c)), runtime.clock.now().toISOString());
    },
  });
}

function componentNotifications(channels: readonly Channel[], change: ComponentAnnouncement): Notification[] {
  return channels.filter((c) => c.wants(change)).map((c) => ({ ...change, id: `component:${change.component}:${change.at}/${c.name}`, channel: c.name }));
}

/** Delivers what is deliverable now; what backs off waits for the next pass. */
export function deliver(runtime: IncidentRuntime): Promise<DispatchOutcome> {
  return drainOutbox({ store: runtime.store, clock: runtime.clock, channels: runtime.channels }, runtime.dispatch);
}
