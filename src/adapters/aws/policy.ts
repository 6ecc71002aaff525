/**
 * Vigil's own least privilege: the IAM policy its role needs, built from the actions every adapter
 * declares it calls. Read-only for the checks; drills get separate statements limited by tags.
 */
import type { CheckDefinition } from '../../checks/definitions.js';
import { inventoryReads } from '../../checks/engine.js';
import type { Evaluator } from '../../checks/evaluator.js';
import type { InventoryPort } from '../../checks/inventory.js';
import type { S3DrillDefinition } from '../../drills/definitions.js';
import { DRILL_ACTIONS } from './rds-drill.js';
import { S3_DRILL_ACTIONS, s3DrillStatements } from './s3-drill.js';
import { IAM_ACTIONS } from './iam-inventory.js';
import { IDENTITY_ACTIONS, PRINCIPAL_ACTIONS } from './identity.js';
import { INVENTORY_ACTIONS } from './inventory.js';
import { THREAT_ACTIONS } from './threat-inventory.js';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The IAM actions behind each inventory method (Vault's reads are Vault policy, not IAM). */
const METHOD_ACTIONS: Partial<Record<keyof InventoryPort, readonly string[]>> = { ...INVENTORY_ACTIONS, ...IAM_ACTIONS, ...THREAT_ACTIONS };

export interface PolicyScope {
  /** The checks that will run, with their evaluators; all declared reads when omitted. */
  checks?: Array<{ check: CheckDefinition; evaluator: Evaluator<Record<string, unknown>> }>;
}

/**
 * The read actions the given checks, `accounts verify` and drill planning call, sorted and
 * de-duplicated; every declared read when no checks are given.
 */
export function readActions(scope: PolicyScope = {}): string[] {
  const methods = scope.checks
    ? [...new Set(scope.checks.flatMap(({ check, evaluator }) => [...inventoryReads(check, evaluator)]))]
    : (Object.keys(METHOD_ACTIONS) as Array<keyof InventoryPort>);
  const declared = [
    ...methods.flatMap((m) => METHOD_ACTIONS[m] ?? []),
    // AssumeRole and ListAccounts are granted to the principal Vigil starts as, not to the audit role it assumes.
    ...IDENTITY_ACTIONS.filter((a) => !PRINCIPAL_ACTIONS.has(a)),
    ...DRILL_ACTIONS.read,
  ];
  return [...new Set(declared)].sort();
}

const SERVICE_NAMES: Record<string, string> = {
  rds: 'Rds',
  ec2: 'Ec2',
  s3: 'S3',
  iam: 'Iam',
  guardduty: 'GuardDuty',
  cloudtrail: 'CloudTrail',
  sts: 'Sts',
};

/**
 * The audit role's policy. With drills: RDS restores and deletes limited by Vigil's tag, and for S3
 * drills (reading object versions is reading customer data) reads limited to the sampled prefixes and
 * writes and deletes to the scratch prefixes.
 */
export function vigilPolicy(options: { withDrills: boolean; s3Drills?: S3DrillDefinition[] } & PolicyScope): PolicyDocument {
  const byService = new Map<string, string[]>();
  for (const action of readActions(options)) {
    const service = action.split(':')[0] as string;
    byService.set(service, [...(byService.get(service) ?? []), action]);
  }
  const statements: PolicyStatement[] = [...byService.entries()].map(([service, actions]) => ({
    Sid: `VigilRead${SERVICE_NAMES[service] ?? service}`,
    Effect: 'Allow',
    Action: actions,
    Resource: '*',
  }));
  if (options.withDrills) {
    statements.push(
      {
        // A restore may only create an instance that carries Vigil's drill tag from birth.
        Sid: 'VigilDrillRestoreTagged',
        Effect: 'Allow',
        Action: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource'],
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestTag/vigil:managed-by': 'vigil' } },
      },
      {
        // And may only delete instances that carry it; Vigil re-reads the tags before asking too.
        Sid: 'VigilDrillDeleteOwn',
        Effect: 'Allow',
        Action: ['rds:DeleteDBInstance'],
        Resource: 'arn:aws:rds:*:*:db:vigil-drill-*',
        Condition: { StringEquals: { 'aws:ResourceTag/vigil:managed-by': 'vigil' } },
      },
      ...s3DrillStatements(options.s3Drills ?? []),
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Every action only drills need (granted with --with-drills), for the declared-actions test. */
export function drillActions(): string[] {
  return [...new Set([...DRILL_ACTIONS.mutate, ...S3_DRILL_ACTIONS.read, ...S3_DRILL_ACTIONS.mutate])].sort();
}
