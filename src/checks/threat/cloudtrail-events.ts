/**
 * CloudTrail events of concern since the previous evaluation: root use, console sign-in without MFA,
 * IAM policy and role changes, security group changes, tampering with CloudTrail or GuardDuty. Each
 * event is its own result naming actor, time, source IP and event, with a stable `signalKey` for the
 * incidents feature; a quiet history is one pass for the account-region.
 */
import { z } from 'zod';
import { DAY_MS } from '../../core/clock.js';
import { errorVerdict, fail, pass, type Verdict } from '../../core/results.js';
import type { AccountConfig } from '../../config/schema.js';
import { defineEvaluator, type NeedLoader } from '../evaluator.js';
import type { Resource } from '../resources.js';
import type { CloudTrailHistory, EventLookup, TrailEvent } from './resources.js';
import { isoSeconds, joinAnd } from './text.js';

/** LookupEvents reaches back this far. */
export const HISTORY_DAYS = 90;

/** IAM, like other global services, records its events in this region's history only. */
export const GLOBAL_EVENTS_REGION = 'us-east-1';

export const EVENT_CATEGORIES = ['root-activity', 'console-login-without-mfa', 'iam-policy-change', 'security-group-change', 'trail-change', 'guardduty-change'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];

const CATEGORY_LABELS: Record<EventCategory, string> = {
  'root-activity': 'root activity',
  'console-login-without-mfa': 'console sign-in without MFA',
  'iam-policy-change': 'IAM policy or role change',
  'security-group-change': 'security group change',
  'trail-change': 'CloudTrail change',
  'guardduty-change': 'GuardDuty change',
};

export const IAM_CHANGES = [
  'AttachGroupPolicy', 'AttachRolePolicy', 'AttachUserPolicy', 'CreatePolicy', 'CreatePolicyVersion', 'CreateRole', 'DeleteGroupPolicy',
  'DeletePolicy', 'DeletePolicyVersion', 'DeleteRole', 'DeleteRolePermissionsBoundary', 'DeleteRolePolicy', 'DeleteUserPermissionsBoundary',
  'DeleteUserPolicy', 'DetachGroupPolicy', 'DetachRolePolicy', 'DetachUserPolicy', 'PutGroupPolicy', 'PutRolePermissionsBoundary',
  'PutRolePolicy', 'PutUserPermissionsBoundary', 'PutUserPolicy', 'SetDefaultPolicyVersion', 'UpdateAssumeRolePolicy', 'UpdateRole',
] as const;
export const SECURITY_GROUP_CHANGES = [
  'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
  'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules',
] as const;
/** PutEventSelectors can stop a trail recording management events as surely as StopLogging. */
export const TRAIL_CHANGES = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors'] as const;
export const GUARDDUTY_CHANGES = ['UpdateDetector', 'DeleteDetector', 'CreateFilter', 'UpdateFilter', 'DeleteFilter'] as const;

const SOURCES = { iam: 'iam.amazonaws.com', ec2: 'ec2.amazonaws.com', cloudtrail: 'cloudtrail.amazonaws.com', guardduty: 'guardduty.amazonaws.com' } as const;
const has = (list: readonly string[], name: string) => list.includes(name);

/**
 * The lookups that find every event of concern in one region's history, as few as LookupEvents
 * allows (one attribute per call). EC2 and CloudTrail are looked up by event name: their sources
 * are dominated by reads, Vigil's own included. IAM and GuardDuty changes are rare next to their
 * other events in a short window, so the adapter tries the whole source first (see EventLookup).
 *
 * The source lookups come first: a busy source's first page starts a lookup per event name (IAM has
 * dozens), and a region's lookups share LookupEvents' one call per interval, first pages in the order
 * asked. Asked last, the IAM source's first page waited behind every other lookup's pages (10 s of a
 * 20 s benchmark scan), and its event names' pages then ran to the end of the scan.
 */
export function eventLookups(options: { regional: boolean; global: boolean }): EventLookup[] {
  const lookups: EventLookup[] = [];
  if (options.global) lookups.push({ by: 'source', source: SOURCES.iam, names: IAM_CHANGES });
  if (options.regional) {
    lookups.push({ by: 'source', source: SOURCES.guardduty, names: GUARDDUTY_CHANGES });
    lookups.push({ by: 'username', value: 'root' }, { by: 'eventName', value: 'ConsoleLogin' });
    for (const name of [...SECURITY_GROUP_CHANGES, ...TRAIL_CHANGES]) lookups.push({ by: 'eventName', value: name });
  }
  return lookups;
}

/** What makes an event of concern; an empty list means it is not. */
export function categorize(e: TrailEvent): EventCategory[] {
  const out: EventCategory[] = [];
  if (e.actor.type === 'Root') out.push('root-activity');
  // Federated and role sessions authenticate (and use MFA) at their identity provider, not here.
  const signInIdentity = e.actor.type === 'IAMUser' || e.actor.type === 'Root';
  if (e.name === 'ConsoleLogin' && signInIdentity && e.consoleLogin === 'Success' && e.mfaUsed === false) out.push('console-login-without-mfa');
  if (e.source === SOURCES.iam && has(IAM_CHANGES, e.name)) out.push('iam-policy-change');
  if (e.source === SOURCES.ec2 && has(SECURITY_GROUP_CHANGES, e.name)) out.push('security-group-change');
  if (e.source === SOURCES.cloudtrail && has(TRAIL_CHANGES, e.name)) out.push('trail-change');
  if (e.source === SOURCES.guardduty && has(GUARDDUTY_CHANGES, e.name)) out.push('guardduty-change');
  return out;
}

// --- the need: events since the previous evaluation --------------------------------------------

export interface LoadedEvents {
  /** The window read: events after `from`, up to the time of reading. */
  from: Date;
  /** Set on a first run (no previous evaluation): the window read instead. */
  firstRunDays?: number;
  /** Set when the previous evaluation is older than the history: when it was. */
  clampedFrom?: Date;
  events: TrailEvent[];
}

/** The need the events check loads: the events since its previous evaluation (or its first-run window). */
export const EVENTS_NEED = 'cloudtrailEvents';

/** The unit (configured region) of an account that also reads the global events of us-east-1. */
export function globalEventsUnit(account: AccountConfig): string | undefined {
  return account.regions.includes(GLOBAL_EVENTS_REGION) ? GLOBAL_EVENTS_REGION : account.regions[0];
}

const eventsLoader: NeedLoader = async (inventory, account, region, window, params) => {
  const firstRunDays = Number(params['firstRunWindowDays']);
  const oldest = new Date(window.now.getTime() - HISTORY_DAYS * DAY_MS);
  // Event times have whole seconds: the second of the previous evaluation is read again, so an
  // event in it is reported twice (same signalKey) rather than never.
  const since = window.since && new Date(Math.floor(window.since.getTime() / 1000) * 1000);
  const clamped = since !== undefined && since < oldest;
  const from = since === undefined ? new Date(window.now.getTime() - firstRunDays * DAY_MS) : clamped ? oldest : since;
  const readsGlobal = region === GLOBAL_EVENTS_REGION;
  const queries = [inventory.cloudTrailEvents(account, region, { start: from, lookups: eventLookups({ regional: true, global: readsGlobal }) })];
  // An account without us-east-1 configured still has IAM events there: its first region reads them.
  if (!readsGlobal && globalEventsUnit(account) === region) {
    queries.push(inventory.cloudTrailEvents(account, GLOBAL_EVENTS_REGION, { start: from, lookups: eventLookups({ regional: false, global: true }) }));
  }
  const events = (await Promise.all(queries)).flat();
  const loaded: LoadedEvents = { from, events };
  if (since === undefined) loaded.firstRunDays = firstRunDays;
  if (clamped) loaded.clampedFrom = window.since;
  return loaded;
};

export const EVENTS_NEEDS: Record<string, NeedLoader> = { [EVENTS_NEED]: eventsLoader };

// --- the evaluator ------------------------------------------------------------------------------

function asHistory(resource: Resource): CloudTrailHistory {
  if (resource.kind !== 'cloudtrail-history') throw new Error(`the CloudTrail events evaluator was given ${resource.kind}`);
  return resource;
}

export function eventSignalKey(e: TrailEvent): string {
  return `cloudtrail:${e.accountId}:${e.region}:${e.id}`;
}

function describeActor(e: TrailEvent): string {
  switch (e.actor.type) {
    case 'Root':
      return 'The root user';
    case 'IAMUser':
      return `IAM user ${e.actor.name}`;
    case 'AssumedRole':
      return `Role session ${e.actor.name.replace(/^role\//, '')}`;
    default:
      return `${e.actor.type} ${e.actor.name}`;
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `tcp 22 from 0.0.0.0/0`, from an Authorize/Revoke request's ipPermissions. */
function describeRules(params: Record<string, unknown>): string[] {
  const permissions = params['ipPermissions'] as { items?: Array<Record<string, unknown>> } | undefined;
  const out: string[] = [];
  for (const p of permissions?.items ?? []) {
    const protocol = p['ipProtocol'] === '-1' ? 'all traffic' : String(p['ipProtocol'] ?? '?');
    const ports = p['fromPort'] === undefined ? '' : p['fromPort'] === p['toPort'] ? ` ${String(p['fromPort'])}` : ` ${String(p['fromPort'])}-${String(p['toPort'])}`;
    const ranges = [
      ...(((p['ipRanges'] as { items?: Array<{ cidrIp?: string }> } | undefined)?.items ?? []).map((r) => r.cidrIp)),
      ...(((p['ipv6Ranges'] as { items?: Array<{ cidrIpv6?: string }> } | undefined)?.items ?? []).map((r) => r.cidrIpv6)),
    ].filter((r): r is string => Boolean(r));
    out.push(`${protocol}${ports}${ranges.length ? ` from ${ranges.join(', ')}` : ''}`);
  }
  return out;
}

/** What the call acted on, from its request parameters: ` on user bob (policy s3-full-access)`. */
function describeTarget(e: TrailEvent): string {
  const params = e.requestParameters && typeof e.requestParameters === 'object' ? (e.requestParameters as Record<string, unknown>) : {};
  const parts: string[] = [];
  const group = text(params['groupId']) ?? text(params['groupName']);
  if (e.source === SOURCES.ec2 && group) {
    const rules = describeRules(params);
    return ` on ${group}${rules.length ? ` (${rules.join('; ')})` : ''}`;
  }
  for (const [key, label] of [['userName', 'user'], ['roleName', 'role'], ['groupName', 'group'], ['filterName', 'filter']] as const) {
    const value = text(params[key]);
    if (value) parts.push(`${label} ${value}`);
  }
  const trail = text(params['name']) ?? text(params['trailName']);
  if (e.source === SOURCES.cloudtrail && trail) parts.push(`trail ${trail.replace(/^arn:.*:trail\//, '')}`);
  if (parts.length === 0 && text(params['detectorId'])) parts.push(`detector ${text(params['detectorId'])}`);
  const policy = text(params['policyName']) ?? text(params['policyArn'])?.replace(/^arn:.*:policy\//, '');
  const head = parts.length ? ` on ${parts.join(', ')}` : '';
  return policy ? `${head} (policy ${policy})` : head;
}

function describeAction(e: TrailEvent): string {
  if (e.name === 'ConsoleLogin') {
    if (e.consoleLogin === 'Failure') return 'failed to sign in to the console';
    return `signed in to the console ${e.mfaUsed === false ? 'without MFA' : e.mfaUsed ? 'with MFA' : '(MFA unknown)'}`;
  }
  return `called ${e.source.replace(/\.amazonaws\.com$/, '')}:${e.name}${describeTarget(e)}`;
}

function eventFacts(e: TrailEvent, categories: EventCategory[], window: Record<string, unknown>): Record<string, unknown> {
  return {
    signalKey: eventSignalKey(e),
    source: 'cloudtrail',
    eventId: e.id,
    eventName: e.name,
    eventSource: e.source,
    eventTime: isoSeconds(e.time),
    historyRegion: e.region,
    categories,
    actor: e.actor,
    sourceIp: e.sourceIp ?? null,
    userAgent: e.userAgent ?? null,
    mfaUsed: e.mfaUsed ?? null,
    errorCode: e.errorCode ?? null,
    errorMessage: e.errorMessage ?? null,
    resources: e.resources,
    requestParameters: e.requestParameters ?? null,
    window,
  };
}

export const cloudTrailEvents = defineEvaluator({
  name: 'cloudtrail-events',
  summary: 'No CloudTrail event of the listed categories happened since the previous evaluation; each one found is its own result.',
  params: z.strictObject({
    categories: z.array(z.enum(EVENT_CATEGORIES)).min(1).default([...EVENT_CATEGORIES]),
    /** With no previous evaluation, how far back to look. */
    firstRunWindowDays: z
      .number()
      .int()
      .min(1)
      .max(HISTORY_DAYS, `CloudTrail event history (LookupEvents) keeps ${HISTORY_DAYS} days, so a longer window cannot be read`)
      .default(1),
  }),
  subject: () => 'cloudtrail-history',
  needs: () => [EVENTS_NEED],
  evaluate(resource, ctx) {
    const history = asHistory(resource);
    const where = `${history.accountId}/${history.region}`;
    const loaded = ctx.data[EVENTS_NEED] as LoadedEvents;
    const window = {
      from: isoSeconds(loaded.from),
      previousEvaluation: ctx.since ? ctx.since.toISOString() : null,
      firstRunDays: loaded.firstRunDays ?? null,
      clampedFrom: loaded.clampedFrom ? loaded.clampedFrom.toISOString() : null,
    };
    const clampNote = loaded.clampedFrom
      ? `; the previous evaluation (${isoSeconds(loaded.clampedFrom)}) is older than the ${HISTORY_DAYS} days CloudTrail keeps, so only those were read`
      : '';
    const wanted = new Set<EventCategory>(ctx.params.categories);
    const out: Verdict[] = [];
    const ordered = [...loaded.events].sort((a, b) => a.time.getTime() - b.time.getTime() || a.id.localeCompare(b.id));
    for (const e of ordered) {
      const about = { resource: `aws:cloudtrail:${e.accountId}:${e.region}:event/${e.id}`, name: `${e.name} by ${e.actor.name} at ${isoSeconds(e.time)}` };
      if (!e.detailed && e.name === 'ConsoleLogin' && e.actor.type !== 'Root' && wanted.has('console-login-without-mfa')) {
        out.push({ ...errorVerdict(`CloudTrail event ${e.id} (ConsoleLogin by ${e.actor.name} at ${isoSeconds(e.time)}): could not read its full record, so whether MFA was used is unknown.`, eventFacts(e, [], window)), about });
        continue;
      }
      const categories = categorize(e).filter((c) => wanted.has(c));
      if (categories.length === 0) continue;
      const refused = e.errorCode ? `, refused with ${e.errorCode}` : '';
      const labels = categories.map((c) => CATEGORY_LABELS[c]).join(', ');
      const message = `${describeActor(e)} ${describeAction(e)} from ${e.sourceIp ?? 'an unknown address'} at ${isoSeconds(e.time)}${refused} (${labels}${clampNote}).`;
      out.push({ ...fail(message, eventFacts(e, categories, window)), about });
    }
    if (out.length > 0) return out;
    const scope = ctx.params.categories.length === EVENT_CATEGORIES.length ? 'event of concern' : `event of concern (${joinAnd(ctx.params.categories.map((c) => CATEGORY_LABELS[c]))})`;
    const first = loaded.firstRunDays ? ` (first evaluation: the last ${loaded.firstRunDays === 1 ? 'day' : `${loaded.firstRunDays} days`})` : '';
    return pass(`CloudTrail event history of ${where} has no ${scope} since ${isoSeconds(loaded.from)}${first}${clampNote}.`, { window, eventsRead: loaded.events.length, categories: ctx.params.categories });
  },
});
