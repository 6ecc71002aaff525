/**
 * The incident API: the same service functions as `vigil incident`, with the token's name as the actor
 * (`api:<name>`) and the reason the request must give. Changes are delivered right away as the CLI does;
 * what cannot be delivered now stays in the outbox for the service's next pass.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';
import { redactValue } from '../../core/redact.js';
import type { DispatchOutcome } from '../../incidents/dispatcher.js';
import { deliver } from '../../incidents/runtime.js';
import { act, approveStatusPage, openManually } from '../../incidents/service.js';
import { deadlines } from '../../incidents/sla.js';
import type { ActionRequest } from '../../incidents/transitions.js';
import { INCIDENT_ACTIONS, INCIDENT_SEVERITIES, type Incident, type IncidentSeverity } from '../../incidents/types.js';
import type { OutboxRecord, StoredIncident } from '../../store/incident-types.js';
import { API_PREFIX } from './access.js';
import { actorOf } from './auth.js';
import type { ServerDeps } from './deps.js';
import { HttpError, alongsideFieldErrors, flag, parsePart, queryFlag, queryLimit, reason, stringList, text } from './problems.js';
import { apiRoutes } from './routing.js';

const severity = z.enum(INCIDENT_SEVERITIES, { error: `expected one of ${INCIDENT_SEVERITIES.join(', ')}` });

const listQuery = z.strictObject({ open: queryFlag.optional(), severity: severity.optional(), limit: queryLimit.optional() });
const idParams = z.strictObject({ id: z.string().regex(/^INC-\d+$/i, 'expected an incident id like INC-7') });

const openBody = z
  .strictObject({
    title: text(),
    components: stringList('component name').optional(),
    severity: severity.optional(),
    answers: z
      .strictObject({ unavailable: flag.optional(), substantiallyDegraded: flag.optional(), nonEssentialDegraded: flag.optional(), cosmetic: flag.optional() })
      .refine((a) => Object.values(a).some((v) => v === true), 'answer at least one question yes, or give a severity')
      .optional(),
    commander: text().optional(),
    investigating: flag.optional(),
    reason,
  })
  .superRefine((body, ctx) => {
    if ((body.severity === undefined) === (body.answers === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['severity'], message: 'give either a severity or the answers to the seed\'s questions, not both or neither' });
    }
  }, alongsideFieldErrors);

const ACTIONS = [...INCIDENT_ACTIONS, 'approve'] as const;
const actionBody = z
  .strictObject({
    action: z.enum(ACTIONS, { error: `expected one of ${ACTIONS.join(', ')}` }),
    reason,
    commander: text().optional(),
    severity: severity.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.action === 'reclassify' && body.severity === undefined) ctx.addIssue({ code: 'custom', path: ['severity'], message: 'required to reclassify' });
    if (body.action !== 'reclassify' && body.severity !== undefined) ctx.addIssue({ code: 'custom', path: ['severity'], message: 'only for action reclassify' });
    if (body.action !== 'ack' && body.commander !== undefined) ctx.addIssue({ code: 'custom', path: ['commander'], message: 'only for action ack' });
  }, alongsideFieldErrors);

export function incidentRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const route = apiRoutes(app);
  const runtime = deps.incidents;
  const clocksOf = (incident: Incident) => deadlines(incident, runtime.settings.policy, deps.clock);

  route('GET', `${API_PREFIX}/incidents`, async (request) => {
    const query = parsePart(listQuery, request.query, 'query');
    const stored = await runtime.store.listIncidents({
      ...(query.open !== undefined ? { open: query.open } : {}),
      ...(query.severity ? { severity: query.severity } : {}),
      limit: query.limit ?? 100,
    });
    return { incidents: stored.map(({ incident }) => ({ ...listView(incident), clocks: clocksOf(incident) })) };
  });

  route('GET', `${API_PREFIX}/incidents/:id`, async (request) => {
    const { id } = parsePart(idParams, request.params, 'params');
    const stored = await found(runtime.store.getIncident(id), id);
    const [slaEvents, outbox] = await Promise.all([runtime.store.slaEvents(stored.incident.id), runtime.store.listOutbox({ subjectId: stored.incident.id })]);
    return { incident: stored.incident, version: stored.version, clocks: clocksOf(stored.incident), slaEvents, deliveries: outbox.map(deliveryView) };
  });

  route('POST', `${API_PREFIX}/incidents`, async (request, reply) => {
    const body = parsePart(openBody, request.body, 'body');
    const stored = await openManually(runtime, {
      title: body.title,
      components: body.components ?? [],
      ...(body.severity ? { severity: body.severity } : {}),
      ...(body.answers
        ? {
            answers: {
              unavailable: body.answers.unavailable ?? false,
              substantiallyDegraded: body.answers.substantiallyDegraded ?? false,
              nonEssentialDegraded: body.answers.nonEssentialDegraded ?? false,
              cosmetic: body.answers.cosmetic ?? false,
            },
          }
        : {}),
      ...(body.commander ? { commander: body.commander } : {}),
      investigating: body.investigating ?? false,
      actor: actorOf(request),
      reason: body.reason,
    });
    const delivery = await deliverNow(deps, request.log);
    reply.code(201).header('location', `${API_PREFIX}/incidents/${stored.incident.id}`);
    return { incident: stored.incident, delivery };
  });

  route('POST', `${API_PREFIX}/incidents/:id/actions`, async (request) => {
    const { id } = parsePart(idParams, request.params, 'params');
    const body = parsePart(actionBody, request.body, 'body');
    const current = await found(runtime.store.getIncident(id), id);
    const who = { actor: actorOf(request), reason: body.reason };
    if (body.action === 'approve') {
      const { stored, released } = await approveStatusPage(runtime, current.incident.id, who).catch((err: unknown) => {
        // Nothing held is the incident's state, not a fault in the request.
        if (err instanceof ConfigError) throw new HttpError(409, 'nothing to approve', err.problems.map((p) => ({ in: 'params', field: 'id', message: p.message })));
        throw err;
      });
      return { incident: stored.incident, released, delivery: await deliverNow(deps, request.log) };
    }
    const action = toActionRequest(body);
    const stored = await act(runtime, current.incident.id, action, who);
    return { incident: stored.incident, delivery: await deliverNow(deps, request.log) };
  });
}

function toActionRequest(body: z.output<typeof actionBody>): ActionRequest {
  if (body.action === 'reclassify') return { action: 'reclassify', severity: body.severity as IncidentSeverity };
  if (body.action === 'ack') return body.commander ? { action: 'ack', commander: body.commander } : { action: 'ack' };
  return { action: body.action as Exclude<ActionRequest['action'], 'reclassify' | 'ack'> };
}

async function found(lookup: Promise<StoredIncident | undefined>, id: string): Promise<StoredIncident> {
  const stored = await lookup;
  if (!stored) throw new HttpError(404, `no incident ${id}`);
  return stored;
}

/** An incident without its timeline and signal ids, for lists. */
function listView(incident: Incident) {
  const { timeline: _timeline, signalIds: _signalIds, ...summary } = incident;
  return summary;
}

/**
 * The change is committed before delivery starts; a channel that is down only delays the messages, which
 * the service's next pass delivers. So a failure here is reported, not turned into an error.
 */
async function deliverNow(deps: ServerDeps, log: FastifyBaseLogger): Promise<DispatchOutcome | { error: string }> {
  try {
    return redactValue(await deliver(deps.incidents));
  } catch (err) {
    log.error({ err }, 'delivery after an API change failed; the messages stay in the outbox');
    return { error: 'delivery failed for now; the messages stay in the outbox and the service retries them' };
  }
}

function deliveryView(o: OutboxRecord) {
  return { id: o.id, channel: o.channel, event: o.notification.event, status: o.status, attempts: o.attempts, nextAttemptAt: o.nextAttemptAt, deliveredAt: o.deliveredAt, lastError: o.lastError };
}
