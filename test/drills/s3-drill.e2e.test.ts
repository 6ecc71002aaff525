/**
 * S3 version-restore drills end to end: the real S3 client against the sandbox's versioned buckets,
 * checksums as S3 recorded them (CRC64NVME by default, others where the writer asked for them).
 */
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, ListObjectVersionsCommand, PutObjectCommand, PutObjectTaggingCommand, type ChecksumAlgorithm, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/adapters/aws/clients.js';
import { AwsDrillPlatform } from '../../src/adapters/aws/rds-drill.js';
import { AwsS3DrillPlatform, S3_DRILL_ACTIONS } from '../../src/adapters/aws/s3-drill.js';
import { configSchema, type VigilConfig } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import type { AccountConfig } from '../../src/config/schema.js';
import type { S3DrillDefinition } from '../../src/drills/definitions.js';
import type { S3VersionRef } from '../../src/drills/ports.js';
import { runDrill, type DrillDeps } from '../../src/drills/run.js';
import { sweepOrphans } from '../../src/drills/sweep.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startTestSandbox, TEST_KEY, type TestSandbox, useSandboxEnv } from '../helpers/sandbox.js';
import { s3Definition } from './fixtures.js';

const SCENARIO = `
name: s3-drills
accounts:
  - id: "111111111111"
    name: management
    accessKeys: [{ accessKeyId: ${TEST_KEY.accessKeyId}, secretAccessKey: ${TEST_KEY.secretAccessKey} }]
  - id: "222222222222"
    name: production
    iam:
      roles: [{ name: VigilAudit, trustedAccounts: ["111111111111"] }]
    regions:
      us-east-1:
        s3:
          buckets:
            - name: content-prod
              versioning: Enabled
              generate:
                - { keys: "courses/course-{n}/package.zip", count: 6, versions: 3, newest: 2d, every: 10d, size: 4096 }
              objects:
                - key: courses/catalog.json
                  versions: [{ age: 1d, content: '{"courses": 6}' }, { age: 9d, content: '{"courses": 5}' }]
                - key: courses/retired/package.zip
                  versions: [{ age: 20d, size: 2048 }]
                  deleted: 5d
                - key: site/index.html
                  versions: [{ age: 1d, content: "<h1>live</h1>" }, { age: 3d, content: "<h1>old</h1>" }]
            - name: replicated-prod
              versioning: Enabled
              replication: { rules: [{ destination: replicated-dr }] }
              generate: [{ keys: "data/file-{n}.bin", count: 2, versions: 2 }]
            - name: replicated-dr
              versioning: Enabled
            - name: drill-scratch
              versioning: Enabled
`;

const ACCOUNT = '222222222222';
let sandbox: TestSandbox;
let config: VigilConfig;
let clients: AwsClients;
let s3: S3Client;
const saved = { ...process.env };

function deps(store: SqliteStore, overrides: Partial<DrillDeps> = {}): DrillDeps {
  return {
    config,
    platform: new AwsDrillPlatform(clients),
    s3: new AwsS3DrillPlatform(clients),
    credentials: undefined,
    connector: { connect: () => Promise.reject(new Error('an S3 drill does not connect to a database')) },
    scripts: { run: () => Promise.reject(new Error('an S3 drill runs no scripts')) },
    store,
    clock: systemClock,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    root: '/',
    ...overrides,
  };
}

const newStore = () => SqliteStore.open(mkdtempSync(join(tmpdir(), 'vigil-s3-drill-e2e-')));

/** Every version and delete marker under a prefix as `key@version` (`*` marks the current one). */
async function listing(bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }));
    for (const v of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) out.push(`${v.Key}@${v.VersionId}${v.IsLatest ? '*' : ''}`);
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker !== undefined);
  return out.sort();
}

/** The IAM actions S3 checks for each operation a drill makes, as documented for versioned requests. */
const AUTHORIZED_BY: Record<string, string[]> = {
  GetBucketReplication: ['s3:GetReplicationConfiguration'],
  ListObjectVersions: ['s3:ListBucketVersions'],
  HeadObject: ['s3:GetObjectVersion'],
  CopyObject: ['s3:GetObjectVersion', 's3:PutObject', 's3:PutObjectTagging'],
  GetObject: ['s3:GetObjectVersion'],
  GetObjectTagging: ['s3:GetObjectVersionTagging'],
  DeleteObject: ['s3:DeleteObjectVersion'],
};

async function s3Calls(operation: string): Promise<number> {
  const calls = await sandbox.inspect<Array<{ status: number }>>(`calls?service=aws:s3&operation=${operation}`);
  return calls.filter((c) => c.status < 300).length;
}

const everything = (overrides: Record<string, unknown> = {}): S3DrillDefinition =>
  s3Definition({ restore: { recoveryPoint: 'noncurrent', sample: 50 }, targets: { rto: '15m', rpo: '60d' }, ...overrides });

beforeAll(async () => {
  sandbox = await startTestSandbox(SCENARIO);
  useSandboxEnv(sandbox);
  config = configSchema.parse({
    version: 1,
    aws: { maxAttempts: 3 },
    accounts: [{ id: ACCOUNT, name: 'production', roleArn: `arn:aws:iam::${ACCOUNT}:role/VigilAudit`, regions: ['us-east-1'] }],
  });
  clients = new AwsClients(config.aws);
  s3 = clients.client('s3', config.accounts[0], 'us-east-1');
  // Uploads whose writers asked for other checksums, each overwritten once so the first is noncurrent.
  const algorithms: ChecksumAlgorithm[] = ['SHA256', 'SHA1', 'CRC32C', 'CRC32'];
  for (const algorithm of algorithms) {
    for (const edition of ['first', 'second']) {
      await s3.send(new PutObjectCommand({ Bucket: 'content-prod', Key: `courses/uploads/${algorithm.toLowerCase()}.txt`, Body: `${edition} edition, ${algorithm}`, ChecksumAlgorithm: algorithm }));
    }
  }
}, 60_000);

afterAll(async () => {
  clients.destroy();
  process.env = saved;
  await sandbox.stop();
});

describe('S3 restore drills against the sandbox', () => {
  it('restores noncurrent versions into the scratch prefix, verifies their checksums, and deletes exactly what it created', async () => {
    const live = await listing('content-prod');
    const { lastSeq } = await sandbox.inspect<{ lastSeq: number }>('calls/summary');

    const record = await runDrill(everything(), { trigger: 'cli', actor: 'test', reason: 'e2e' }, deps(newStore()));
    const calls = await sandbox.inspect<Array<{ operation: string; status: number }>>(`calls?service=aws:s3&since=${lastSeq}`);
    const count = (operation: string) => calls.filter((c) => c.operation === operation && c.status < 300).length;

    expect([record.status, record.failure]).toEqual(['succeeded', undefined]);
    expect(record.phases.map((p) => p.name)).toEqual(['planned', 'restore-requested', 'available', 'verified', 'deleted']);
    // Six packages, the catalog, the retired (deleted) course and four uploads have noncurrent versions; site/ is outside the prefix.
    expect(record.verification.map((v) => v['name'])).toEqual([
      'courses/catalog.json',
      'courses/course-001/package.zip',
      'courses/course-002/package.zip',
      'courses/course-003/package.zip',
      'courses/course-004/package.zip',
      'courses/course-005/package.zip',
      'courses/course-006/package.zip',
      'courses/retired/package.zip',
      'courses/uploads/crc32.txt',
      'courses/uploads/crc32c.txt',
      'courses/uploads/sha1.txt',
      'courses/uploads/sha256.txt',
    ]);
    expect(record.verification.every((v) => v['passed'] === true)).toBe(true);
    expect(new Set(record.verification.map((v) => (v['expected'] as { algorithm: string }).algorithm))).toEqual(new Set(['CRC64NVME', 'CRC32', 'CRC32C', 'SHA1', 'SHA256']));
    expect(record.verification.find((v) => v['name'] === 'courses/retired/package.zip')).toMatchObject({ state: 'deleted', expected: { size: 2048 }, observed: { size: 2048 } });
    expect(record.verification.find((v) => v['name'] === 'courses/uploads/sha256.txt')?.['message']).toMatch(/^courses\/uploads\/sha256\.txt \(version \S+, written .+\): SHA256 \S+ and 21 bytes match what S3 recorded\.$/);
    expect([count('HeadObject'), count('CopyObject'), count('GetObject'), count('GetObjectTagging'), count('DeleteObject')]).toEqual([12, 12, 12, 12, 12]);
    // What S3 authorizes for each call the drill made (with a version id, the *Version* actions) is what the adapter declares.
    const declared = new Set<string>([...S3_DRILL_ACTIONS.read, ...S3_DRILL_ACTIONS.mutate]);
    const authorized = [...new Set(calls.map((c) => c.operation))].sort().flatMap((operation) => AUTHORIZED_BY[operation] ?? [`(undeclared) ${operation}`]);
    expect(authorized.filter((action) => !declared.has(action))).toEqual([]);
    expect(await listing('content-prod', 'vigil-drill/')).toEqual([]);
    expect(await listing('content-prod')).toEqual(live);
  });

  it('copies into a separate scratch bucket, and refuses to delete a copy someone re-tagged', async () => {
    const def = everything({ restore: { recoveryPoint: 'latest', sample: 2, scratchBucket: 'drill-scratch' } });
    const retagged: string[] = [];
    /** Someone re-tags the first copy while the drill reads it back. */
    class RetaggingS3 extends AwsS3DrillPlatform {
      override async read(account: AccountConfig, region: string, ref: S3VersionRef): Promise<AsyncIterable<Uint8Array>> {
        if (retagged.length === 0) {
          await s3.send(new PutObjectTaggingCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, Tagging: { TagSet: [{ Key: 'owner', Value: 'data-team' }] } }));
          retagged.push(`${ref.key}@${ref.versionId}`);
        }
        return super.read(account, region, ref);
      }
    }
    const d = deps(newStore(), { s3: new RetaggingS3(clients) });

    const record = await runDrill(def, { trigger: 'cli', reason: 'e2e' }, d);
    const left = await listing('drill-scratch', 'vigil-drill/');
    const [key, versionId] = (retagged[0] as string).split('@') as [string, string];

    expect(record.status).toBe('failed');
    expect(record.failure).toBe(`teardown refused: s3://drill-scratch/${key} (version ${versionId}) is not tagged as created by this drill (vigil:managed-by=absent, vigil:drill-run=absent); Vigil will not delete it`);
    expect(record.verification.map((v) => v['passed'])).toEqual([true, true]);
    expect(left).toEqual([`${key}@${versionId}*`]);
    expect(await listing('content-prod', 'vigil-drill/')).toEqual([]);

    await s3.send(new DeleteObjectCommand({ Bucket: 'drill-scratch', Key: key, VersionId: versionId }));
  });

  it('refuses a scratch prefix that replication would carry to another bucket, before copying anything', async () => {
    const copiesBefore = await s3Calls('CopyObject');
    const def = s3Definition({ source: { kind: 's3-bucket', account: ACCOUNT, region: 'us-east-1', bucket: 'replicated-prod', prefix: 'data/' } });

    const record = await runDrill(def, { trigger: 'cli', reason: 'e2e' }, deps(newStore()));

    expect(record.failure).toBe(
      'replication rule replicate-1 of replicated-prod would copy drill objects under vigil-drill/ to replicated-dr, where deleting them here does not reach; set restore.scratchBucket to a bucket without replication',
    );
    expect((await s3Calls('CopyObject')) - copiesBefore).toBe(0);
    expect(await listing('replicated-dr', 'vigil-drill/')).toEqual([]);
  });

  it('sweeps versions a dead drill left under the scratch prefix, and nothing else', async () => {
    const store = newStore();
    const def = everything({ restore: { scratchBucket: 'drill-scratch' } });
    const stale = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const now = new Date().toISOString();
    const base = { target: def.id, accountId: ACCOUNT, region: 'us-east-1', status: 'running' as const, trigger: 'cli' as const, startedAt: stale, phases: [], verification: [], measures: {} };
    await store.createDrill({ ...base, id: 'dead-drill', owner: '4242@another-host', heartbeatAt: stale });
    await store.createDrill({ ...base, id: 'live-drill', owner: `${process.pid}@${hostname()}`, heartbeatAt: now });
    const put = (key: string, tagging?: string) => s3.send(new PutObjectCommand({ Bucket: 'drill-scratch', Key: key, Body: 'x', Tagging: tagging }));
    await put('vigil-drill/dead-drill/courses/a.zip', 'vigil%3Amanaged-by=vigil&vigil%3Adrill-run=dead-drill');
    await put('vigil-drill/live-drill/courses/a.zip', 'vigil%3Amanaged-by=vigil&vigil%3Adrill-run=live-drill');
    await put('vigil-drill/notes/readme.txt');

    const outcome = await sweepOrphans({ config, platform: new AwsDrillPlatform(clients), s3: new AwsS3DrillPlatform(clients), definitions: [def], store, clock: systemClock });
    const dead = await store.getDrill('dead-drill');

    expect(outcome.deleted).toEqual([{ resource: expect.stringMatching(/^s3:\/\/drill-scratch\/vigil-drill\/dead-drill\/courses\/a\.zip \(version \S+\)$/), accountId: ACCOUNT, region: 'us-east-1', drillId: 'dead-drill' }]);
    expect(outcome.aborted).toEqual(['dead-drill']);
    expect(outcome.errors).toEqual([]);
    expect(dead?.failure).toContain('the sweep deleted s3://drill-scratch/vigil-drill/dead-drill/courses/a.zip');
    expect((await listing('drill-scratch', 'vigil-drill/')).map((e) => e.split('@')[0])).toEqual(['vigil-drill/live-drill/courses/a.zip', 'vigil-drill/notes/readme.txt']);
  });
});
