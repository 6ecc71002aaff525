/** Notifications and sandbox worlds for the channel tests. */
import { configSchema } from '../../../src/config/schema.js';
import type {
  Channel,
  ChannelName,
  ChannelRefs,
  ComponentNotification,
  ComponentStatus,
  IncidentEvent,
  IncidentNotification,
  IncidentSnapshot,
  MaintenanceEvent,
  MaintenanceNotification,
  MaintenanceSnapshot,
  Notification,
} from '../../../src/incidents/delivery.js';
import { DeliveryError } from '../../../src/incidents/delivery.js';

export const SLACK_TOKEN = 'xoxb-channels-test-token';
export const ROUTING_KEY = 'c0ffee00c0ffee00c0ffee00c0ffee00';
export const STATUSPAGE_KEY = 'statuspage-channels-test-key';
export const PAGE_ID = 'cc-status';

/** One world with all three services, components enough for each test to own some. */
export const CHANNELS_SCENARIO = `
name: channels-test
accounts:
  - id: "111111111111"
    name: management
slack:
  team: { name: Coursecraft, domain: coursecraft }
  tokens: [${SLACK_TOKEN}]
  channels: [incidents, ops]
pagerduty:
  routingKeys:
    - { key: ${ROUTING_KEY}, service: Coursecraft Platform }
statuspage:
  apiKeys: [${STATUSPAGE_KEY}]
  pages:
    - id: ${PAGE_ID}
      name: Coursecraft Status
      components:
        - { name: SCORM Cloud Website }
        - { name: SCORM Cloud API }
        - { name: Content Delivery }
        - { name: Reporting }
        - { name: Authentication }
        - { name: Search }
        - { name: Billing }
        - { name: Webhooks }
        - { name: Course Player }
        - { name: Admin Console }
        - { name: Mobile App }
`;

/** The `integrations` section as the config loader produces it: defaults applied, strictly validated. */
export function integrations(raw: unknown) {
  return configSchema.shape.integrations.parse(raw);
}

let sequence = 0;
/** Ids unique within a test file, so tests sharing one sandbox never see each other's work. */
export function uniqueId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${sequence}`;
}

export const T0 = '2025-01-06T10:00:00.000Z';

export function incident(overrides: Partial<IncidentSnapshot> = {}): IncidentSnapshot {
  return {
    id: uniqueId('inc'),
    title: 'LMS database unreachable',
    severity: 'sev1',
    state: 'triage',
    components: ['SCORM Cloud API'],
    reportedAt: T0,
    links: [{ href: 'https://runbooks.example.com/rds-down', text: 'Runbook: RDS instance down' }],
    ...overrides,
  };
}

/** A notification about `subject` after `event`: the snapshot is the incident as the change left it. */
export function incidentNote(
  channel: ChannelName,
  event: IncidentEvent,
  subject: IncidentSnapshot,
  extra: Partial<Omit<IncidentNotification, 'subject' | 'event' | 'incident' | 'channel'>> = {},
): IncidentNotification {
  return {
    id: `${subject.id}/${uniqueId('n')}/${channel}`,
    channel,
    subject: 'incident',
    event,
    incident: subject,
    actor: 'alice',
    reason: `${event} for the test`,
    at: new Date().toISOString(),
    ...extra,
  };
}

export function maintenance(overrides: Partial<MaintenanceSnapshot> = {}): MaintenanceSnapshot {
  const start = Date.now() + 24 * 3600_000;
  return {
    id: uniqueId('mnt'),
    title: 'Database engine upgrade',
    components: ['Reporting'],
    startsAt: new Date(start).toISOString(),
    endsAt: new Date(start + 2 * 3600_000).toISOString(),
    reason: 'PostgreSQL 16 brings the security fixes we need.',
    emergency: false,
    ...overrides,
  };
}

export function maintenanceNote(channel: ChannelName, event: MaintenanceEvent, subject: MaintenanceSnapshot): MaintenanceNotification {
  return {
    id: `${subject.id}/${uniqueId('n')}/${channel}`,
    channel,
    subject: 'maintenance',
    event,
    maintenance: subject,
    actor: 'bob',
    reason: `${event} for the test`,
    at: new Date().toISOString(),
  };
}

export function componentNote(channel: ChannelName, component: string, status: ComponentStatus): ComponentNotification {
  return {
    id: `${uniqueId('probe')}/${channel}`,
    channel,
    subject: 'component',
    event: 'component-status',
    component,
    status,
    actor: 'vigil',
    reason: 'probe',
    at: new Date().toISOString(),
  };
}

/** Delivers in order as the dispatcher would, each with the refs the one before returned. */
export async function deliverAll(channel: Channel, notes: Notification[], refs: ChannelRefs = {}): Promise<ChannelRefs> {
  let current = refs;
  for (const n of notes) current = await channel.deliver(n, current);
  return current;
}

/** Awaits a delivery that must fail with a DeliveryError, and returns it. */
export async function deliveryFailure(promise: Promise<unknown>): Promise<DeliveryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DeliveryError)) throw new Error(`expected a DeliveryError, got ${String(error)}`);
  return error;
}
