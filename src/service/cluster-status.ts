/**
 * What `vigil cluster status` shows, read from the database the replicas share: each replica and
 * whether it is alive, what is held now and by whom, what was given back and waits for a taker, and the
 * latest finished work with who did it and whether it was taken over.
 */
import type { ClusterStore, Lease, ReplicaRecord } from '../store/cluster-types.js';
import type { ClusterSettings } from './cluster.js';

export type ReplicaState = 'live' | 'expired' | 'stopped';

export interface ReplicaStatus extends ReplicaRecord {
  state: ReplicaState;
  /** Seconds since its last heartbeat. */
  heartbeatAgeSeconds: number;
  /** Leases it holds now. */
  holding: number;
}

export interface LeaseStatus extends Lease {
  /** Held past its expiry: the holder stopped heartbeating and another replica will take it over. */
  expired: boolean;
  /** It was claimed more than once: taken over from a replica that died, or given back and claimed again. */
  takenOver: boolean;
}

export interface ClusterStatus {
  store: 'sqlite' | 'postgres';
  /** The settings this config gives a replica; undefined when a single SQLite process runs without leases. */
  settings?: Omit<ClusterSettings, 'replicaId'> & { replicaId?: string };
  at: string;
  replicas: ReplicaStatus[];
  /** Leases held now (live or expired). */
  held: LeaseStatus[];
  /** Work given back (a replica stopped in the middle of it), waiting for a replica to take it. */
  waiting: LeaseStatus[];
  /** The latest finished work, newest first. */
  recent: LeaseStatus[];
}

export function replicaState(replica: ReplicaRecord, now: Date): ReplicaState {
  if (replica.stoppedAt !== undefined) return 'stopped';
  return replica.expiresAt > now.toISOString() ? 'live' : 'expired';
}

function leaseStatus(lease: Lease, now: Date): LeaseStatus {
  return { ...lease, expired: lease.status === 'held' && lease.expiresAt !== undefined && lease.expiresAt <= now.toISOString(), takenOver: lease.claims > 1 };
}

export async function clusterStatus(
  cluster: ClusterStore,
  options: { store: 'sqlite' | 'postgres'; now: Date; settings?: ClusterStatus['settings']; recent?: number },
): Promise<ClusterStatus> {
  const { now } = options;
  const [replicas, held, open, done] = await Promise.all([
    cluster.listReplicas(),
    cluster.listLeases({ status: 'held', limit: 10_000 }),
    cluster.listLeases({ status: 'open', limit: 10_000 }),
    cluster.listLeases({ status: 'done', order: 'newest-finished', limit: options.recent ?? 20 }),
  ]);
  const holding = new Map<string, number>();
  for (const lease of held) if (lease.owner) holding.set(lease.owner, (holding.get(lease.owner) ?? 0) + 1);
  // Offered units nobody claimed yet are waiting too, but so are a scan's hundreds: only given-back work is listed.
  const waiting = open.filter((l) => l.claims > 0 && l.kind !== 'lock');
  return {
    store: options.store,
    ...(options.settings ? { settings: options.settings } : {}),
    at: now.toISOString(),
    replicas: replicas.map((r) => ({
      ...r,
      state: replicaState(r, now),
      heartbeatAgeSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(r.heartbeatAt)) / 1000)),
      holding: holding.get(r.id) ?? 0,
    })),
    held: held.map((l) => leaseStatus(l, now)),
    waiting: waiting.map((l) => leaseStatus(l, now)),
    recent: done.map((l) => leaseStatus(l, now)),
  };
}
