/**
 * Scan units (src/checks/scan-units.ts) on a `vigil serve` replica: the leases they are claimed
 * through, and the worker that, at each heartbeat, claims whatever units other replicas offered and
 * evaluates them. A replica that cannot reach the database claims nothing (Replica.canClaim).
 */
import type { CheckRunDeps } from '../checks/run.js';
import { SCAN_UNIT, workUnits, type ScanUnitDetail, type UnitLeases } from '../checks/scan-units.js';
import { redact } from '../core/redact.js';
import type { LeaseItem } from '../store/cluster-types.js';
import type { ClusterLog, Replica } from './cluster.js';

export function replicaUnitLeases(replica: Replica): UnitLeases {
  const must = async <T>(what: string, read: Promise<T | undefined>): Promise<T> => {
    const value = await read;
    if (value === undefined) throw new Error(`the database could not be reached to ${what}`);
    return value;
  };
  return {
    owner: { id: replica.id, incarnation: replica.incarnation },
    offer: async (items: LeaseItem[]) => {
      const now = replica.now().toISOString();
      await must('offer the scan units', replica.read((store) => store.offer(items, now)));
    },
    claimNext: (runId, onLost) => replica.claimNext({ kind: SCAN_UNIT, ...(runId ? { subject: runId } : {}) }, onLost),
    release: async (key, outcome, reopen, detail) => {
      await replica.release(key, { outcome, reopen, ...(detail ? { detail } : {}) });
    },
    units: (runId) => must('look at the run', replica.read((store) => store.listLeases({ kind: SCAN_UNIT, subject: runId, limit: 100_000 }))),
    alive: async (coordinator: ScanUnitDetail['coordinator']) => {
      if (coordinator.id === replica.id) return coordinator.incarnation === replica.incarnation;
      const replicas = await must('look at the replicas', replica.read((store) => store.listReplicas()));
      const record = replicas.find((r) => r.id === coordinator.id);
      return record !== undefined && record.incarnation === coordinator.incarnation && record.stoppedAt === undefined && record.expiresAt > replica.now().toISOString();
    },
  };
}

/**
 * Claims other replicas' scan units at each heartbeat and evaluates them, one pass at a time; stopping
 * waits for the units in hand, whose results are stored as they come.
 */
export class ScanWorker {
  private pass: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly replica: Replica,
    private readonly deps: () => Promise<CheckRunDeps>,
    private readonly options: { unitsInFlight: number; log: ClusterLog },
  ) {}

  /** Starts a pass unless one is running; the replica calls it at each heartbeat. */
  poke(): Promise<void> {
    if (this.pass || this.abort.signal.aborted || !this.replica.canClaim()) return this.pass ?? Promise.resolve();
    const leases = replicaUnitLeases(this.replica);
    this.pass = workUnits(leases, this.deps, {
      unitsInFlight: this.options.unitsInFlight,
      signal: this.abort.signal,
      onUnitError: (key, err) => this.options.log.error({ unit: key, error: redact(err instanceof Error ? err.message : String(err)) }, 'a scan unit failed; it is given back for another replica'),
    })
      .then((worked) => {
        if (worked > 0) this.options.log.info({ replica: this.replica.id, units: worked }, 'worked scan units offered by the cluster');
      })
      .catch((err: unknown) => this.options.log.error({ error: redact(err instanceof Error ? err.message : String(err)) }, 'the scan worker failed'))
      .finally(() => (this.pass = undefined));
    return this.pass;
  }

  /** No new units; resolves once the units in hand are done. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.pass;
  }
}
