/**
 * The service's HTTP surface: `/healthz` and `/readyz` (public), `/metrics` and the JSON API under
 * `/api/v1` (a token with the right role; see access.ts). `buildServer` returns the fastify instance
 * without listening: the composition in src/service/serve.ts adds the web pages and listens.
 *
 * Routes added later must say who may call them, `config: { public: true }` or `config: { roles: [...] }`;
 * one that says neither is refused when it is registered, so nothing is reachable by accident.
 *
 * Logging: fastify logs through a child of Vigil's logger whose request serializer keeps method, URL and
 * remote address only, never headers; `authorization` and `cookie` are redacted as well should anything log
 * a raw request; a token pasted into a URL is masked; and every token that authenticates is registered with
 * the redactor, which masks it in every line Vigil writes.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { rolesFor } from './access.js';
import { authenticate, requireAccessDeclared } from './auth.js';
import type { ServerDeps } from './deps.js';
import { incidentRoutes } from './incidents.js';
import { sendError } from './problems.js';
import { runRoutes } from './runs.js';
import { tokenRoutes } from './tokens.js';
import { viewRoutes } from './views.js';

export type { ServerDeps, ScheduleView, WorkAccepted, Requester, CheckRunSelection, DrillRunSelection } from './deps.js';

const TOKEN_IN_TEXT = /vgl_[0-9A-Za-z]+/g;

/** What a log line says about a request: never its headers. */
function requestView(req: FastifyRequest) {
  return { method: req.method, url: req.url.replace(TOKEN_IN_TEXT, 'vgl_****'), remoteAddress: req.ip };
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const logger: FastifyBaseLogger = deps.logger.child(
    { component: 'http' },
    {
      serializers: { req: requestView, res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }) },
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'], censor: '****' },
    },
  );
  const app: FastifyInstance = Fastify({ loggerInstance: logger });

  app.addHook('onRoute', requireAccessDeclared);
  app.addHook('onRequest', authenticate({ tokens: deps.store.tokens, clock: deps.clock }));
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `no route ${request.method} ${request.url.split('?')[0]}` }));

  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
    const reasons: string[] = [];
    try {
      await deps.store.schemaVersion();
    } catch {
      reasons.push('the state store cannot be read');
    }
    if (!deps.ready()) reasons.push('the service is starting or stopping');
    reasons.push(...(deps.notReadyReasons?.() ?? []));
    return reasons.length === 0 ? { status: 'ready' } : reply.code(503).send({ status: 'not ready', reasons });
  });

  app.route({
    method: 'GET',
    url: '/metrics',
    config: { roles: rolesFor('GET', '/metrics') },
    handler: async (_request, reply) => {
      const { contentType, body } = await deps.metrics.render();
      return reply.type(contentType).send(body);
    },
  });

  incidentRoutes(app, deps);
  runRoutes(app, deps);
  viewRoutes(app, deps);
  tokenRoutes(app, deps);
  return app;
}
