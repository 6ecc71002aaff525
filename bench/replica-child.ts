/**
 * One `vigil serve` replica's share of a check run split over replicas, for bench/replicas.bench.ts:
 * its own process, SDK clients and pacer, a connection to the shared PostgreSQL. The coordinator
 * records the run, offers the account units and works them with the others, as the replica that
 * claims a scheduled check occurrence does; a worker claims units until it is sent SIGTERM, as every
 * replica does at its heartbeats. Configured for the estate like bench/scan-child.ts.
 *
 * Usage: node --import tsx bench/replica-child.ts '<json ReplicaChildInput>'. A worker prints `ready`
 * once joined; each prints one JSON line (ReplicaChildOutput) at the end.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { AwsAccountDirectory } from '../src/adapters/aws/accounts.js';
import { AwsClients } from '../src/adapters/aws/clients.js';
import { createAwsInventory } from '../src/adapters/aws/inventory-all.js';
import { createVaultClient } from '../src/adapters/vault.js';
import { loadCheckDefinitions } from '../src/checks/definitions.js';
import { EVALUATORS } from '../src/checks/registry.js';
import type { CheckRunDeps } from '../src/checks/run.js';
import { runChecksAcrossReplicas, SCAN_UNIT, workUnits } from '../src/checks/scan-units.js';
import { systemClock } from '../src/core/clock.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { Replica } from '../src/service/cluster.js';
import { replicaUnitLeases } from '../src/service/scan-worker.js';
import { PostgresStore } from '../src/store/postgres.js';
import { benchConfig, useEstateEndpoint, type ScanChildInput } from './scan-config.js';

export interface ReplicaChildInput extends ScanChildInput {
  postgresUrl: string;
  replicaId: string;
  role: 'coordinator' | 'worker';
  unitsInFlight: number;
}

export interface ReplicaChildOutput {
  replicaId: string;
  seconds: number;
  /** Units this replica evaluated. */
  units: number;
  /** The coordinator's view of the finished run: its counts, and which replica did each unit. */
  counts?: Record<string, number>;
  unitsBy?: Record<string, number>;
  peakRssMB: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ReplicaChildInput;
if (!input.postgresUrl) throw new Error("usage: replica-child.ts '<json ReplicaChildInput>'");
useEstateEndpoint(input);
const config = benchConfig(input);
const clients = new AwsClients(config.aws);
const store = await PostgresStore.open({ url: input.postgresUrl, poolSize: 8 });
const replica = new Replica({ store: store.cluster, clock: systemClock, settings: { replicaId: input.replicaId, leaseTimeoutMs: 60_000, heartbeatIntervalMs: 5_000 }, version: 'bench' });
await replica.join();
const deps: CheckRunDeps = {
  config,
  checks: loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS }),
  evaluators: EVALUATORS,
  inventory: createAwsInventory(clients, createVaultClient({ address: input.endpoint, token: input.vaultToken })),
  store,
  clock: systemClock,
  accounts: new AwsAccountDirectory(clients, config),
};
const leases = replicaUnitLeases(replica);
const started = performance.now();
let output: ReplicaChildOutput;
if (input.role === 'coordinator') {
  let units = 0;
  const outcome = await runChecksAcrossReplicas({ trigger: 'cli', reason: 'benchmark scan over replicas' }, deps, leases, {
    unitsInFlight: input.unitsInFlight,
    pollMs: 100,
    sleep: (ms, signal) => delay(ms, undefined, { signal }),
  });
  const seconds = (performance.now() - started) / 1000;
  const done = await store.cluster.listLeases({ kind: SCAN_UNIT, subject: outcome.run.id, limit: 100_000 });
  const unitsBy: Record<string, number> = {};
  for (const lease of done) unitsBy[lease.owner ?? '?'] = (unitsBy[lease.owner ?? '?'] ?? 0) + 1;
  units = unitsBy[input.replicaId] ?? 0;
  output = { replicaId: input.replicaId, seconds, units, counts: outcome.counts, unitsBy, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
} else {
  let stopping = false;
  process.once('SIGTERM', () => (stopping = true));
  console.log('ready');
  let units = 0;
  while (!stopping) {
    units += await workUnits(leases, deps, { unitsInFlight: input.unitsInFlight });
    await delay(50);
  }
  output = { replicaId: input.replicaId, seconds: (performance.now() - started) / 1000, units, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
}
await replica.leave();
clients.destroy();
await store.close();
console.log(JSON.stringify(output));
