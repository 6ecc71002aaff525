/**
 * What a CloudTrail management event is made of, and how it looks on the wire: the `Event` elements of
 * LookupEvents and the full JSON record in `CloudTrailEvent`, for explicit and generated events alike.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DAY_MS, MINUTE_MS } from '../../core/clock.js';

/** How far back event history reaches. */
export const RETENTION_MS = 90 * DAY_MS;

export const CONSOLE_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
export const CLI_UA = 'aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8';
export const SDK_UA = 'aws-sdk-js/3.600.0 ua/2.1 os/linux#5.10.219 lang/js md/nodejs#20.12.2 api/unknown';

// --- actors -------------------------------------------------------------------------------------

export interface Actor {
  type: 'Root' | 'IAMUser' | 'AssumedRole';
  /** User name, or role name for AssumedRole. */
  name: string;
  session?: string;
}

const NAME = '[\\w+=,.@-]+';
/** `root`, an IAM user (`bob` or `user/bob`), or a role session (`role/Deployer` or `role/Deployer/session`). */
export const actorSchema = z
  .string()
  .regex(new RegExp(`^(root|role/${NAME}(/${NAME})?|(user/)?${NAME})$`), 'expected root, an IAM user name (bob, user/bob) or role/RoleName[/session]');

export function parseActor(text: string): Actor {
  if (text === 'root') return { type: 'Root', name: 'root' };
  if (text.startsWith('role/')) {
    const [, name, session] = text.split('/') as [string, string, string | undefined];
    return { type: 'AssumedRole', name, session: session ?? `${name.toLowerCase()}-session` };
  }
  return { type: 'IAMUser', name: text.replace(/^user\//, '') };
}

/** The Username that LookupEvents reports and filters on: the session name for roles. */
export function username(actor: Actor): string {
  return actor.type === 'AssumedRole' ? (actor.session as string) : actor.name;
}

export function stableHex(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

export function stableKeyId(accountId: string, actor: Actor): string {
  const body = createHash('sha256').update(`${accountId}:${actor.type}:${actor.name}:${actor.session ?? ''}`).digest('hex').toUpperCase();
  return `${actor.type === 'IAMUser' ? 'AKIA' : 'ASIA'}${body.replace(/[^A-Z2-7]/g, '').padEnd(16, 'Q').slice(0, 16)}`;
}

function principalId(prefix: 'AIDA' | 'AROA', accountId: string, name: string): string {
  return `${prefix}${stableHex(`${prefix}:${accountId}:${name}`, 17).toUpperCase()}`;
}

function userIdentity(facts: EventFacts): Record<string, unknown> {
  const { accountId, actor } = facts;
  const signIn = facts.eventType === 'AwsConsoleSignIn';
  const attributes = { creationDate: isoSeconds(facts.time - 10 * MINUTE_MS), mfaAuthenticated: String(facts.mfa) };
  const key = facts.accessKeyId ? { accessKeyId: facts.accessKeyId } : {};
  switch (actor.type) {
    case 'Root':
      return { type: 'Root', principalId: accountId, arn: `arn:aws:iam::${accountId}:root`, accountId, ...key, ...(signIn ? {} : { sessionContext: { attributes } }) };
    case 'IAMUser':
      return {
        type: 'IAMUser',
        principalId: principalId('AIDA', accountId, actor.name),
        arn: `arn:aws:iam::${accountId}:user/${actor.name}`,
        accountId,
        ...key,
        userName: actor.name,
        ...(signIn ? {} : { sessionContext: { attributes } }),
      };
    case 'AssumedRole': {
      const roleId = principalId('AROA', accountId, actor.name);
      return {
        type: 'AssumedRole',
        principalId: `${roleId}:${actor.session}`,
        arn: `arn:aws:sts::${accountId}:assumed-role/${actor.name}/${actor.session}`,
        accountId,
        ...key,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${accountId}:role/${actor.name}`, accountId, userName: actor.name },
          attributes,
        },
      };
    }
  }
}

// --- events -------------------------------------------------------------------------------------

export interface EventResource {
  type: string;
  name: string;
}

/** Everything an event record is built from, whether stored or generated. */
export interface EventFacts {
  id: string;
  /** Epoch milliseconds, whole seconds (CloudTrail records have second precision). */
  time: number;
  name: string;
  source: string;
  readOnly: boolean;
  accountId: string;
  region: string;
  actor: Actor;
  accessKeyId?: string;
  sourceIp: string;
  userAgent: string;
  mfa: boolean;
  resources: EventResource[];
  requestParameters?: unknown;
  responseElements?: unknown;
  additionalEventData?: unknown;
  errorCode?: string;
  errorMessage?: string;
  eventType: 'AwsApiCall' | 'AwsConsoleSignIn';
  requestId?: string;
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function uuidFromHex(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The full JSON record, as LookupEvents returns it in `CloudTrailEvent`. */
export function cloudTrailRecord(facts: EventFacts): string {
  const record: Record<string, unknown> = {
    eventVersion: '1.10',
    userIdentity: userIdentity(facts),
    eventTime: isoSeconds(facts.time),
    eventSource: facts.source,
    eventName: facts.name,
    awsRegion: facts.region,
    sourceIPAddress: facts.sourceIp,
    userAgent: facts.userAgent,
    ...(facts.errorCode ? { errorCode: facts.errorCode, errorMessage: facts.errorMessage } : {}),
    requestParameters: facts.requestParameters ?? null,
    responseElements: facts.responseElements ?? null,
    ...(facts.additionalEventData ? { additionalEventData: facts.additionalEventData } : {}),
    requestID: facts.requestId ?? uuidFromHex(stableHex(`request:${facts.id}`, 32)),
    eventID: facts.id,
    readOnly: facts.readOnly,
    ...(facts.resources.length > 0 ? { resources: facts.resources.map((r) => ({ ARN: r.name, accountId: facts.accountId, type: r.type })) } : {}),
    eventType: facts.eventType,
    managementEvent: true,
    recipientAccountId: facts.accountId,
    eventCategory: 'Management',
  };
  return JSON.stringify(record);
}

/** An element of LookupEvents' `Events`, timestamps as awsJson1_1 epoch seconds. */
export function apiEvent(facts: EventFacts) {
  return {
    EventId: facts.id,
    EventName: facts.name,
    ReadOnly: String(facts.readOnly),
    AccessKeyId: facts.accessKeyId,
    EventTime: facts.time / 1000,
    EventSource: facts.source,
    Username: username(facts.actor),
    Resources: facts.resources.map((r) => ({ ResourceType: r.type, ResourceName: r.name })),
    CloudTrailEvent: cloudTrailRecord(facts),
  };
}

/** The LookupAttribute keys, and how each reads an event's facts. */
export const LOOKUP_KEYS = {
  EventId: (f: EventFacts) => [f.id],
  EventName: (f: EventFacts) => [f.name],
  EventSource: (f: EventFacts) => [f.source],
  ReadOnly: (f: EventFacts) => [String(f.readOnly)],
  Username: (f: EventFacts) => [username(f.actor)],
  AccessKeyId: (f: EventFacts) => (f.accessKeyId ? [f.accessKeyId] : []),
  ResourceType: (f: EventFacts) => f.resources.map((r) => r.type),
  ResourceName: (f: EventFacts) => f.resources.map((r) => r.name),
} as const;
export type LookupKey = keyof typeof LOOKUP_KEYS;
export interface LookupFilter {
  key: LookupKey;
  value: string;
}

export function matchesFilter(facts: EventFacts, filter: LookupFilter): boolean {
  return LOOKUP_KEYS[filter.key](facts).includes(filter.value);
}

/** One time-ordered sequence of events that LookupEvents merges with the others, newest first. */
export interface Source {
  /** Index of the last event at or before `ms`, or -1. */
  lastAtOrBefore(ms: number): number;
  /** Index of the first event at or after `ms` (the length when none). */
  firstAtOrAfter(ms: number): number;
  /** The largest matching index in [lo, i], or -1. */
  previousMatch(i: number, lo: number): number;
  time(i: number): number;
  facts(i: number): EventFacts;
}

