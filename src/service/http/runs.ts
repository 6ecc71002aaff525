/**
 * Check runs and drills: read what the store holds; ask the service's job queue for new runs. A request
 * for work is answered 202 with the queue's reference: runs take minutes (a drill restores a database),
 * far longer than an HTTP request should wait.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { STATUSES } from '../../core/results.js';
import type { DrillStatus, RunStatus } from '../../store/types.js';
import { API_PREFIX } from './access.js';
import { actorOf } from './auth.js';
import type { DrillRunSelection, ServerDeps } from './deps.js';
import { HttpError, alongsideFieldErrors, parsePart, queryLimit, reason, stringList, text } from './problems.js';
import { apiRoutes } from './routing.js';

const RUN_STATUSES = ['running', 'succeeded', 'failed', 'error', 'aborted'] as const satisfies readonly RunStatus[];
const DRILL_STATUSES = ['running', 'succeeded', 'failed', 'aborted'] as const satisfies readonly DrillStatus[];

const oneOf = <T extends readonly [string, ...string[]]>(values: T) => z.enum(values, { error: `expected one of ${values.join(', ')}` });
const idParams = z.strictObject({ id: text('an id') });

const runsQuery = z.strictObject({ status: oneOf(RUN_STATUSES).optional(), limit: queryLimit.optional() });
const resultsQuery = z.strictObject({ status: oneOf(STATUSES).optional() });
const checkRunBody = z.strictObject({
  checkIds: stringList('check id').min(1, 'name at least one check, or leave the field out for all').optional(),
  accountIds: stringList('account id').min(1, 'name at least one account, or leave the field out for all').optional(),
  regions: stringList('region').min(1, 'name at least one region, or leave the field out for all').optional(),
  reason,
});

const drillsQuery = z.strictObject({ target: text('a target name').optional(), status: oneOf(DRILL_STATUSES).optional(), limit: queryLimit.optional() });
const drillBody = z
  .strictObject({
    targets: stringList('target name').min(1, 'name at least one target').optional(),
    due: z.literal(true, { error: 'expected true (run every target without a successful drill in its window)' }).optional(),
    reason,
  })
  .superRefine((body, ctx) => {
    if ((body.targets === undefined) === (body.due === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'give either targets or due: true, not both or neither' });
    }
  }, alongsideFieldErrors);

export function runRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const route = apiRoutes(app);

  route('GET', `${API_PREFIX}/check-runs`, async (request) => {
    const query = parsePart(runsQuery, request.query, 'query');
    return { runs: await deps.store.listRuns({ kind: 'check', ...(query.status ? { status: query.status } : {}), limit: query.limit ?? 50 }) };
  });

  route('GET', `${API_PREFIX}/check-runs/:id`, async (request) => {
    const { id } = parsePart(idParams, request.params, 'params');
    const query = parsePart(resultsQuery, request.query, 'query');
    const run = await deps.store.getRun(id);
    if (!run || run.kind !== 'check') throw new HttpError(404, `no check run ${id}`);
    const results = await deps.store.checkResults(run.id);
    return { run, results: query.status ? results.filter((r) => r.status === query.status) : results };
  });

  route('POST', `${API_PREFIX}/check-runs`, async (request, reply) => {
    const body = parsePart(checkRunBody, request.body, 'body');
    const accepted = await deps.requestCheckRun(
      { ...(body.checkIds ? { checkIds: body.checkIds } : {}), ...(body.accountIds ? { accountIds: body.accountIds } : {}), ...(body.regions ? { regions: body.regions } : {}) },
      { actor: actorOf(request), reason: body.reason },
    );
    reply.code(202);
    return { accepted };
  });

  route('GET', `${API_PREFIX}/drills`, async (request) => {
    const query = parsePart(drillsQuery, request.query, 'query');
    return {
      drills: await deps.store.listDrills({ ...(query.target ? { target: query.target } : {}), ...(query.status ? { status: query.status } : {}), limit: query.limit ?? 50 }),
    };
  });

  route('GET', `${API_PREFIX}/drills/:id`, async (request) => {
    const { id } = parsePart(idParams, request.params, 'params');
    const drill = await deps.store.getDrill(id);
    if (!drill) throw new HttpError(404, `no drill ${id}`);
    return { drill };
  });

  route('POST', `${API_PREFIX}/drills`, async (request, reply) => {
    const body = parsePart(drillBody, request.body, 'body');
    const selection: DrillRunSelection = body.targets ? { targets: body.targets } : { due: true };
    const accepted = await deps.requestDrillRun(selection, { actor: actorOf(request), reason: body.reason });
    reply.code(202);
    return { accepted };
  });
}
