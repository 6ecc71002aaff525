/** Token administration over HTTP (admin only): the same functions as `vigil token`. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { registerSecret } from '../../core/redact.js';
import { ROLES } from '../roles.js';
import { createToken, revokeToken } from '../tokens.js';
import { API_PREFIX } from './access.js';
import { actorOf } from './auth.js';
import type { ServerDeps } from './deps.js';
import { HttpError, parsePart, reason, text } from './problems.js';
import { apiRoutes } from './routing.js';

const createBody = z.strictObject({
  name: text('a token name'),
  role: z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` }),
  reason,
});
const nameParams = z.strictObject({ name: text('a token name') });
const revokeBody = z.strictObject({ reason });

export function tokenRoutes(app: FastifyInstance, deps: ServerDeps): void {
  const route = apiRoutes(app);
  const tokens = deps.store.tokens;

  route('GET', `${API_PREFIX}/tokens`, async () => ({ tokens: await tokens.listTokens() }));

  route('POST', `${API_PREFIX}/tokens`, async (request, reply) => {
    const body = parsePart(createBody, request.body, 'body');
    const created = await createToken(tokens, { name: body.name, role: body.role }, { actor: actorOf(request), reason: body.reason, clock: deps.clock });
    // The response is not redacted; every log line written from now on is.
    registerSecret(created.token);
    reply.code(201);
    return { token: created.token, record: created.record };
  });

  route('DELETE', `${API_PREFIX}/tokens/:name`, async (request) => {
    const { name } = parsePart(nameParams, request.params, 'params');
    const body = parsePart(revokeBody, request.body, 'body');
    const existing = await tokens.getToken(name);
    if (!existing) throw new HttpError(404, `no token named ${name}`);
    if (existing.revokedAt) throw new HttpError(409, `token ${name} was already revoked at ${existing.revokedAt} by ${existing.revokedBy}`);
    return { record: await revokeToken(tokens, name, { actor: actorOf(request), reason: body.reason, clock: deps.clock }) };
  });
}
