import { describe, expect, it } from 'vitest';
import { S3_DRILL_ACTIONS, S3_DRILL_METHOD_ACTIONS, s3DrillMutationResources, s3DrillStatements } from '../../src/adapters/aws/s3-drill.js';
import { checksumHasher, checksumOfStream, type RecordedAlgorithm } from '../../src/drills/checksums.js';
import { drillDefinitionSchema, validateDrillDefinition } from '../../src/drills/definitions.js';
import type { S3VersionEntry } from '../../src/drills/ports.js';
import { copySourceOf, parseS3RecoveryPoint, replicationCovering, s3PlannedCalls, s3RecoveryPoint, sampleVersions, scratchKey, seededRandom, type SampleOptions } from '../../src/drills/s3-plan.js';
import { judgeCopy, recordedChecksum } from '../../src/drills/s3-verify.js';
import { s3Definition } from './fixtures.js';

const NOW = new Date('2026-11-24T12:00:00.000Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

/** A key's history, newest first, as ListObjectVersions lists it; `x` is a delete marker. */
function history(key: string, ...ages: Array<number | 'x'>): S3VersionEntry[] {
  return ages.map((age, i) => ({
    key,
    versionId: `${key}#${i}`,
    isLatest: i === 0,
    deleteMarker: age === 'x',
    lastModified: daysAgo(age === 'x' ? 1 : age),
    size: age === 'x' ? 0 : 100,
    etag: age === 'x' ? undefined : '"0123456789abcdef0123456789abcdef"',
  }));
}

const options = (overrides: Partial<SampleOptions> = {}): SampleOptions => ({ size: 5, choice: { kind: 'noncurrent' }, now: NOW, maxKeyBytes: 900, ...overrides });
const keysOf = (chosen: Array<{ key: string }>) => chosen.map((c) => c.key);

describe('S3 recovery points', () => {
  it.each([
    ['latest', { kind: 'latest' }],
    ['noncurrent', { kind: 'noncurrent' }],
    ['random:30d', { kind: 'random', spanMs: 30 * 86_400_000 }],
    ['random:12h', { kind: 'random', spanMs: 12 * 3_600_000 }],
    ['lms-prod-weekly', undefined],
    ['random:7', undefined],
  ])('%s', (text, expected) => {
    expect(parseS3RecoveryPoint(text)).toEqual(expected);
  });
});

describe('sampling objects with noncurrent versions', () => {
  const bucket = [...history('a', 1, 10, 20), ...history('b', 2), ...history('c', 'x', 5, 40), ...history('d', 3, 70)];

  it('takes only keys with a noncurrent version, and marks a deleted key', async () => {
    const sample = await sampleVersions(bucket, options(), () => 0);

    expect(keysOf(sample.chosen)).toEqual(['a', 'c', 'd']);
    expect(sample.chosen.map((c) => c.state)).toEqual(['overwritten', 'deleted', 'overwritten']);
    expect([sample.listedKeys, sample.eligibleKeys]).toEqual([4, 3]);
  });

  it('restores the newest noncurrent version for latest', async () => {
    const sample = await sampleVersions(bucket, options({ choice: { kind: 'latest' } }), () => 0.99);

    expect(sample.chosen.map((c) => c.versionId)).toEqual(['a#1', 'c#1', 'd#1']);
  });

  it('restores a random noncurrent version for noncurrent', async () => {
    const sample = await sampleVersions(bucket, options(), () => 0.99);

    expect(sample.chosen.map((c) => c.versionId)).toEqual(['a#2', 'c#2', 'd#1']);
  });

  it('keeps to the window of random:<n>d and counts what it left out', async () => {
    const sample = await sampleVersions(bucket, options({ choice: { kind: 'random', spanMs: 30 * 86_400_000 } }), () => 0.99);

    expect(sample.chosen.map((c) => c.versionId)).toEqual(['a#2', 'c#1']);
    expect(sample.skipped).toEqual({ 'outside-window': 2 });
  });

  it.each([
    ['archived', { storageClass: 'DEEP_ARCHIVE' }, { archived: 1 }],
    ['multipart without a full-object checksum', { etag: '"abc-3"' }, { multipart: 1 }],
    ['too long a key for the scratch prefix', { key: 'k'.repeat(901) }, { 'key-too-long': 1 }],
  ])('skips a version that is %s', async (_name, change, skipped) => {
    const [current, old] = history('e', 1, 10) as [S3VersionEntry, S3VersionEntry];
    const key = (change as { key?: string }).key ?? 'e';

    const sample = await sampleVersions([{ ...current, key }, { ...old, ...change, key }], options(), () => 0);

    expect(sample.chosen).toEqual([]);
    expect(sample.skipped).toEqual(skipped);
  });

  it('keeps a multipart version uploaded with a full-object checksum', async () => {
    const [current, old] = history('e', 1, 10) as [S3VersionEntry, S3VersionEntry];

    const sample = await sampleVersions([current, { ...old, etag: '"abc-3"', checksumType: 'FULL_OBJECT' }], options(), () => 0);

    expect(keysOf(sample.chosen)).toEqual(['e']);
  });

  it('samples uniformly from a stream too long to hold: reservoir slots follow the draws', async () => {
    const many = Array.from({ length: 20 }, (_, i) => history(`k${String(i).padStart(2, '0')}`, 1, 10)).flat();

    const keepFirst = await sampleVersions(many, options({ size: 3 }), () => 0.99);
    const replaceFirstSlot = await sampleVersions(many, options({ size: 3 }), () => 0);

    expect(keysOf(keepFirst.chosen)).toEqual(['k00', 'k01', 'k02']);
    expect(keysOf(replaceFirstSlot.chosen)).toEqual(['k01', 'k02', 'k19']);
  });

  it('draws the same sample from the same seed, and another from another', async () => {
    const many = Array.from({ length: 50 }, (_, i) => history(`k${String(i).padStart(2, '0')}`, 1, 10, 20)).flat();

    const [first, again, other] = await Promise.all(['drill-1', 'drill-1', 'drill-2'].map((seed) => sampleVersions(many, options(), seededRandom(seed))));

    expect(first?.chosen).toEqual(again?.chosen);
    expect(first?.chosen).not.toEqual(other?.chosen);
    expect(first?.chosen).toHaveLength(5);
  });

  it('reads an async stream of pages the same as a list', async () => {
    async function* pages() {
      yield* bucket;
    }

    const fromStream = await sampleVersions(pages(), options(), () => 0.5);
    const fromList = await sampleVersions(bucket, options(), () => 0.5);

    expect(fromStream).toEqual(fromList);
  });
});

describe('where copies go and what a run calls', () => {
  const def = s3Definition({ restore: { sample: 1, scratchBucket: 'scratch' } });
  const chosen = [{ key: 'courses/intro 1/ünit.zip', versionId: 'v+1', lastModified: daysAgo(9), size: 10, state: 'overwritten' as const }];

  it('puts each copy under the run prefix and encodes the copy source', () => {
    expect(scratchKey(def, 'd-1', 'courses/a.zip')).toBe('vigil-drill/d-1/courses/a.zip');
    expect(copySourceOf({ bucket: 'content-prod', key: 'courses/intro 1/ünit.zip', versionId: 'v+1' })).toBe('content-prod/courses/intro%201/%C3%BCnit.zip?versionId=v%2B1');
  });

  it('dates the recovery point by the oldest version restored', () => {
    const point = s3RecoveryPoint(def, [...chosen, { ...chosen[0], key: 'b', lastModified: daysAgo(30) } as (typeof chosen)[0]]);

    expect(point).toEqual({ id: '2 noncurrent versions in s3://content-prod/courses/', arn: 'arn:aws:s3:::content-prod/courses/*', createdAt: daysAgo(30), region: 'us-east-1', type: 's3-object-versions' });
  });

  it('lists the exact calls: record, copy with this run\'s tags, read back, re-read tags, delete, check', () => {
    const calls = s3PlannedCalls(def, chosen, 'd-1');

    expect(calls.map((c) => c.operation)).toEqual(['s3:HeadObject', 's3:CopyObject', 's3:GetObject', 's3:GetObjectTagging', 's3:DeleteObject', 's3:ListObjectVersions']);
    expect(calls[1]?.params).toEqual({
      Bucket: 'scratch',
      Key: 'vigil-drill/d-1/courses/intro 1/ünit.zip',
      CopySource: 'content-prod/courses/intro%201/%C3%BCnit.zip?versionId=v%2B1',
      TaggingDirective: 'REPLACE',
      Tagging: 'vigil%3Amanaged-by=vigil&vigil%3Adrill-run=d-1&vigil%3Adrill-target=course-content',
      IfNoneMatch: '*',
    });
  });
});

describe('replication that would carry drill copies away', () => {
  const rule = { id: 'r', enabled: true, prefix: '', tags: {}, destination: 'dr' };
  const tags = { 'vigil:managed-by': 'vigil' };

  it.each([
    ['a whole-bucket rule', rule, 'r'],
    ['a disabled rule', { ...rule, enabled: false }, undefined],
    ['a rule for another prefix', { ...rule, prefix: 'courses/' }, undefined],
    ['a rule for part of the scratch prefix', { ...rule, prefix: 'vigil-drill/0' }, 'r'],
    ['a rule on a tag drill copies carry', { ...rule, tags: { 'vigil:managed-by': 'vigil' } }, 'r'],
    ['a rule on a tag drill copies lack', { ...rule, tags: { data: 'pii' } }, undefined],
  ])('%s', (_name, r, expected) => {
    expect(replicationCovering([r], 'vigil-drill/', tags)?.id).toBe(expected);
  });
});

describe('what a restored copy is held to', () => {
  const head = { size: 9, checksums: {}, etag: '"25f9e794323b453885f5181f1b624d0b"' };

  it.each([
    ['a full-object CRC64NVME', { ...head, checksums: { CRC64NVME: 'rosUhgp5mIg=' }, checksumType: 'FULL_OBJECT' }, { ok: true, recorded: { algorithm: 'CRC64NVME', value: 'rosUhgp5mIg=', size: 9 } }],
    ['a SHA256', { ...head, checksums: { SHA256: 'FeKw' } }, { ok: true, recorded: { algorithm: 'SHA256', value: 'FeKw', size: 9 } }],
    ['no checksum but an MD5 ETag', head, { ok: true, recorded: { algorithm: 'ETAG-MD5', value: head.etag, size: 9 } }],
    ['a composite checksum', { ...head, checksums: { CRC32: 'AAAA' }, checksumType: 'COMPOSITE' }, { ok: false, reason: "S3 recorded a composite CRC32 (a checksum of its parts' checksums), which cannot be recomputed from the whole object" }],
    ['only an algorithm Vigil lacks', { ...head, checksums: { XXHASH3: 'AAAA' } }, { ok: false, reason: 'S3 recorded only XXHASH3, which Vigil cannot compute' }],
    ['no checksum under SSE-KMS', { ...head, serverSideEncryption: 'aws:kms' }, { ok: false, reason: 'S3 recorded no checksum for this version (it predates default checksums) and its ETag is not the MD5 of its bytes' }],
  ])('%s', (_name, given, expected) => {
    expect(recordedChecksum(given)).toEqual(expected);
  });

  const object = { key: 'courses/a.zip', versionId: 'v1', lastModified: daysAgo(3), size: 9, state: 'overwritten' as const };
  const recorded = { algorithm: 'SHA256' as const, value: 'good', size: 9 };

  it.each([
    ['matching', { checksum: 'good', size: 9 }, true, `courses/a.zip (version v1, written ${daysAgo(3).toISOString()}): SHA256 good and 9 bytes match what S3 recorded.`],
    ['another checksum', { checksum: 'bad', size: 9 }, false, `courses/a.zip (version v1, written ${daysAgo(3).toISOString()}): the restored copy's SHA256 is bad, but S3 recorded good when the version was written.`],
    ['another size', { checksum: 'good', size: 8 }, false, `courses/a.zip (version v1, written ${daysAgo(3).toISOString()}): the restored copy has 8 bytes, S3 recorded 9.`],
  ])('judges a copy with %s', (_name, observed, passed, message) => {
    expect(judgeCopy(object, recorded, observed)).toEqual({ passed, message });
  });
});

describe('checksums recomputed over the bytes', () => {
  // The published check values of each algorithm over "123456789", in S3's base64 form.
  it.each<[RecordedAlgorithm, string]>([
    ['CRC32', Buffer.from('cbf43926', 'hex').toString('base64')],
    ['CRC32C', Buffer.from('e3069283', 'hex').toString('base64')],
    ['CRC64NVME', Buffer.from('ae8b14860a799888', 'hex').toString('base64')],
    ['SHA1', Buffer.from('f7c3bc1d808e04732adf679965ccc34ca7ae3441', 'hex').toString('base64')],
    ['SHA256', Buffer.from('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225', 'hex').toString('base64')],
    ['MD5', Buffer.from('25f9e794323b453885f5181f1b624d0b', 'hex').toString('base64')],
    ['ETAG-MD5', '"25f9e794323b453885f5181f1b624d0b"'],
  ])('%s', async (algorithm, expected) => {
    async function* chunks() {
      yield Buffer.from('1234');
      yield Buffer.from('');
      yield Buffer.from('56789');
    }

    const streamed = await checksumOfStream(algorithm, chunks());
    const whole = checksumHasher(algorithm);
    whole.update(Buffer.from('123456789'));

    expect(streamed).toEqual({ checksum: expected, size: 9 });
    expect(whole.digest()).toBe(expected);
  });
});

describe('S3 drill definitions', () => {
  it('fills in the defaults', () => {
    const def = s3Definition();

    expect(def.restore).toEqual({ recoveryPoint: 'noncurrent', sample: 5, scratchPrefix: 'vigil-drill/' });
    expect(def.targets).toEqual({ rto: 2 * 3_600_000, rpo: 24 * 3_600_000 });
  });

  it('names every field that belongs to the other kind, and every other problem, at once', () => {
    const doc = {
      id: 'course-content',
      title: 'Course content restores from its versions',
      source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod', id: 'x' },
      restore: { instanceClass: 'db.t3.medium', recoveryPoint: 'lms-weekly', scratchPrefix: 'scratch' },
      credentials: { vault: 'secret/data/x' },
    };

    const error = (() => {
      try {
        validateDrillDefinition(doc, 'course-content.yaml');
      } catch (err) {
        return (err as { problems: unknown }).problems;
      }
    })();

    expect(error).toEqual([
      { file: 'course-content.yaml', path: 'source.id', message: "applies only to rds-instance drills; this one's source.kind is s3-bucket" },
      { file: 'course-content.yaml', path: 'restore.instanceClass', message: "applies only to rds-instance drills; this one's source.kind is s3-bucket" },
      { file: 'course-content.yaml', path: 'credentials', message: "applies only to rds-instance drills; this one's source.kind is s3-bucket" },
      { file: 'course-content.yaml', path: 'restore.recoveryPoint', message: 'expected latest, noncurrent or random:<n>d, such as random:30d' },
      { file: 'course-content.yaml', path: 'restore.scratchPrefix', message: 'expected a key prefix ending in "/" without * or ?, such as vigil-drill/' },
    ]);
  });

  it('says which S3 fields an RDS drill cannot have', () => {
    const result = drillDefinitionSchema.safeParse({
      id: 'lms-prod',
      title: 'The LMS database restores with its data',
      source: { kind: 'rds-instance', account: '222222222222', region: 'us-east-1', id: 'lms-prod', bucket: 'b-1' },
      restore: { sample: 3 },
      credentials: { vault: 'secret/data/rds/lms-prod' },
      connection: { database: 'lms' },
      verify: [{ name: 'learners came back', sql: 'SELECT count(*) FROM learners', expect: { valueAtLeast: 1 } }],
    });

    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['source.bucket', "applies only to s3-bucket drills; this one's source.kind is rds-instance"],
      ['restore.sample', "applies only to s3-bucket drills; this one's source.kind is rds-instance"],
    ]);
  });

  it.each([
    ['an unknown kind', { source: { kind: 's3', account: '222222222222' } }, 'source.kind', 'expected rds-instance or s3-bucket'],
    ['a scratch prefix inside the sampled prefix', { restore: { scratchPrefix: 'courses/vigil/' } }, 'restore.scratchPrefix', 'overlaps the live data under source.prefix courses/; choose a prefix outside it, or restore.scratchBucket'],
    [
      'a sampled prefix inside the scratch prefix',
      { source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod', prefix: 'data/courses/' }, restore: { scratchPrefix: 'data/' } },
      'restore.scratchPrefix',
      'overlaps the live data under source.prefix data/courses/; choose a prefix outside it, or restore.scratchBucket',
    ],
    [
      'the whole bucket sampled with scratch in it',
      { source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod' } },
      'restore.scratchPrefix',
      'the drill samples the whole bucket content-prod, so vigil-drill/ would lie among its live data; set source.prefix or restore.scratchBucket',
    ],
    ['a wildcard in the scratch prefix', { restore: { scratchPrefix: 'vigil-*/' } }, 'restore.scratchPrefix', 'expected a key prefix ending in "/" without * or ?, such as vigil-drill/'],
  ])('refuses %s', (_name, change, path, message) => {
    const base = { id: 'course-content', title: 'Course content restores from its versions', source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod', prefix: 'courses/' } };

    const result = drillDefinitionSchema.safeParse({ ...base, ...change });

    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([[path, message]]);
  });

  it('accepts the whole bucket when copies go to another bucket', () => {
    const def = s3Definition({ source: { kind: 's3-bucket', account: '222222222222', region: 'us-east-1', bucket: 'content-prod' }, restore: { scratchBucket: 'scratch' } });

    expect(def.source.prefix).toBe('');
  });
});

describe('the permissions S3 drills declare', () => {
  it('declare every action a method calls, as read or mutate, and confine mutations to scratch prefixes', () => {
    const perMethod = new Set(Object.values(S3_DRILL_METHOD_ACTIONS).flat());

    const declared = new Set<string>([...S3_DRILL_ACTIONS.read, ...S3_DRILL_ACTIONS.mutate]);
    const resources = s3DrillMutationResources([s3Definition({ restore: { scratchBucket: 'scratch' } }), s3Definition({ restore: { scratchBucket: 'scratch' } }), s3Definition({ id: 'other', restore: { scratchPrefix: 'drills/' } })]);

    expect(declared).toEqual(perMethod);
    expect(S3_DRILL_ACTIONS.mutate.filter((a) => !/^s3:(Put|Delete)/.test(a))).toEqual([]);
    expect(resources).toEqual(['arn:aws:s3:::content-prod/drills/*', 'arn:aws:s3:::scratch/vigil-drill/*']);
  });

  it('grant reads on the sampled and scratch prefixes and writes on scratch prefixes only', () => {
    const statements = s3DrillStatements([s3Definition({ restore: { scratchBucket: 'scratch' } })]);

    expect(statements).toEqual([
      { Sid: 'VigilS3DrillBuckets', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucketVersions'], Resource: ['arn:aws:s3:::content-prod', 'arn:aws:s3:::scratch'] },
      { Sid: 'VigilS3DrillReadVersions', Effect: 'Allow', Action: ['s3:GetObjectVersion', 's3:GetObjectVersionTagging'], Resource: ['arn:aws:s3:::content-prod/courses/*', 'arn:aws:s3:::scratch/vigil-drill/*'] },
      { Sid: 'VigilS3DrillScratchOnly', Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObjectVersion'], Resource: ['arn:aws:s3:::scratch/vigil-drill/*'] },
    ]);
    expect(new Set(statements.flatMap((st) => st.Action))).toEqual(new Set([...S3_DRILL_ACTIONS.read, ...S3_DRILL_ACTIONS.mutate]));
  });
});
