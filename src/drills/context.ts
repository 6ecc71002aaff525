/** What every kind of drill shares: its dependencies, the request, the running record, the outcome. */
import { hostname } from 'node:os';
import type { AccountConfig, VigilConfig } from '../config/schema.js';
import { accountById, accountMissingReason } from '../checks/accounts.js';
import type { Clock } from '../core/clock.js';
import { ConfigError, ExternalServiceError, SafetyError } from '../core/errors.js';
import type { DrillPhase, DrillRecord, Store, Trigger } from '../store/types.js';
import type { DrillDefinition } from './definitions.js';
import type { RecoveryPoint } from './plan.js';
import type { CredentialSource, DatabaseConnector, DrillPlatform, S3DrillPlatform, ScriptRunner, Sleep } from './ports.js';

export interface DrillDeps {
  config: VigilConfig;
  /** RDS restores. */
  platform: DrillPlatform;
  /** S3 version restores. */
  s3: S3DrillPlatform;
  credentials: CredentialSource | undefined;
  connector: DatabaseConnector;
  scripts: ScriptRunner;
  store: Store;
  clock: Clock;
  sleep: Sleep;
  /** Picks random recovery points and samples; S3 samples default to a generator seeded with the drill id. */
  random?: () => number;
  /** Project root, for verification scripts. */
  root: string;
  onPhase?: (phase: DrillPhase['name'] | 'verifying', detail?: string) => void;
  /** Aborted when the service stops: the drill stops waiting for its restore and tears down what it made. */
  signal?: AbortSignal;
  /** Recorded as the drill's owner: the replica running it under `vigil serve`; `pid@host` when absent. */
  owner?: string;
}

export interface DrillRequest {
  trigger: Trigger;
  actor?: string;
  reason?: string;
  /** Overrides the definition's recovery point (`latest`, `random:7d`, an id; `noncurrent` for S3). */
  recoveryPoint?: string;
  /** Overrides where to restore from: a region (RDS only). */
  fromRegion?: string;
}

/** The running drill as its execution sees it. */
export interface RunContext {
  drillId: string;
  account: AccountConfig;
  /** Records a phase with its time (and heartbeat). */
  phase(name: DrillPhase['name']): Promise<void>;
  /** Saves progress to the drill record; every save is a heartbeat. */
  save(patch: Partial<Omit<DrillRecord, 'id'>>): Promise<void>;
}

/** What an execution hands back for measuring and judging. */
export interface Execution {
  failure?: string;
  point?: RecoveryPoint;
  requestedAt?: Date;
  verifiedAt?: Date;
  verification: Array<Record<string, unknown>>;
  /** The newest restored row's time (RDS freshness), when a step measured it. */
  newestAt?: string;
}

export type PlanResult<P> = { ok: true; plan: P } | { ok: false; reason: string; region?: string };

/** A drill's own failure, with the sentence that explains it: not a bug. */
export class DrillFailure extends Error {}

/** The failure sentence for anything an execution throws; only unexpected errors say "internal". */
export function failureText(err: unknown): string {
  if (err instanceof DrillFailure || err instanceof ExternalServiceError || err instanceof SafetyError) return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

export function ownerId(): string {
  return `${process.pid}@${hostname()}`;
}

export function accountOf(config: VigilConfig, def: DrillDefinition): AccountConfig {
  const account = accountById(config, def.source.account);
  if (!account) throw new ConfigError([{ file: def.file, path: 'source.account', message: accountMissingReason(config, def.source.account) }]);
  return account;
}

export function joinFailures(...parts: Array<string | undefined>): string | undefined {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  return present.length > 0 ? present.join('; ') : undefined;
}
