/**
 * Threat-detection and audit checks (GuardDuty, CloudTrail, Vault): their resource kinds, inventory
 * port, data needs and evaluators. Wired into the engine through src/checks/subjects.ts,
 * inventory.ts and registry.ts.
 */
import type { AccountConfig } from '../../config/schema.js';
import type { Evaluator, NeedLoader } from '../evaluator.js';
import type { InventoryPort } from '../inventory.js';
import type { Fetched } from '../resources.js';
import type { ListWindow, SubjectKind } from '../subjects.js';
import { cloudTrailEvents, EVENTS_NEEDS } from './cloudtrail-events.js';
import { BUCKETS_NEED, cloudTrailBucketExposure, cloudTrailKmsEncryption, cloudTrailLogFileValidation, cloudTrailLogging, cloudTrailMultiRegion, describeTrail } from './cloudtrail.js';
import { describeDetector, FINDINGS_NEED, guardDutyDetector, guardDutyFindings } from './guardduty.js';
import type {
  CloudTrailHistory,
  CloudTrailRegion,
  CloudTrailTrail,
  EventQuery,
  GuardDutyDetector,
  GuardDutyFinding,
  TrailBucketExposure,
  TrailEvent,
  VaultServer,
} from './resources.js';
import { describeVault, vaultAudit, vaultDatabaseRoles, vaultHealth } from './vault.js';

export type * from './resources.js';

/** Resources these checks judge (detectors, trails, event histories, Vault). */
export type ThreatResource = GuardDutyDetector | CloudTrailRegion | CloudTrailTrail | CloudTrailHistory | VaultServer;

/** What the inventory adapters must provide for these checks. */
export interface ThreatInventoryPort {
  /** The region's GuardDuty detectors (zero or one), with their settings. */
  guardDutyDetectors(account: AccountConfig, region: string): Promise<GuardDutyDetector[]>;
  /** The detector's active (not archived) findings of medium severity and above. */
  guardDutyFindings(account: AccountConfig, region: string, detectorId: string): Promise<GuardDutyFinding[]>;
  /** The trails covering the region: its own, and shadows of multi-region and organization trails. */
  cloudTrailTrails(account: AccountConfig, region: string): Promise<CloudTrailTrail[]>;
  /** Whether a trail's log bucket is public, read with this account's credentials. */
  cloudTrailBucket(account: AccountConfig, region: string, bucket: string): Promise<Fetched<TrailBucketExposure>>;
  /** Management events matching the lookups since `start`, each once, read within LookupEvents' rate limit. */
  cloudTrailEvents(account: AccountConfig, region: string, query: EventQuery): Promise<TrailEvent[]>;
  /** The configured Vault, read once per run; a Vault that is not configured has no address. */
  vaultServer(): Promise<VaultServer>;
}

type Of<K extends ThreatResource['kind']> = Extract<ThreatResource, { kind: K }>;

/** A subject kind with its functions typed for its own resource. */
function kind<K extends ThreatResource['kind']>(spec: Omit<SubjectKind, 'identify' | 'describe' | 'list' | 'tags'> & {
  list(inventory: InventoryPort, account: AccountConfig, region: string, window: ListWindow): Promise<Array<Of<K>>>;
  identify(resource: Of<K>): { resource: string; name: string };
  describe(resource: Of<K>): string;
}): SubjectKind {
  return spec as unknown as SubjectKind;
}

export const THREAT_SUBJECTS: Record<ThreatResource['kind'], SubjectKind> = {
  'guardduty-detector': kind<'guardduty-detector'>({
    plural: 'GuardDuty detectors',
    reads: ['guardDutyDetectors'],
    level: 'region',
    scoped: false,
    // A region without a detector is still a subject: that absence is what the detector check fails.
    list: async (inv, account, region) => {
      const detectors = await inv.guardDutyDetectors(account, region);
      return detectors.length > 0 ? detectors : [{ kind: 'guardduty-detector', accountId: account.id, region, details: { ok: false, reason: 'the region has no detector' } }];
    },
    identify: (d) =>
      d.detectorId
        ? { resource: `arn:aws:guardduty:${d.region}:${d.accountId}:detector/${d.detectorId}`, name: `detector ${d.detectorId}` }
        : { resource: `aws:${d.accountId}:${d.region}:guardduty`, name: `GuardDuty in ${d.accountId}/${d.region}` },
    describe: describeDetector,
  }),
  'cloudtrail-region': kind<'cloudtrail-region'>({
    plural: 'CloudTrail regions',
    reads: ['cloudTrailTrails'],
    level: 'region',
    scoped: false,
    list: async (inv, account, region) => [{ kind: 'cloudtrail-region', accountId: account.id, region, trails: await inv.cloudTrailTrails(account, region) }],
    identify: (r) => ({ resource: `aws:${r.accountId}:${r.region}:cloudtrail`, name: `CloudTrail in ${r.accountId}/${r.region}` }),
    describe: (r) => `CloudTrail in ${r.accountId}/${r.region}`,
  }),
  'cloudtrail-trail': kind<'cloudtrail-trail'>({
    plural: 'CloudTrail trails',
    reads: ['cloudTrailTrails'],
    level: 'region',
    scoped: false,
    list: (inv, account, region) => inv.cloudTrailTrails(account, region),
    identify: (t) => ({ resource: t.arn, name: t.ownerAccountId === t.accountId ? t.name : `${t.name} (${t.ownerAccountId})` }),
    describe: describeTrail,
  }),
  'cloudtrail-history': kind<'cloudtrail-history'>({
    plural: 'CloudTrail event histories',
    reads: [],
    level: 'region',
    scoped: false,
    list: (_inv, account, region) => Promise.resolve([{ kind: 'cloudtrail-history', accountId: account.id, region }]),
    identify: (h) => ({ resource: `aws:${h.accountId}:${h.region}:cloudtrail-events`, name: `CloudTrail events in ${h.accountId}/${h.region}` }),
    describe: (h) => `CloudTrail event history of ${h.accountId}/${h.region}`,
  }),
  vault: kind<'vault'>({
    plural: 'Vault servers',
    reads: ['vaultServer'],
    level: 'global',
    scoped: false,
    list: async (inv) => [await inv.vaultServer()],
    identify: (v) => ({ resource: v.address ? `vault:${v.address}` : 'vault:not-configured', name: v.address ? `Vault ${v.address}` : 'Vault (not configured)' }),
    describe: describeVault,
  }),
};

export const THREAT_EVALUATORS: ReadonlyArray<Evaluator<never>> = [
  guardDutyDetector,
  guardDutyFindings,
  cloudTrailMultiRegion,
  cloudTrailLogging,
  cloudTrailLogFileValidation,
  cloudTrailKmsEncryption,
  cloudTrailBucketExposure,
  cloudTrailEvents,
  vaultHealth,
  vaultAudit,
  vaultDatabaseRoles,
] as Array<Evaluator<never>>;

/** Data these evaluators need beyond their subject, by need name (`ctx.data[name]`). */
/** The inventory methods each of THREAT_NEEDS reads, for Vigil's IAM policy. */
export const THREAT_NEED_READS: Record<string, ReadonlyArray<keyof InventoryPort>> = {
  [FINDINGS_NEED]: ['guardDutyDetectors', 'guardDutyFindings'],
  [BUCKETS_NEED]: ['cloudTrailTrails', 'cloudTrailBucket'],
  ...Object.fromEntries(Object.keys(EVENTS_NEEDS).map((need) => [need, ['cloudTrailEvents'] as const])),
};

export const THREAT_NEEDS: Record<string, NeedLoader> = {
  [FINDINGS_NEED]: async (inventory, account, region) => {
    const findings: GuardDutyFinding[] = [];
    for (const d of await inventory.guardDutyDetectors(account, region)) {
      if (d.detectorId) findings.push(...(await inventory.guardDutyFindings(account, region, d.detectorId)));
    }
    return findings;
  },
  [BUCKETS_NEED]: async (inventory, account, region) => {
    const names = [...new Set((await inventory.cloudTrailTrails(account, region)).flatMap((t) => (t.s3Bucket ? [t.s3Bucket] : [])))];
    const reads = await Promise.all(names.map(async (name) => [name, await inventory.cloudTrailBucket(account, region, name)] as const));
    return Object.fromEntries(reads);
  },
  ...EVENTS_NEEDS,
};
