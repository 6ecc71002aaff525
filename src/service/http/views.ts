/** Schedules and reports: what the service's scheduler and the reports (issue #8) give, passed through. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_PREFIX } from './access.js';
import type { ServerDeps } from './deps.js';
import { HttpError, parsePart, text } from './problems.js';
import { apiRoutes } from './routing.js';

const idParams = z.strictObject({ id: text('a report id') });

export function viewRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const route = apiRoutes(app);

  route('GET', `${API_PREFIX}/schedules`, async () => ({ schedules: await deps.schedules() }));

  route('GET', `${API_PREFIX}/reports`, async () => ({ reports: await deps.reports() }));

  route('GET', `${API_PREFIX}/reports/:id`, async (request) => {
    const { id } = parsePart(idParams, request.params, 'params');
    const report = await deps.report(id);
    if (report === undefined) throw new HttpError(404, `no report ${id}`);
    return { report };
  });
}
