/**
 * The orphan sweep: at the start of every drill command and of the service, find what crashed drills
 * left behind (instances, and object versions under S3 drills' scratch prefixes, carrying Vigil's
 * drill tags whose drill is not alive), delete them, and record those drills as aborted.
 */
import { hostname } from 'node:os';
import { accountById, accountMissingReason } from '../checks/accounts.js';
import type { AccountConfig, VigilConfig } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import type { ReplicaRecord } from '../store/cluster-types.js';
import type { DrillRecord, Store } from '../store/types.js';
import { isS3Drill, type DrillDefinition, type S3DrillDefinition } from './definitions.js';
import { assertOurs, DRILL_TAGS } from './plan.js';
import type { DrillPlatform, S3DrillPlatform } from './ports.js';
import { s3Uri, scratchBucketOf } from './s3-plan.js';

export interface SweepOutcome {
  /** What was deleted (an instance id, an `s3://` object version), with the drill it belonged to. */
  deleted: Array<{ resource: string; accountId: string; region: string; drillId?: string }>;
  /** Drills marked aborted (their process is gone). */
  aborted: string[];
  /** Scopes that could not be swept, with the reason. */
  errors: Array<{ accountId: string; region: string; reason: string }>;
}

/**
 * A drill is alive while its process runs (same host) and its heartbeat is fresh. A drill a `vigil serve`
 * replica runs (its owner is the replica's id) is dead once that replica stopped heartbeating or stopped,
 * or restarted since the drill began, on whichever host it ran.
 */
export function isAlive(
  drill: DrillRecord,
  now: Date,
  staleAfterMs: number,
  processAlive: (pid: number) => boolean = defaultProcessAlive,
  replicas: ReadonlyMap<string, ReplicaRecord> = new Map(),
): boolean {
  if (drill.status !== 'running') return false;
  const replica = replicas.get(drill.owner);
  if (replica && (replica.stoppedAt !== undefined || replica.expiresAt <= now.toISOString() || drill.startedAt < replica.startedAt)) return false;
  const [pid, host] = drill.owner.split('@');
  if (host === hostname() && pid && !processAlive(Number(pid))) return false;
  return now.getTime() - Date.parse(drill.heartbeatAt) < staleAfterMs;
}

function defaultProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepDeps {
  config: VigilConfig;
  platform: DrillPlatform;
  store: Store;
  clock: Clock;
  processAlive?: (pid: number) => boolean;
  /** S3 drills name the scratch prefixes to look under; without these, only instances are swept. */
  s3?: S3DrillPlatform;
  definitions?: DrillDefinition[];
}

export async function sweepOrphans(deps: SweepDeps): Promise<SweepOutcome> {
  const outcome: SweepOutcome = { deleted: [], aborted: [], errors: [] };
  const now = deps.clock.now();
  const staleMs = deps.config.drills.staleAfterMinutes * 60_000;
  const running = await deps.store.listDrills({ status: 'running', limit: 1000 });
  const replicas = new Map((await deps.store.cluster?.listReplicas())?.map((r) => [r.id, r]) ?? []);
  const dead = new Map(running.filter((d) => !isAlive(d, now, staleMs, deps.processAlive, replicas)).map((d) => [d.id, d]));
  const live = new Set(running.filter((d) => !dead.has(d.id)).map((d) => d.id));

  for (const { account, regions } of sweepScopes(deps.config, deps.definitions ?? [], running)) {
    for (const region of regions) {
      let instances;
      try {
        instances = await deps.platform.drillInstances(account, region);
      } catch (err) {
        outcome.errors.push({ accountId: account.id, region, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      for (const instance of instances) {
        const drillId = instance.tags[DRILL_TAGS.run];
        if (drillId && live.has(drillId)) continue;
        if (instance.status === 'deleting') continue;
        try {
          assertOurs(instance, undefined);
          await deps.platform.delete(account, region, instance.id);
          outcome.deleted.push({ resource: instance.id, accountId: account.id, region, drillId });
        } catch (err) {
          outcome.errors.push({ accountId: account.id, region, reason: `${instance.id}: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    }
  }

  if (deps.s3) await sweepScratchPrefixes(deps, deps.s3, live, outcome);

  for (const drill of dead.values()) {
    const at = now.toISOString();
    const deletedHere = outcome.deleted.filter((d) => d.drillId === drill.id).map((d) => d.resource);
    await deps.store.finishDrillWithSignal(
      drill.id,
      {
        status: 'aborted',
        finishedAt: at,
        heartbeatAt: at,
        phases: [...drill.phases, { name: 'swept', at }],
        failure: `the process running this drill (${drill.owner}) stopped${replicas.has(drill.owner) ? ' (its replica stopped heartbeating, or restarted)' : ''}; the sweep ${deletedHere.length > 0 ? `deleted ${deletedHere.join(', ')}` : 'found nothing left to delete'}`,
      },
      {
        id: `${drill.id}:aborted`,
        kind: 'drill-failed',
        key: `drill:${drill.target}`,
        source: `drill ${drill.id}`,
        raisedAt: at,
        summary: `Restore drill ${drill.target} was aborted: the process running it stopped.`,
        payload: { drillId: drill.id, target: drill.target, aborted: true },
      },
    );
    outcome.aborted.push(drill.id);
  }
  return outcome;
}

/**
 * Where drill instances may be: every listed account's regions and DR region, and, for accounts
 * discovered through the organization (listed nowhere), the regions their runbooks restore into and
 * the regions running drills recorded.
 */
export function sweepScopes(config: VigilConfig, definitions: readonly DrillDefinition[], running: readonly DrillRecord[]): Array<{ account: AccountConfig; regions: string[] }> {
  const scopes = new Map<string, { account: AccountConfig; regions: Set<string> }>();
  const add = (account: AccountConfig, regions: Array<string | undefined>) => {
    const scope = scopes.get(account.id) ?? { account, regions: new Set<string>() };
    for (const region of regions) if (region) scope.regions.add(region);
    scopes.set(account.id, scope);
  };
  for (const account of config.accounts) add(account, [...account.regions, account.drRegion]);
  for (const def of definitions) {
    const account = accountById(config, def.source.account);
    if (!account) continue;
    const restoreFrom = isS3Drill(def) ? undefined : def.restore.from;
    add(account, [def.source.region, restoreFrom === 'dr' ? account.drRegion : restoreFrom === 'source' ? undefined : restoreFrom]);
  }
  for (const drill of running) {
    const account = accountById(config, drill.accountId);
    if (account) add(account, [drill.region]);
  }
  return [...scopes.values()].map(({ account, regions }) => ({ account, regions: [...regions].sort() }));
}

/**
 * Object versions under each S3 drill's scratch prefix that carry Vigil's drill tags and whose drill is
 * not alive. Each version's tags are re-read just before it is deleted; untagged objects are not
 * Vigil's and stay.
 */
async function sweepScratchPrefixes(deps: SweepDeps, s3: S3DrillPlatform, live: Set<string>, outcome: SweepOutcome): Promise<void> {
  const scopes = new Map<string, S3DrillDefinition>();
  for (const def of (deps.definitions ?? []).filter(isS3Drill)) scopes.set(`${def.source.account}|${def.source.region}|${scratchBucketOf(def)}|${def.restore.scratchPrefix}`, def);
  const seen = new Set<string>();
  for (const def of scopes.values()) {
    const region = def.source.region;
    const bucket = scratchBucketOf(def);
    const prefix = def.restore.scratchPrefix;
    const account = accountById(deps.config, def.source.account);
    if (!account) {
      outcome.errors.push({ accountId: def.source.account, region, reason: `drill ${def.id}: ${accountMissingReason(deps.config, def.source.account)}` });
      continue;
    }
    try {
      for await (const v of s3.versions(account, region, bucket, prefix)) {
        const ref = { bucket, key: v.key, versionId: v.versionId };
        // Keys are <scratch prefix><drill id>/<source key>: a live drill's objects need no tag reads.
        const pathDrill = v.key.slice(prefix.length).split('/')[0] ?? '';
        if (v.deleteMarker || live.has(pathDrill) || seen.has(`${v.key}@${v.versionId}`)) continue;
        seen.add(`${v.key}@${v.versionId}`);
        try {
          const tags = await s3.tags(account, region, ref);
          if (!tags || (tags[DRILL_TAGS.managedBy] === undefined && tags[DRILL_TAGS.run] === undefined)) continue;
          const drillId = tags[DRILL_TAGS.run];
          if (drillId && live.has(drillId)) continue;
          assertOurs({ id: s3Uri(ref), tags }, undefined);
          await s3.deleteVersion(account, region, ref);
          outcome.deleted.push({ resource: s3Uri(ref), accountId: account.id, region, drillId });
        } catch (err) {
          outcome.errors.push({ accountId: account.id, region, reason: `${s3Uri(ref)}: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    } catch (err) {
      outcome.errors.push({ accountId: account.id, region, reason: `s3://${bucket}/${prefix}: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
}
