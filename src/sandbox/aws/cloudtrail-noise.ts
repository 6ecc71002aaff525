/**
 * Background noise for event history: ordinary reads and writes by ordinary users and roles, never
 * stored. Event i of a stream has a time, a template (name, source, actor, resources) and an id that are
 * pure functions of i, so a time window is two binary searches and an attribute lookup walks only the
 * matching residues of a short template cycle. That keeps LookupEvents fast at 30,000 writes a day over
 * 90 days (2.7 million events) in one account, with no memory spent on them.
 */
import { z } from 'zod';
import { DAY_MS } from '../../core/clock.js';
import { durationSchema } from '../scenario-types.js';
import {
  actorSchema,
  CLI_UA,
  matchesFilter,
  parseActor,
  RETENTION_MS,
  SDK_UA,
  stableHex,
  stableKeyId,
  uuidFromHex,
  type Actor,
  type EventFacts,
  type EventResource,
  type LookupFilter,
  type Source,
} from './cloudtrail-records.js';

export const noiseScenario = z.strictObject({
  /** Ordinary read-only calls (Describe*, List*, Get*) per day. */
  readsPerDay: z.number().min(0).max(1_000_000).default(0),
  /** Ordinary writes (CreateTags, PutParameter, UpdateService...) per day. */
  writesPerDay: z.number().min(0).max(1_000_000).default(0),
  /** How far back the noise reaches; at most the 90 days of event history. */
  window: durationSchema.prefault('7d').refine((ms) => ms <= RETENTION_MS, 'at most 90d'),
  /** Who makes the calls: IAM users and role sessions. */
  actors: z.array(actorSchema).min(1).default(['alice', 'carol', 'role/lms-app/i-0a1b2c3d4e5f60718', 'role/ci-deployer/github-actions']),
  /** Varies the generated stream; the same seed gives the same events. */
  seed: z.number().int().default(1),
  /**
   * More read-only calls in the cycle, e.g. a monitoring tool's `LookupEvents` and `DescribeTrails` on
   * `cloudtrail.amazonaws.com`, so that source is as busy as in a real account.
   */
  extraReads: z.array(z.strictObject({ name: z.string().regex(/^[A-Za-z0-9]+$/), source: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/) })).default([]),
});
export type NoiseScenario = z.output<typeof noiseScenario>;

interface Template {
  name: string;
  source: string;
  resources: EventResource[];
  requestParameters?: unknown;
  actor: number;
}

interface NoiseActor {
  actor: Actor;
  accessKeyId: string;
  sourceIp: string;
  userAgent: string;
}

export interface NoiseStream {
  /** Second group of the generated event ids; tells the stream an EventId belongs to. */
  tag: string;
  readOnly: boolean;
  startSec: number;
  spacingSec: number;
  count: number;
  seed: number;
  /** The template cycle: event i uses block[i % block.length]. */
  block: Template[];
  actors: NoiseActor[];
  accountId: string;
  region: string;
}

type Shape = Omit<Template, 'actor'>;

function readShapes(accountId: string, region: string): Shape[] {
  const shapes: Shape[] = [
    { name: 'DescribeInstances', source: 'ec2.amazonaws.com', resources: [], requestParameters: { instancesSet: {}, filterSet: {} } },
    { name: 'DescribeSecurityGroups', source: 'ec2.amazonaws.com', resources: [], requestParameters: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} } },
    { name: 'DescribeVolumes', source: 'ec2.amazonaws.com', resources: [], requestParameters: { volumeSet: {}, filterSet: {} } },
    { name: 'DescribeSnapshots', source: 'ec2.amazonaws.com', resources: [], requestParameters: { snapshotSet: {}, ownersSet: { items: [{ owner: 'self' }] }, filterSet: {} } },
    { name: 'DescribeDBInstances', source: 'rds.amazonaws.com', resources: [] },
    { name: 'ListBuckets', source: 's3.amazonaws.com', resources: [], requestParameters: { Host: 's3.amazonaws.com' } },
    { name: 'GetCallerIdentity', source: 'sts.amazonaws.com', resources: [] },
    { name: 'Decrypt', source: 'kms.amazonaws.com', resources: [{ type: 'AWS::KMS::Key', name: `arn:aws:kms:${region}:${accountId}:key/${uuidFromHex(stableHex(`kms:${accountId}:${region}`, 32))}` }], requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } },
    { name: 'GetParameter', source: 'ssm.amazonaws.com', resources: [], requestParameters: { name: '/lms/feature-flags', withDecryption: false } },
    { name: 'DescribeLogGroups', source: 'logs.amazonaws.com', resources: [] },
  ];
  // IAM is global: its events land in us-east-1's history only.
  if (region === 'us-east-1') shapes.push({ name: 'ListRoles', source: 'iam.amazonaws.com', resources: [] }, { name: 'GetUser', source: 'iam.amazonaws.com', resources: [] });
  return shapes;
}

function writeShapes(accountId: string, region: string): Shape[] {
  const instance = `i-0${stableHex(`noise-instance:${accountId}:${region}`, 16)}`;
  const volume = `vol-0${stableHex(`noise-volume:${accountId}:${region}`, 16)}`;
  return [
    { name: 'CreateTags', source: 'ec2.amazonaws.com', resources: [{ type: 'AWS::EC2::Instance', name: instance }], requestParameters: { resourcesSet: { items: [{ resourceId: instance }] }, tagSet: { items: [{ key: 'last-deploy', value: 'ci' }] } } },
    { name: 'CreateSnapshot', source: 'ec2.amazonaws.com', resources: [{ type: 'AWS::EC2::Volume', name: volume }], requestParameters: { volumeId: volume, description: 'ad-hoc before deploy' } },
    { name: 'CreateLogStream', source: 'logs.amazonaws.com', resources: [], requestParameters: { logGroupName: '/lms/app', logStreamName: 'web/worker' } },
    { name: 'PutParameter', source: 'ssm.amazonaws.com', resources: [], requestParameters: { name: '/lms/cache-version', type: 'String', overwrite: true } },
    { name: 'UpdateFunctionConfiguration20150331v2', source: 'lambda.amazonaws.com', resources: [{ type: 'AWS::Lambda::Function', name: 'lms-thumbnailer' }], requestParameters: { functionName: 'lms-thumbnailer' } },
    { name: 'UpdateService', source: 'ecs.amazonaws.com', resources: [], requestParameters: { cluster: 'lms', service: 'lms-web', desiredCount: 4 } },
    { name: 'SetDesiredCapacity', source: 'autoscaling.amazonaws.com', resources: [{ type: 'AWS::AutoScaling::AutoScalingGroup', name: 'lms-workers' }], requestParameters: { autoScalingGroupName: 'lms-workers', desiredCapacity: 3 } },
    { name: 'PutMetricAlarm', source: 'monitoring.amazonaws.com', resources: [], requestParameters: { alarmName: 'lms-5xx-rate' } },
  ];
}

/** A fast 32-bit integer hash (murmur3's finaliser): noise is computed per event on every lookup. */
function mix(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca6b) ^ Math.imul(c, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = mix(seed, 7, i) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function noiseStream(options: { tag: string; readOnly: boolean; shapes: Shape[]; perDay: number; windowMs: number; endMs: number; seed: number; actors: NoiseActor[]; accountId: string; region: string }): NoiseStream | undefined {
  const count = Math.round((options.perDay * options.windowMs) / DAY_MS);
  if (count === 0) return undefined;
  const combos = options.shapes.flatMap((shape) => options.actors.map((_, actor) => ({ ...shape, actor })));
  const windowSec = Math.floor(options.windowMs / 1000);
  return {
    tag: options.tag,
    readOnly: options.readOnly,
    startSec: Math.floor(options.endMs / 1000) - windowSec,
    spacingSec: windowSec / count,
    count,
    seed: options.seed,
    block: shuffled(combos, options.seed ^ (options.readOnly ? 0x5eed : 0xbeef)),
    actors: options.actors,
    accountId: options.accountId,
    region: options.region,
  };
}

function noiseTime(s: NoiseStream, i: number): number {
  const jitter = (mix(s.seed, s.tag === READS_TAG ? 1 : 2, i) / 4294967296) * 0.98;
  return Math.floor(s.startSec + (i + jitter) * s.spacingSec) * 1000;
}

function noiseId(s: NoiseStream, i: number): string {
  const a = mix(s.seed, 11, i).toString(16).padStart(8, '0');
  const b = mix(s.seed, 13, i).toString(16).padStart(8, '0');
  return `${a}-${s.tag}-4${b.slice(0, 3)}-8${b.slice(3, 6)}-${i.toString(16).padStart(12, '0')}`;
}

function noiseFacts(s: NoiseStream, i: number): EventFacts {
  const template = s.block[i % s.block.length] as Template;
  const who = s.actors[template.actor] as NoiseActor;
  return {
    id: noiseId(s, i),
    time: noiseTime(s, i),
    name: template.name,
    source: template.source,
    readOnly: s.readOnly,
    accountId: s.accountId,
    region: s.region,
    actor: who.actor,
    accessKeyId: who.accessKeyId,
    sourceIp: who.sourceIp,
    userAgent: who.userAgent,
    mfa: false,
    resources: template.resources,
    requestParameters: template.requestParameters,
    eventType: 'AwsApiCall',
  };
}

const READS_TAG = 'c7e1';
const WRITES_TAG = 'c7e2';

/** The read and write streams a noise scenario describes, ending at `endMs`. */
export function noiseStreams(accountId: string, region: string, noise: NoiseScenario, endMs: number): NoiseStream[] {
  const actors: NoiseActor[] = noise.actors.map((text, k) => {
    const actor = parseActor(text);
    const human = actor.type !== 'AssumedRole';
    return { actor, accessKeyId: stableKeyId(accountId, actor), sourceIp: human ? `198.51.100.${20 + k}` : `52.23.${10 + k}.${40 + k}`, userAgent: human ? CLI_UA : SDK_UA };
  });
  const common = { windowMs: noise.window, endMs, seed: noise.seed, actors, accountId, region };
  const extra: Shape[] = noise.extraReads.map((r) => ({ name: r.name, source: r.source, resources: [] }));
  const reads = noiseStream({ ...common, tag: READS_TAG, readOnly: true, shapes: [...readShapes(accountId, region), ...extra], perDay: noise.readsPerDay });
  const writes = noiseStream({ ...common, tag: WRITES_TAG, readOnly: false, shapes: writeShapes(accountId, region), perDay: noise.writesPerDay });
  return [reads, writes].filter((s): s is NoiseStream => s !== undefined);
}

/** Noise as a lookup source: attribute filters become a mask over one template cycle. */
export function noiseSource(s: NoiseStream, filter: LookupFilter | undefined): Source {
  const period = s.block.length;
  let accept: (i: number) => boolean = () => true;
  let anyMatch = true;
  // An EventId names its stream and index, so looking one up never walks the stream.
  let only: number | undefined;
  if (filter?.key === 'EventId') {
    const match = new RegExp(`^[0-9a-f]{8}-${s.tag}-4[0-9a-f]{3}-8[0-9a-f]{3}-([0-9a-f]{12})$`).exec(filter.value);
    const index = match ? parseInt(match[1] as string, 16) : -1;
    anyMatch = index >= 0 && index < s.count && noiseId(s, index) === filter.value;
    only = index;
  } else if (filter) {
    // Every attribute but the id is a function of the template, so matching is a mask over one cycle.
    const mask = Array.from({ length: period }, (_, p) => matchesFilter(noiseFacts(s, p), filter));
    anyMatch = mask.some(Boolean);
    accept = (i) => mask[i % period] as boolean;
  }
  const clamp = (i: number) => Math.min(Math.max(i, 0), s.count - 1);
  const estimate = (ms: number) => clamp(Math.floor((ms / 1000 - s.startSec) / s.spacingSec));
  return {
    lastAtOrBefore: (ms) => {
      let i = estimate(ms);
      while (i + 1 < s.count && noiseTime(s, i + 1) <= ms) i++;
      while (i >= 0 && noiseTime(s, i) > ms) i--;
      return i;
    },
    firstAtOrAfter: (ms) => {
      let i = estimate(ms);
      while (i > 0 && noiseTime(s, i - 1) >= ms) i--;
      while (i < s.count && noiseTime(s, i) < ms) i++;
      return i;
    },
    previousMatch: (i, lo) => {
      if (!anyMatch) return -1;
      if (only !== undefined) return only <= i && only >= lo ? only : -1;
      let j = i;
      while (j >= lo && !accept(j)) j--;
      return j >= lo ? j : -1;
    },
    time: (i) => noiseTime(s, i),
    facts: (i) => noiseFacts(s, i),
  };
}
