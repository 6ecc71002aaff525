/**
 * Authentication and authorization, before anything else runs: an `onRequest` hook, so a caller without
 * the right role is refused before the body is parsed or any record is looked up, and the answer (401 or
 * 403) is the same whether the resource exists or not. The token is read from the store on every request;
 * there is no cache, so a revoked token fails on its next request.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { ApiToken, TokenStore } from '../../store/token-types.js';
import type { Role } from '../roles.js';
import { verifyToken } from '../tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Anyone may call it: no token is read. */
    public?: boolean;
    /** The roles that may call it; see access.ts. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    /** The token that authenticated the request. */
    principal?: ApiToken;
  }
}

/** `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235). */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** The actor recorded for a change made through the API. */
export function actorOf(request: FastifyRequest): string {
  if (!request.principal) throw new Error('actorOf: the request was not authenticated');
  return `api:${request.principal.name}`;
}

/** Every route says who may call it; one that does not is a bug, refused when it is registered. */
export function requireAccessDeclared(route: RouteOptions): void {
  const config = route.config as { public?: boolean; roles?: readonly Role[] } | undefined;
  if (config?.public === true || (config?.roles && config.roles.length > 0)) return;
  throw new Error(`${String(route.method)} ${route.url} declares neither config.public nor config.roles`);
}

export function authenticate(deps: { tokens: TokenStore; clock: Clock }) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const config = request.routeOptions.config;
    if (config.public === true) return undefined;
    const presented = bearerToken(request.headers.authorization);
    const token = presented === undefined ? undefined : await verifyToken(deps.tokens, presented, deps.clock);
    // Fastify's contract for an async hook that answers early: send, then return the reply.
    if (!token) {
      // One answer for no token, a malformed one, an unknown one and a revoked one.
      reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="vigil"')
        .send({ error: 'a valid API token is required: Authorization: Bearer vgl_...' });
      return reply;
    }
    request.principal = token;
    // An unknown URL has no roles: any valid token learns that it does not exist (404), nobody else.
    if (config.roles && !config.roles.includes(token.role)) {
      reply.code(403).send({ error: `the ${token.role} role may not ${request.method} ${request.routeOptions.url}` });
      return reply;
    }
    return undefined;
  };
}
