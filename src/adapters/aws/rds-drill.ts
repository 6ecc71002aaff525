/** The RDS side of restore drills: restore, describe, delete, and find drill instances for the sweep. */
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBInstances,
  RestoreDBInstanceFromDBSnapshotCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type { Snapshot } from '../../checks/resources.js';
import type { AccountConfig } from '../../config/schema.js';
import { DRILL_TAGS } from '../../drills/plan.js';
import type { DrillPlatform, RestoredInstance, RestoreRequest } from '../../drills/ports.js';
import type { AwsClients } from './clients.js';
import { awsCall, classifyAwsError } from './errors.js';
import { AwsInventory } from './inventory.js';

/**
 * IAM actions drills call. `vigil iam-policy --with-drills` limits the mutating ones to resources
 * tagged vigil:managed-by=vigil.
 */
export const DRILL_ACTIONS = {
  read: ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots'],
  // AddTagsToResource is not a separate call: IAM requires it to create a resource with tags.
  mutate: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:AddTagsToResource', 'rds:DeleteDBInstance'],
} as const;

function toRestored(db: DBInstance): RestoredInstance {
  return {
    id: db.DBInstanceIdentifier ?? '',
    status: db.DBInstanceStatus ?? 'unknown',
    endpoint: db.Endpoint?.Address && db.Endpoint.Port ? { address: db.Endpoint.Address, port: db.Endpoint.Port } : undefined,
    engine: db.Engine,
    tags: Object.fromEntries((db.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}

export class AwsDrillPlatform implements DrillPlatform {
  private readonly inventory: AwsInventory;

  constructor(private readonly clients: AwsClients) {
    this.inventory = new AwsInventory(clients);
  }

  snapshots(account: AccountConfig, region: string): Promise<Snapshot[]> {
    return this.inventory.rdsSnapshots(account, region);
  }

  async restore(account: AccountConfig, region: string, request: RestoreRequest): Promise<void> {
    const rds = this.clients.client('rds', account, region);
    await awsCall({ service: 'rds', operation: 'RestoreDBInstanceFromDBSnapshot', account: account.id, region }, () =>
      rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: request.instanceId,
          DBSnapshotIdentifier: request.snapshotId,
          DBInstanceClass: request.instanceClass,
          // A drill copy is never reachable from the internet, never Multi-AZ, never protected from deletion.
          PubliclyAccessible: false,
          MultiAZ: false,
          DeletionProtection: false,
          DBSubnetGroupName: request.subnetGroup,
          VpcSecurityGroupIds: request.securityGroups.length ? request.securityGroups : undefined,
          Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }

  async describe(account: AccountConfig, region: string, instanceId: string): Promise<RestoredInstance | undefined> {
    const rds = this.clients.client('rds', account, region);
    try {
      const out = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }));
      const db = out.DBInstances?.[0];
      return db ? toRestored(db) : undefined;
    } catch (err) {
      if (classifyAwsError(err).code === 'DBInstanceNotFound' || classifyAwsError(err).code === 'DBInstanceNotFoundFault') return undefined;
      return awsCall({ service: 'rds', operation: 'DescribeDBInstances', account: account.id, region }, () => Promise.reject(err));
    }
  }

  async delete(account: AccountConfig, region: string, instanceId: string): Promise<void> {
    const rds = this.clients.client('rds', account, region);
    await awsCall({ service: 'rds', operation: 'DeleteDBInstance', account: account.id, region }, () =>
      rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: instanceId, SkipFinalSnapshot: true, DeleteAutomatedBackups: true })),
    );
  }

  async drillInstances(account: AccountConfig, region: string): Promise<RestoredInstance[]> {
    const rds = this.clients.client('rds', account, region);
    return awsCall({ service: 'rds', operation: 'DescribeDBInstances', account: account.id, region }, async () => {
      const out: RestoredInstance[] = [];
      for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 100 }, {})) {
        for (const db of page.DBInstances ?? []) {
          const restored = toRestored(db);
          if (restored.tags[DRILL_TAGS.managedBy] !== undefined || restored.tags[DRILL_TAGS.run] !== undefined) out.push(restored);
        }
      }
      return out;
    });
  }
}
