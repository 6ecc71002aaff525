/**
 * PagerDuty's Events API v2 (served on the sandbox's HTTPS listener, as pdjs only speaks HTTPS):
 * alert events on `/v2/enqueue` and change events on `/v2/change/enqueue`. Alerts follow PagerDuty's
 * de-duplication rules per routing key and dedup_key, kept for inspection.
 */
import { z } from 'zod';
import { json, type Emulator, type HttpInput, type HttpOutput } from './http-types.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

export const pagerdutyScenario = z.strictObject({
  /** Events API v2 integration keys and the service each routes to. */
  routingKeys: z
    .array(
      z.strictObject({
        key: z.string().regex(/^[A-Za-z0-9]{32}$/, 'expected a 32-character integration key (letters and digits)'),
        service: z.string().min(1),
      }),
    )
    .default([]),
});

type AlertStatus = 'triggered' | 'acknowledged' | 'resolved';

interface Alert {
  service: string;
  routingKey: string;
  dedupKey: string;
  status: AlertStatus;
  payload: Record<string, unknown>;
  links: unknown[];
  images: unknown[];
  createdAt: Date;
  acknowledgedAt?: Date;
  resolvedAt?: Date;
  triggerCount: number;
  lastEventAt: Date;
}

interface ReceivedEvent {
  receivedAt: Date;
  type: 'alert' | 'change';
  routingKey: string;
  service?: string;
  status: number;
  /** What the event did to alert state: PagerDuty drops acknowledge/resolve events with no open alert. */
  outcome?: 'created' | 'deduplicated' | 'acknowledged' | 'resolved' | 'dropped' | 'recorded';
  errors?: string[];
  body: Record<string, unknown>;
}

interface PagerDutyState {
  services: Map<string, string>;
  events: ReceivedEvent[];
  alerts: Alert[];
  /** Open (triggered or acknowledged) alerts by `routingKey|dedupKey`. */
  open: Map<string, Alert>;
}

function pagerdutyState(world: World): PagerDutyState {
  return world.slice('pagerduty', () => ({ services: new Map(), events: [], alerts: [], open: new Map() }));
}

export function seedPagerDuty(world: World, scenario: Scenario): void {
  const state = pagerdutyState(world);
  for (const { key, service } of scenario.pagerduty?.routingKeys ?? []) state.services.set(key, service);
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'];
const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const MAX_EVENTS = 50_000;
const MAX_BODY_BYTES = 512 * 1024;

function invalid(errors: string[]): HttpOutput {
  return { ...json(400, { status: 'invalid event', message: 'Event object is invalid', errors }), errorCode: 'invalid event' };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function routingKeyErrors(value: unknown): string[] {
  const key = text(value);
  if (key === undefined) return ["'routing_key' cannot be blank"];
  const errors: string[] = [];
  if (key.length !== 32) errors.push("Length of 'routing_key' is incorrect (should be 32 characters)");
  if (!/^[A-Za-z0-9]*$/.test(key)) errors.push("'routing_key' cannot contain non-alphanumeric characters.");
  return errors;
}

function summaryErrors(payload: Record<string, unknown>): string[] {
  const summary = text(payload['summary']);
  if (summary === undefined) return ["'payload.summary' is missing or blank"];
  return summary.length > 1024 ? ["'payload.summary' is too long (maximum is 1024 characters)"] : [];
}

/** Every problem with an alert event, in PagerDuty's wording. */
function alertEventErrors(body: Record<string, unknown>): string[] {
  const errors = routingKeyErrors(body['routing_key']);
  const action = text(body['event_action']);
  if (action === undefined) errors.push("'event_action' is missing or blank");
  else if (!ACTIONS.includes(action)) errors.push("'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')");
  const dedupKey = body['dedup_key'];
  if (typeof dedupKey === 'string' && dedupKey.length > 255) errors.push("'dedup_key' is too long (maximum is 255 characters)");
  if ((action === 'acknowledge' || action === 'resolve') && text(dedupKey) === undefined) errors.push("'dedup_key' is missing or blank");
  if (action !== 'trigger') return errors;
  const payload = body['payload'];
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    errors.push("'payload' is missing or blank");
    return errors;
  }
  const p = payload as Record<string, unknown>;
  errors.push(...summaryErrors(p));
  if (text(p['source']) === undefined) errors.push("'payload.source' is missing or blank");
  const severity = text(p['severity']);
  if (severity === undefined) errors.push("'payload.severity' is missing or blank");
  else if (!SEVERITIES.includes(severity)) {
    errors.push("'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')");
  }
  if (p['timestamp'] !== undefined && Number.isNaN(Date.parse(String(p['timestamp'])))) errors.push("'payload.timestamp' is invalid");
  return errors;
}

function changeEventErrors(body: Record<string, unknown>): string[] {
  const errors = routingKeyErrors(body['routing_key']);
  const payload = body['payload'];
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) errors.push("'payload' is missing or blank");
  else errors.push(...summaryErrors(payload as Record<string, unknown>));
  return errors;
}

function generatedDedupKey(world: World): string {
  return world.id('dedup', 32).slice('dedup-'.length);
}

/** Applies an accepted alert event to alert state, by PagerDuty's de-duplication rules. */
function applyAlertEvent(world: World, state: PagerDutyState, body: Record<string, unknown>, service: string, dedupKey: string): ReceivedEvent['outcome'] {
  const routingKey = String(body['routing_key']);
  const key = `${routingKey}|${dedupKey}`;
  const open = state.open.get(key);
  const now = world.now();
  switch (body['event_action']) {
    case 'trigger': {
      if (open) {
        // "Subsequent events for the same dedup_key are applied to the open alert": its summary,
        // severity and links become the new event's (how a reclassification changes a page's
        // severity), while an acknowledgement stands and nobody is notified again.
        open.triggerCount += 1;
        open.lastEventAt = now;
        open.payload = body['payload'] as Record<string, unknown>;
        if (Array.isArray(body['links'])) open.links = body['links'];
        if (Array.isArray(body['images'])) open.images = body['images'];
        return 'deduplicated';
      }
      const alert: Alert = {
        service,
        routingKey,
        dedupKey,
        status: 'triggered',
        payload: body['payload'] as Record<string, unknown>,
        links: Array.isArray(body['links']) ? body['links'] : [],
        images: Array.isArray(body['images']) ? body['images'] : [],
        createdAt: now,
        triggerCount: 1,
        lastEventAt: now,
      };
      state.alerts.push(alert);
      state.open.set(key, alert);
      return 'created';
    }
    case 'acknowledge':
      if (!open) return 'dropped';
      open.status = 'acknowledged';
      open.acknowledgedAt ??= now;
      open.lastEventAt = now;
      return 'acknowledged';
    default:
      if (!open) return 'dropped';
      open.status = 'resolved';
      open.resolvedAt = now;
      open.lastEventAt = now;
      state.open.delete(key);
      return 'resolved';
  }
}

function record(state: PagerDutyState, event: ReceivedEvent): void {
  state.events.push(event);
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

function parseBody(input: HttpInput): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(input.body.toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function enqueue(world: World, input: HttpInput, type: 'alert' | 'change'): HttpOutput {
  const state = pagerdutyState(world);
  if (input.body.length > MAX_BODY_BYTES) return invalid(['Event object is too large (the limit is 512 KB)']);
  const body = parseBody(input);
  if (!body) return invalid(['Event object is not valid JSON']);
  const routingKey = typeof body['routing_key'] === 'string' ? body['routing_key'] : '';
  const base = { receivedAt: world.now(), type, routingKey, body };
  let errors = type === 'alert' ? alertEventErrors(body) : changeEventErrors(body);
  const service = state.services.get(routingKey);
  if (errors.length === 0 && service === undefined) errors = ['Invalid routing key'];
  if (errors.length > 0) {
    record(state, { ...base, status: 400, errors });
    return invalid(errors);
  }
  if (type === 'change') {
    record(state, { ...base, service, status: 202, outcome: 'recorded' });
    return json(202, { status: 'success', message: 'Change event processed' });
  }
  const dedupKey = text(body['dedup_key']) ?? generatedDedupKey(world);
  const outcome = applyAlertEvent(world, state, body, service as string, dedupKey);
  record(state, { ...base, body: { ...body, dedup_key: dedupKey }, service, status: 202, outcome });
  return json(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
}

/** Integration keys route events to a service: inspection shows only their last four characters. */
function mask(key: string): string {
  return `****${key.length > 4 ? key.slice(-4) : ''}`;
}

const OPERATIONS: Record<string, 'alert' | 'change'> = { '/v2/enqueue': 'alert', '/v2/change/enqueue': 'change' };

export const pagerduty: Emulator = {
  name: 'pagerduty',
  route(input, world) {
    const type = OPERATIONS[input.path.replace(/\/$/, '')];
    if (!type) return undefined;
    return {
      service: 'pagerduty',
      operation: type === 'alert' ? 'enqueue' : 'change.enqueue',
      handle: async () =>
        input.method === 'POST' ? enqueue(world, input, type) : { ...json(405, { status: 'method not allowed', message: 'Use POST' }), errorCode: 'method not allowed' },
      throttled: () => ({
        ...json(429, { status: 'throttle event', message: 'Requests for this service are arriving too quickly. Please retry later.' }),
        errorCode: 'throttle event',
      }),
      failed: (status) => ({ ...json(status, { status: 'error', message: 'Internal server error' }), errorCode: 'error' }),
    };
  },
  inspect: {
    /** Every event received, accepted or not, with its routing key masked to the last four characters. */
    'pagerduty/events': (world) =>
      pagerdutyState(world).events.map((e) => ({
        ...e.body,
        received_at: e.receivedAt.toISOString(),
        type: e.type,
        service: e.service ?? null,
        status: e.status,
        outcome: e.outcome ?? null,
        errors: e.errors ?? [],
        routing_key: mask(e.routingKey),
      })),
    /** Alert state per routing key and dedup_key, oldest first. */
    'pagerduty/alerts': (world) =>
      pagerdutyState(world).alerts.map((a) => ({
        service: a.service,
        routing_key: mask(a.routingKey),
        dedup_key: a.dedupKey,
        status: a.status,
        summary: a.payload['summary'],
        severity: a.payload['severity'],
        source: a.payload['source'],
        component: a.payload['component'] ?? null,
        group: a.payload['group'] ?? null,
        class: a.payload['class'] ?? null,
        custom_details: a.payload['custom_details'] ?? null,
        links: a.links,
        images: a.images,
        created_at: a.createdAt.toISOString(),
        acknowledged_at: a.acknowledgedAt?.toISOString() ?? null,
        resolved_at: a.resolvedAt?.toISOString() ?? null,
        trigger_count: a.triggerCount,
        last_event_at: a.lastEventAt.toISOString(),
      })),
  },
};
