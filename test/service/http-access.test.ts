/**
 * The access matrix, swept from the table the server registers its routes with: every role against every
 * route, plus no token and a revoked one. Allowed callers get the route's success status; everyone else
 * is refused before anything happens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openManually } from '../../src/incidents/service.js';
import { API_ACCESS, type RouteAccess } from '../../src/service/http/access.js';
import { ROLES, type Role } from '../../src/service/roles.js';
import { createToken, revokeToken } from '../../src/service/tokens.js';
import { REPORT, bearer, harness, type Harness } from './http-helpers.js';

type Caller = Role | 'no-token' | 'revoked';
const CALLERS: readonly Caller[] = [...ROLES, 'no-token', 'revoked'];

/** A request each route answers with success when the caller may call it. */
const SAMPLES: Record<string, (caller: Caller) => { url: string; payload?: object; success: number }> = {
  'GET /metrics': () => ({ url: '/metrics', success: 200 }),
  'GET /api/v1/incidents': () => ({ url: '/api/v1/incidents?open=true', success: 200 }),
  'GET /api/v1/incidents/:id': () => ({ url: '/api/v1/incidents/INC-1', success: 200 }),
  'POST /api/v1/incidents': (c) => ({ url: '/api/v1/incidents', payload: { title: `Opened by ${c}`, severity: 'sev3', reason: 'matrix' }, success: 201 }),
  'POST /api/v1/incidents/:id/actions': (c) => ({ url: '/api/v1/incidents/INC-1/actions', payload: { action: 'update', reason: `note from ${c}` }, success: 200 }),
  'GET /api/v1/check-runs': () => ({ url: '/api/v1/check-runs', success: 200 }),
  'GET /api/v1/check-runs/:id': () => ({ url: '/api/v1/check-runs/run-1', success: 200 }),
  'POST /api/v1/check-runs': () => ({ url: '/api/v1/check-runs', payload: { reason: 'matrix' }, success: 202 }),
  'GET /api/v1/drills': () => ({ url: '/api/v1/drills', success: 200 }),
  'GET /api/v1/drills/:id': () => ({ url: '/api/v1/drills/drill-1', success: 200 }),
  'POST /api/v1/drills': () => ({ url: '/api/v1/drills', payload: { due: true, reason: 'matrix' }, success: 202 }),
  'GET /api/v1/schedules': () => ({ url: '/api/v1/schedules', success: 200 }),
  'GET /api/v1/reports': () => ({ url: '/api/v1/reports', success: 200 }),
  'GET /api/v1/reports/:id': () => ({ url: `/api/v1/reports/${REPORT.id}`, success: 200 }),
  'GET /api/v1/tokens': () => ({ url: '/api/v1/tokens', success: 200 }),
  'POST /api/v1/tokens': (c) => ({ url: '/api/v1/tokens', payload: { name: `made-by-${c}`, role: 'auditor', reason: 'matrix' }, success: 201 }),
  'DELETE /api/v1/tokens/:name': (c) => ({ url: `/api/v1/tokens/victim-${c}`, payload: { reason: 'matrix' }, success: 200 }),
};

const key = (r: RouteAccess) => `${r.method} ${r.url}`;
const cases = API_ACCESS.flatMap((route) => CALLERS.map((caller) => ({ route, caller, name: `${key(route)} as ${caller}` })));

let h: Harness;
let revoked: string;

beforeAll(async () => {
  h = await harness();
  await openManually(h.deps.incidents, { title: 'Course player stalls', components: ['Content Delivery'], severity: 'sev2', actor: 'alice', reason: 'customers report stalls' });
  await h.store.startRun({ id: 'run-1', kind: 'check', startedAt: h.clock.now().toISOString(), trigger: 'schedule' });
  await h.store.createDrill({
    id: 'drill-1', target: 'analytics-prod', accountId: '222222222222', region: 'us-east-1', status: 'succeeded', trigger: 'schedule', owner: '1@host',
    startedAt: h.clock.now().toISOString(), heartbeatAt: h.clock.now().toISOString(), phases: [], verification: [], measures: {},
  });
  for (const caller of CALLERS) await createToken(h.store.tokens, { name: `victim-${caller}`, role: 'auditor' }, { actor: 'setup', reason: 'to be revoked', clock: h.clock });
  revoked = (await createToken(h.store.tokens, { name: 'former-admin', role: 'admin' }, { actor: 'setup', reason: 'test', clock: h.clock })).token;
  await revokeToken(h.store.tokens, 'former-admin', { actor: 'setup', reason: 'left the team', clock: h.clock });
});
afterAll(async () => {
  await h.app.close();
  await h.store.close();
});

function tokenOf(caller: Caller): string | undefined {
  if (caller === 'no-token') return undefined;
  if (caller === 'revoked') return revoked;
  return h.tokens[caller];
}

describe('the access table', () => {
  it('has a sample request for every route, and the server serves every route in it', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(API_ACCESS.map(key).sort());
    for (const route of API_ACCESS) expect({ route: key(route), served: h.app.hasRoute({ method: route.method, url: route.url }) }).toEqual({ route: key(route), served: true });
  });

  it('says what the issue says each role is for', () => {
    const may = (role: Role, method: string, url: string) => API_ACCESS.some((a) => a.method === method && a.url === url && a.roles.includes(role));
    expect(may('oncall', 'POST', '/api/v1/incidents/:id/actions')).toBe(true);
    expect(may('ops', 'POST', '/api/v1/drills')).toBe(true);
    expect(may('ops', 'POST', '/api/v1/incidents')).toBe(false);
    expect(may('auditor', 'GET', '/api/v1/reports/:id')).toBe(true);
    expect(API_ACCESS.filter((a) => a.method !== 'GET').some((a) => a.roles.includes('auditor'))).toBe(false);
    expect(API_ACCESS.filter((a) => a.url.startsWith('/api/v1/tokens')).map((a) => a.roles)).toEqual([['admin'], ['admin'], ['admin']]);
    expect(API_ACCESS.every((a) => a.roles.includes('admin'))).toBe(true);
  });
});

describe('every caller against every route', () => {
  it.each(cases)('$name', async ({ route, caller }) => {
    const sample = (SAMPLES[key(route)] as (c: Caller) => { url: string; payload?: object; success: number })(caller);
    const allowed = caller !== 'no-token' && caller !== 'revoked' && route.roles.includes(caller);

    const res = await h.app.inject({ method: route.method, url: sample.url, headers: bearer(tokenOf(caller)), ...(sample.payload ? { payload: sample.payload } : {}) });

    const expected = allowed ? sample.success : caller === 'no-token' || caller === 'revoked' ? 401 : 403;
    expect(res.statusCode, res.body).toBe(expected);
    if (expected === 403) expect(res.json()).toEqual({ error: `the ${caller} role may not ${route.method} ${route.url}` });
    if (expected === 401) expect(res.headers['www-authenticate']).toBe('Bearer realm="vigil"');
  });

  it('left nothing behind for a refused caller', async () => {
    const opened = (await h.store.incidents.listIncidents()).map((s) => s.incident.title).sort();
    const victims = (await h.store.tokens.listTokens()).filter((t) => t.name.startsWith('victim-')).map((t) => [t.name, t.revokedAt === undefined ? 'live' : 'revoked']).sort();
    const notes = (await h.store.incidents.getIncident('INC-1'))?.incident.timeline.filter((e) => e.change.kind === 'note').map((e) => [e.actor, e.reason]);

    expect(opened).toEqual(['Course player stalls', 'Opened by admin', 'Opened by oncall']);
    expect(notes).toEqual([
      ['api:oncall-bot', 'note from oncall'],
      ['api:admin-bot', 'note from admin'],
    ]);
    expect(h.requested.checks.map(([, who]) => who.actor)).toEqual(['api:ops-bot', 'api:admin-bot']);
    expect(h.requested.drills.map(([selection, who]) => [selection, who.actor])).toEqual([
      [{ due: true }, 'api:ops-bot'],
      [{ due: true }, 'api:admin-bot'],
    ]);
    expect(victims).toEqual([
      ['victim-admin', 'revoked'],
      ['victim-auditor', 'live'],
      ['victim-no-token', 'live'],
      ['victim-oncall', 'live'],
      ['victim-ops', 'live'],
      ['victim-revoked', 'live'],
    ]);
  });
});
