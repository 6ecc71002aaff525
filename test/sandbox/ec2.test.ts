import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DescribeRegionsCommand,
  DescribeSnapshotAttributeCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifySnapshotAttributeCommand,
  paginateDescribeSnapshots,
  paginateDescribeTags,
  paginateDescribeVolumes,
  type DescribeSnapshotsCommandInput,
  type Snapshot,
} from '@aws-sdk/client-ec2';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { dailyStartTimes, seedEc2 } from '../../src/sandbox/aws/ec2-scenario.js';
import { regionState } from '../../src/sandbox/aws/ec2-model.js';
import { fileURLToPath } from 'node:url';
import { DEMO_SCENARIO_URL, loadScenario, parseScenario } from '../../src/sandbox/scenario.js';
import { World } from '../../src/sandbox/world.js';
import { startTestSandbox, TEST_KEY, type TestSandbox } from '../helpers/sandbox.js';

const NOW = '2025-06-15T12:00:00.000Z';
const SELF = '111111111111';
const OTHER = '222222222222';

const BULK_VOLUMES = Array.from({ length: 10 }, (_, i) => `            - name: bulk-${i}\n              size: ${10 + i}`).join('\n');

const SCENARIO = `
name: ec2-test
accounts:
  - id: "${SELF}"
    name: platform
    enabledRegions: [us-east-1, us-west-2, af-south-1]
    accessKeys:
      - accessKeyId: ${TEST_KEY.accessKeyId}
        secretAccessKey: ${TEST_KEY.secretAccessKey}
    iam:
      roles:
        - name: NoSnapshots
          trustedAccounts: ["${SELF}"]
          denyActions: ["ec2:DescribeSnapshots"]
    regions:
      us-east-1:
        ec2:
          volumes:
            - name: web-data
              size: 100
              encrypted: true
              age: 400d
              instance: i-0123456789abcdef0
              tags: { env: production, app: lms }
              snapshots:
                daily: { at: "03:00", keep: 90d, missingDaysAgo: [4, 5] }
            - name: worker-data
              size: 50
              age: 30d
              tags: { env: production }
              snapshots:
                daily: { at: "03:00", keep: 90d, stoppedDaysAgo: 2, tags: { "dlm:managed": "true" } }
            - name: scratch
              id: vol-0aaaaaaaaaaaaaaaa
              type: gp2
              tags: { env: staging }
          snapshots:
            - id: snap-0b0b0b0b0b0b0b0b0
              volume: scratch
              age: 200d
              public: true
              description: AMI build input
            - id: snap-0c0c0c0c0c0c0c0c0
              volume: scratch
              age: 3d
              sharedWith: ["999988887777"]
      us-west-2:
        ec2:
          copyCompletesAfter: 10m
          volumes:
${BULK_VOLUMES}
  - id: "${OTHER}"
    name: neighbour
    regions:
      us-east-1:
        ec2:
          snapshots:
            - { id: snap-0d0d0d0d0d0d0d0d0, public: true }
            - { id: snap-0e0e0e0e0e0e0e0e0, sharedWith: ["${SELF}"] }
            - { id: snap-0f0f0f0f0f0f0f0f0 }
`;

let sandbox: TestSandbox;
let clock: ManualClock;
let east: EC2Client;
let west: EC2Client;

beforeAll(async () => {
  clock = new ManualClock(NOW);
  sandbox = await startTestSandbox(SCENARIO, { clock });
  east = new EC2Client(sandbox.aws('us-east-1'));
  west = new EC2Client(sandbox.aws('us-west-2'));
});

afterAll(async () => {
  await sandbox.stop();
});

async function volumeId(name: string): Promise<string> {
  const { Volumes } = await east.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:Name', Values: [name] }] }));
  return Volumes?.[0]?.VolumeId as string;
}

async function allSnapshots(client: EC2Client, input: DescribeSnapshotsCommandInput, pageSize: number): Promise<{ pages: number[]; snapshots: Snapshot[] }> {
  const pages: number[] = [];
  const snapshots: Snapshot[] = [];
  for await (const page of paginateDescribeSnapshots({ client, pageSize }, input)) {
    pages.push(page.Snapshots?.length ?? 0);
    snapshots.push(...(page.Snapshots ?? []));
  }
  return { pages, snapshots };
}

function daysAgo(date: Date | undefined): number {
  return Math.round((new Date(NOW).setUTCHours(3, 0, 0, 0) - (date as Date).getTime()) / DAY_MS);
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (e: unknown) => e);
}

describe('DescribeRegions', () => {
  it('lists the enabled regions with their opt-in status', async () => {
    const { Regions } = await east.send(new DescribeRegionsCommand({}));

    expect(Regions).toEqual([
      { RegionName: 'af-south-1', Endpoint: 'ec2.af-south-1.amazonaws.com', OptInStatus: 'opted-in' },
      { RegionName: 'us-east-1', Endpoint: 'ec2.us-east-1.amazonaws.com', OptInStatus: 'opt-in-not-required' },
      { RegionName: 'us-west-2', Endpoint: 'ec2.us-west-2.amazonaws.com', OptInStatus: 'opt-in-not-required' },
    ]);
  });

  it('adds the regions not opted in with AllRegions, and narrows by RegionNames', async () => {
    const all = await east.send(new DescribeRegionsCommand({ AllRegions: true }));
    const named = await east.send(new DescribeRegionsCommand({ AllRegions: true, RegionNames: ['eu-west-1', 'us-west-2'] }));
    const disabled = await east.send(new DescribeRegionsCommand({ RegionNames: ['eu-west-1'] }));

    expect(all.Regions).toHaveLength(32);
    expect(named.Regions?.map((r) => [r.RegionName, r.OptInStatus])).toEqual([['eu-west-1', 'not-opted-in'], ['us-west-2', 'opt-in-not-required']]);
    expect(disabled.Regions).toEqual([]);
  });

  it('refuses an unknown region name, and answers calls in a disabled region with AuthFailure', async () => {
    const unknown = await errorOf(east.send(new DescribeRegionsCommand({ RegionNames: ['xx-nowhere-1'] })));
    const disabled = await errorOf(new EC2Client(sandbox.aws('eu-west-1')).send(new DescribeRegionsCommand({})));

    expect(unknown).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    expect(disabled).toMatchObject({ name: 'AuthFailure', $metadata: { httpStatusCode: 401 } });
  });
});

describe('DescribeVolumes', () => {
  it('describes a volume with its attachment, encryption and tags', async () => {
    const { Volumes } = await east.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web-data'] }] }));

    expect(Volumes).toEqual([
      expect.objectContaining({
        VolumeId: expect.stringMatching(/^vol-[0-9a-f]{17}$/),
        Size: 100,
        AvailabilityZone: 'us-east-1a',
        State: 'in-use',
        CreateTime: new Date(new Date(NOW).getTime() - 400 * DAY_MS),
        Encrypted: true,
        KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:111111111111:key\//),
        VolumeType: 'gp3',
        Attachments: [expect.objectContaining({ InstanceId: 'i-0123456789abcdef0', State: 'attached' })],
        Tags: expect.arrayContaining([{ Key: 'Name', Value: 'web-data' }, { Key: 'env', Value: 'production' }]),
      }),
    ]);
  });

  it('finds volumes by id and by filters with wildcards', async () => {
    const byId = await east.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0aaaaaaaaaaaaaaaa'] }));
    const production = await east.send(new DescribeVolumesCommand({ Filters: [{ Name: 'tag:env', Values: ['prod*'] }, { Name: 'encrypted', Values: ['false'] }] }));
    const unattached = await east.send(new DescribeVolumesCommand({ Filters: [{ Name: 'status', Values: ['available'] }, { Name: 'tag-key', Values: ['env'] }] }));

    expect(byId.Volumes?.map((v) => [v.VolumeId, v.State, v.VolumeType, v.Attachments])).toEqual([['vol-0aaaaaaaaaaaaaaaa', 'available', 'gp2', []]]);
    expect(production.Volumes?.map((v) => v.Tags?.find((t) => t.Key === 'Name')?.Value)).toEqual(['worker-data']);
    expect(unattached.Volumes).toHaveLength(2);
  });

  it.each([
    [5, [5, 5]],
    [6, [6, 4]],
    [10, [10]],
    [1000, [10]],
  ])('pages 10 volumes %i at a time as %j', async (pageSize, expected) => {
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of paginateDescribeVolumes({ client: west, pageSize }, {})) {
      sizes.push(page.Volumes?.length ?? 0);
      for (const v of page.Volumes ?? []) ids.add(v.VolumeId as string);
    }

    expect(sizes).toEqual(expected);
    expect(ids.size).toBe(10);
  });

  it('refuses an unknown volume, a page size under 5, and ids with MaxResults', async () => {
    const missing = await errorOf(east.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0123456789abcdef0'] })));
    const tooSmall = await errorOf(east.send(new DescribeVolumesCommand({ MaxResults: 4 })));
    const both = await errorOf(east.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0aaaaaaaaaaaaaaaa'], MaxResults: 5 })));

    expect(missing).toMatchObject({ name: 'InvalidVolume.NotFound', message: "The volume 'vol-0123456789abcdef0' does not exist." });
    expect(tooSmall).toMatchObject({ name: 'InvalidParameterValue' });
    expect(both).toMatchObject({ name: 'InvalidParameterCombination' });
  });
});

describe('DescribeSnapshots', () => {
  it('generates a daily schedule with its missing days, back 90 days', async () => {
    const web = await volumeId('web-data');

    const { snapshots } = await allSnapshots(east, { OwnerIds: ['self'], Filters: [{ Name: 'volume-id', Values: [web] }] }, 1000);
    const days = snapshots.map((s) => daysAgo(s.StartTime));

    expect(snapshots).toHaveLength(88);
    expect(days).not.toContain(4);
    expect(days).not.toContain(5);
    expect(Math.min(...days)).toBe(0);
    expect(Math.max(...days)).toBe(89);
    expect(snapshots[0]).toEqual({
      SnapshotId: expect.stringMatching(/^snap-[0-9a-f]{17}$/),
      VolumeId: web,
      VolumeSize: 100,
      StartTime: new Date(new Date(NOW).getTime() - 89 * DAY_MS - 9 * 3600_000),
      CompletionTime: expect.any(Date),
      State: 'completed',
      Progress: '100%',
      OwnerId: SELF,
      Encrypted: true,
      KmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:111111111111:key\//),
      Description: 'Daily snapshot of web-data at 03:00 UTC',
      StorageTier: 'standard',
      Tags: [{ Key: 'Name', Value: 'web-data' }, { Key: 'env', Value: 'production' }, { Key: 'app', Value: 'lms' }],
    });
  });

  it('stops a stopped schedule, and never reaches back before the volume existed', async () => {
    const worker = await volumeId('worker-data');

    const { snapshots } = await allSnapshots(east, { Filters: [{ Name: 'volume-id', Values: [worker] }, { Name: 'tag:dlm:managed', Values: ['true'] }] }, 1000);
    const days = snapshots.map((s) => daysAgo(s.StartTime));

    expect(snapshots).toHaveLength(28);
    expect(Math.min(...days)).toBe(2);
    expect(Math.max(...days)).toBe(29);
  });

  it('shows what the caller may restore: its own, public ones and ones shared with it', async () => {
    const everything = await allSnapshots(east, {}, 1000);
    const own = await allSnapshots(east, { OwnerIds: ['self'] }, 1000);
    const neighbour = await allSnapshots(east, { OwnerIds: [OTHER] }, 1000);
    const hidden = await east.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0f0f0f0f0f0f0f0f0'] }));

    expect(own.snapshots).toHaveLength(118);
    expect(everything.snapshots).toHaveLength(120);
    expect(neighbour.snapshots.map((s) => s.SnapshotId)).toEqual(['snap-0d0d0d0d0d0d0d0d0', 'snap-0e0e0e0e0e0e0e0e0']);
    expect(hidden.Snapshots).toEqual([]);
  });

  it('narrows by RestorableByUserIds, status, tag and owner filters', async () => {
    const publicOnes = await east.send(new DescribeSnapshotsCommand({ RestorableByUserIds: ['all'] }));
    const sharedByMe = await east.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], RestorableByUserIds: ['999988887777'] }));
    const staging = await east.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'owner-id', Values: [SELF] }, { Name: 'status', Values: ['completed'] }, { Name: 'description', Values: ['AMI*'] }] }));
    const badFilter = await errorOf(east.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })));

    expect(publicOnes.Snapshots?.map((s) => s.SnapshotId)).toEqual(['snap-0b0b0b0b0b0b0b0b0', 'snap-0d0d0d0d0d0d0d0d0']);
    expect(sharedByMe.Snapshots?.map((s) => s.SnapshotId)).toEqual(['snap-0c0c0c0c0c0c0c0c0']);
    expect(staging.Snapshots?.map((s) => s.SnapshotId)).toEqual(['snap-0b0b0b0b0b0b0b0b0']);
    expect(badFilter).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it.each([
    [7, [7, 7, 7, 7]],
    [27, [27, 1]],
    [28, [28]],
    [5, [5, 5, 5, 5, 5, 3]],
  ])('pages 28 snapshots %i at a time as %j with the SDK paginator', async (pageSize, expected) => {
    const worker = await volumeId('worker-data');

    const { pages, snapshots } = await allSnapshots(east, { Filters: [{ Name: 'volume-id', Values: [worker] }] }, pageSize);

    expect(pages).toEqual(expected);
    expect(new Set(snapshots.map((s) => s.SnapshotId)).size).toBe(28);
  });

  it('pages across owners without losing or repeating a snapshot', async () => {
    const { pages, snapshots } = await allSnapshots(east, {}, 40);

    expect(pages).toEqual([40, 40, 40]);
    expect(new Set(snapshots.map((s) => s.SnapshotId)).size).toBe(120);
  });

  it('refuses unknown and malformed ids, ids with MaxResults, bad page sizes and tokens', async () => {
    const missing = await errorOf(east.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0b0b0b0b0b0b0b0b0', 'snap-01234567890abcdef'] })));
    const malformed = await errorOf(east.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snapshot-1'] })));
    const both = await errorOf(east.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0b0b0b0b0b0b0b0b0'], MaxResults: 5 })));
    const tooSmall = await errorOf(east.send(new DescribeSnapshotsCommand({ MaxResults: 4 })));
    const badToken = await errorOf(east.send(new DescribeSnapshotsCommand({ MaxResults: 5, NextToken: 'bm9wZQ' })));

    expect(missing).toMatchObject({ name: 'InvalidSnapshot.NotFound', message: "The snapshot 'snap-01234567890abcdef' does not exist.", $metadata: { httpStatusCode: 400 } });
    expect(malformed).toMatchObject({ name: 'InvalidSnapshotID.Malformed' });
    expect(both).toMatchObject({ name: 'InvalidParameterCombination' });
    expect(tooSmall).toMatchObject({ name: 'InvalidParameterValue' });
    expect(badToken).toMatchObject({ name: 'InvalidNextToken' });
  });

  it('answers UnauthorizedOperation to a role denied ec2:DescribeSnapshots', async () => {
    const sts = new STSClient(sandbox.aws());
    const { Credentials } = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${SELF}:role/NoSnapshots`, RoleSessionName: 'restricted' }));
    const restricted = new EC2Client(
      sandbox.aws('us-east-1', { accessKeyId: Credentials?.AccessKeyId as string, secretAccessKey: Credentials?.SecretAccessKey as string, sessionToken: Credentials?.SessionToken as string }),
    );

    const denied = await errorOf(restricted.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] })));
    const allowed = await restricted.send(new DescribeVolumesCommand({ VolumeIds: ['vol-0aaaaaaaaaaaaaaaa'] }));

    expect(denied).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 }, message: expect.stringContaining('ec2:DescribeSnapshots') });
    expect(allowed.Volumes).toHaveLength(1);
  });

  it('retries RequestLimitExceeded and succeeds once the bucket refills', async () => {
    await sandbox.setFaults([{ service: 'ec2', operation: 'DescribeSnapshots', throttle: { ratePerSecond: 20, burst: 1 } }]);

    const results = await Promise.all([1, 2, 3].map(() => east.send(new DescribeSnapshotsCommand({ SnapshotIds: ['snap-0b0b0b0b0b0b0b0b0'] }))));
    const summary = await sandbox.inspect<{ counts: Array<{ service: string; operation: string; throttled: number }> }>('calls/summary');
    await sandbox.setFaults([]);

    expect(results.map((r) => r.Snapshots?.[0]?.SnapshotId)).toEqual(['snap-0b0b0b0b0b0b0b0b0', 'snap-0b0b0b0b0b0b0b0b0', 'snap-0b0b0b0b0b0b0b0b0']);
    expect(summary.counts.find((c) => c.operation === 'DescribeSnapshots')?.throttled).toBeGreaterThan(0);
  });
});

describe('snapshot permissions', () => {
  it('describes public and shared createVolumePermission', async () => {
    const publicOne = await east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission' }));
    const shared = await east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c0', Attribute: 'createVolumePermission' }));

    expect(publicOne).toMatchObject({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', CreateVolumePermissions: [{ Group: 'all' }] });
    expect(shared.CreateVolumePermissions).toEqual([{ UserId: '999988887777' }]);
  });

  it('adds and removes permissions, then describes none', async () => {
    await east.send(new ModifySnapshotAttributeCommand({
      SnapshotId: 'snap-0b0b0b0b0b0b0b0b0',
      Attribute: 'createVolumePermission',
      CreateVolumePermission: { Add: [{ UserId: '444455556666' }], Remove: [{ Group: 'all' }] },
    }));
    const changed = await east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission' }));
    await east.send(new ModifySnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission', OperationType: 'remove', UserIds: ['444455556666'] }));
    const cleared = await east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission' }));
    await east.send(new ModifySnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission', OperationType: 'add', GroupNames: ['all'] }));
    const restored = await east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0b0b0b0b0b0b0b0b0', Attribute: 'createVolumePermission' }));

    expect(changed.CreateVolumePermissions).toEqual([{ UserId: '444455556666' }]);
    expect(cleared.CreateVolumePermissions).toEqual([]);
    expect(restored.CreateVolumePermissions).toEqual([{ Group: 'all' }]);
  });

  it('records permission changes in the CloudTrail event history', async () => {
    await east.send(new ModifySnapshotAttributeCommand({ SnapshotId: 'snap-0c0c0c0c0c0c0c0c0', CreateVolumePermission: { Add: [{ UserId: '123412341234' }] } }));
    const cloudtrail = new CloudTrailClient(sandbox.aws('us-east-1'));

    const { Events } = await cloudtrail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'ModifySnapshotAttribute' }] }));
    const record = JSON.parse(Events?.[0]?.CloudTrailEvent ?? '{}') as { eventSource?: string; requestParameters?: unknown };

    expect(Events?.[0]?.Resources).toEqual([{ ResourceType: 'AWS::EC2::Snapshot', ResourceName: 'snap-0c0c0c0c0c0c0c0c0' }]);
    expect(record).toMatchObject({
      eventSource: 'ec2.amazonaws.com',
      requestParameters: { snapshotId: 'snap-0c0c0c0c0c0c0c0c0', attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { add: { items: [{ userId: '123412341234' }] } } },
    });
  });

  it('refuses to make an encrypted snapshot public or share one under the aws/ebs key', async () => {
    const [encrypted] = (await east.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'encrypted', Values: ['true'] }], MaxResults: 5 }))).Snapshots ?? [];
    const modify = (add: { Group?: 'all'; UserId?: string }) =>
      east.send(new ModifySnapshotAttributeCommand({ SnapshotId: encrypted?.SnapshotId, Attribute: 'createVolumePermission', CreateVolumePermission: { Add: [add] } }));

    const publicly = await errorOf(modify({ Group: 'all' }));
    const shared = await errorOf(modify({ UserId: '444455556666' }));

    expect(publicly).toMatchObject({ name: 'UnsupportedOperation' });
    expect(shared).toMatchObject({ name: 'InvalidParameter' });
  });

  it('answers InvalidSnapshot.NotFound for a snapshot the caller does not own', async () => {
    const error = await errorOf(east.send(new DescribeSnapshotAttributeCommand({ SnapshotId: 'snap-0e0e0e0e0e0e0e0e0', Attribute: 'createVolumePermission' })));

    expect(error).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });
});

describe('snapshot lifecycle', () => {
  it('creates a snapshot of a volume, pending at first, and deletes it', async () => {
    const web = await volumeId('web-data');

    const created = await east.send(new CreateSnapshotCommand({
      VolumeId: web,
      Description: 'before migration',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'reason', Value: 'migration' }] }],
    }));
    await east.send(new DeleteSnapshotCommand({ SnapshotId: created.SnapshotId }));
    const gone = await errorOf(east.send(new DescribeSnapshotsCommand({ SnapshotIds: [created.SnapshotId as string] })));
    const again = await errorOf(east.send(new DeleteSnapshotCommand({ SnapshotId: created.SnapshotId })));

    expect(created).toMatchObject({ VolumeId: web, State: 'pending', Progress: '0%', VolumeSize: 100, Encrypted: true, Description: 'before migration', Tags: [{ Key: 'reason', Value: 'migration' }] });
    expect(gone).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(again).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
  });

  it('refuses CreateSnapshot without a volume or of an unknown volume', async () => {
    const missing = await errorOf(east.send(new CreateSnapshotCommand({ VolumeId: undefined as unknown as string })));
    const unknown = await errorOf(east.send(new CreateSnapshotCommand({ VolumeId: 'vol-0123456789abcdef0' })));

    expect(missing).toMatchObject({ name: 'MissingParameter' });
    expect(unknown).toMatchObject({ name: 'InvalidVolume.NotFound' });
  });

  it('copies a snapshot into another region: pending, then completed on the world clock', async () => {
    const [source] = (await east.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'tag:Name', Values: ['worker-data'] }], MaxResults: 5 }))).Snapshots ?? [];

    const copy = await west.send(new CopySnapshotCommand({
      SourceRegion: 'us-east-1',
      SourceSnapshotId: source?.SnapshotId,
      Encrypted: true,
      KmsKeyId: 'alias/dr-backups',
      TagSpecifications: [{ ResourceType: 'snapshot', Tags: [{ Key: 'copy-of', Value: source?.SnapshotId as string }] }],
    }));
    const describe = async () => (await west.send(new DescribeSnapshotsCommand({ SnapshotIds: [copy.SnapshotId as string] }))).Snapshots?.[0];
    clock.advance(5 * 60_000);
    const halfway = await describe();
    clock.advance(5 * 60_000);
    const done = await describe();

    expect(copy.Tags).toEqual([{ Key: 'copy-of', Value: source?.SnapshotId }]);
    expect(halfway).toMatchObject({ State: 'pending', Progress: '50%', VolumeId: 'vol-ffffffff', VolumeSize: 50, Encrypted: true, Description: `[Copied ${source?.SnapshotId} from us-east-1]` });
    expect(halfway?.KmsKeyId).toMatch(/^arn:aws:kms:us-west-2:111111111111:key\//);
    expect(done).toMatchObject({ State: 'completed', Progress: '100%' });
  });

  it('refuses a copy without SourceRegion, of an unknown snapshot, or with a key but no encryption', async () => {
    const noRegion = await errorOf(west.send(new CopySnapshotCommand({ SourceRegion: undefined as unknown as string, SourceSnapshotId: 'snap-0b0b0b0b0b0b0b0b0' })));
    const unknown = await errorOf(west.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: 'snap-0f0f0f0f0f0f0f0f0' })));
    const keyOnly = await errorOf(west.send(new CopySnapshotCommand({ SourceRegion: 'us-east-1', SourceSnapshotId: 'snap-0b0b0b0b0b0b0b0b0', KmsKeyId: 'alias/x' })));

    expect(noRegion).toMatchObject({ name: 'MissingParameter' });
    expect(unknown).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(keyOnly).toMatchObject({ name: 'InvalidParameterDependency' });
  });
});

describe('tags', () => {
  it('creates, describes and deletes tags on volumes and snapshots', async () => {
    await east.send(new CreateTagsCommand({ Resources: ['vol-0aaaaaaaaaaaaaaaa', 'snap-0c0c0c0c0c0c0c0c0'], Tags: [{ Key: 'owner', Value: 'data-team' }, { Key: 'tier', Value: 'cold' }] }));
    const tagged = await east.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:owner', Values: ['data-team'] }] }));
    const described = await east.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['owner', 'tier'] }] }));
    await east.send(new DeleteTagsCommand({ Resources: ['snap-0c0c0c0c0c0c0c0c0'], Tags: [{ Key: 'owner', Value: 'someone-else' }, { Key: 'tier' }] }));
    const afterDelete = await east.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['snap-0c0c0c0c0c0c0c0c0'] }] }));
    await east.send(new DeleteTagsCommand({ Resources: ['vol-0aaaaaaaaaaaaaaaa'] }));
    const volumeTags = await east.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['vol-0aaaaaaaaaaaaaaaa'] }] }));

    expect(tagged.Snapshots?.map((s) => s.SnapshotId)).toEqual(['snap-0c0c0c0c0c0c0c0c0']);
    expect(described.Tags).toEqual([
      { ResourceId: 'vol-0aaaaaaaaaaaaaaaa', ResourceType: 'volume', Key: 'owner', Value: 'data-team' },
      { ResourceId: 'vol-0aaaaaaaaaaaaaaaa', ResourceType: 'volume', Key: 'tier', Value: 'cold' },
      { ResourceId: 'snap-0c0c0c0c0c0c0c0c0', ResourceType: 'snapshot', Key: 'owner', Value: 'data-team' },
      { ResourceId: 'snap-0c0c0c0c0c0c0c0c0', ResourceType: 'snapshot', Key: 'tier', Value: 'cold' },
    ]);
    expect(afterDelete.Tags).toEqual([{ ResourceId: 'snap-0c0c0c0c0c0c0c0c0', ResourceType: 'snapshot', Key: 'owner', Value: 'data-team' }]);
    expect(volumeTags.Tags).toEqual([]);
  });

  it('pages tags with the SDK paginator', async () => {
    const pages: number[] = [];

    for await (const page of paginateDescribeTags({ client: west, pageSize: 5 }, { Filters: [{ Name: 'resource-type', Values: ['volume'] }] })) pages.push(page.Tags?.length ?? 0);

    expect(pages).toEqual([5, 5]);
  });

  it('refuses tags on unknown resources and reserved keys', async () => {
    const unknown = await errorOf(east.send(new CreateTagsCommand({ Resources: ['snap-01234567890abcdef'], Tags: [{ Key: 'a', Value: 'b' }] })));
    const reserved = await errorOf(east.send(new CreateTagsCommand({ Resources: ['vol-0aaaaaaaaaaaaaaaa'], Tags: [{ Key: 'aws:owner', Value: 'b' }] })));

    expect(unknown).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(reserved).toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('schedules', () => {
  const at = { at: '03:00', keep: 10 * DAY_MS, missingDaysAgo: [] as number[] };

  it.each([
    ['before today\'s run', '2025-06-15T02:00:00Z', 10, 1],
    ['after today\'s run', '2025-06-15T04:00:00Z', 10, 0],
  ])('keeps one snapshot per day for the retention, %s', (_case, now, count, newestDaysAgo) => {
    const times = dailyStartTimes(new Date(now), new Date('2020-01-01T00:00:00Z'), at);

    expect(times).toHaveLength(count);
    expect(times.at(-1)?.toISOString()).toBe(new Date(Date.parse('2025-06-15T03:00:00Z') - newestDaysAgo * DAY_MS).toISOString());
  });

  it('skips missing days, stops when stopped, and starts with the volume', () => {
    const times = dailyStartTimes(new Date('2025-06-15T12:00:00Z'), new Date('2025-06-08T12:00:00Z'), { ...at, missingDaysAgo: [3], stoppedDaysAgo: 1 });

    expect(times.map((t) => t.toISOString().slice(0, 10))).toEqual(['2025-06-09', '2025-06-10', '2025-06-11', '2025-06-13', '2025-06-14']);
  });

  it.each([
    ['a public encrypted snapshot', '{ volumes: [{ name: v, encrypted: true }], snapshots: [{ volume: v, public: true }] }', 'us-east-1.ec2.snapshots[0].public'],
    ['a copy with no source', '{ snapshots: [{ copyOf: { region: us-west-2, volume: nope } }] }', 'us-east-1.ec2.snapshots[0].copyOf'],
    ['data in a region the account has not enabled', '{ volumes: [{ name: v }] }', 'af-south-1.ec2'],
  ])('refuses a scenario with %s', (_case, ec2, path) => {
    const region = path.split('.')[0] as string;
    const scenario = parseScenario(`{ name: bad, accounts: [{ id: "${SELF}", name: bad, enabledRegions: [us-east-1, us-west-2], regions: { ${region}: { ec2: ${ec2} } } }] }`, 'bad.yaml');

    const error = (() => {
      try {
        seedEc2(new World(new ManualClock(NOW)), scenario);
      } catch (e) {
        return e;
      }
      return undefined;
    })();

    expect(error).toMatchObject({ name: 'ConfigError', problems: [expect.objectContaining({ path: `accounts[0].regions.${path}` })] });
  });

  it('refuses an explicit snapshot of a volume the region does not have', () => {
    const parse = () => parseScenario(`{ name: bad, accounts: [{ id: "${SELF}", name: bad, regions: { us-east-1: { ec2: { snapshots: [{ volume: nope }] } } } }] }`, 'bad.yaml');

    expect(parse).toThrow(/snapshots\[0\]\.volume: not the name or id of a volume/);
  });

  it('seeds an estate of 25,550 snapshots fast and serves it in pages of at most 1,000', async () => {
    const volumes = Array.from({ length: 70 }, (_, i) => `            - { name: v${i}, age: 400d, snapshots: { daily: { keep: 365d } } }`).join('\n');
    const scenario = parseScenario(`
name: estate
accounts:
  - id: "${SELF}"
    name: estate
    accessKeys: [{ accessKeyId: AKIAESTATEESTATE0001, secretAccessKey: estate-secret }]
    regions:
      us-east-1:
        ec2:
          volumes:
${volumes}
`, 'estate.yaml');
    const world = new World(new ManualClock(NOW));

    const started = performance.now();
    seedEc2(world, scenario);
    const seededMs = performance.now() - started;
    const estate = await startTestSandbox(scenario, { clock: new ManualClock(NOW) });
    const client = new EC2Client(estate.aws('us-east-1', { accessKeyId: 'AKIAESTATEESTATE0001', secretAccessKey: 'estate-secret' }));
    const pages: number[] = [];
    for await (const page of paginateDescribeSnapshots({ client, pageSize: 5000 }, { OwnerIds: ['self'] })) pages.push(page.Snapshots?.length ?? 0);
    await estate.stop();

    expect(regionState(world, SELF, 'us-east-1').snapshots).toHaveLength(25_550);
    expect(seededMs).toBeLessThan(1500);
    expect(pages).toHaveLength(26);
    expect(pages.slice(0, 25).every((n) => n === 1000)).toBe(true);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(25_550);
  }, 60_000);
});

describe('the demo scenario', () => {
  it('plants the EBS story: kept promises, a stopped schedule, an unencrypted volume, public, shared and over-retained snapshots', () => {
    const world = new World(new ManualClock(NOW));

    seedEc2(world, loadScenario(fileURLToPath(DEMO_SCENARIO_URL)));
    const production = regionState(world, '222222222222', 'us-east-1');
    const dr = regionState(world, '222222222222', 'us-west-2');
    const staging = regionState(world, '333333333333', 'us-east-1');
    const volumeByName = new Map(production.volumes.map((v) => [v.tags['Name'], v]));
    const daysOf = (name: string) => production.snapshots.filter((s) => s.volumeId === volumeByName.get(name)?.volumeId && s.description.startsWith('Daily')).map((s) => daysAgo(s.startedAt));

    expect(daysOf('web-data')).toHaveLength(90);
    expect(daysOf('worker-data')).toEqual(Array.from({ length: 89 - 2 + 1 }, (_, i) => 89 - i).filter((d) => ![5, 6, 7].includes(d)));
    expect(production.snapshots.filter((s) => s.volumeId === volumeByName.get('transcode-scratch')?.volumeId).every((s) => !s.encrypted)).toBe(true);
    expect(production.snapshots.filter((s) => s.public).map((s) => s.description)).toEqual(['Transcode scratch for vendor debugging']);
    expect(production.snapshots.filter((s) => s.sharedWith.length > 0).map((s) => s.sharedWith)).toEqual([['999988887777']]);
    expect(production.snapshots.filter((s) => daysAgo(s.startedAt) > 150).map((s) => s.description)).toEqual(['Before the LMS 4.0 upgrade - keep']);
    expect(dr.snapshots.map((s) => [s.volumeId, s.encrypted, s.description.startsWith('[Copied snap-')])).toEqual([['vol-ffffffff', true, true], ['vol-ffffffff', true, true]]);
    expect(staging.volumes.map((v) => v.tags['env'])).toEqual(['staging', 'staging', 'staging']);
    expect(staging.snapshots).toEqual([]);
  });
});
