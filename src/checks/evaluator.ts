/**
 * An evaluator is a small pure function over inventory data. Many checks share one evaluator with
 * different params: 30-day RDS and 90-day EBS retention are the same evaluator.
 */
import type { z } from 'zod';
import type { AccountConfig } from '../config/schema.js';
import type { InventoryPort } from './inventory.js';
import type { Verdict } from '../core/results.js';
import type { Resource, ResourceKind, S3Bucket, Snapshot } from './resources.js';

/**
 * Data an evaluator may need beyond its subject; the engine fetches each once per account and region.
 * The backup needs are built in; capability folders register more by name (see NeedLoader).
 */
export type Need = 'snapshots' | 'drCopies' | 'buckets' | (string & {});

/** Loads a named need for one account and region, given the check's params (lists come through the cached inventory). */
export type NeedLoader = (
  inventory: InventoryPort,
  account: AccountConfig,
  region: string,
  window: { since?: Date; now: Date },
  params: Readonly<Record<string, unknown>>,
) => Promise<unknown>;

export interface EvalContext<P> {
  params: P;
  now: Date;
  account: AccountConfig;
  region: string;
  /** The account's DR region, when configured. */
  drRegion?: string;
  /** Snapshots of the subject, in its own region (needs `snapshots`). */
  snapshots: Snapshot[];
  /** Copies of the subject's snapshots in the DR region (needs `drCopies`). */
  drCopies: Snapshot[];
  /** Every bucket of the account, e.g. replication destinations (needs `buckets`). */
  buckets: S3Bucket[];
  /** Registered needs, by name. */
  data: Readonly<Record<string, unknown>>;
  /** When this check last ran successfully (event checks judge what happened since). */
  since?: Date;
}

export interface Evaluator<P = Record<string, unknown>> {
  name: string;
  /** One line: what it judges. */
  summary: string;
  /** Strict schema of its params, defaults from the seeds' promises. */
  params: z.ZodType<P>;
  /** The kind of resource it judges; may depend on params (one evaluator serves RDS and EBS). */
  subject(params: P): ResourceKind;
  needs(params: P): readonly Need[];
  /**
   * Judges one resource. Throwing CouldNotLook gives `error`; any other throw is a bug, also `error`.
   * May return several verdicts, each naming what it is `about` (one per finding or event).
   */
  evaluate(resource: Resource, ctx: EvalContext<P>): Verdict | Verdict[];
}

/** Declares an evaluator with its params type inferred from the schema. */
export function defineEvaluator<S extends z.ZodType<Record<string, unknown>>>(
  evaluator: Omit<Evaluator<z.output<S>>, 'params'> & { params: S },
): Evaluator<z.output<S>> {
  return evaluator as unknown as Evaluator<z.output<S>>;
}
