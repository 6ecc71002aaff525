/**
 * Runs check definitions over accounts and regions: lists the subjects each check judges, fetches
 * what its evaluator needs once, and streams one result per resource. Anything that could not be
 * read becomes an `error` result naming what and why; it never becomes a pass or a fail.
 */
import type { AccountConfig } from '../config/schema.js';
import { ExternalServiceError } from '../core/errors.js';
import { errorVerdict, notApplicable, type CheckResult, type Verdict } from '../core/results.js';
import type { CheckDefinition } from './definitions.js';
import type { EvalContext, Evaluator } from './evaluator.js';
import { describeResource, kindName, resourceName } from './evaluators/describe.js';
import type { InventoryPort } from './inventory.js';
import { CouldNotLook, type BackupSource, type Resource, type ResourceKind, type S3Bucket, type Snapshot, type SourceKind } from './resources.js';
import { describeScope, inScope, type Scope } from './scope.js';

export interface EvaluationPlan {
  checks: CheckDefinition[];
  accounts: AccountConfig[];
  /** Only these regions, when given. */
  regions?: string[];
  scope: Scope;
}

export interface EngineDeps {
  inventory: InventoryPort;
  evaluators: ReadonlyMap<string, Evaluator<Record<string, unknown>>>;
  /** The time verdicts are judged at (one instant for the whole run). */
  now: Date;
  /** When each result was produced. */
  clock: () => Date;
  /** How many account-regions are evaluated at once. */
  concurrency?: number;
}

export interface UnitProgress {
  checkId: string;
  accountId: string;
  region: string;
  results: number;
}

/** Evaluates the plan, handing each batch of results (one check in one account-region) to `onBatch`. */
export async function evaluate(plan: EvaluationPlan, deps: EngineDeps, onBatch: (batch: CheckResult[], unit: UnitProgress) => Promise<void> | void): Promise<void> {
  const units: Array<{ account: AccountConfig; region: string }> = [];
  for (const account of plan.accounts) {
    for (const region of account.regions) if (!plan.regions || plan.regions.includes(region)) units.push({ account, region });
  }
  let next = 0;
  const worker = async () => {
    while (next < units.length) {
      const unit = units[next++] as { account: AccountConfig; region: string };
      for (const check of plan.checks) {
        const batch = await evaluateUnit(check, unit.account, unit.region, plan.scope, deps);
        await onBatch(batch, { checkId: check.id, accountId: unit.account.id, region: unit.region, results: batch.length });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency ?? 4, units.length)) }, worker));
}

function reasonOf(err: unknown): string {
  if (err instanceof ExternalServiceError || err instanceof CouldNotLook) return err.message;
  return `internal error: ${err instanceof Error ? err.message : String(err)}`;
}

async function evaluateUnit(check: CheckDefinition, account: AccountConfig, region: string, configScope: Scope, deps: EngineDeps): Promise<CheckResult[]> {
  const evaluator = deps.evaluators.get(check.evaluator) as Evaluator<Record<string, unknown>>;
  const scope = check.scope ?? configScope;
  const result = (subject: { resource: string; name: string }, verdict: Verdict): CheckResult => ({
    ...verdict,
    ...subject,
    accountId: account.id,
    region,
    checkId: check.id,
    severity: check.severity,
    params: check.params,
    evaluatedAt: deps.clock().toISOString(),
    remediation: check.remediation,
  });
  const whole = { resource: `aws:${account.id}:${region}:${check.resource}`, name: `${kindName(check.resource)}s in ${account.id}/${region}` };

  let subjects: Resource[];
  try {
    subjects = await listSubjects(check.resource, account, region, deps.inventory);
  } catch (err) {
    return [result(whole, errorVerdict(`Could not list ${kindName(check.resource)}s in ${account.id}/${region}: ${reasonOf(err)}.`, {}))];
  }

  const out: CheckResult[] = [];
  const judged: Resource[] = [];
  for (const subject of subjects) {
    const tags = tagsOf(subject);
    if (!tags.ok) {
      if (scope.include.length > 0 || scope.exclude.length > 0) {
        out.push(result(identify(subject), errorVerdict(`${describeResource(subject)}: could not read its tags to decide whether it is in scope: ${tags.reason}.`, {})));
      } else judged.push(subject);
      continue;
    }
    if (inScope(scope, tags.value)) judged.push(subject);
  }
  if (judged.length === 0 && out.length === 0) {
    return [result(whole, notApplicable(`No ${kindName(check.resource)}s in scope (${describeScope(scope)}) in ${account.id}/${region}.`, { scope: describeScope(scope) }))];
  }

  let data: NeededData;
  try {
    data = await loadNeeds(evaluator.needs(check.params), check.resource, account, region, deps.inventory);
  } catch (err) {
    const reason = reasonOf(err);
    return [...out, ...judged.map((s) => result(identify(s), errorVerdict(`${describeResource(s)}: could not read what the check needs: ${reason}.`, {})))];
  }

  for (const subject of judged) {
    const ctx: EvalContext<Record<string, unknown>> = {
      params: check.params,
      now: deps.now,
      account,
      region,
      drRegion: account.drRegion,
      snapshots: data.snapshots.get(sourceIdOf(subject)) ?? [],
      drCopies: copiesOf(subject, data),
      buckets: data.buckets,
    };
    let verdict: Verdict;
    try {
      verdict = evaluator.evaluate(subject, ctx);
    } catch (err) {
      verdict = err instanceof CouldNotLook ? errorVerdict(`${describeResource(subject)}: ${err.message}.`, {}) : errorVerdict(`${describeResource(subject)}: the evaluator failed: ${reasonOf(err)}.`, {});
    }
    out.push(result(identify(subject), verdict));
  }
  return out;
}

function identify(subject: Resource): { resource: string; name: string } {
  return { resource: subject.arn, name: resourceName(subject) };
}

function tagsOf(subject: Resource): { ok: true; value: Record<string, string> } | { ok: false; reason: string } {
  return subject.kind === 's3-bucket' ? subject.tags : { ok: true, value: subject.tags };
}

function sourceIdOf(subject: Resource): string {
  return subject.kind === 's3-bucket' ? subject.name : subject.id;
}

async function listSubjects(kind: ResourceKind, account: AccountConfig, region: string, inventory: InventoryPort): Promise<Resource[]> {
  switch (kind) {
    case 'rds-instance':
      // Aurora members are judged as their cluster: their backups are the cluster's.
      return (await inventory.rdsInstances(account, region)).filter((i) => i.clusterId === undefined);
    case 'rds-cluster':
      return inventory.rdsClusters(account, region);
    case 'ebs-volume':
      return inventory.ebsVolumes(account, region);
    case 's3-bucket':
      return (await inventory.s3Buckets(account)).filter((b) => b.region === region);
  }
}

interface NeededData {
  /** Snapshots by source id, in the subject's region. */
  snapshots: Map<string, Snapshot[]>;
  /** Snapshots in the DR region, and the ids of this region's snapshots by source. */
  drSnapshots: Snapshot[];
  buckets: S3Bucket[];
}

function snapshotsIn(kind: SourceKind, account: AccountConfig, region: string, inventory: InventoryPort): Promise<Snapshot[]> {
  switch (kind) {
    case 'rds-instance':
      return inventory.rdsSnapshots(account, region);
    case 'rds-cluster':
      return inventory.rdsClusterSnapshots(account, region);
    case 'ebs-volume':
      return inventory.ebsSnapshots(account, region);
  }
}

async function loadNeeds(needs: readonly string[], kind: ResourceKind, account: AccountConfig, region: string, inventory: InventoryPort): Promise<NeededData> {
  const data: NeededData = { snapshots: new Map(), drSnapshots: [], buckets: [] };
  if (kind !== 's3-bucket' && (needs.includes('snapshots') || needs.includes('drCopies'))) {
    for (const s of await snapshotsIn(kind, account, region, inventory)) {
      const list = data.snapshots.get(s.sourceId);
      if (list) list.push(s);
      else data.snapshots.set(s.sourceId, [s]);
    }
  }
  if (kind !== 's3-bucket' && needs.includes('drCopies') && account.drRegion && account.drRegion !== region) {
    data.drSnapshots = await snapshotsIn(kind, account, account.drRegion, inventory);
  }
  if (needs.includes('buckets')) data.buckets = await inventory.s3Buckets(account);
  return data;
}

/**
 * Copies in the DR region of this subject's snapshots. RDS copies keep the instance id; EBS copies do
 * not keep the volume id, so they are matched through the snapshot they were copied from.
 */
function copiesOf(subject: Resource, data: NeededData): Snapshot[] {
  if (subject.kind === 's3-bucket' || data.drSnapshots.length === 0) return [];
  const source = subject as BackupSource;
  const own = new Set((data.snapshots.get(source.id) ?? []).flatMap((s) => [s.id, s.arn]));
  return data.drSnapshots.filter((copy) => {
    const fromHere = copy.sourceRegion === source.region || (copy.sourceSnapshotArn ?? '').includes(`:${source.region}:`);
    if (!fromHere) return false;
    if (copy.sourceId === source.id) return true;
    const origin = copy.sourceSnapshotArn ?? '';
    return own.has(origin) || own.has(origin.split(/[:/]/).pop() ?? '');
  });
}
