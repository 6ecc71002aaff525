/**
 * `service.cluster`: several `vigil serve` replicas on one database. Each replica heartbeats every
 * `heartbeatInterval`; one silent for `leaseTimeout` is dead, and what it held is taken over. A timeout
 * no longer than the interval would let a live replica lose its work between two heartbeats, so the
 * config refuses it (exit 2, before anything is claimed).
 */
import { z } from 'zod';
import { parseDuration } from '../core/clock.js';

const durationText = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a positive duration (e.g. 10s, 1m)` });
        return z.NEVER;
      }
      return { text, ms };
    });

export const clusterConfigSchema = z
  .strictObject({
    /** This replica's name in the database; `pid@host` when absent. Unique among live replicas. */
    replicaId: z.string().regex(/^[\w.@:-]{1,128}$/, 'expected a short name of letters, digits and . _ - @ : (such as vigil-0)').optional(),
    /** A replica silent for this long is dead: its leases may be taken over. */
    leaseTimeout: durationText('30s'),
    /** How often a replica renews its leases. */
    heartbeatInterval: durationText('10s'),
    /**
     * Accounts one replica scans at once when a check run is split over the replicas: each is a unit
     * another replica could take, so fewer here spreads a run wider, more lets one replica go faster.
     */
    scanUnitsInFlight: z.number().int().min(1).max(1024).default(16),
  })
  .transform((c, ctx) => {
    if (c.leaseTimeout.ms <= c.heartbeatInterval.ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaseTimeout'],
        message: `${c.leaseTimeout.text} must be longer than service.cluster.heartbeatInterval (${c.heartbeatInterval.text}): a replica renews its leases once per heartbeat interval, so a shorter timeout lets another replica take work from a live one (three intervals or more is safe)`,
      });
      return z.NEVER;
    }
    return { ...(c.replicaId !== undefined ? { replicaId: c.replicaId } : {}), leaseTimeoutMs: c.leaseTimeout.ms, heartbeatIntervalMs: c.heartbeatInterval.ms, scanUnitsInFlight: c.scanUnitsInFlight };
  });

export type ClusterConfig = z.output<typeof clusterConfigSchema>;

/** What a PostgreSQL store without `service.cluster` runs with: the defaults above. */
export const DEFAULT_CLUSTER = { leaseTimeoutMs: 30_000, heartbeatIntervalMs: 10_000, scanUnitsInFlight: 16 } as const;
