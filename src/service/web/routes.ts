/**
 * The web pages on the service's HTTP server: the public status page at `/`, and the staff overview at
 * `/overview` behind a sign-in that takes an API token and keeps it in an HttpOnly, SameSite=Strict
 * cookie. The token is checked against the store on every request, as the API does, so a revoked
 * token signs its holder out on the next page view.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { SlaPolicy } from '../../incidents/sla.js';
import type { Store } from '../../store/types.js';
import { verifyToken } from '../tokens.js';
import { loadOverview, type ScheduleSummary } from './overview-data.js';
import type { WebRenderer } from './render.js';
import { loadStatusPage, type StatusPageOptions } from './status-data.js';

export interface WebDeps {
  store: Store;
  clock: Clock;
  renderer: WebRenderer;
  statusPage: StatusPageOptions;
  policy: SlaPolicy;
  schedules(): Promise<ScheduleSummary[]>;
  /** Mark the cookie Secure; on unless Vigil is served over plain HTTP (local use, the sandbox). */
  secureCookie: boolean;
}

const COOKIE = 'vigil_session';

export function webRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', deps.renderer.contentSecurityPolicy).header('cache-control', 'no-store').send(body);

  app.get('/', { config: { public: true } }, async (_request, reply) => html(reply, 200, deps.renderer.renderStatusPage(await loadStatusPage(deps.store, deps.clock, deps.statusPage))));

  app.get('/sign-in', { config: { public: true } }, async (_request, reply) => html(reply, 200, deps.renderer.renderSignIn()));

  app.post('/sign-in', { config: { public: true } }, async (request, reply) => {
    const token = typeof (request.body as Record<string, unknown> | undefined)?.['token'] === 'string' ? ((request.body as Record<string, string>)['token'] as string).trim() : '';
    if (!token || !(await verifyToken(deps.store.tokens, token, deps.clock))) return html(reply, 401, deps.renderer.renderSignIn('That token is not valid, or it was revoked.'));
    return reply
      .header('set-cookie', `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${deps.secureCookie ? '; Secure' : ''}; Max-Age=43200`)
      .code(303)
      .header('location', '/overview')
      .send();
  });

  app.post('/sign-out', { config: { public: true } }, async (_request, reply) =>
    reply.header('set-cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`).code(303).header('location', '/').send(),
  );

  app.get('/overview', { config: { public: true } }, async (request, reply) => {
    if (!(await signedIn(request, deps))) return reply.code(303).header('location', '/sign-in').send();
    const view = await loadOverview(deps.store, deps.clock, { policy: deps.policy, schedules: deps.schedules });
    return html(reply, 200, deps.renderer.renderOverview(view, { signOutAction: '/sign-out' }));
  });
}

async function signedIn(request: FastifyRequest, deps: WebDeps): Promise<boolean> {
  const token = cookie(request.headers.cookie, COOKIE);
  return token !== undefined && (await verifyToken(deps.store.tokens, token, deps.clock)) !== undefined;
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=') || undefined;
  }
  return undefined;
}
