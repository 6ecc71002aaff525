/**
 * What replicas sharing one database agree through it: who is alive (a replica row with a heartbeat and
 * the instant it expires) and who holds which piece of work (a lease on a keyed item). A lease is the one
 * primitive every kind of shared work uses: a scheduled occurrence of a job (`schedule:<name>@<instant>`),
 * a mutual exclusion (`lock:<name>`, released back to `open`), or a unit of a larger run offered up front
 * and taken by whichever replica is free (`offer` then `claimNext`).
 *
 * Times are ISO instants from the caller's Clock. Replicas need not agree on the time beyond the lease:
 * a holder renews well before its lease ends, and a lease is only taken over once it has expired by the
 * taker's clock.
 */

/** `open`: free to claim. `held`: a replica works on it until `expiresAt`. `done`: finished, never claimed again. */
export type LeaseStatus = 'open' | 'held' | 'done';

export interface Lease {
  key: string;
  /** What kind of work: `schedule`, `lock`, `scan-unit`, ... */
  kind: string;
  /** What it belongs to (a schedule's name, a run's id): the key to list a family of items by. */
  subject: string;
  /** When the item is for: an occurrence's scheduled instant, a unit's creation. Orders a subject's items. */
  dueAt: string;
  status: LeaseStatus;
  /** The replica holding it, or that held it last. */
  owner?: string;
  claimedAt?: string;
  heartbeatAt?: string;
  /** A held lease past this instant may be taken over. */
  expiresAt?: string;
  /** How many times it was claimed: more than one means it was taken over or reopened. */
  claims: number;
  /** The holder before the current one, when it was taken over or given back. */
  previousOwner?: string;
  /** How it ended (`completed`, `superseded`, `abandoned`, ...), as the last holder said. */
  outcome?: string;
  finishedAt?: string;
  createdAt: string;
  /** Item-specific facts (the job run id, the scheduled instant); merged by claims and releases. */
  detail: Record<string, unknown>;
}

export interface LeaseItem {
  key: string;
  kind: string;
  subject: string;
  dueAt: string;
  detail?: Record<string, unknown>;
}

export interface ClaimRequest extends LeaseItem {
  owner: string;
  now: string;
  expiresAt: string;
}

/**
 * `previous` is the row as it stood before this claim (absent for a new item): a claim of a held row
 * whose lease had expired is a takeover from `previous.owner`.
 */
export type Claim = { claimed: true; lease: Lease; previous?: Lease } | { claimed: false; lease: Lease };

export interface ReleaseRequest {
  outcome: string;
  /** true: back to `open`, claimable at once (a lock, work given back); false: `done`. */
  reopen?: boolean;
  detail?: Record<string, unknown>;
}

export interface ReplicaInfo {
  id: string;
  host: string;
  pid: number;
  /** Vigil's version. */
  version: string;
  /** This process's own random id: a restart under the same replica id is a new incarnation. */
  incarnation: string;
  /** Anything worth showing in `vigil cluster status` (its URL, its schedules). */
  detail?: Record<string, unknown>;
}

export interface ReplicaRecord extends Required<Omit<ReplicaInfo, 'detail'>> {
  startedAt: string;
  heartbeatAt: string;
  /** Without a heartbeat by then the replica counts as dead, and its leases end with this instant too. */
  expiresAt: string;
  stoppedAt?: string;
  detail: Record<string, unknown>;
}

export type JoinResult = { joined: true; replica: ReplicaRecord; previous?: ReplicaRecord; reopened: string[] } | { joined: false; holder: ReplicaRecord };

export interface LeaseFilter {
  kind?: string;
  subject?: string;
  status?: LeaseStatus;
  owner?: string;
  /** Only items due at or after this instant. */
  dueFrom?: string;
  /** `due` (the default): oldest `dueAt` first; `newest-due`: newest first; `newest-finished`: latest finished first. */
  order?: 'due' | 'newest-due' | 'newest-finished';
  limit?: number;
}

export interface ClusterStore {
  /**
   * Registers this process as replica `id`. Refused while another incarnation of the same id is alive;
   * otherwise the row is taken over and the leases a dead earlier incarnation held are reopened.
   */
  joinReplica(info: ReplicaInfo, now: string, expiresAt: string): Promise<JoinResult>;
  /**
   * One heartbeat: moves the replica's expiry and that of every lease it holds, in one transaction.
   * Returns the keys it still holds (a key missing from them was taken over), or undefined when the row
   * is not this incarnation's any more.
   */
  heartbeat(id: string, incarnation: string, now: string, expiresAt: string): Promise<string[] | undefined>;
  /** A clean stop: the replica is marked stopped; its leases are the caller's to release first. */
  leaveReplica(id: string, incarnation: string, at: string): Promise<void>;
  listReplicas(): Promise<ReplicaRecord[]>;
  /** Forgets replicas that stopped or expired before `before` and hold nothing. Returns their ids. */
  pruneReplicas(before: string): Promise<string[]>;
  /** Deletes items done before `before` (the job runs keep the history). Returns how many. */
  pruneLeases(before: string): Promise<number>;

  /** Inserts items as `open` unless their key exists. Returns how many were new. */
  offer(items: LeaseItem[], now: string): Promise<number>;
  /**
   * Claims one item: creates it held when absent, or claims it when open or held past its expiry. Exactly
   * one of any number of concurrent claimants succeeds.
   */
  claim(request: ClaimRequest): Promise<Claim>;
  /**
   * Claims up to `limit` claimable items of a kind (open, or held past expiry), oldest `dueAt` first;
   * concurrent callers get disjoint sets (SKIP LOCKED on PostgreSQL).
   */
  claimNext(request: { kind: string; subject?: string; owner: string; now: string; expiresAt: string; limit: number }): Promise<Lease[]>;
  /** Moves one held lease's expiry; false when `owner` does not hold it any more. */
  renew(key: string, owner: string, now: string, expiresAt: string): Promise<boolean>;
  /** Ends `owner`'s hold; false when it does not hold the lease any more (it was taken over). */
  release(key: string, owner: string, at: string, request: ReleaseRequest): Promise<boolean>;
  getLease(key: string): Promise<Lease | undefined>;
  listLeases(filter?: LeaseFilter): Promise<Lease[]>;
}
