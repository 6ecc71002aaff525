/**
 * GuardDuty findings as the restJson1 wire carries them (camelCase member names), built from the
 * scenario, plus the FindingCriteria matching and SortCriteria ordering that ListFindings applies.
 * Findings are stored in wire shape so that a criterion such as `resource.instanceDetails.instanceId`
 * is just a path into the stored object.
 */
import { z } from 'zod';
import type { World } from '../world.js';
import { durationSchema, tagsSchema } from '../scenario-types.js';
import { AwsError } from './protocol.js';

/** One condition of a FindingCriteria, in the API's own camelCase member names. */
export const conditionSchema = z.strictObject({
  eq: z.array(z.string()).optional(),
  neq: z.array(z.string()).optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  equals: z.array(z.string()).optional(),
  notEquals: z.array(z.string()).optional(),
  greaterThan: z.number().optional(),
  greaterThanOrEqual: z.number().optional(),
  lessThan: z.number().optional(),
  lessThanOrEqual: z.number().optional(),
  matches: z.array(z.string()).optional(),
  notMatches: z.array(z.string()).optional(),
});
export type Condition = z.output<typeof conditionSchema>;
export type Criteria = Record<string, Condition>;

const RESOURCE_TYPES = ['Instance', 'AccessKey', 'S3Bucket', 'RDSDBInstance'] as const;
type ResourceType = (typeof RESOURCE_TYPES)[number];

export const findingScenario = z.strictObject({
  /** 32 hex characters; generated when omitted. */
  id: z.string().regex(/^[0-9a-f]{32}$/).optional(),
  /** `ThreatPurpose:ResourceTypeAffected/ThreatFamilyName`, e.g. `UnauthorizedAccess:EC2/SSHBruteForce`. */
  type: z.string().regex(/^\w+:[\w-]+\/[\w.!-]+$/, 'expected a finding type such as Recon:EC2/PortProbeUnprotectedPort').default('Recon:EC2/PortProbeUnprotectedPort'),
  /** 1.0-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9.0-10.0 critical. */
  severity: z.number().min(1).max(10).default(5),
  title: z.string().optional(),
  description: z.string().optional(),
  /** How long ago GuardDuty first saw the activity (the finding's createdAt). */
  firstSeen: durationSchema.prefault('1h'),
  /** How long ago it last saw it (the finding's updatedAt); defaults to firstSeen. */
  lastSeen: durationSchema.optional(),
  /** How many times the activity was seen. */
  count: z.number().int().min(1).default(1),
  archived: z.boolean().default(false),
  /** The remote address of the activity (attacker, prober, caller). */
  remoteIp: z.string().default('198.51.100.23'),
  /** The local port involved (network findings); inferred from the type when omitted. */
  port: z.number().int().min(0).max(65535).optional(),
  /** The affected resource; its type is inferred from the finding type (`:EC2/` -> Instance) when omitted. */
  resource: z
    .strictObject({
      type: z.enum(RESOURCE_TYPES).optional(),
      instanceId: z.string().optional(),
      instanceType: z.string().default('t3.medium'),
      tags: tagsSchema.default({}),
      accessKeyId: z.string().optional(),
      userName: z.string().default('deploy-bot'),
      userType: z.enum(['IAMUser', 'Root', 'AssumedRole']).default('IAMUser'),
      bucketName: z.string().optional(),
      dbInstanceIdentifier: z.string().optional(),
      engine: z.string().default('postgres'),
    })
    .prefault({}),
});
export type FindingScenario = z.output<typeof findingScenario>;

/** A finding in wire shape; the members ListFindings and archiving touch are typed. */
export interface WireFinding {
  id: string;
  type: string;
  severity: number;
  createdAt: string;
  updatedAt: string;
  service: { archived: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

export interface FindingContext {
  world: World;
  accountId: string;
  region: string;
  detectorId: string;
}

export function hexId(world: World, prefix: string): string {
  return world.id(prefix, 32).slice(prefix.length + 1);
}

export function buildFinding(ctx: FindingContext, spec: FindingScenario): WireFinding {
  const { world, accountId, region, detectorId } = ctx;
  const id = spec.id ?? hexId(world, 'finding');
  const resourceType = spec.resource.type ?? inferResourceType(spec.type);
  const resource = buildResource(ctx, resourceType, spec);
  const label = resourceLabel(resource);
  const firstSeen = world.ago(spec.firstSeen).toISOString();
  const lastSeen = world.ago(spec.lastSeen ?? spec.firstSeen).toISOString();
  const [title, description] = describeFinding(spec, label);
  return {
    schemaVersion: '2.0',
    accountId,
    region,
    partition: 'aws',
    id,
    arn: `arn:aws:guardduty:${region}:${accountId}:detector/${detectorId}/finding/${id}`,
    type: spec.type,
    resource,
    service: {
      serviceName: 'guardduty',
      detectorId,
      action: buildAction(spec, resourceType),
      resourceRole: 'TARGET',
      additionalInfo: { value: '{}', type: 'default' },
      eventFirstSeen: firstSeen,
      eventLastSeen: lastSeen,
      archived: spec.archived,
      count: spec.count,
    },
    severity: spec.severity,
    createdAt: firstSeen,
    updatedAt: lastSeen,
    title,
    description,
  };
}

function inferResourceType(findingType: string): ResourceType {
  if (findingType.includes(':IAMUser/')) return 'AccessKey';
  if (findingType.includes(':S3/')) return 'S3Bucket';
  if (findingType.includes(':RDS/')) return 'RDSDBInstance';
  return 'Instance';
}

function buildResource(ctx: FindingContext, type: ResourceType, spec: FindingScenario): Record<string, unknown> {
  const r = spec.resource;
  const tags = Object.entries(r.tags).map(([key, value]) => ({ key, value }));
  switch (type) {
    case 'Instance':
      return {
        resourceType: 'Instance',
        instanceDetails: {
          instanceId: r.instanceId ?? ctx.world.id('i'),
          instanceType: r.instanceType,
          instanceState: 'running',
          availabilityZone: `${ctx.region}a`,
          imageId: 'ami-0c02fb55956c7d316',
          imageDescription: 'Amazon Linux 2023 AMI',
          launchTime: ctx.world.ago(30 * 24 * 3600 * 1000).toISOString(),
          productCodes: [],
          tags,
          networkInterfaces: [{ networkInterfaceId: ctx.world.id('eni'), privateIpAddress: '10.0.1.25', publicIp: '54.210.10.25', subnetId: ctx.world.id('subnet'), vpcId: ctx.world.id('vpc') }],
        },
      };
    case 'AccessKey':
      return {
        resourceType: 'AccessKey',
        accessKeyDetails: {
          accessKeyId: r.accessKeyId ?? `AKIA${ctx.world.id('key', 16).slice(4).toUpperCase()}`,
          principalId: `AIDA${ctx.world.id('principal', 17).slice(10).toUpperCase()}`,
          userName: r.userName,
          userType: r.userType,
        },
      };
    case 'S3Bucket': {
      const name = r.bucketName ?? `bucket-${ctx.accountId}`;
      return {
        resourceType: 'S3Bucket',
        s3BucketDetails: [
          {
            arn: `arn:aws:s3:::${name}`,
            name,
            type: 'Destination',
            owner: { id: ctx.world.id('canonical', 64).slice(10) },
            tags,
            defaultServerSideEncryption: { encryptionType: 'AES256' },
            publicAccess: { effectivePermission: 'NOT_PUBLIC' },
          },
        ],
      };
    }
    case 'RDSDBInstance': {
      const name = r.dbInstanceIdentifier ?? 'database-1';
      return {
        resourceType: 'RDSDBInstance',
        rdsDbInstanceDetails: {
          dbInstanceIdentifier: name,
          engine: r.engine,
          engineVersion: '15.4',
          dbInstanceArn: `arn:aws:rds:${ctx.region}:${ctx.accountId}:db:${name}`,
          dbiResourceId: `db-${ctx.world.id('dbi', 26).slice(4).toUpperCase()}`,
          tags,
        },
      };
    }
  }
}

function resourceLabel(resource: Record<string, unknown>): string {
  const get = (key: string, member: string) => (resource[key] as Record<string, string> | undefined)?.[member];
  return (
    get('instanceDetails', 'instanceId') ??
    get('accessKeyDetails', 'userName') ??
    (resource['s3BucketDetails'] as Array<{ name: string }> | undefined)?.[0]?.name ??
    get('rdsDbInstanceDetails', 'dbInstanceIdentifier') ??
    'the resource'
  );
}

function remoteIpDetails(ip: string) {
  return {
    ipAddressV4: ip,
    organization: { asn: '64500', asnOrg: 'Example Hosting', isp: 'Example Hosting', org: 'Example Hosting' },
    country: { countryName: 'Netherlands' },
    city: { cityName: 'Amsterdam' },
    geoLocation: { lat: 52.37, lon: 4.89 },
  };
}

function defaultPort(findingType: string): number {
  if (findingType.includes('SSH')) return 22;
  if (findingType.includes('RDP')) return 3389;
  return 443;
}

function buildAction(spec: FindingScenario, resourceType: ResourceType): Record<string, unknown> {
  const remote = remoteIpDetails(spec.remoteIp);
  const port = spec.port ?? defaultPort(spec.type);
  if (resourceType === 'AccessKey' || resourceType === 'S3Bucket') {
    return {
      actionType: 'AWS_API_CALL',
      awsApiCallAction: { api: resourceType === 'S3Bucket' ? 'GetObject' : 'ListUsers', callerType: 'Remote IP', serviceName: resourceType === 'S3Bucket' ? 's3.amazonaws.com' : 'iam.amazonaws.com', remoteIpDetails: remote },
    };
  }
  if (resourceType === 'RDSDBInstance') {
    // The model gives LoginAttributes no jsonName, so it alone travels in PascalCase.
    return { actionType: 'RDS_LOGIN_ATTEMPT', rdsLoginAttemptAction: { remoteIpDetails: remote, LoginAttributes: [{ user: 'postgres', application: 'psql', failedLoginAttempts: spec.count, successfulLoginAttempts: 0 }] } };
  }
  if (spec.type.includes('PortProbe')) {
    return {
      actionType: 'PORT_PROBE',
      portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port, portName: portName(port) }, localIpDetails: { ipAddressV4: '10.0.1.25' }, remoteIpDetails: remote }] },
    };
  }
  if (spec.type.endsWith('!DNS')) {
    return { actionType: 'DNS_REQUEST', dnsRequestAction: { domain: 'pool.example-mining.net', protocol: 'UDP', blocked: false } };
  }
  const inbound = /BruteForce|Unprotected/.test(spec.type);
  return {
    actionType: 'NETWORK_CONNECTION',
    networkConnectionAction: {
      blocked: false,
      connectionDirection: inbound ? 'INBOUND' : 'OUTBOUND',
      protocol: 'TCP',
      localPortDetails: { port: inbound ? port : 49152, portName: inbound ? portName(port) : 'Unknown' },
      remotePortDetails: { port: inbound ? 49152 : port, portName: inbound ? 'Unknown' : portName(port) },
      localIpDetails: { ipAddressV4: '10.0.1.25' },
      remoteIpDetails: remote,
    },
  };
}

function portName(port: number): string {
  return ({ 22: 'SSH', 80: 'HTTP', 443: 'HTTPS', 3389: 'RDP', 5432: 'POSTGRESQL' } as Record<number, string>)[port] ?? 'Unknown';
}

function describeFinding(spec: FindingScenario, label: string): [string, string] {
  const family = spec.type.slice(spec.type.indexOf('/') + 1);
  let title = `${family} activity was detected on ${label}.`;
  let description = `GuardDuty detected ${spec.type} activity involving ${label}.`;
  if (spec.type.includes('SSHBruteForce')) {
    title = `${spec.remoteIp} is performing SSH brute force attacks against ${label}.`;
    description = `${title} Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.`;
  } else if (spec.type.includes('PortProbeUnprotectedPort')) {
    title = `Unprotected port on EC2 instance ${label} is being probed.`;
    description = `EC2 instance has an unprotected port which is being probed by a known malicious host.`;
  }
  return [spec.title ?? title, spec.description ?? description];
}

// --- FindingCriteria -----------------------------------------------------------------------------

/** The attributes the API documents for FindingCriteria and SortCriteria (plus createdAt and the event times). */
const ATTRIBUTES = new Set([
  'accountId', 'region', 'confidence', 'id', 'type', 'severity', 'updatedAt', 'createdAt',
  'resource.resourceType',
  'resource.accessKeyDetails.accessKeyId', 'resource.accessKeyDetails.principalId', 'resource.accessKeyDetails.userName', 'resource.accessKeyDetails.userType',
  'resource.instanceDetails.iamInstanceProfile.id', 'resource.instanceDetails.imageId', 'resource.instanceDetails.instanceId', 'resource.instanceDetails.outpostArn',
  'resource.instanceDetails.networkInterfaces.ipv6Addresses', 'resource.instanceDetails.networkInterfaces.privateIpAddresses.privateIpAddress',
  'resource.instanceDetails.networkInterfaces.publicDnsName', 'resource.instanceDetails.networkInterfaces.publicIp',
  'resource.instanceDetails.networkInterfaces.securityGroups.groupId', 'resource.instanceDetails.networkInterfaces.securityGroups.groupName',
  'resource.instanceDetails.networkInterfaces.subnetId', 'resource.instanceDetails.networkInterfaces.vpcId',
  'resource.instanceDetails.tags.key', 'resource.instanceDetails.tags.value',
  'resource.s3BucketDetails.name', 'resource.s3BucketDetails.tags.key', 'resource.s3BucketDetails.tags.value', 'resource.s3BucketDetails.type',
  'resource.rdsDbInstanceDetails.dbInstanceIdentifier', 'resource.rdsDbInstanceDetails.engine',
  'service.action.actionType', 'service.action.awsApiCallAction.api', 'service.action.awsApiCallAction.callerType', 'service.action.awsApiCallAction.errorCode',
  'service.action.awsApiCallAction.remoteIpDetails.city.cityName', 'service.action.awsApiCallAction.remoteIpDetails.country.countryName',
  'service.action.awsApiCallAction.remoteIpDetails.ipAddressV4', 'service.action.awsApiCallAction.remoteIpDetails.organization.asn',
  'service.action.awsApiCallAction.remoteIpDetails.organization.asnOrg', 'service.action.awsApiCallAction.serviceName',
  'service.action.dnsRequestAction.domain',
  'service.action.networkConnectionAction.blocked', 'service.action.networkConnectionAction.connectionDirection',
  'service.action.networkConnectionAction.localPortDetails.port', 'service.action.networkConnectionAction.protocol',
  'service.action.networkConnectionAction.remoteIpDetails.city.cityName', 'service.action.networkConnectionAction.remoteIpDetails.country.countryName',
  'service.action.networkConnectionAction.remoteIpDetails.ipAddressV4', 'service.action.networkConnectionAction.remoteIpDetails.organization.asn',
  'service.action.networkConnectionAction.remoteIpDetails.organization.asnOrg', 'service.action.networkConnectionAction.remotePortDetails.port',
  'service.action.portProbeAction.portProbeDetails.localPortDetails.port', 'service.action.portProbeAction.portProbeDetails.remoteIpDetails.ipAddressV4',
  'service.additionalInfo.threatListName', 'service.archived', 'service.resourceRole', 'service.count',
  'service.eventFirstSeen', 'service.eventLastSeen', 'service.featureName',
]);

/** Attributes whose values are ISO strings but compare as epoch milliseconds, as the API expects. */
const TIMESTAMPS = new Set(['updatedAt', 'createdAt', 'service.eventFirstSeen', 'service.eventLastSeen']);

export function invalidInput(detail?: string): AwsError {
  return new AwsError('BadRequestException', `The request is rejected because an invalid or out-of-range value is specified as an input parameter.${detail ? ` ${detail}` : ''}`, 400);
}

const OPERATORS = Object.keys(conditionSchema.shape) as Array<keyof Condition>;

/** Validates a FindingCriteria from a request body; throws BadRequestException on anything GuardDuty refuses. */
export function parseCriteria(raw: unknown): Criteria {
  if (raw === undefined || raw === null) return {};
  const criterion = (raw as { criterion?: unknown }).criterion;
  if (criterion === undefined) return {};
  if (typeof criterion !== 'object' || criterion === null || Array.isArray(criterion)) throw invalidInput();
  const out: Criteria = {};
  for (const [attribute, condition] of Object.entries(criterion)) {
    if (!ATTRIBUTES.has(attribute)) throw invalidInput(`Unsupported criterion attribute: ${attribute}.`);
    const parsed = conditionSchema.safeParse(condition);
    if (!parsed.success || OPERATORS.every((op) => parsed.data[op] === undefined)) throw invalidInput(`Invalid condition for ${attribute}.`);
    out[attribute] = parsed.data;
  }
  return out;
}

export function isKnownAttribute(attribute: string): boolean {
  return ATTRIBUTES.has(attribute);
}

/** Every leaf value at a dotted path; arrays along the way are flattened (`tags.key`). */
function valuesAt(finding: WireFinding, path: string): Array<string | number | boolean> {
  let nodes: unknown[] = [finding];
  for (const part of path.split('.')) {
    nodes = nodes.flatMap((node) => {
      const value = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
      return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
    });
  }
  return nodes.filter((v): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v));
}

function numeric(attribute: string, value: string | number | boolean): number {
  if (TIMESTAMPS.has(attribute) && typeof value === 'string') return Date.parse(value);
  return typeof value === 'number' ? value : Number(value);
}

function equalsAny(attribute: string, value: string | number | boolean, wanted: string[]): boolean {
  return wanted.some((w) => {
    if (typeof value === 'number') {
      // Console severity buckets are sent as whole numbers ("7", "8"): 7.5 is in bucket "7".
      return value === Number(w) || (attribute === 'severity' && Math.floor(value) === Number(w));
    }
    if (TIMESTAMPS.has(attribute)) return Date.parse(String(value)) === Number(w) || String(value) === w;
    return String(value) === w;
  });
}

function globMatch(value: string, pattern: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

export function matchesCriteria(finding: WireFinding, criteria: Criteria): boolean {
  for (const [attribute, c] of Object.entries(criteria)) {
    const values = valuesAt(finding, attribute);
    const eq = [...(c.eq ?? []), ...(c.equals ?? [])];
    const neq = [...(c.neq ?? []), ...(c.notEquals ?? [])];
    if (eq.length > 0 && !values.some((v) => equalsAny(attribute, v, eq))) return false;
    if (neq.length > 0 && values.some((v) => equalsAny(attribute, v, neq))) return false;
    const ranges: Array<[number | undefined, (a: number, b: number) => boolean]> = [
      [c.gt ?? c.greaterThan, (a, b) => a > b],
      [c.gte ?? c.greaterThanOrEqual, (a, b) => a >= b],
      [c.lt ?? c.lessThan, (a, b) => a < b],
      [c.lte ?? c.lessThanOrEqual, (a, b) => a <= b],
    ];
    for (const [bound, test] of ranges) {
      if (bound !== undefined && !values.some((v) => test(numeric(attribute, v), bound))) return false;
    }
    if (c.matches && !values.some((v) => c.matches?.some((p) => globMatch(String(v), p)))) return false;
    if (c.notMatches && values.some((v) => c.notMatches?.some((p) => globMatch(String(v), p)))) return false;
  }
  return true;
}

export interface SortCriteria {
  attributeName?: string;
  orderBy?: string;
}

/** Orders findings by one attribute; findings without it go last. Without an attribute, keeps the order given. */
export function sortFindings(findings: WireFinding[], sort: SortCriteria | undefined): WireFinding[] {
  if (!sort?.attributeName) return findings;
  const attribute = sort.attributeName;
  if (!ATTRIBUTES.has(attribute)) throw invalidInput(`Unsupported sort attribute: ${attribute}.`);
  if (sort.orderBy !== undefined && sort.orderBy !== 'ASC' && sort.orderBy !== 'DESC') throw invalidInput();
  const direction = sort.orderBy === 'DESC' ? -1 : 1;
  const keyed = findings.map((finding) => {
    const value = valuesAt(finding, attribute)[0];
    return { finding, key: value === undefined ? undefined : typeof value === 'number' || TIMESTAMPS.has(attribute) ? numeric(attribute, value) : String(value) };
  });
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return a.key === b.key ? 0 : a.key === undefined ? 1 : -1;
    return (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) * direction;
  });
  return keyed.map((k) => k.finding);
}
