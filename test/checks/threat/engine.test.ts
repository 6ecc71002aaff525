/**
 * The threat checks through the engine with a fake inventory: subjects per region and per run, the
 * `error` and `not_applicable` the engine gives, and the event window each run reads.
 */
import { describe, expect, it } from 'vitest';
import type { CheckDefinition } from '../../../src/checks/definitions.js';
import { evaluate, sinceKey } from '../../../src/checks/engine.js';
import { cachedInventory, type InventoryPort } from '../../../src/checks/inventory.js';
import type { Fetched, ResourceKind } from '../../../src/checks/resources.js';
import { EVALUATORS } from '../../../src/checks/registry.js';
import type { CloudTrailTrail, EventQuery, GuardDutyDetector, GuardDutyFinding, ThreatInventoryPort, TrailBucketExposure, TrailEvent, VaultServer } from '../../../src/checks/threat/index.js';
import type { AccountConfig } from '../../../src/config/schema.js';
import { DAY_MS } from '../../../src/core/clock.js';
import { ExternalServiceError } from '../../../src/core/errors.js';
import type { CheckResult } from '../../../src/core/results.js';
import { ACCOUNT, NOW, PRIVATE_BUCKET, daysAgo, detector, event, fetched, finding, hoursAgo, trail, vault } from './fixtures.js';

function check(id: string, evaluator: string, resource: ResourceKind, params: Record<string, unknown> = {}): CheckDefinition {
  const parsed = (EVALUATORS.get(evaluator)?.params.parse(params) ?? {}) as Record<string, unknown>;
  return { id, title: `${id} holds`, severity: 'high', evaluator, params: parsed, risk: 'r'.repeat(20), remediation: `runbooks/${id}.md`, controls: ['A.8.16'], enabled: true, resource, file: `checks/${id}.yaml` };
}

const denied = (operation: string) => new ExternalServiceError(`${operation} in 222222222222/us-east-1: access denied (AccessDeniedException)`, { kind: 'access_denied', service: 'aws' });

type Answer<T> = T | Error;
const answer = <T>(value: Answer<T> | undefined, fallback: T): Promise<T> => (value instanceof Error ? Promise.reject(value) : Promise.resolve(value ?? fallback));

class FakeThreatInventory implements ThreatInventoryPort {
  calls: string[] = [];
  queries: Array<{ region: string; query: EventQuery }> = [];
  constructor(
    private readonly data: {
      detectors?: Record<string, Answer<GuardDutyDetector[]>>;
      findings?: Answer<GuardDutyFinding[]>;
      trails?: Record<string, Answer<CloudTrailTrail[]>>;
      buckets?: Record<string, Fetched<TrailBucketExposure>>;
      events?: TrailEvent[];
      vault?: VaultServer;
    },
  ) {}
  guardDutyDetectors(_a: AccountConfig, region: string) {
    this.calls.push(`guardDutyDetectors:${region}`);
    return answer(this.data.detectors?.[region], []);
  }
  guardDutyFindings(_a: AccountConfig, region: string) {
    this.calls.push(`guardDutyFindings:${region}`);
    return answer(this.data.findings, []);
  }
  cloudTrailTrails(_a: AccountConfig, region: string) {
    this.calls.push(`cloudTrailTrails:${region}`);
    return answer(this.data.trails?.[region], []);
  }
  cloudTrailBucket(_a: AccountConfig, _region: string, bucket: string) {
    this.calls.push(`cloudTrailBucket:${bucket}`);
    return Promise.resolve(this.data.buckets?.[bucket] ?? fetched(PRIVATE_BUCKET));
  }
  cloudTrailEvents(_a: AccountConfig, region: string, query: EventQuery) {
    this.queries.push({ region, query });
    return Promise.resolve((this.data.events ?? []).filter((e) => e.region === region && e.time >= query.start));
  }
  vaultServer() {
    this.calls.push('vaultServer');
    return Promise.resolve(this.data.vault ?? vault());
  }
}

async function run(checks: CheckDefinition[], inventory: FakeThreatInventory, options: { accounts?: AccountConfig[]; since?: Map<string, Date> } = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  // The fake implements only the threat lists, which are all these checks use.
  const port = cachedInventory(inventory as unknown as InventoryPort);
  await evaluate({ checks, accounts: options.accounts ?? [ACCOUNT], scope: { include: [{ env: 'production' }], exclude: [] }, since: options.since }, { inventory: port, evaluators: EVALUATORS, now: NOW, clock: () => NOW }, (batch) => {
    results.push(...batch);
  });
  return results.sort((a, b) => `${a.checkId}|${a.accountId}|${a.region}|${a.name}`.localeCompare(`${b.checkId}|${b.accountId}|${b.region}|${b.name}`));
}

const brief = (r: CheckResult) => [r.checkId, r.region, r.name, r.status];

describe('threat checks through the engine', () => {
  it('judges trails per region, ignoring tag scope; a region without trails is not applicable to the trail checks', async () => {
    const inventory = new FakeThreatInventory({ trails: { 'us-east-1': [trail()] } });

    const results = await run([check('ct-validation', 'cloudtrail-log-file-validation', 'cloudtrail-trail'), check('ct-multi', 'cloudtrail-multi-region', 'cloudtrail-region')], inventory);

    expect(results.map(brief)).toEqual([
      ['ct-multi', 'us-east-1', 'CloudTrail in 222222222222/us-east-1', 'pass'],
      ['ct-multi', 'us-west-2', 'CloudTrail in 222222222222/us-west-2', 'fail'],
      ['ct-validation', 'us-east-1', 'org-trail (111111111111)', 'pass'],
      ['ct-validation', 'us-west-2', 'CloudTrail trails in 222222222222/us-west-2', 'not_applicable'],
    ]);
    expect(results[3]?.message).toBe('No CloudTrail trails in 222222222222/us-west-2.');
  });

  it('reports error, never pass or fail, when trails or detectors cannot be listed', async () => {
    const inventory = new FakeThreatInventory({ trails: { 'us-east-1': denied('cloudtrail:DescribeTrails') }, detectors: { 'us-east-1': denied('guardduty:ListDetectors') } });

    const results = await run(
      [check('ct-kms', 'cloudtrail-kms-encryption', 'cloudtrail-trail'), check('ct-bucket', 'cloudtrail-bucket-exposure', 'cloudtrail-trail'), check('gd', 'guardduty-detector', 'guardduty-detector')],
      inventory,
      { accounts: [{ ...ACCOUNT, regions: ['us-east-1'] }] },
    );

    expect(results.map((r) => [r.checkId, r.status, r.message])).toEqual([
      ['ct-bucket', 'error', 'Could not list CloudTrail trails in 222222222222/us-east-1: cloudtrail:DescribeTrails in 222222222222/us-east-1: access denied (AccessDeniedException).'],
      ['ct-kms', 'error', 'Could not list CloudTrail trails in 222222222222/us-east-1: cloudtrail:DescribeTrails in 222222222222/us-east-1: access denied (AccessDeniedException).'],
      ['gd', 'error', 'Could not list GuardDuty detectors in 222222222222/us-east-1: guardduty:ListDetectors in 222222222222/us-east-1: access denied (AccessDeniedException).'],
    ]);
  });

  it('reports error for the detector when its findings cannot be read', async () => {
    const inventory = new FakeThreatInventory({ detectors: { 'us-east-1': [detector()] }, findings: denied('guardduty:ListFindings') });

    const results = await run([check('gd-high', 'guardduty-findings', 'guardduty-detector')], inventory, { accounts: [{ ...ACCOUNT, regions: ['us-east-1'] }] });

    expect(results.map((r) => [r.status, r.message])).toEqual([
      ['error', 'GuardDuty detector c0ffee00c0ffee00c0ffee00c0ffee01 in 222222222222/us-east-1: could not read what the check needs: guardduty:ListFindings in 222222222222/us-east-1: access denied (AccessDeniedException).'],
    ]);
  });

  it('files each finding under its own resource, and a region without a detector as one result', async () => {
    const inventory = new FakeThreatInventory({ detectors: { 'us-east-1': [detector()] }, findings: [finding('f1'), finding('f2', { severity: 8.1 })] });

    const results = await run([check('gd-high', 'guardduty-findings', 'guardduty-detector'), check('gd', 'guardduty-detector', 'guardduty-detector')], inventory);

    expect(results.map(brief)).toEqual([
      ['gd-high', 'us-east-1', 'UnauthorizedAccess:EC2/SSHBruteForce on i-0c0ffee0000000001', 'fail'],
      ['gd-high', 'us-east-1', 'UnauthorizedAccess:EC2/SSHBruteForce on i-0c0ffee0000000001', 'fail'],
      ['gd-high', 'us-west-2', 'GuardDuty in 222222222222/us-west-2', 'not_applicable'],
      ['gd', 'us-east-1', 'detector c0ffee00c0ffee00c0ffee00c0ffee01', 'pass'],
      ['gd', 'us-west-2', 'GuardDuty in 222222222222/us-west-2', 'fail'],
    ]);
    expect(new Set(results.filter((r) => r.checkId === 'gd-high' && r.status === 'fail').map((r) => r.resource)).size).toBe(2);
    expect(inventory.calls.filter((c) => c.startsWith('guardDutyDetectors'))).toEqual(['guardDutyDetectors:us-east-1', 'guardDutyDetectors:us-west-2']);
  });

  it('reads events since the previous evaluation, IAM changes only from us-east-1', async () => {
    const since = hoursAgo(10);
    const inventory = new FakeThreatInventory({ events: [event('PutUserPolicy', { time: hoursAgo(8) }), event('PutRolePolicy', { id: 'old', time: hoursAgo(12) })] });
    const checkDef = check('ct-events', 'cloudtrail-events', 'cloudtrail-history');

    const results = await run([checkDef], inventory, { since: new Map([[sinceKey('ct-events', ACCOUNT.id, 'us-east-1'), since], [sinceKey('ct-events', ACCOUNT.id, 'us-west-2'), since]]) });

    expect(results.map(brief)).toEqual([
      ['ct-events', 'us-east-1', `PutUserPolicy by bob at ${hoursAgo(8).toISOString().replace('.000', '')}`, 'fail'],
      ['ct-events', 'us-west-2', 'CloudTrail events in 222222222222/us-west-2', 'pass'],
    ]);
    const queried = inventory.queries.map(({ region, query }) => ({ region, start: query.start, end: query.end, iam: query.lookups.some((l) => l.by === 'source' && l.source === 'iam.amazonaws.com') }));
    expect(queried.sort((a, b) => a.region.localeCompare(b.region))).toEqual([
      { region: 'us-east-1', start: since, end: undefined, iam: true },
      { region: 'us-west-2', start: since, end: undefined, iam: false },
    ]);
  });

  it('reads IAM events from us-east-1 for an account that does not configure it, in its first region', async () => {
    const inventory = new FakeThreatInventory({ events: [event('AttachRolePolicy', { time: hoursAgo(3) })] });
    const west: AccountConfig = { ...ACCOUNT, regions: ['us-west-2', 'eu-west-1'] };

    const results = await run([check('ct-events', 'cloudtrail-events', 'cloudtrail-history')], inventory, { accounts: [west] });

    expect(results.map(brief)).toEqual([
      ['ct-events', 'eu-west-1', 'CloudTrail events in 222222222222/eu-west-1', 'pass'],
      ['ct-events', 'us-west-2', `AttachRolePolicy by bob at ${hoursAgo(3).toISOString().replace('.000', '')}`, 'fail'],
    ]);
    expect(results[1]?.facts['historyRegion']).toBe('us-east-1');
    expect(inventory.queries.map((q) => q.region).sort()).toEqual(['eu-west-1', 'us-east-1', 'us-west-2']);
  });

  it('looks back the first-run window without a previous evaluation, and clamps an older one to 90 days', async () => {
    const inventory = new FakeThreatInventory({});
    const one: AccountConfig = { ...ACCOUNT, regions: ['us-east-1'] };

    await run([check('first', 'cloudtrail-events', 'cloudtrail-history', { firstRunWindowDays: 3 })], inventory, { accounts: [one] });
    const clamped = await run([check('old', 'cloudtrail-events', 'cloudtrail-history')], inventory, { accounts: [one], since: new Map([[sinceKey('old', ACCOUNT.id, 'us-east-1'), daysAgo(200)]]) });

    expect(inventory.queries.map((q) => q.query.start)).toEqual([daysAgo(3), new Date(NOW.getTime() - 90 * DAY_MS)]);
    expect(clamped[0]?.message).toMatch(/; the previous evaluation \(2026-05-08T12:00:00Z\) is older than the 90 days CloudTrail keeps, so only those were read\.$/);
  });

  it('judges Vault once per run, filed under no account', async () => {
    const inventory = new FakeThreatInventory({});

    const results = await run([check('vault-ttl', 'vault-database-roles', 'vault'), check('vault-up', 'vault-health', 'vault')], inventory, { accounts: [ACCOUNT, { ...ACCOUNT, id: '333333333333' }] });

    expect(results.map((r) => [r.checkId, r.accountId, r.region, r.name, r.status])).toEqual([
      ['vault-ttl', '-', 'global', 'database/roles/lms-admin', 'fail'],
      ['vault-ttl', '-', 'global', 'database/roles/lms-readonly', 'pass'],
      ['vault-up', '-', 'global', 'Vault https://vault.example.com:8200', 'pass'],
    ]);
    expect(inventory.calls).toEqual(['vaultServer']);
  });
});
