/** Registers an API route with the roles the access table gives it, so no route can skip the table. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rolesFor, type ApiMethod } from './access.js';

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function apiRoutes(app: FastifyInstance) {
  return (method: ApiMethod, url: string, handler: Handler): void => {
    app.route({ method, url, config: { roles: rolesFor(method, url) }, handler });
  };
}
