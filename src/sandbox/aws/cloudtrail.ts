/**
 * CloudTrail (awsJson1_1): trails, their logging status and event selectors, and LookupEvents over
 * each account and region's 90-day management event history (cloudtrail-events.ts, built from
 * cloudtrail-records.ts and the generated noise of cloudtrail-noise.ts).
 *
 * An organization trail lives in the management account and shows up in every member account as a
 * shadow trail; a multi-region trail shows up as a shadow trail in its account's other regions. Shadow
 * trails are reachable by ARN only, as in AWS.
 *
 * AWS limits LookupEvents to 2 requests per second per account and region. The sandbox does not by
 * default; a fault rule does: `{ service: cloudtrail, operation: LookupEvents, throttle: { ratePerSecond: 2, burst: 2 } }`
 * (fault buckets are already per account and region).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import type { Scenario } from '../scenario.js';
import { durationSchema } from '../scenario-types.js';
import type { World } from '../world.js';
import { eventScenario, lookup, recordApiCall, seedEvents, sourceCount } from './cloudtrail-events.js';
import { noiseScenario } from './cloudtrail-noise.js';
import { apiEvent, LOOKUP_KEYS, RETENTION_MS, type LookupFilter, type LookupKey } from './cloudtrail-records.js';
import { AwsError } from './protocol.js';
import type { AwsCall, AwsServiceEmulator } from './service.js';

const TRAIL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]$/;
const TRAIL_ARN = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

function trailNameProblem(name: string): string | undefined {
  if (!TRAIL_NAME.test(name) || /[._-]{2}/.test(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name)) {
    return 'Trail name must be 3-128 letters, digits, periods, underscores or dashes, start and end with a letter or digit, have no adjacent periods, underscores or dashes, and not look like an IP address.';
  }
  return undefined;
}

const selectorSchema = z.strictObject({
  readWriteType: z.enum(['ReadOnly', 'WriteOnly', 'All']).default('All'),
  includeManagementEvents: z.boolean().default(true),
  /** Data events, e.g. `{ type: AWS::S3::Object, values: ['arn:aws:s3:::bucket/'] }`. */
  dataResources: z.array(z.strictObject({ type: z.string(), values: z.array(z.string()).default([]) })).default([]),
  /** e.g. `kms.amazonaws.com` to leave out KMS management events. */
  excludeManagementEventSources: z.array(z.string()).default([]),
});

const fieldSelectorSchema = z.strictObject({
  /** `eventCategory`, `readOnly`, `eventSource`, `resources.type`, ... */
  field: z.string().min(1),
  equals: z.array(z.string()).optional(),
  startsWith: z.array(z.string()).optional(),
  endsWith: z.array(z.string()).optional(),
  notEquals: z.array(z.string()).optional(),
  notStartsWith: z.array(z.string()).optional(),
  notEndsWith: z.array(z.string()).optional(),
});

const trailScenario = z
  .strictObject({
    name: z.string().refine((name) => trailNameProblem(name) === undefined, 'not a valid trail name'),
    multiRegion: z.boolean().default(true),
    /** An organization trail; only the organization's management account can own one. */
    organization: z.boolean().default(false),
    logFileValidation: z.boolean().default(true),
    /** A KMS key id, alias or ARN for SSE-KMS of the log files; absent means SSE-S3. */
    kmsKeyId: z.string().optional(),
    /** Defaults to `aws-cloudtrail-logs-<account>-<name>`. */
    s3Bucket: z.string().optional(),
    s3KeyPrefix: z.string().optional(),
    /** A CloudWatch Logs log group name the trail also delivers to. */
    cloudWatchLogsLogGroup: z.string().optional(),
    includeGlobalServiceEvents: z.boolean().default(true),
    insights: z.boolean().default(false),
    logging: z.boolean().default(true),
    /** How long ago the trail was created (and logging started). */
    age: durationSchema.prefault('400d'),
    /** When logging is false: how long ago it was stopped. */
    stoppedAge: durationSchema.prefault('1d'),
    /** How long ago a log file was last delivered to S3. */
    lastDeliveryAge: durationSchema.prefault('5m'),
    /** The last delivery failure, e.g. `AccessDenied` or `NoSuchBucket` (a bucket policy problem). */
    latestDeliveryError: z.string().optional(),
    /** Classic selectors; the default is all management events, reads and writes. */
    eventSelectors: z.array(selectorSchema).max(5).optional(),
    advancedEventSelectors: z.array(z.strictObject({ name: z.string().optional(), fieldSelectors: z.array(fieldSelectorSchema).min(1) })).optional(),
  })
  .refine((t) => !(t.eventSelectors && t.advancedEventSelectors), { message: 'a trail has either eventSelectors or advancedEventSelectors, not both', path: ['advancedEventSelectors'] });
type TrailScenario = z.output<typeof trailScenario>;

export const cloudtrailRegionScenario = z
  .strictObject({
    /** Trails whose home region is this one. */
    trails: z.array(trailScenario).default([]),
    /** Management events in this region's event history (LookupEvents), e.g. a root ConsoleLogin. */
    events: z.array(eventScenario).default([]),
    /** Background activity by ordinary users and roles, generated on the fly. */
    noise: noiseScenario.optional(),
  })
  .superRefine((region, ctx) => {
    const names = new Set<string>();
    region.trails.forEach((trail, i) => {
      if (names.has(trail.name)) ctx.addIssue({ code: 'custom', path: ['trails', i, 'name'], message: 'duplicate trail name' });
      names.add(trail.name);
    });
  });

interface Trail {
  name: string;
  accountId: string;
  homeRegion: string;
  arn: string;
  multiRegion: boolean;
  organization: boolean;
  logFileValidation: boolean;
  kmsKeyArn?: string;
  s3Bucket: string;
  s3KeyPrefix?: string;
  cloudWatchLogsLogGroupArn?: string;
  cloudWatchLogsRoleArn?: string;
  includeGlobalServiceEvents: boolean;
  insights: boolean;
  eventSelectors?: TrailScenario['eventSelectors'];
  advancedEventSelectors?: TrailScenario['advancedEventSelectors'];
  logging: boolean;
  startLoggingTime: Date;
  stopLoggingTime?: Date;
  latestDeliveryTime: Date;
  latestDeliveryAttemptTime: Date;
  latestDeliveryError?: string;
}

/** Every trail in the world: few enough that visibility is a filter, and org trails cross accounts. */
function trails(world: World): Trail[] {
  return world.slice('cloudtrail:trails', () => [] as Trail[]);
}

function kmsKeyArn(value: string, region: string, accountId: string): string {
  if (value.startsWith('arn:')) return value;
  const keyId = value.startsWith('alias/') ? uuid(createHash('sha256').update(value).digest('hex')) : value;
  return `arn:aws:kms:${region}:${accountId}:key/${keyId}`;
}

function uuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function buildTrail(world: World, accountId: string, region: string, spec: TrailScenario): Trail {
  const startLoggingTime = world.ago(spec.age);
  const stopLoggingTime = spec.logging ? undefined : world.ago(spec.stoppedAge);
  const delivered = world.ago(spec.lastDeliveryAge);
  // A stopped trail delivers nothing after it stopped.
  const latestDeliveryTime = stopLoggingTime && delivered > stopLoggingTime ? stopLoggingTime : delivered;
  return {
    name: spec.name,
    accountId,
    homeRegion: region,
    arn: `arn:aws:cloudtrail:${region}:${accountId}:trail/${spec.name}`,
    multiRegion: spec.multiRegion,
    organization: spec.organization,
    logFileValidation: spec.logFileValidation,
    kmsKeyArn: spec.kmsKeyId ? kmsKeyArn(spec.kmsKeyId, region, accountId) : undefined,
    s3Bucket: spec.s3Bucket ?? `aws-cloudtrail-logs-${accountId}-${spec.name.toLowerCase()}`,
    s3KeyPrefix: spec.s3KeyPrefix,
    cloudWatchLogsLogGroupArn: spec.cloudWatchLogsLogGroup ? `arn:aws:logs:${region}:${accountId}:log-group:${spec.cloudWatchLogsLogGroup}:*` : undefined,
    cloudWatchLogsRoleArn: spec.cloudWatchLogsLogGroup ? `arn:aws:iam::${accountId}:role/CloudTrailRoleForCloudWatchLogs_${spec.name}` : undefined,
    includeGlobalServiceEvents: spec.includeGlobalServiceEvents,
    insights: spec.insights,
    eventSelectors: spec.eventSelectors,
    advancedEventSelectors: spec.advancedEventSelectors,
    logging: spec.logging,
    startLoggingTime,
    stopLoggingTime,
    latestDeliveryTime,
    latestDeliveryAttemptTime: spec.latestDeliveryError ? world.ago(2 * 60_000) : latestDeliveryTime,
    latestDeliveryError: spec.latestDeliveryError,
  };
}

export function seedCloudTrail(world: World, scenario: Scenario): void {
  const problems: ConstructorParameters<typeof ConfigError>[0] = [];
  scenario.accounts.forEach((account, a) => {
    for (const [region, config] of Object.entries(account.regions)) {
      if (!config.cloudtrail) continue;
      config.cloudtrail.trails.forEach((spec, t) => {
        if (spec.organization && account.id !== scenario.organization?.managementAccount) {
          problems.push({ file: 'scenario', path: `accounts[${a}].regions.${region}.cloudtrail.trails[${t}].organization`, message: 'only the organization management account can own an organization trail' });
          return;
        }
        trails(world).push(buildTrail(world, account.id, region, spec));
      });
      seedEvents(world, account.id, region, config.cloudtrail.events, config.cloudtrail.noise);
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
}

// --- visibility and lookup ----------------------------------------------------------------------

function isLocal(trail: Trail, accountId: string, region: string): boolean {
  return trail.accountId === accountId && trail.homeRegion === region;
}

function isShadow(world: World, trail: Trail, accountId: string, region: string): boolean {
  if (trail.accountId === accountId) return trail.multiRegion && trail.homeRegion !== region;
  const orgTrail = trail.organization && world.organizationId !== undefined && trail.accountId === world.managementAccountId && world.account(accountId) !== undefined;
  return orgTrail && (trail.multiRegion || trail.homeRegion === region);
}

function visibleTrails(call: AwsCall, includeShadowTrails: boolean): Trail[] {
  return trails(call.world).filter((t) => isLocal(t, call.account.id, call.region) || (includeShadowTrails && isShadow(call.world, t, call.account.id, call.region)));
}

function invalidName(): AwsError {
  return new AwsError('InvalidTrailNameException', 'Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, periods (.), hyphens (-), and underscores (_).', 400);
}

/** A trail by name (this account and region) or ARN (any trail visible here, shadows included). */
function resolveTrail(call: AwsCall, nameOrArn: unknown): Trail {
  if (typeof nameOrArn !== 'string' || nameOrArn === '') throw invalidName();
  const arn = TRAIL_ARN.exec(nameOrArn);
  if (!arn && trailNameProblem(nameOrArn)) throw invalidName();
  const trail = arn
    ? visibleTrails(call, true).find((t) => t.arn === nameOrArn)
    : visibleTrails(call, false).find((t) => t.name === nameOrArn);
  if (!trail) {
    const shown = arn ? nameOrArn : `arn:aws:cloudtrail:${call.region}:${call.account.id}:trail/${nameOrArn}`;
    throw new AwsError('TrailNotFoundException', `Unknown trail: ${shown} for the user: ${call.account.id}`, 404);
  }
  return trail;
}

function epochSeconds(date: Date | undefined): number | undefined {
  return date ? date.getTime() / 1000 : undefined;
}

function isoSeconds(date: Date | undefined): string {
  return date ? date.toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

function hasCustomSelectors(t: Trail): boolean {
  if (t.advancedEventSelectors) return true;
  const selectors = t.eventSelectors;
  if (!selectors) return false;
  const [only] = selectors;
  return !(selectors.length === 1 && only?.readWriteType === 'All' && only.includeManagementEvents && only.dataResources.length === 0 && only.excludeManagementEventSources.length === 0);
}

function describeTrail(t: Trail) {
  return {
    Name: t.name,
    S3BucketName: t.s3Bucket,
    S3KeyPrefix: t.s3KeyPrefix,
    IncludeGlobalServiceEvents: t.includeGlobalServiceEvents,
    IsMultiRegionTrail: t.multiRegion,
    HomeRegion: t.homeRegion,
    TrailARN: t.arn,
    LogFileValidationEnabled: t.logFileValidation,
    CloudWatchLogsLogGroupArn: t.cloudWatchLogsLogGroupArn,
    CloudWatchLogsRoleArn: t.cloudWatchLogsRoleArn,
    KmsKeyId: t.kmsKeyArn,
    HasCustomEventSelectors: hasCustomSelectors(t),
    HasInsightSelectors: t.insights,
    IsOrganizationTrail: t.organization,
  };
}

function trailStatus(t: Trail) {
  // Digest files are delivered hourly when log file validation is on.
  const digest = t.logFileValidation ? new Date(Math.floor(t.latestDeliveryTime.getTime() / 3_600_000) * 3_600_000) : undefined;
  return {
    IsLogging: t.logging,
    LatestDeliveryError: t.latestDeliveryError,
    LatestDeliveryTime: epochSeconds(t.latestDeliveryTime),
    StartLoggingTime: epochSeconds(t.startLoggingTime),
    StopLoggingTime: epochSeconds(t.stopLoggingTime),
    LatestDigestDeliveryTime: epochSeconds(digest),
    LatestDeliveryAttemptTime: isoSeconds(t.latestDeliveryAttemptTime),
    LatestDeliveryAttemptSucceeded: isoSeconds(t.latestDeliveryTime),
    LatestNotificationAttemptTime: '',
    LatestNotificationAttemptSucceeded: '',
    TimeLoggingStarted: isoSeconds(t.startLoggingTime),
    TimeLoggingStopped: isoSeconds(t.stopLoggingTime),
  };
}

function eventSelectors(t: Trail) {
  if (t.advancedEventSelectors) {
    return {
      TrailARN: t.arn,
      AdvancedEventSelectors: t.advancedEventSelectors.map((s) => ({
        Name: s.name,
        FieldSelectors: s.fieldSelectors.map((f) => ({
          Field: f.field,
          Equals: f.equals,
          StartsWith: f.startsWith,
          EndsWith: f.endsWith,
          NotEquals: f.notEquals,
          NotStartsWith: f.notStartsWith,
          NotEndsWith: f.notEndsWith,
        })),
      })),
    };
  }
  const selectors = t.eventSelectors ?? [{ readWriteType: 'All', includeManagementEvents: true, dataResources: [], excludeManagementEventSources: [] }];
  return {
    TrailARN: t.arn,
    EventSelectors: selectors.map((s) => ({
      ReadWriteType: s.readWriteType,
      IncludeManagementEvents: s.includeManagementEvents,
      DataResources: s.dataResources.map((d) => ({ Type: d.type, Values: d.values })),
      ExcludeManagementEventSources: s.excludeManagementEventSources,
    })),
  };
}

/** StartLogging/StopLogging: only the owner, from the home region; the attempt is recorded either way. */
function setLogging(call: AwsCall, logging: boolean) {
  const name = call.params['Name'];
  try {
    const trail = resolveTrail(call, name);
    if (trail.accountId !== call.account.id) {
      throw new AwsError('NotOrganizationMasterAccountException', `The request was rejected because account ${call.account.id} is not the management account of the organization that owns ${trail.arn}.`, 400);
    }
    if (trail.homeRegion !== call.region) {
      throw new AwsError('InvalidHomeRegionException', `This operation must be called from the trail's home region, ${trail.homeRegion}.`, 400);
    }
    const now = call.world.now();
    trail.logging = logging;
    if (logging) trail.startLoggingTime = now;
    else trail.stopLoggingTime = now;
    recordApiCall(call, { source: 'cloudtrail.amazonaws.com', requestParameters: { name }, resources: [{ type: 'AWS::CloudTrail::Trail', name: trail.arn }] });
    return {};
  } catch (err) {
    if (err instanceof AwsError) recordApiCall(call, { source: 'cloudtrail.amazonaws.com', requestParameters: { name }, errorCode: err.code, errorMessage: err.message });
    throw err;
  }
}

// --- LookupEvents -------------------------------------------------------------------------------

const MAX_EVENTS = 50;
const LIST_TRAILS_PAGE = 50;

function lookupError(message: string): AwsError {
  return new AwsError('InvalidLookupAttributesException', message, 400);
}

function parseFilter(raw: unknown): LookupFilter | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw lookupError('LookupAttributes must be a list.');
  if (raw.length === 0) return undefined;
  if (raw.length > 1) throw lookupError('You can specify only one lookup attribute.');
  const { AttributeKey: key, AttributeValue: value } = (raw[0] ?? {}) as { AttributeKey?: unknown; AttributeValue?: unknown };
  if (typeof key !== 'string' || !(key in LOOKUP_KEYS)) throw lookupError(`Lookup attribute key ${String(key)} is not supported.`);
  if (typeof value !== 'string' || value.length < 1 || value.length > 2000) throw lookupError('Lookup attribute value must be 1 to 2000 characters.');
  if (key === 'ReadOnly' && value !== 'true' && value !== 'false') throw lookupError('ReadOnly must be true or false.');
  return { key: key as LookupKey, value };
}

function parseTime(raw: unknown): number | undefined {
  if (raw === undefined || raw === null) return undefined;
  const ms = typeof raw === 'number' ? raw * 1000 : Date.parse(String(raw));
  if (!Number.isFinite(ms)) throw new AwsError('InvalidTimeRangeException', 'The time value is not valid.', 400);
  return ms;
}

function fingerprint(params: Record<string, unknown>): string {
  const fields = [params['LookupAttributes'], params['StartTime'], params['EndTime'], params['EventCategory']];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 16);
}

function invalidToken(): AwsError {
  return new AwsError('InvalidNextTokenException', 'Invalid NextToken: the token is not valid or was issued for a request with different parameters.', 400);
}

function decodeCursors(raw: unknown, expected: string, sources: number): number[] | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  try {
    const token = JSON.parse(Buffer.from(String(raw), 'base64url').toString('utf8')) as { f?: unknown; c?: unknown };
    const cursors = token.c;
    if (token.f !== expected || !Array.isArray(cursors) || cursors.length !== sources || cursors.some((c) => !Number.isInteger(c) || c < -1)) throw invalidToken();
    return cursors as number[];
  } catch (err) {
    if (err instanceof AwsError) throw err;
    throw invalidToken();
  }
}

function lookupEvents(call: AwsCall) {
  const { params, world } = call;
  const filter = parseFilter(params['LookupAttributes']);
  const category = params['EventCategory'];
  if (category !== undefined && category !== 'insight') throw new AwsError('InvalidEventCategoryException', 'Event category must be insight.', 400);
  const rawMax = params['MaxResults'];
  const maxResults = rawMax === undefined || rawMax === null ? MAX_EVENTS : Number(rawMax);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_EVENTS) throw new AwsError('InvalidMaxResultsException', 'MaxResults must be between 1 and 50.', 400);
  const start = parseTime(params['StartTime']);
  const end = parseTime(params['EndTime']);
  if (start !== undefined && end !== undefined && start > end) throw new AwsError('InvalidTimeRangeException', 'Start time must be earlier than end time.', 400);
  // The sandbox keeps no Insights events.
  if (category === 'insight') return { Events: [] };

  const now = world.now().getTime();
  const oldest = now - RETENTION_MS;
  const expected = fingerprint(params);
  const cursors = decodeCursors(params['NextToken'], expected, sourceCount(world, call.account.id, call.region));
  const page = lookup(world, call.account.id, call.region, {
    // History reaches back 90 days: an older StartTime is not an error, there is just nothing before.
    startMs: Math.max(start ?? oldest, oldest),
    endMs: end ?? now,
    filter,
    maxResults,
    cursors,
  });
  return {
    Events: page.events.map(apiEvent),
    NextToken: page.cursors ? Buffer.from(JSON.stringify({ f: expected, c: page.cursors })).toString('base64url') : undefined,
  };
}

export const cloudtrail: AwsServiceEmulator = {
  signingName: 'cloudtrail',
  protocol: 'json',
  targetPrefix: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101',
  throttlingError: { code: 'ThrottlingException', status: 400 },
  accessDeniedError: { code: 'AccessDeniedException', status: 400 },
  operations: {
    DescribeTrails: (call) => {
      const names = call.params['trailNameList'];
      const includeShadowTrails = (call.params['includeShadowTrails'] as unknown) !== false;
      let list = visibleTrails(call, includeShadowTrails);
      if (Array.isArray(names) && names.length > 0) {
        for (const n of names) if (typeof n !== 'string' || (!TRAIL_ARN.test(n) && trailNameProblem(n))) throw invalidName();
        // Names match this account and region's own trails; ARNs also reach shadow trails.
        list = list.filter((t) => names.some((n) => n === t.arn || (n === t.name && isLocal(t, call.account.id, call.region))));
      }
      return { trailList: list.map(describeTrail) };
    },

    ListTrails: (call) => {
      const list = visibleTrails(call, true);
      const token = call.params['NextToken'];
      const start = token === undefined || token === null ? 0 : Number(Buffer.from(String(token), 'base64url').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalidToken();
      const end = start + LIST_TRAILS_PAGE;
      return {
        Trails: list.slice(start, end).map((t) => ({ TrailARN: t.arn, Name: t.name, HomeRegion: t.homeRegion })),
        NextToken: end < list.length ? Buffer.from(String(end)).toString('base64url') : undefined,
      };
    },

    GetTrail: (call) => ({ Trail: describeTrail(resolveTrail(call, call.params['Name'])) }),
    GetTrailStatus: (call) => trailStatus(resolveTrail(call, call.params['Name'])),
    GetEventSelectors: (call) => eventSelectors(resolveTrail(call, call.params['TrailName'])),
    StartLogging: (call) => setLogging(call, true),
    StopLogging: (call) => setLogging(call, false),
    LookupEvents: lookupEvents,
  },
};
