/**
 * GuardDuty (restJson1): one detector per account and region, its findings and its finding filters.
 * Member names on the wire are the model's camelCase `jsonName`s; timestamps typed as strings in the
 * model (detector and finding times) are ISO-8601, the others epoch seconds.
 */
import { z } from 'zod';
import type { HttpInput } from '../http-types.js';
import type { Scenario } from '../scenario.js';
import { accountIdSchema, durationSchema, tagsSchema } from '../scenario-types.js';
import type { World } from '../world.js';
import { recordApiCall } from './cloudtrail-events.js';
import {
  buildFinding,
  conditionSchema,
  findingScenario,
  hexId,
  invalidInput,
  isKnownAttribute,
  matchesCriteria,
  parseCriteria,
  sortFindings,
  type Criteria,
  type SortCriteria,
  type WireFinding,
} from './guardduty-findings.js';
import { AwsError, jsonResponse } from './protocol.js';
import type { AwsCall, AwsServiceEmulator, RestHandler, RestRoute } from './service.js';

/** Protection plans a detector can switch on or off (the API's DetectorFeature values we model). */
const FEATURES = ['S3_DATA_EVENTS', 'EKS_AUDIT_LOGS', 'EBS_MALWARE_PROTECTION', 'RDS_LOGIN_EVENTS', 'EKS_RUNTIME_MONITORING', 'LAMBDA_NETWORK_LOGS', 'RUNTIME_MONITORING'] as const;
type Feature = (typeof FEATURES)[number];
/** Foundational sources: always on while the detector exists, reported by GetDetector as features too. */
const FOUNDATIONAL = ['CLOUD_TRAIL', 'DNS_LOGS', 'FLOW_LOGS'] as const;
const FREQUENCIES = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'] as const;
type Status = 'ENABLED' | 'DISABLED';

const detectorScenario = z.strictObject({
  /** 32 hex characters; generated when omitted. Set it when planted CloudTrail events name the detector. */
  id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  status: z.enum(['ENABLED', 'DISABLED']).default('ENABLED'),
  findingPublishingFrequency: z.enum(FREQUENCIES).default('SIX_HOURS'),
  /** How long ago the detector was created. */
  age: durationSchema.prefault('400d'),
  /** How long ago its settings last changed; defaults to its age. */
  updated: durationSchema.optional(),
  /** Protection plans by name; any not listed is DISABLED. */
  features: z.partialRecord(z.enum(FEATURES), z.enum(['ENABLED', 'DISABLED'])).default({}),
  /** The GuardDuty administrator (delegated admin) account this member reports to, if any. */
  administratorAccountId: accountIdSchema.optional(),
  tags: tagsSchema.default({}),
});

const filterScenario = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9_.-]{3,64}$/, 'expected 3-64 letters, digits, `_`, `.` or `-`'),
  /** ARCHIVE makes it a suppression rule: matching findings arrive archived. */
  action: z.enum(['NOOP', 'ARCHIVE']).default('NOOP'),
  description: z.string().max(512).optional(),
  /** Order among the detector's filters; defaults to list position. */
  rank: z.number().int().min(1).max(100).optional(),
  /** FindingCriteria.Criterion as the API has it, e.g. `{ severity: { gte: 7 } }`. */
  criteria: z.record(z.string(), conditionSchema).default({}),
  age: durationSchema.prefault('90d'),
  /** How long ago the filter last changed; defaults to its age. */
  updated: durationSchema.optional(),
  tags: tagsSchema.default({}),
});

export const guarddutyRegionScenario = z
  .strictObject({
    /** Absent: GuardDuty is not enabled in this region (ListDetectors is empty). */
    detector: detectorScenario.optional(),
    findings: z.array(findingScenario).default([]),
    filters: z.array(filterScenario).default([]),
  })
  .superRefine((region, ctx) => {
    if (!region.detector && (region.findings.length > 0 || region.filters.length > 0)) {
      ctx.addIssue({ code: 'custom', path: ['detector'], message: 'findings and filters need a detector in the same region' });
    }
    const names = new Set<string>();
    region.filters.forEach((filter, i) => {
      if (names.has(filter.name)) ctx.addIssue({ code: 'custom', path: ['filters', i, 'name'], message: 'duplicate filter name' });
      names.add(filter.name);
      for (const attribute of Object.keys(filter.criteria)) {
        if (!isKnownAttribute(attribute)) ctx.addIssue({ code: 'custom', path: ['filters', i, 'criteria', attribute], message: 'not a FindingCriteria attribute GuardDuty accepts' });
      }
    });
  });

interface Detector {
  id: string;
  status: Status;
  frequency: string;
  createdAt: Date;
  updatedAt: Date;
  features: Map<Feature, { status: Status; updatedAt: Date }>;
  administratorAccountId?: string;
  invitationId: string;
  tags: Record<string, string>;
}

interface Filter {
  name: string;
  action: 'NOOP' | 'ARCHIVE';
  description?: string;
  rank: number;
  criteria: Criteria;
  tags: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
}

interface GuardDutyState {
  detector?: Detector;
  /** In the order GuardDuty produced them; ListFindings keeps this order when not sorting. */
  findings: Map<string, WireFinding>;
  filters: Map<string, Filter>;
}

function state(world: World, accountId: string, region: string): GuardDutyState {
  return world.slice(`guardduty:${accountId}:${region}`, () => ({ findings: new Map(), filters: new Map() }));
}

export function seedGuardDuty(world: World, scenario: Scenario): void {
  for (const account of scenario.accounts) {
    for (const [region, config] of Object.entries(account.regions)) {
      const spec = config.guardduty?.detector;
      if (!config.guardduty || !spec) continue;
      const gd = state(world, account.id, region);
      const createdAt = world.ago(spec.age);
      const updatedAt = world.ago(spec.updated ?? spec.age);
      const detector: Detector = {
        id: spec.id ?? hexId(world, 'detector'),
        status: spec.status,
        frequency: spec.findingPublishingFrequency,
        createdAt,
        updatedAt,
        features: new Map(FEATURES.map((f) => [f, { status: spec.features[f] ?? 'DISABLED', updatedAt }])),
        administratorAccountId: spec.administratorAccountId,
        invitationId: hexId(world, 'invitation'),
        tags: spec.tags,
      };
      gd.detector = detector;
      config.guardduty.filters.forEach((f, i) => {
        gd.filters.set(f.name, {
          name: f.name,
          action: f.action,
          description: f.description,
          rank: f.rank ?? i + 1,
          criteria: f.criteria,
          tags: f.tags,
          createdAt: world.ago(f.age),
          updatedAt: world.ago(f.updated ?? f.age),
        });
      });
      const suppressions = [...gd.filters.values()].filter((f) => f.action === 'ARCHIVE');
      for (const findingSpec of config.guardduty.findings) {
        const finding = buildFinding({ world, accountId: account.id, region, detectorId: detector.id }, findingSpec);
        // Suppression rules archive matching findings as they arrive, as GuardDuty does.
        if (suppressions.some((f) => matchesCriteria(finding, f.criteria))) finding.service.archived = true;
        gd.findings.set(finding.id, finding);
      }
    }
  }
}

// --- wire helpers --------------------------------------------------------------------------------

const MAX_RESULTS = 50;

function ok(call: AwsCall, body: unknown = {}) {
  return jsonResponse(body, call.requestId, 200, { 'content-type': 'application/json' });
}

function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function body(call: AwsCall): Record<string, unknown> {
  if (call.http.body.length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(call.http.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the same answer as a non-object body
  }
  throw new AwsError('BadRequestException', 'The request is rejected because the request body could not be parsed as JSON.', 400);
}

function maxResults(raw: unknown): number {
  if (raw === undefined || raw === null) return MAX_RESULTS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RESULTS) throw invalidInput(`maxResults must be between 1 and ${MAX_RESULTS}.`);
  return n;
}

function decodeToken(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const offset = Number(Buffer.from(String(raw), 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0) throw invalidInput('The nextToken is not valid.');
  return offset;
}

/** One page of an in-memory list; the token is the offset of the next page. */
function page<T>(items: T[], rawMax: unknown, rawToken: unknown): { items: T[]; nextToken?: string } {
  const size = maxResults(rawMax);
  const start = decodeToken(rawToken);
  const end = start + size;
  return { items: items.slice(start, end), nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}

function requireDetector(call: AwsCall): { gd: GuardDutyState; detector: Detector } {
  const gd = state(call.world, call.account.id, call.region);
  const id = call.pathParams['detectorId'];
  if (!gd.detector || gd.detector.id !== id) {
    throw new AwsError('BadRequestException', 'The request is rejected because the input detectorId is not owned by the current account.', 400);
  }
  return { gd, detector: gd.detector };
}

function findingIds(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_RESULTS || raw.some((id) => typeof id !== 'string' || id.length === 0)) {
    throw invalidInput(`findingIds must list 1 to ${MAX_RESULTS} finding ids.`);
  }
  return raw as string[];
}

function describeDetector(call: AwsCall, d: Detector) {
  const status = (f: Feature) => d.features.get(f)?.status ?? 'DISABLED';
  const additional = (names: string[], feature: Feature) =>
    names.map((name) => ({ name, status: status(feature), updatedAt: epochSeconds(d.features.get(feature)?.updatedAt ?? d.updatedAt) }));
  const features = [
    ...FOUNDATIONAL.map((name) => ({ name, status: 'ENABLED', updatedAt: epochSeconds(d.createdAt) })),
    ...FEATURES.map((name) => ({
      name,
      status: status(name),
      updatedAt: epochSeconds(d.features.get(name)?.updatedAt ?? d.updatedAt),
      ...(name === 'RUNTIME_MONITORING' ? { additionalConfiguration: additional(['EKS_ADDON_MANAGEMENT', 'ECS_FARGATE_AGENT_MANAGEMENT', 'EC2_AGENT_MANAGEMENT'], name) } : {}),
      ...(name === 'EKS_RUNTIME_MONITORING' ? { additionalConfiguration: additional(['EKS_ADDON_MANAGEMENT'], name) } : {}),
    })),
  ];
  return {
    createdAt: d.createdAt.toISOString(),
    findingPublishingFrequency: d.frequency,
    serviceRole: `arn:aws:iam::${call.account.id}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty`,
    status: d.status,
    updatedAt: d.updatedAt.toISOString(),
    // The legacy view of the same switches, still returned for older clients.
    dataSources: {
      cloudTrail: { status: 'ENABLED' },
      dnsLogs: { status: 'ENABLED' },
      flowLogs: { status: 'ENABLED' },
      s3Logs: { status: status('S3_DATA_EVENTS') },
      kubernetes: { auditLogs: { status: status('EKS_AUDIT_LOGS') } },
      malwareProtection: {
        scanEc2InstanceWithFindings: { ebsVolumes: { status: status('EBS_MALWARE_PROTECTION') } },
        serviceRole: `arn:aws:iam::${call.account.id}:role/aws-service-role/malware-protection.guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDutyMalwareProtection`,
      },
    },
    features,
    tags: d.tags,
  };
}

/** Applies UpdateDetector/CreateDetector settings; validates everything before changing anything. */
function applySettings(d: Detector, input: Record<string, unknown>, now: Date): void {
  const frequency = input['findingPublishingFrequency'];
  if (frequency !== undefined && !FREQUENCIES.includes(frequency as (typeof FREQUENCIES)[number])) throw invalidInput('Unsupported findingPublishingFrequency.');
  const enable = input['enable'];
  if (enable !== undefined && typeof enable !== 'boolean') throw invalidInput();
  const changes = new Map<Feature, Status>();
  const features = input['features'];
  if (features !== undefined) {
    if (!Array.isArray(features)) throw invalidInput();
    for (const f of features as Array<{ name?: unknown; status?: unknown }>) {
      if (!FEATURES.includes(f.name as Feature) || (f.status !== 'ENABLED' && f.status !== 'DISABLED')) throw invalidInput(`Unsupported feature: ${String(f.name)}.`);
      changes.set(f.name as Feature, f.status);
    }
  }
  const sources = input['dataSources'] as
    | { s3Logs?: { enable?: boolean }; kubernetes?: { auditLogs?: { enable?: boolean } }; malwareProtection?: { scanEc2InstanceWithFindings?: { ebsVolumes?: boolean } } }
    | undefined;
  const legacy: Array<[Feature, boolean | undefined]> = [
    ['S3_DATA_EVENTS', sources?.s3Logs?.enable],
    ['EKS_AUDIT_LOGS', sources?.kubernetes?.auditLogs?.enable],
    ['EBS_MALWARE_PROTECTION', sources?.malwareProtection?.scanEc2InstanceWithFindings?.ebsVolumes],
  ];
  for (const [feature, on] of legacy) if (on !== undefined && !changes.has(feature)) changes.set(feature, on ? 'ENABLED' : 'DISABLED');

  if (typeof enable === 'boolean') d.status = enable ? 'ENABLED' : 'DISABLED';
  if (typeof frequency === 'string') d.frequency = frequency;
  for (const [feature, status] of changes) d.features.set(feature, { status, updatedAt: now });
  d.updatedAt = now;
}

function describeFilter(f: Filter) {
  return {
    name: f.name,
    action: f.action,
    description: f.description,
    rank: f.rank,
    findingCriteria: { criterion: f.criteria },
    tags: f.tags,
    createdAt: epochSeconds(f.createdAt),
    updatedAt: epochSeconds(f.updatedAt),
  };
}

function filtersInOrder(gd: GuardDutyState): Filter[] {
  return [...gd.filters.values()].sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
}

function setArchived(call: AwsCall, archived: boolean) {
  const { gd } = requireDetector(call);
  const input = body(call);
  const ids = findingIds(input['findingIds']);
  for (const id of ids) {
    const finding = gd.findings.get(id);
    if (finding) finding.service.archived = archived;
  }
  recordApiCall(call, { source: 'guardduty.amazonaws.com', requestParameters: { detectorId: call.pathParams['detectorId'], findingIds: ids } });
  return ok(call);
}

// --- routing ------------------------------------------------------------------------------------

const ROUTES: Array<{ method: string; pattern: RegExp; operation: string; labels: string[] }> = [
  { method: 'GET', pattern: /^\/detector$/, operation: 'ListDetectors', labels: [] },
  { method: 'POST', pattern: /^\/detector$/, operation: 'CreateDetector', labels: [] },
  { method: 'GET', pattern: /^\/detector\/([^/]+)$/, operation: 'GetDetector', labels: ['detectorId'] },
  { method: 'POST', pattern: /^\/detector\/([^/]+)$/, operation: 'UpdateDetector', labels: ['detectorId'] },
  { method: 'DELETE', pattern: /^\/detector\/([^/]+)$/, operation: 'DeleteDetector', labels: ['detectorId'] },
  { method: 'POST', pattern: /^\/detector\/([^/]+)\/findings$/, operation: 'ListFindings', labels: ['detectorId'] },
  { method: 'POST', pattern: /^\/detector\/([^/]+)\/findings\/get$/, operation: 'GetFindings', labels: ['detectorId'] },
  { method: 'POST', pattern: /^\/detector\/([^/]+)\/findings\/archive$/, operation: 'ArchiveFindings', labels: ['detectorId'] },
  { method: 'POST', pattern: /^\/detector\/([^/]+)\/findings\/unarchive$/, operation: 'UnarchiveFindings', labels: ['detectorId'] },
  { method: 'GET', pattern: /^\/detector\/([^/]+)\/filter$/, operation: 'ListFilters', labels: ['detectorId'] },
  { method: 'GET', pattern: /^\/detector\/([^/]+)\/filter\/([^/]+)$/, operation: 'GetFilter', labels: ['detectorId', 'filterName'] },
  { method: 'DELETE', pattern: /^\/detector\/([^/]+)\/filter\/([^/]+)$/, operation: 'DeleteFilter', labels: ['detectorId', 'filterName'] },
  { method: 'GET', pattern: /^\/detector\/([^/]+)\/administrator$/, operation: 'GetAdministratorAccount', labels: ['detectorId'] },
];

export function routeGuardDuty(http: HttpInput): RestRoute | undefined {
  for (const route of ROUTES) {
    if (route.method !== http.method) continue;
    const match = route.pattern.exec(http.path);
    if (!match) continue;
    const pathParams: Record<string, string> = {};
    route.labels.forEach((label, i) => {
      pathParams[label] = decodeURIComponent(match[i + 1] as string);
    });
    return { operation: route.operation, pathParams };
  }
  return undefined;
}

const handlers: Record<string, RestHandler> = {
  ListDetectors: (call) => {
    const gd = state(call.world, call.account.id, call.region);
    const result = page(gd.detector ? [gd.detector.id] : [], call.http.query.get('maxResults') ?? undefined, call.http.query.get('nextToken') ?? undefined);
    return ok(call, { detectorIds: result.items, nextToken: result.nextToken });
  },

  GetDetector: (call) => ok(call, describeDetector(call, requireDetector(call).detector)),

  CreateDetector: (call) => {
    const gd = state(call.world, call.account.id, call.region);
    const input = body(call);
    if (typeof input['enable'] !== 'boolean') throw invalidInput('enable is required.');
    if (gd.detector) throw new AwsError('BadRequestException', 'The request is rejected because a detector already exists for the current account.', 400);
    const now = call.world.now();
    const detector: Detector = {
      id: hexId(call.world, 'detector'),
      status: 'ENABLED',
      frequency: 'SIX_HOURS',
      createdAt: now,
      updatedAt: now,
      features: new Map(FEATURES.map((f) => [f, { status: 'DISABLED' as Status, updatedAt: now }])),
      invitationId: hexId(call.world, 'invitation'),
      tags: (input['tags'] as Record<string, string> | undefined) ?? {},
    };
    applySettings(detector, input, now);
    gd.detector = detector;
    recordApiCall(call, { source: 'guardduty.amazonaws.com', requestParameters: { enable: input['enable'] }, responseElements: { detectorId: detector.id } });
    return ok(call, { detectorId: detector.id });
  },

  UpdateDetector: (call) => {
    const { detector } = requireDetector(call);
    const input = body(call);
    applySettings(detector, input, call.world.now());
    recordApiCall(call, { source: 'guardduty.amazonaws.com', requestParameters: { detectorId: detector.id, ...input } });
    return ok(call);
  },

  DeleteDetector: (call) => {
    const { gd, detector } = requireDetector(call);
    gd.detector = undefined;
    gd.findings.clear();
    gd.filters.clear();
    recordApiCall(call, { source: 'guardduty.amazonaws.com', requestParameters: { detectorId: detector.id } });
    return ok(call);
  },

  ListFindings: (call) => {
    const { gd } = requireDetector(call);
    const input = body(call);
    const criteria = parseCriteria(input['findingCriteria']);
    const matching = [...gd.findings.values()].filter((f) => matchesCriteria(f, criteria));
    const sorted = sortFindings(matching, input['sortCriteria'] as SortCriteria | undefined);
    const result = page(sorted, input['maxResults'], input['nextToken']);
    return ok(call, { findingIds: result.items.map((f) => f.id), nextToken: result.nextToken });
  },

  GetFindings: (call) => {
    const { gd } = requireDetector(call);
    const input = body(call);
    const found = findingIds(input['findingIds']).flatMap((id) => gd.findings.get(id) ?? []);
    return ok(call, { findings: sortFindings(found, input['sortCriteria'] as SortCriteria | undefined) });
  },

  ArchiveFindings: (call) => setArchived(call, true),
  UnarchiveFindings: (call) => setArchived(call, false),

  ListFilters: (call) => {
    const { gd } = requireDetector(call);
    const result = page(filtersInOrder(gd), call.http.query.get('maxResults') ?? undefined, call.http.query.get('nextToken') ?? undefined);
    return ok(call, { filterNames: result.items.map((f) => f.name), nextToken: result.nextToken });
  },

  GetFilter: (call) => {
    const { gd } = requireDetector(call);
    const filter = gd.filters.get(call.pathParams['filterName'] ?? '');
    if (!filter) throw new AwsError('BadRequestException', 'The request is rejected since no such resource found.', 400);
    return ok(call, describeFilter(filter));
  },

  DeleteFilter: (call) => {
    const { gd, detector } = requireDetector(call);
    const name = call.pathParams['filterName'] ?? '';
    if (!gd.filters.delete(name)) throw new AwsError('BadRequestException', 'The request is rejected since no such resource found.', 400);
    recordApiCall(call, { source: 'guardduty.amazonaws.com', requestParameters: { detectorId: detector.id, filterName: name } });
    return ok(call);
  },

  GetAdministratorAccount: (call) => {
    const { detector } = requireDetector(call);
    if (!detector.administratorAccountId) return ok(call);
    return ok(call, {
      administrator: {
        accountId: detector.administratorAccountId,
        invitationId: detector.invitationId,
        relationshipStatus: 'Enabled',
        invitedAt: detector.createdAt.toISOString(),
      },
    });
  },
};

export const guardduty: AwsServiceEmulator = {
  signingName: 'guardduty',
  protocol: 'rest-json',
  throttlingError: { code: 'TooManyRequestsException', status: 429 },
  accessDeniedError: { code: 'AccessDeniedException', status: 403 },
  route: routeGuardDuty,
  rest: handlers,
};
