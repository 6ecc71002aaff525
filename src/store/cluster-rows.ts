/** Rows of the replicas and leases tables as both stores read them, and the rules both apply. */
import type { Lease, ReplicaRecord } from './cluster-types.js';

export interface ReplicaRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  incarnation: string;
  started_at: string;
  heartbeat_at: string;
  expires_at: string;
  stopped_at: string | null;
  detail: string;
}

export interface LeaseRow {
  key: string;
  kind: string;
  subject: string;
  due_at: string;
  status: Lease['status'];
  owner: string | null;
  claimed_at: string | null;
  heartbeat_at: string | null;
  expires_at: string | null;
  claims: number;
  previous_owner: string | null;
  outcome: string | null;
  finished_at: string | null;
  created_at: string;
  detail: string;
}

export function toReplica(r: ReplicaRow): ReplicaRecord {
  return {
    id: r.id,
    host: r.host,
    pid: Number(r.pid),
    version: r.version,
    incarnation: r.incarnation,
    startedAt: r.started_at,
    heartbeatAt: r.heartbeat_at,
    expiresAt: r.expires_at,
    ...(r.stopped_at !== null ? { stoppedAt: r.stopped_at } : {}),
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

export function toLease(r: LeaseRow): Lease {
  const optional = (name: keyof Lease, value: string | null) => (value === null ? {} : { [name]: value });
  return {
    key: r.key,
    kind: r.kind,
    subject: r.subject,
    dueAt: r.due_at,
    status: r.status,
    ...optional('owner', r.owner),
    ...optional('claimedAt', r.claimed_at),
    ...optional('heartbeatAt', r.heartbeat_at),
    ...optional('expiresAt', r.expires_at),
    claims: Number(r.claims),
    ...optional('previousOwner', r.previous_owner),
    ...optional('outcome', r.outcome),
    ...optional('finishedAt', r.finished_at),
    createdAt: r.created_at,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

/** Open, or held by a replica whose lease ran out by `now`. A `done` item is never claimed again. */
export function claimable(lease: Lease, now: string): boolean {
  if (lease.status === 'open') return true;
  return lease.status === 'held' && lease.expiresAt !== undefined && lease.expiresAt <= now;
}

export function mergeDetail(base: Record<string, unknown>, patch: Record<string, unknown> | undefined): Record<string, unknown> {
  return patch ? { ...base, ...patch } : base;
}
