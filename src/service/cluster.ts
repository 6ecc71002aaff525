/**
 * This process as one replica of several sharing a database. It registers itself, heartbeats on an
 * injected timer (each heartbeat moves its own expiry and that of every lease it holds, in one write),
 * claims keyed work for the scheduler, and watches what it holds: a lease another replica took over, or
 * one that may have expired while the database could not be reached, is reported lost so the work
 * under it stops. While the database cannot be reached nothing is claimed, and `health()` says why
 * (the service's /readyz reports it).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { Claim, ClusterStore, Lease, LeaseItem, ReleaseRequest } from '../store/cluster-types.js';
import { systemTimer, type Timer, type TimerHandle } from './timer.js';

export interface ClusterSettings {
  replicaId: string;
  /** Without a heartbeat for this long, a replica is dead and its leases may be taken over. */
  leaseTimeoutMs: number;
  /** How often the replica heartbeats; shorter than the lease timeout (the config refuses otherwise). */
  heartbeatIntervalMs: number;
}

/** The part of a pino logger used here: a static message plus a metadata object. */
export interface ClusterLog {
  info(meta: object, message: string): void;
  warn(meta: object, message: string): void;
  error(meta: object, message: string): void;
}

const silentLog: ClusterLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface ReplicaOptions {
  store: ClusterStore;
  clock: Clock;
  settings: ClusterSettings;
  /** Vigil's version, shown by `vigil cluster status`. */
  version: string;
  timer?: Timer;
  log?: ClusterLog;
  /** Shown by `vigil cluster status` (the URL it serves, its schedules). */
  detail?: Record<string, unknown>;
  /** Where `service.cluster` lives, so a replica id in use is reported against it. */
  configFile?: string;
}

export type StoreHealth = { reachable: true } | { reachable: false; reason: string; since: string };

/** The default replica id: what `pid@host` owners elsewhere in Vigil already look like. */
export function defaultReplicaId(): string {
  return `${process.pid}@${hostname()}`;
}

/** Called when a held lease is lost: taken over by another replica, or possibly expired. */
export type LostHandler = (reason: string) => void;

function errorText(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

export class Replica {
  readonly id: string;
  readonly incarnation = randomUUID();
  readonly settings: ClusterSettings;
  private readonly store: ClusterStore;
  private readonly clock: Clock;
  private readonly timer: Timer;
  private readonly log: ClusterLog;
  private readonly watched = new Map<string, LostHandler>();
  /** Keys with a claim in flight: a heartbeat that sees one held is not looking at an orphan. */
  private readonly claiming = new Set<string>();
  /** Claims of whichever item comes next, in flight: their keys are not known until they return. */
  private claimingAny = 0;
  /** Keys with a release in flight. */
  private readonly releasing = new Set<string>();
  /** Leases to give back once the database answers again. */
  private readonly pendingReleases = new Map<string, ReleaseRequest & { at: string }>();
  private readonly beatListeners: Array<() => Promise<void> | void> = [];
  private health: StoreHealth = { reachable: true };
  private lastBeatOkAt: number | undefined;
  private evicted: string | undefined;
  private beatHandle: TimerHandle | undefined;
  private beating: Promise<void> = Promise.resolve();
  private joined = false;
  private leaving = false;
  private counters = { claimed: 0, takenOver: 0, lost: 0 };

  constructor(private readonly options: ReplicaOptions) {
    this.id = options.settings.replicaId;
    this.settings = options.settings;
    this.store = options.store;
    this.clock = options.clock;
    this.timer = options.timer ?? systemTimer();
    this.log = options.log ?? silentLog;
  }

  /** The replica's clock: leases are judged by it. */
  now(): Date {
    return this.clock.now();
  }

  /** The instant a lease claimed or renewed now ends. */
  expiry(now = this.clock.now()): string {
    return new Date(now.getTime() + this.settings.leaseTimeoutMs).toISOString();
  }

  /**
   * Registers the replica and starts heartbeating. Refused (ConfigError, exit 2, nothing claimed) while
   * another live process uses the same replica id.
   */
  async join(): Promise<void> {
    const now = this.clock.now();
    const result = await this.store.joinReplica(
      { id: this.id, host: hostname(), pid: process.pid, version: this.options.version, incarnation: this.incarnation, detail: this.options.detail },
      now.toISOString(),
      this.expiry(now),
    );
    if (!result.joined) {
      const h = result.holder;
      throw new ConfigError([
        {
          file: this.options.configFile ?? 'config',
          path: 'service.cluster.replicaId',
          message: `replica id "${this.id}" is in use by a live process (pid ${h.pid} on ${h.host}, heartbeat ${h.heartbeatAt}); give each replica its own id, or wait until ${h.expiresAt}`,
        },
      ]);
    }
    if (result.reopened.length > 0) this.log.warn({ replica: this.id, reopened: result.reopened }, 'leases held by an earlier run of this replica are open for takeover');
    // Replicas gone for a day and holding nothing are history, not members; finished leases are kept a month.
    await this.store.pruneReplicas(new Date(now.getTime() - 86_400_000).toISOString()).catch(() => []);
    await this.store.pruneLeases(new Date(now.getTime() - 30 * 86_400_000).toISOString()).catch(() => 0);
    this.joined = true;
    this.lastBeatOkAt = now.getTime();
    this.armBeat();
  }

  /** Whether this replica may claim work now: joined, not stopping, and the database answers. */
  canClaim(): boolean {
    return this.joined && !this.leaving && this.health.reachable && this.evicted === undefined;
  }

  storeHealth(): StoreHealth {
    return this.health;
  }

  /** Why the replica should not be sent traffic, if it should not. */
  notReadyReasons(): string[] {
    const reasons: string[] = [];
    if (this.evicted) reasons.push(this.evicted);
    if (!this.health.reachable) reasons.push(`the database cannot be reached since ${this.health.since} (${this.health.reason}); this replica claims no work until it is back`);
    return reasons;
  }

  /** What this replica holds and has done, for metrics. */
  stats(): { held: number; claimed: number; takenOver: number; lost: number; reachable: boolean } {
    return { held: this.watched.size, ...this.counters, reachable: this.health.reachable };
  }

  onBeat(listener: () => Promise<void> | void): void {
    this.beatListeners.push(listener);
  }

  /**
   * Claims an item and, when it is won, watches it: `onLost` is called if another replica takes it over
   * or it may have expired. Undefined when the replica may not claim now or the database failed.
   */
  async claim(item: LeaseItem, onLost: LostHandler): Promise<Claim | undefined> {
    if (!this.canClaim()) return undefined;
    const now = this.clock.now();
    this.claiming.add(item.key);
    try {
      const claim = await this.store.claim({ ...item, owner: this.id, now: now.toISOString(), expiresAt: this.expiry(now) });
      this.reachable();
      if (claim.claimed) {
        this.watched.set(item.key, onLost);
        this.counters.claimed += 1;
        if (claim.previous?.status === 'held') this.counters.takenOver += 1;
      }
      return claim;
    } catch (err) {
      this.unreachable(err);
      return undefined;
    } finally {
      this.claiming.delete(item.key);
    }
  }

  /**
   * Claims the oldest claimable item of a kind (open, or held past its expiry; of one subject when
   * given) and watches it like `claim`. Undefined when there is none, or the replica may not claim now.
   */
  async claimNext(request: { kind: string; subject?: string }, onLost: LostHandler): Promise<Lease | undefined> {
    if (!this.canClaim()) return undefined;
    const now = this.clock.now();
    this.claimingAny += 1;
    try {
      const [lease] = await this.store.claimNext({ ...request, owner: this.id, now: now.toISOString(), expiresAt: this.expiry(now), limit: 1 });
      this.reachable();
      if (lease) {
        this.watched.set(lease.key, onLost);
        this.counters.claimed += 1;
        if (lease.claims > 1 && lease.previousOwner !== undefined && lease.previousOwner !== this.id) this.counters.takenOver += 1;
      }
      return lease;
    } catch (err) {
      this.unreachable(err);
      return undefined;
    } finally {
      this.claimingAny -= 1;
    }
  }

  /** Gives a held lease back (done, or reopened); retried at the next heartbeats when the database fails. */
  async release(key: string, request: ReleaseRequest): Promise<boolean> {
    this.watched.delete(key);
    const at = this.clock.now().toISOString();
    this.releasing.add(key);
    try {
      const released = await this.store.release(key, this.id, at, request);
      this.reachable();
      return released;
    } catch (err) {
      this.unreachable(err);
      this.pendingReleases.set(key, { ...request, at });
      return false;
    } finally {
      this.releasing.delete(key);
    }
  }

  /** Stops watching a lease that was lost; what holds it now is another replica's business. */
  forget(key: string): void {
    this.watched.delete(key);
  }

  /** Reads through the store, marking the database unreachable when it fails. */
  async read<T>(what: (store: ClusterStore) => Promise<T>): Promise<T | undefined> {
    try {
      const value = await what(this.store);
      this.reachable();
      return value;
    } catch (err) {
      this.unreachable(err);
      return undefined;
    }
  }

  /**
   * Runs `work` while holding the lock `name` across the replicas; undefined, without running it, when
   * another replica holds it (or the database cannot be reached).
   */
  async exclusive<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
    const key = `lock:${name}`;
    const claim = await this.claim({ key, kind: 'lock', subject: name, dueAt: this.clock.now().toISOString() }, () => undefined);
    if (!claim?.claimed) return undefined;
    try {
      return await work();
    } finally {
      await this.release(key, { outcome: 'released', reopen: true });
    }
  }

  /** One heartbeat now (the timer calls it; tests may too). Resolves once listeners have run. */
  beat(): Promise<void> {
    this.beating = this.beating.then(() => this.heartbeat()).catch((err: unknown) => this.log.error({ error: errorText(err) }, 'replica heartbeat failed'));
    return this.beating;
  }

  /** Resolves once no heartbeat is in progress. */
  async idle(): Promise<void> {
    await this.beating;
  }

  private armBeat(): void {
    if (this.leaving) return;
    this.beatHandle = this.timer.set(() => {
      this.beatHandle = undefined;
      void this.beat().then(() => this.armBeat());
    }, this.settings.heartbeatIntervalMs);
  }

  private async heartbeat(): Promise<void> {
    if (!this.joined || this.evicted) return;
    const now = this.clock.now();
    // Only leases watched before this heartbeat read the table can be missing from what it read: one
    // claimed while it ran is held all the same.
    const watchedBefore = new Set(this.watched.keys());
    let held: string[] | undefined;
    try {
      for (const [key, request] of this.pendingReleases) {
        await this.store.release(key, this.id, request.at, request);
        this.pendingReleases.delete(key);
      }
      held = await this.store.heartbeat(this.id, this.incarnation, now.toISOString(), this.expiry(now));
    } catch (err) {
      this.unreachable(err);
      // Past the lease timeout another replica may have taken anything over: stop working on it.
      if (this.lastBeatOkAt !== undefined && now.getTime() - this.lastBeatOkAt >= this.settings.leaseTimeoutMs) {
        this.loseAll(`the database could not be reached for ${Math.round((now.getTime() - this.lastBeatOkAt) / 1000)} s, past the lease timeout: another replica may take this work over`);
      }
      return;
    }
    if (held === undefined) {
      this.evicted = `replica id ${this.id} was taken by another process; this one stops claiming work`;
      this.log.error({ replica: this.id }, 'this replica was replaced by another process with the same id; it stops claiming work');
      this.loseAll(this.evicted);
      return;
    }
    this.lastBeatOkAt = now.getTime();
    this.reachable();
    const still = new Set(held);
    for (const [key, onLost] of [...this.watched]) {
      if (still.has(key) || !watchedBefore.has(key)) continue;
      this.watched.delete(key);
      this.counters.lost += 1;
      this.log.warn({ replica: this.id, lease: key }, 'a lease this replica held was taken over by another replica');
      onLost('another replica took the lease over (this replica missed its heartbeats)');
    }
    // Held here, watched by nothing: a release that never reached the database. Give it back (unless a
    // claim of the next item is in flight: what it won may be in `held` before it is watched).
    for (const key of this.claimingAny > 0 ? [] : held) {
      if (this.watched.has(key) || this.claiming.has(key) || this.releasing.has(key)) continue;
      await this.store.release(key, this.id, now.toISOString(), { outcome: 'abandoned', reopen: true }).catch(() => false);
    }
    for (const listener of this.beatListeners) {
      try {
        await listener();
      } catch (err) {
        this.log.error({ error: errorText(err) }, 'a heartbeat listener failed');
      }
    }
  }

  private loseAll(reason: string): void {
    for (const [key, onLost] of [...this.watched]) {
      this.watched.delete(key);
      this.counters.lost += 1;
      onLost(reason);
    }
  }

  private reachable(): void {
    if (this.health.reachable) return;
    this.log.warn({ replica: this.id, since: this.health.since }, 'the database answers again; this replica claims work again');
    this.health = { reachable: true };
  }

  private unreachable(err: unknown): void {
    const reason = errorText(err);
    if (this.health.reachable) {
      this.log.error({ replica: this.id, error: reason }, 'the database cannot be reached; this replica claims no work until it is back');
      this.health = { reachable: false, reason, since: this.clock.now().toISOString() };
    }
  }

  /** Stops heartbeating and marks the replica stopped; release held leases first (the scheduler does). */
  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    if (this.beatHandle) this.timer.clear(this.beatHandle);
    this.beatHandle = undefined;
    await this.beating;
    for (const [key, request] of this.pendingReleases) await this.store.release(key, this.id, request.at, request).catch(() => false);
    if (this.joined && !this.evicted) await this.store.leaveReplica(this.id, this.incarnation, this.clock.now().toISOString()).catch(() => undefined);
  }
}

/** A lease is live when it is held and has not expired by `now`. */
export function isLive(lease: Lease, now: Date): boolean {
  return lease.status === 'held' && lease.expiresAt !== undefined && lease.expiresAt > now.toISOString();
}
