/**
 * The AWS side of the threat and audit checks: GuardDuty detectors and findings, CloudTrail trails,
 * their buckets and event history, normalized into src/checks/threat/resources.ts shapes. GuardDuty's
 * and CloudTrail's vocabulary is translated here and nowhere else (Custodian #10471).
 *
 * LookupEvents allows 2 requests per second per account and region; the pacing every client carries
 * (pacing.ts, rate-limits.ts) keeps concurrent checks under it. Independent reads are asked for at
 * once (every lookup of a region's history, the next page of findings while the last is fetched), so
 * the pacer, not the order of awaits, sets the pace.
 *
 * One instance serves one run (inventory-all.ts builds it per run): it remembers which region each
 * trail's bucket is read from, and reads each bucket once per account, whichever regions ask; its
 * public access block is read once with the account's own bucket settings (PublicAccessBlocks).
 */
import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  type CloudTrailClient,
  type Event as SdkEvent,
  type LookupAttributeKey,
} from '@aws-sdk/client-cloudtrail';
import {
  GetDetectorCommand,
  GetFindingsCommand,
  paginateListDetectors,
  paginateListFindings,
  type DataSourceConfigurationsResult,
  type Finding as SdkFinding,
  type GetDetectorResponse,
  type Resource as SdkResource,
} from '@aws-sdk/client-guardduty';
import { GetBucketAclCommand, GetBucketPolicyStatusCommand } from '@aws-sdk/client-s3';
import { fetched, notFetched, type Fetched } from '../../checks/resources.js';
import type {
  CloudTrailTrail,
  EventLookup,
  EventQuery,
  GuardDutyDetector,
  GuardDutyDetectorDetails,
  GuardDutyFinding,
  ThreatInventoryPort,
  TrailActor,
  TrailBucketExposure,
  TrailEvent,
  TrailSelectors,
} from '../../checks/threat/index.js';
import type { AccountConfig } from '../../config/schema.js';
import { forgetAccount, type AwsClients } from './clients.js';
import { awsCall, classifyAwsError, toExternalError } from './errors.js';
import { PublicAccessBlocks } from './inventory.js';

type AwsThreatPort = Omit<ThreatInventoryPort, 'vaultServer'>;

/** IAM actions each method calls, for Vigil's own least-privilege policy. */
export const THREAT_ACTIONS: Record<keyof AwsThreatPort, readonly string[]> = {
  guardDutyDetectors: ['guardduty:ListDetectors', 'guardduty:GetDetector'],
  guardDutyFindings: ['guardduty:ListFindings', 'guardduty:GetFindings'],
  cloudTrailTrails: ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'],
  cloudTrailBucket: ['s3:GetBucketPublicAccessBlock', 's3:GetBucketPolicyStatus', 's3:GetBucketAcl'],
  cloudTrailEvents: ['cloudtrail:LookupEvents'],
};

/** The largest pages the APIs allow. */
const GUARDDUTY_PAGE = 50;
const LOOKUP_PAGE = 50;
/**
 * Pages of a whole event source to read before falling back to one lookup per event name. In a
 * short window (a scheduled run) a source's events fit in a page or two: far fewer calls than one
 * per name. In a long window the fallback bounds the cost to the budget plus one call per name.
 */
const SOURCE_PAGE_BUDGET = 1;
/**
 * The order a busy source's event names are looked up in: those most frequent in the page of the
 * source already read first, then the others as given. The page is the newest events, so it shows
 * which names fill the window: their lookups are long chains of pages, one page per round trip,
 * and in a scope of 2 calls a second a chain started last runs alone at the end (in the benchmark's
 * large account, PutRolePolicy's 24 pages and UpdateAssumeRolePolicy's 10, asked in the given order
 * after some twenty names of one page, were the last calls of the scan).
 */
export function longestFirst(names: readonly string[], sample: ReadonlyArray<{ name: string }>): string[] {
  const seen = new Map<string, number>();
  for (const e of sample) seen.set(e.name, (seen.get(e.name) ?? 0) + 1);
  return names
    .map((name, index) => ({ name, index, count: seen.get(name) ?? 0 }))
    .sort((a, b) => b.count - a.count || a.index - b.index)
    .map((n) => n.name);
}

/** GuardDuty's legacy data-source switches, as the feature names the checks use. */
function legacyFeatures(sources: DataSourceConfigurationsResult | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (sources?.S3Logs?.Status) out['S3_DATA_EVENTS'] = sources.S3Logs.Status;
  if (sources?.Kubernetes?.AuditLogs?.Status) out['EKS_AUDIT_LOGS'] = sources.Kubernetes.AuditLogs.Status;
  const ebs = sources?.MalwareProtection?.ScanEc2InstanceWithFindings?.EbsVolumes?.Status;
  if (ebs) out['EBS_MALWARE_PROTECTION'] = ebs;
  return out;
}

function detectorDetails(d: GetDetectorResponse): GuardDutyDetectorDetails {
  const features = legacyFeatures(d.DataSources);
  for (const f of d.Features ?? []) if (f.Name && f.Status) features[f.Name] = f.Status;
  return {
    status: d.Status ?? 'UNKNOWN',
    features,
    findingPublishingFrequency: d.FindingPublishingFrequency,
    updatedAt: d.UpdatedAt ? new Date(d.UpdatedAt) : undefined,
  };
}

function accessKeyOwner(r: SdkResource): string | undefined {
  const key = r.AccessKeyDetails;
  if (!key) return undefined;
  if (key.UserType === 'Root') return 'the root user';
  return `${key.UserType ?? 'principal'} ${key.UserName ?? key.AccessKeyId ?? 'unknown'}`;
}

/** What people call the resource a finding is about. */
function findingResource(r: SdkResource | undefined): string {
  if (!r) return 'an unknown resource';
  return (
    r.InstanceDetails?.InstanceId ??
    accessKeyOwner(r) ??
    r.S3BucketDetails?.[0]?.Name ??
    r.RdsDbInstanceDetails?.DbInstanceIdentifier ??
    r.EksClusterDetails?.Name ??
    r.EcsClusterDetails?.Name ??
    r.LambdaDetails?.FunctionName ??
    r.EbsVolumeDetails?.ScannedVolumeDetails?.[0]?.VolumeArn ??
    r.ResourceType ??
    'an unknown resource'
  );
}

function toFinding(f: SdkFinding, account: AccountConfig, region: string, detectorId: string): GuardDutyFinding {
  const created = new Date(f.CreatedAt ?? 0);
  const updated = new Date(f.UpdatedAt ?? f.CreatedAt ?? 0);
  return {
    id: f.Id ?? '',
    arn: f.Arn ?? `arn:aws:guardduty:${region}:${account.id}:detector/${detectorId}/finding/${f.Id}`,
    accountId: f.AccountId ?? account.id,
    region: f.Region ?? region,
    detectorId,
    type: f.Type ?? 'unknown',
    title: f.Title ?? '',
    severity: f.Severity ?? 0,
    resourceType: f.Resource?.ResourceType ?? 'unknown',
    resource: findingResource(f.Resource),
    firstSeen: f.Service?.EventFirstSeen ? new Date(f.Service.EventFirstSeen) : created,
    lastSeen: f.Service?.EventLastSeen ? new Date(f.Service.EventLastSeen) : updated,
    count: f.Service?.Count ?? 1,
  };
}

// --- CloudTrail event records --------------------------------------------------------------------

interface RecordIdentity {
  type?: string;
  arn?: string;
  userName?: string;
  sessionContext?: { attributes?: { mfaAuthenticated?: string }; sessionIssuer?: { userName?: string } };
}

interface EventRecord {
  userIdentity?: RecordIdentity;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: unknown;
  responseElements?: { ConsoleLogin?: string } | null;
  additionalEventData?: { MFAUsed?: string };
  readOnly?: boolean;
}

function actorOf(identity: RecordIdentity | undefined, username: string | undefined): TrailActor {
  const type = identity?.type ?? (username === 'root' ? 'Root' : 'Unknown');
  if (type === 'Root') return { type, name: 'root', arn: identity?.arn };
  if (type === 'IAMUser') return { type, name: identity?.userName ?? username ?? 'unknown', arn: identity?.arn };
  if (type === 'AssumedRole') {
    const [, role, session] = /assumed-role\/([^/]+)\/(.+)$/.exec(identity?.arn ?? '') ?? [];
    return { type, name: role ? `role/${role}/${session}` : (username ?? 'unknown'), arn: identity?.arn };
  }
  return { type, name: identity?.userName ?? username ?? identity?.arn ?? 'unknown', arn: identity?.arn };
}

export function toTrailEvent(e: SdkEvent, account: AccountConfig, region: string): TrailEvent {
  let record: EventRecord | undefined;
  try {
    const parsed: unknown = e.CloudTrailEvent ? JSON.parse(e.CloudTrailEvent) : undefined;
    if (parsed && typeof parsed === 'object') record = parsed as EventRecord;
  } catch {
    record = undefined;
  }
  const name = e.EventName ?? 'unknown';
  const mfa = name === 'ConsoleLogin' ? record?.additionalEventData?.MFAUsed : record?.userIdentity?.sessionContext?.attributes?.mfaAuthenticated;
  const login = record?.responseElements?.ConsoleLogin;
  return {
    id: e.EventId ?? '',
    name,
    source: e.EventSource ?? 'unknown',
    time: e.EventTime ?? new Date(0),
    accountId: account.id,
    region,
    actor: actorOf(record?.userIdentity, e.Username),
    sourceIp: record?.sourceIPAddress,
    userAgent: record?.userAgent,
    readOnly: e.ReadOnly === undefined ? record?.readOnly : e.ReadOnly === 'true',
    errorCode: record?.errorCode,
    errorMessage: record?.errorMessage,
    mfaUsed: mfa === undefined ? undefined : mfa === 'Yes' || mfa === 'true',
    consoleLogin: login === 'Success' || login === 'Failure' ? login : undefined,
    resources: (e.Resources ?? []).map((r) => ({ type: r.ResourceType ?? 'unknown', name: r.ResourceName ?? '' })),
    requestParameters: record?.requestParameters ?? undefined,
    detailed: record !== undefined,
  };
}

/** The owner account of a trail, from its ARN. */
function ownerOf(arn: string | undefined, fallback: string): string {
  return /^arn:aws[\w-]*:cloudtrail:[\w-]+:(\d{12}):trail\//.exec(arn ?? '')?.[1] ?? fallback;
}

export class AwsThreatInventory implements AwsThreatPort {
  /** `account|bucket` -> the home region of a trail that delivers there: where the bucket usually is. */
  private readonly trailHomes = new Map<string, string>();
  /** `account|bucket` -> its exposure, read once: a bucket's settings are the same from every region. */
  private readonly bucketReads = new Map<string, Promise<Fetched<TrailBucketExposure>>>();

  constructor(
    private readonly clients: AwsClients,
    private readonly blocks = new PublicAccessBlocks(clients),
  ) {}

  /** Forgets what was remembered of an account once the run is done with it (not a port method: combine skips `_`). */
  _forget(accountId: string): void {
    forgetAccount(this.trailHomes, accountId);
    forgetAccount(this.bucketReads, accountId);
  }

  // --- GuardDuty ---

  async guardDutyDetectors(account: AccountConfig, region: string): Promise<GuardDutyDetector[]> {
    const client = this.clients.client('guardduty', account, region);
    const ids = await awsCall({ service: 'guardduty', operation: 'ListDetectors', account: account.id, region }, async () => {
      const out: string[] = [];
      for await (const page of paginateListDetectors({ client, pageSize: GUARDDUTY_PAGE }, {})) out.push(...(page.DetectorIds ?? []));
      return out;
    });
    const detectors: GuardDutyDetector[] = [];
    for (const detectorId of ids) {
      let details: Fetched<GuardDutyDetectorDetails>;
      try {
        details = fetched(detectorDetails(await client.send(new GetDetectorCommand({ DetectorId: detectorId }))));
      } catch (err) {
        details = notFetched(toExternalError(err, { service: 'guardduty', operation: 'GetDetector', account: account.id, region }).message);
      }
      detectors.push({ kind: 'guardduty-detector', accountId: account.id, region, detectorId, details });
    }
    return detectors;
  }

  /** Active findings of medium severity and above, filtered and sorted by GuardDuty itself. */
  async guardDutyFindings(account: AccountConfig, region: string, detectorId: string): Promise<GuardDutyFinding[]> {
    const client = this.clients.client('guardduty', account, region);
    const criteria = { Criterion: { 'service.archived': { Equals: ['false'] }, severity: { GreaterThanOrEqual: 4 } } };
    const sort = { AttributeName: 'severity', OrderBy: 'DESC' as const };
    const batches: Array<Promise<GuardDutyFinding[]>> = [];
    await awsCall({ service: 'guardduty', operation: 'ListFindings', account: account.id, region }, async () => {
      for await (const page of paginateListFindings({ client, pageSize: GUARDDUTY_PAGE }, { DetectorId: detectorId, FindingCriteria: criteria, SortCriteria: sort })) {
        const ids = page.FindingIds ?? [];
        if (ids.length === 0) continue;
        // A page holds at most 50 ids, which is what one GetFindings takes; it is read while the next page is listed.
        const batch = awsCall({ service: 'guardduty', operation: 'GetFindings', account: account.id, region }, () =>
          client.send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: ids, SortCriteria: sort })),
        ).then((found) => (found.Findings ?? []).filter((f) => !f.Service?.Archived).map((f) => toFinding(f, account, region, detectorId)));
        // Settled at the end; a rejection must not go unhandled meanwhile.
        batch.catch(() => undefined);
        batches.push(batch);
      }
    });
    return (await Promise.all(batches)).flat();
  }

  // --- CloudTrail trails ---

  async cloudTrailTrails(account: AccountConfig, region: string): Promise<CloudTrailTrail[]> {
    const client = this.clients.client('cloudtrail', account, region);
    const where = { service: 'cloudtrail', account: account.id, region };
    const described = await awsCall({ ...where, operation: 'DescribeTrails' }, () => client.send(new DescribeTrailsCommand({ includeShadowTrails: true })));
    const trails: CloudTrailTrail[] = [];
    for (const t of described.trailList ?? []) {
      const arn = t.TrailARN ?? '';
      if (t.S3BucketName && t.HomeRegion) this.trailHomes.set(`${account.id}|${t.S3BucketName}`, t.HomeRegion);
      // Shadow trails (another region's or account's) are reachable by ARN only.
      const status = await this._read(where, 'GetTrailStatus', async () => {
        const s = await client.send(new GetTrailStatusCommand({ Name: arn }));
        return {
          isLogging: s.IsLogging ?? false,
          latestDeliveryTime: s.LatestDeliveryTime,
          latestDeliveryError: s.LatestDeliveryError || undefined,
          startLoggingTime: s.StartLoggingTime,
          stopLoggingTime: s.StopLoggingTime,
        };
      });
      const selectors = await this._read(where, 'GetEventSelectors', async (): Promise<TrailSelectors> => {
        const s = await client.send(new GetEventSelectorsCommand({ TrailName: arn }));
        if (s.AdvancedEventSelectors && s.AdvancedEventSelectors.length > 0) {
          return {
            type: 'advanced',
            selectors: s.AdvancedEventSelectors.map((a) => ({
              name: a.Name,
              fieldSelectors: (a.FieldSelectors ?? []).map((f) => ({
                field: f.Field ?? '',
                equals: f.Equals,
                notEquals: f.NotEquals,
                startsWith: f.StartsWith,
                notStartsWith: f.NotStartsWith,
                endsWith: f.EndsWith,
                notEndsWith: f.NotEndsWith,
              })),
            })),
          };
        }
        return {
          type: 'classic',
          selectors: (s.EventSelectors ?? []).map((e) => ({
            readWriteType: e.ReadWriteType ?? 'All',
            includeManagementEvents: e.IncludeManagementEvents ?? true,
            excludeManagementEventSources: e.ExcludeManagementEventSources ?? [],
          })),
        };
      });
      trails.push({
        kind: 'cloudtrail-trail',
        accountId: account.id,
        region,
        arn,
        name: t.Name ?? arn,
        ownerAccountId: ownerOf(arn, account.id),
        homeRegion: t.HomeRegion ?? region,
        multiRegion: t.IsMultiRegionTrail ?? false,
        organization: t.IsOrganizationTrail ?? false,
        logFileValidation: t.LogFileValidationEnabled ?? false,
        kmsKeyId: t.KmsKeyId || undefined,
        s3Bucket: t.S3BucketName || undefined,
        status,
        selectors,
      });
    }
    return trails;
  }

  async cloudTrailBucket(account: AccountConfig, region: string, bucket: string): Promise<Fetched<TrailBucketExposure>> {
    const key = `${account.id}|${bucket}`;
    let read = this.bucketReads.get(key);
    if (!read) {
      // From the trail's home region the bucket answers at once; elsewhere S3 would redirect every call.
      read = this._bucketExposure(account, this.trailHomes.get(key) ?? region, bucket);
      this.bucketReads.set(key, read);
    }
    return read;
  }

  private async _bucketExposure(account: AccountConfig, region: string, bucket: string): Promise<Fetched<TrailBucketExposure>> {
    const client = this.clients.client('s3', account, region);
    const where = { service: 's3', account: account.id, region };
    const missing = (err: unknown, code: string) => classifyAwsError(err).code === code;
    try {
      const [block, policyIsPublic, acl] = await Promise.all([
        this.blocks.read(account, region, bucket),
        client.send(new GetBucketPolicyStatusCommand({ Bucket: bucket })).then(
          (r) => r.PolicyStatus?.IsPublic ?? false,
          (err: unknown) => {
            if (missing(err, 'NoSuchBucketPolicy')) return false;
            throw toExternalError(err, { ...where, operation: 'GetBucketPolicyStatus' });
          },
        ),
        awsCall({ ...where, operation: 'GetBucketAcl' }, () => client.send(new GetBucketAclCommand({ Bucket: bucket }))),
      ]);
      const publicAclGrants = (acl.Grants ?? []).flatMap((g) => {
        const group = /\/global\/(AllUsers|AuthenticatedUsers)$/.exec(g.Grantee?.URI ?? '')?.[1];
        return group ? [`${group}:${g.Permission ?? '?'}`] : [];
      });
      return fetched({
        bucket,
        publicAccessBlock: block,
        policyIsPublic,
        publicAclGrants,
      });
    } catch (err) {
      return notFetched(toExternalError(err, { ...where, operation: 'GetPublicAccessBlock' }).message);
    }
  }

  // --- CloudTrail event history ---

  async cloudTrailEvents(account: AccountConfig, region: string, query: EventQuery): Promise<TrailEvent[]> {
    const client = this.clients.client('cloudtrail', account, region);
    const seen = new Map<string, TrailEvent>();
    const found = await Promise.all(query.lookups.map((lookup) => this._lookup(client, account, region, lookup, query)));
    for (const events of found) for (const event of events) if (!seen.has(event.id)) seen.set(event.id, event);
    return [...seen.values()].sort((a, b) => b.time.getTime() - a.time.getTime());
  }

  private async _lookup(client: CloudTrailClient, account: AccountConfig, region: string, lookup: EventLookup, query: EventQuery): Promise<TrailEvent[]> {
    const pages = (key: LookupAttributeKey, value: string, end: Date | undefined, maxPages?: number) => this._pages(client, account, region, { key, value, start: query.start, end, maxPages });
    if (lookup.by === 'username') return (await pages('Username', lookup.value, query.end)).events;
    if (lookup.by === 'eventName') return (await pages('EventName', lookup.value, query.end)).events;
    const wanted = new Set(lookup.names);
    const budget = await pages('EventSource', lookup.source, query.end, SOURCE_PAGE_BUDGET);
    const found = budget.events.filter((e) => wanted.has(e.name));
    if (budget.complete) return found;
    // The source has more than the budget: read the rest of the window one event name at a time,
    // the longest first. Pages come newest first, so everything after the oldest event seen has been read.
    for (const rest of await Promise.all(longestFirst(lookup.names, budget.events).map((name) => pages('EventName', name, budget.oldest)))) found.push(...rest.events);
    return found;
  }

  /** Pages of one lookup, newest first, each call paced; `complete` is false when `maxPages` cut it short. */
  private async _pages(
    client: CloudTrailClient,
    account: AccountConfig,
    region: string,
    q: { key: LookupAttributeKey; value: string; start: Date; end: Date | undefined; maxPages?: number },
  ): Promise<{ events: TrailEvent[]; complete: boolean; oldest?: Date }> {
    const events: TrailEvent[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      if (q.maxPages !== undefined && pages === q.maxPages) break;
      const page = await awsCall({ service: 'cloudtrail', operation: 'LookupEvents', account: account.id, region }, () =>
        client.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: q.key, AttributeValue: q.value }], StartTime: q.start, EndTime: q.end, MaxResults: LOOKUP_PAGE, NextToken: token })),
      );
      pages += 1;
      for (const e of page.Events ?? []) events.push(toTrailEvent(e, account, region));
      token = page.NextToken;
    } while (token);
    const oldest = events.reduce<Date | undefined>((min, e) => (!min || e.time < min ? e.time : min), undefined);
    return { events, complete: token === undefined, oldest };
  }

  private async _read<T>(where: { service: string; account: string; region: string }, operation: string, read: () => Promise<T>): Promise<Fetched<T>> {
    try {
      return fetched(await read());
    } catch (err) {
      return notFetched(toExternalError(err, { ...where, operation }).message);
    }
  }
}
