/**
 * CloudTrail event history for one account and region: the scenario's explicit events (and calls made
 * through the sandbox), kept sorted by time, merged at lookup with the generated noise of
 * cloudtrail-noise.ts. Lookups binary-search the time window and never scan the whole history.
 */
import { z } from 'zod';
import { durationSchema } from '../scenario-types.js';
import type { World } from '../world.js';
import { noiseSource, noiseStreams, type NoiseScenario, type NoiseStream } from './cloudtrail-noise.js';
import {
  actorSchema,
  CLI_UA,
  CONSOLE_UA,
  matchesFilter,
  parseActor,
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
import type { AwsCall } from './service.js';

// --- scenario -----------------------------------------------------------------------------------

/** Where well-known management events come from, so scenarios need not spell out `source`. */
const SOURCES: Record<string, string[]> = {
  'signin.amazonaws.com': ['ConsoleLogin', 'CheckMfa', 'SwitchRole'],
  'iam.amazonaws.com': [
    'PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy', 'AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy', 'DetachRolePolicy', 'DeleteUserPolicy',
    'CreateUser', 'DeleteUser', 'CreateAccessKey', 'DeleteAccessKey', 'UpdateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile', 'DeactivateMFADevice',
    'UpdateAssumeRolePolicy', 'CreateRole', 'DeleteRole', 'AddUserToGroup', 'CreatePolicyVersion', 'ListRoles', 'GetUser', 'ListUsers',
  ],
  'ec2.amazonaws.com': [
    'AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'ModifyInstanceAttribute', 'RunInstances',
    'TerminateInstances', 'StopInstances', 'DeleteSnapshot', 'ModifySnapshotAttribute', 'CreateSnapshot', 'CreateTags', 'DescribeInstances',
    'DescribeSecurityGroups', 'DescribeVolumes', 'DescribeSnapshots', 'DisableEbsEncryptionByDefault',
  ],
  'cloudtrail.amazonaws.com': ['StopLogging', 'StartLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'CreateTrail', 'LookupEvents'],
  'guardduty.amazonaws.com': ['CreateDetector', 'UpdateDetector', 'DeleteDetector', 'CreateFilter', 'UpdateFilter', 'DeleteFilter', 'ArchiveFindings', 'DisassociateFromAdministratorAccount'],
  'rds.amazonaws.com': ['DeleteDBSnapshot', 'DeleteDBInstance', 'ModifyDBInstance', 'ModifyDBSnapshotAttribute', 'CreateDBSnapshot', 'DescribeDBInstances'],
  's3.amazonaws.com': ['PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl', 'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock', 'PutBucketVersioning', 'PutBucketLifecycle', 'DeleteBucket', 'ListBuckets'],
  'kms.amazonaws.com': ['ScheduleKeyDeletion', 'DisableKey', 'Decrypt', 'GenerateDataKey'],
  'sts.amazonaws.com': ['AssumeRole', 'GetCallerIdentity'],
};
const SOURCE_BY_NAME = new Map(Object.entries(SOURCES).flatMap(([source, names]) => names.map((n) => [n, source] as const)));

export const eventScenario = z
  .strictObject({
    /** The API action, e.g. `ConsoleLogin`, `PutUserPolicy`. */
    name: z.string().regex(/^[A-Za-z0-9]+$/, 'expected an API action name such as PutUserPolicy'),
    /** e.g. `iam.amazonaws.com`; inferred for well-known event names. */
    source: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/).optional(),
    actor: actorSchema.default('admin'),
    age: durationSchema.prefault('1h'),
    sourceIp: z.string().default('198.51.100.10'),
    userAgent: z.string().optional(),
    /** ConsoleLogin: additionalEventData.MFAUsed; other events: sessionContext mfaAuthenticated. */
    mfa: z.boolean().default(false),
    /** Inferred from the name (Get/List/Describe... are read-only) when omitted. */
    readOnly: z.boolean().optional(),
    resources: z.array(z.strictObject({ type: z.string().min(1), name: z.string().min(1) })).default([]),
    requestParameters: z.record(z.string(), z.unknown()).optional(),
    responseElements: z.record(z.string(), z.unknown()).optional(),
    /** Set for a refused attempt, e.g. `AccessDenied`. */
    errorCode: z.string().optional(),
    errorMessage: z.string().optional(),
    /** Defaults to a stable key of the actor (none for ConsoleLogin). */
    accessKeyId: z.string().optional(),
  })
  .superRefine((event, ctx) => {
    if (!event.source && !SOURCE_BY_NAME.has(event.name)) ctx.addIssue({ code: 'custom', path: ['source'], message: `cannot infer the event source of ${event.name}; set source` });
  });
export type EventScenario = z.output<typeof eventScenario>;

function isReadOnlyName(name: string): boolean {
  return /^(Get|List|Describe|Lookup|Head|Decrypt|GenerateDataKey|AssumeRole|CheckMfa)/.test(name);
}

function explicitFacts(world: World, accountId: string, region: string, spec: EventScenario): EventFacts {
  const actor = parseActor(spec.actor);
  const signIn = spec.name === 'ConsoleLogin';
  const time = Math.floor(world.ago(spec.age).getTime() / 1000) * 1000;
  return {
    id: uuidFromHex(world.id('event', 32).slice('event-'.length)),
    time,
    name: spec.name,
    source: spec.source ?? (SOURCE_BY_NAME.get(spec.name) as string),
    readOnly: spec.readOnly ?? isReadOnlyName(spec.name),
    accountId,
    region,
    actor,
    accessKeyId: spec.accessKeyId ?? (signIn ? undefined : stableKeyId(accountId, actor)),
    sourceIp: spec.sourceIp,
    userAgent: spec.userAgent ?? (signIn ? CONSOLE_UA : actor.type === 'AssumedRole' ? SDK_UA : CLI_UA),
    mfa: spec.mfa,
    resources: spec.resources,
    requestParameters: spec.requestParameters,
    responseElements: spec.responseElements ?? (signIn ? { ConsoleLogin: spec.errorCode ? 'Failure' : 'Success' } : undefined),
    additionalEventData: signIn ? { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: spec.mfa ? 'Yes' : 'No' } : undefined,
    errorCode: spec.errorCode,
    errorMessage: spec.errorMessage ?? (spec.errorCode && signIn ? 'Failed authentication' : undefined),
    eventType: signIn ? 'AwsConsoleSignIn' : 'AwsApiCall',
  };
}

// --- the store ----------------------------------------------------------------------------------

interface RegionEvents {
  /** Ascending by time; ties keep insertion order. */
  events: EventFacts[];
  /** Positions of explicit events per `key=value`, built on first use, dropped on insert. */
  index: Map<string, number[]>;
  noise: NoiseStream[];
}

function store(world: World, accountId: string, region: string): RegionEvents {
  return world.slice(`cloudtrail-events:${accountId}:${region}`, () => ({ events: [], index: new Map(), noise: [] }));
}

/** Inserts keeping time order; O(log n) to find the spot. */
function insert(events: RegionEvents, facts: EventFacts): void {
  let lo = 0;
  let hi = events.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((events.events[mid] as EventFacts).time <= facts.time) lo = mid + 1;
    else hi = mid;
  }
  events.events.splice(lo, 0, facts);
  events.index.clear();
}

export function seedEvents(world: World, accountId: string, region: string, specs: EventScenario[], noise: NoiseScenario | undefined): void {
  const target = store(world, accountId, region);
  for (const spec of specs) insert(target, explicitFacts(world, accountId, region, spec));
  if (noise) target.noise = noiseStreams(accountId, region, noise, world.now().getTime());
}

/** Records a call made through the sandbox (StopLogging, UpdateDetector...) in the caller's event history. */
export function recordApiCall(
  call: AwsCall,
  event: { source: string; readOnly?: boolean; requestParameters?: unknown; responseElements?: unknown; resources?: EventResource[]; errorCode?: string; errorMessage?: string },
): void {
  const { credential } = call;
  const actor: Actor =
    credential.principalType === 'root'
      ? { type: 'Root', name: 'root' }
      : credential.principalType === 'assumed-role'
        ? { type: 'AssumedRole', name: credential.principalName.split('/')[0] as string, session: credential.principalName.split('/')[1] ?? 'session' }
        : { type: 'IAMUser', name: credential.principalName };
  const userAgent = call.http.headers['user-agent'];
  insert(store(call.world, call.account.id, call.region), {
    id: uuidFromHex(stableHex(`recorded:${call.requestId}`, 32)),
    time: Math.floor(call.world.now().getTime() / 1000) * 1000,
    name: call.operation,
    source: event.source,
    readOnly: event.readOnly ?? false,
    accountId: call.account.id,
    region: call.region,
    actor,
    accessKeyId: credential.accessKeyId,
    sourceIp: '127.0.0.1',
    userAgent: typeof userAgent === 'string' ? userAgent : SDK_UA,
    mfa: false,
    resources: event.resources ?? [],
    requestParameters: event.requestParameters,
    responseElements: event.responseElements,
    errorCode: event.errorCode,
    errorMessage: event.errorMessage,
    eventType: 'AwsApiCall',
    requestId: call.requestId,
  });
}

// --- lookup -------------------------------------------------------------------------------------

function explicitSource(region: RegionEvents, filter: LookupFilter | undefined): Source {
  const events = region.events;
  let positions: number[] | undefined;
  if (filter) {
    const key = `${filter.key}=${filter.value}`;
    positions = region.index.get(key);
    if (!positions) {
      positions = events.flatMap((e, i) => (matchesFilter(e, filter) ? [i] : []));
      region.index.set(key, positions);
    }
  }
  const upperBound = (ms: number) => {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((events[mid] as EventFacts).time <= ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    lastAtOrBefore: (ms) => upperBound(ms) - 1,
    // Event times are whole milliseconds; a fractional bound (epoch seconds from the wire) rounds up.
    firstAtOrAfter: (ms) => upperBound(Math.ceil(ms) - 1),
    previousMatch: (i, lo) => {
      if (i < lo) return -1;
      if (!positions) return i;
      let a = 0;
      let b = positions.length;
      while (a < b) {
        const mid = (a + b) >>> 1;
        if ((positions[mid] as number) <= i) a = mid + 1;
        else b = mid;
      }
      const found = a > 0 ? (positions[a - 1] as number) : -1;
      return found >= lo ? found : -1;
    },
    time: (i) => (events[i] as EventFacts).time,
    facts: (i) => events[i] as EventFacts,
  };
}

export interface LookupQuery {
  startMs: number;
  endMs: number;
  filter?: LookupFilter;
  maxResults: number;
  /** Per source, the next index to consider (descending); from a NextToken. */
  cursors?: number[];
}

export interface LookupPage {
  events: EventFacts[];
  /** Cursors to resume from, when more events remain. */
  cursors?: number[];
}

export function sourceCount(world: World, accountId: string, region: string): number {
  return 1 + store(world, accountId, region).noise.length;
}

/** A k-way merge of the sources, newest first, resumable from per-source cursors. */
export function lookup(world: World, accountId: string, region: string, query: LookupQuery): LookupPage {
  const regionEvents = store(world, accountId, region);
  const sources = [explicitSource(regionEvents, query.filter), ...regionEvents.noise.map((s) => noiseSource(s, query.filter))];
  const lows = sources.map((s) => s.firstAtOrAfter(query.startMs));
  const cursors = query.cursors ?? sources.map((s) => s.lastAtOrBefore(query.endMs));
  const heads = sources.map((s, k) => s.previousMatch(cursors[k] as number, lows[k] as number));
  const page: EventFacts[] = [];
  while (page.length < query.maxResults) {
    let best = -1;
    for (let k = 0; k < sources.length; k++) {
      const head = heads[k] as number;
      if (head < 0) continue;
      if (best < 0 || (sources[k] as Source).time(head) > (sources[best] as Source).time(heads[best] as number)) best = k;
    }
    if (best < 0) break;
    const source = sources[best] as Source;
    const index = heads[best] as number;
    page.push(source.facts(index));
    cursors[best] = index - 1;
    heads[best] = source.previousMatch(index - 1, lows[best] as number);
  }
  return { events: page, cursors: heads.some((h) => h >= 0) ? cursors : undefined };
}
