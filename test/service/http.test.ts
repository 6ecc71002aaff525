/** The API's behaviour beyond the access matrix: revocation, bad input, no existence leaks, actors, health, logs. */
import { afterEach, describe, expect, it } from 'vitest';
import { MINUTE_MS } from '../../src/core/clock.js';
import { revokeToken } from '../../src/service/tokens.js';
import { bearer, harness, type Harness } from './http-helpers.js';

const opened: Harness[] = [];
async function setup(options: Parameters<typeof harness>[0] = {}): Promise<Harness> {
  const h = await harness(options);
  opened.push(h);
  return h;
}
afterEach(async () => {
  for (const h of opened.splice(0)) {
    await h.app.close();
    await h.store.close();
  }
});

describe('tokens', () => {
  it('stops working on the very next request after revocation through the API', async () => {
    const h = await setup();
    const before = await h.app.inject({ url: '/api/v1/incidents', headers: bearer(h.tokens.oncall) });

    const revoked = await h.app.inject({ method: 'DELETE', url: '/api/v1/tokens/oncall-bot', headers: bearer(h.tokens.admin), payload: { reason: 'laptop stolen' } });
    const after = await h.app.inject({ url: '/api/v1/incidents', headers: bearer(h.tokens.oncall) });

    expect(before.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ record: { name: 'oncall-bot', revokedBy: 'api:admin-bot', revokeReason: 'laptop stolen' } });
    expect(after.statusCode).toBe(401);
  });

  it('stops working on the very next request after revocation by another process (the CLI writes the store)', async () => {
    const h = await setup();
    expect((await h.app.inject({ url: '/metrics', headers: bearer(h.tokens.ops) })).statusCode).toBe(200);

    await revokeToken(h.store.tokens, 'ops-bot', { actor: 'alice', reason: 'rotating', clock: h.clock });

    expect((await h.app.inject({ url: '/metrics', headers: bearer(h.tokens.ops) })).statusCode).toBe(401);
  });

  it('refuses a malformed or unknown token, or another scheme, the same way as none', async () => {
    const h = await setup();
    const answers = [];
    for (const authorization of [undefined, 'Bearer nope', `Bearer vgl_${'0'.repeat(43)}`, `Basic ${h.tokens.admin}`, h.tokens.admin]) {
      const res = await h.app.inject({ url: '/api/v1/incidents', headers: authorization ? { authorization } : {} });
      answers.push([res.statusCode, res.body]);
    }

    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]?.[0]).toBe(401);
  });

  it('creates a token through the API that works at once, shown once and stored as a hash', async () => {
    const h = await setup();

    const created = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(h.tokens.admin), payload: { name: 'prometheus', role: 'auditor', reason: 'metrics scraping' } });
    const { token, record } = created.json() as { token: string; record: Record<string, unknown> };
    const listed = await h.app.inject({ url: '/api/v1/tokens', headers: bearer(h.tokens.admin) });
    const duplicate = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(h.tokens.admin), payload: { name: 'prometheus', role: 'ops', reason: 'again' } });

    expect(created.statusCode).toBe(201);
    expect(token).toMatch(/^vgl_[0-9A-Za-z]{43}$/);
    expect(record).toMatchObject({ name: 'prometheus', role: 'auditor', createdBy: 'api:admin-bot', reason: 'metrics scraping' });
    expect((await h.app.inject({ url: '/metrics', headers: bearer(token) })).statusCode).toBe(200);
    expect(listed.body).not.toContain(token);
    expect(listed.body).not.toContain('hash');
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.json()).toEqual({ error: 'invalid request', problems: [{ in: 'body', field: 'name', message: 'a token named prometheus already exists (names are never reused, even after revocation)' }] });
  });
});

describe('bad input', () => {
  it('names every field at fault in a body, at once', async () => {
    const h = await setup();

    const res = await h.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: bearer(h.tokens.oncall),
      payload: { title: '', severity: 'sev9', components: ['API', 3], priority: 'high', reason: ' ' },
    });

    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'invalid request body',
      problems: [
        { in: 'body', field: 'title', message: 'must not be empty' },
        { in: 'body', field: 'components[1]', message: 'expected component name' },
        { in: 'body', field: 'severity', message: 'expected one of sev1, sev2, sev3, sev4' },
        { in: 'body', field: 'reason', message: 'must not be empty' },
        { in: 'body', field: 'priority', message: 'unknown field' },
      ],
    });
  });

  it('names missing fields, and rules between fields, together', async () => {
    const h = await setup();
    const post = (url: string, payload?: object) => h.app.inject({ method: 'POST', url, headers: bearer(h.tokens.admin), ...(payload ? { payload } : {}) });

    const open = await post('/api/v1/incidents');
    const reclassify = await post('/api/v1/incidents/INC-1/actions', { action: 'reclassify', commander: 'bob' });
    const drill = await post('/api/v1/drills', { targets: ['analytics-prod'], due: true });
    const noAnswer = await post('/api/v1/incidents', { title: 'x', answers: { cosmetic: false }, reason: 'r' });

    expect(open.json()).toEqual({
      error: 'invalid request body',
      problems: [
        { in: 'body', field: 'title', message: 'required' },
        { in: 'body', field: 'reason', message: 'required' },
        { in: 'body', field: 'severity', message: "give either a severity or the answers to the seed's questions, not both or neither" },
      ],
    });
    expect(reclassify.json()).toEqual({
      error: 'invalid request body',
      problems: [
        { in: 'body', field: 'reason', message: 'required' },
        { in: 'body', field: 'severity', message: 'required to reclassify' },
        { in: 'body', field: 'commander', message: 'only for action ack' },
      ],
    });
    expect(drill.json()).toEqual({
      error: 'invalid request body',
      problems: [
        { in: 'body', field: 'reason', message: 'required' },
        { in: 'body', field: 'targets', message: 'give either targets or due: true, not both or neither' },
      ],
    });
    expect(noAnswer.json()).toEqual({ error: 'invalid request body', problems: [{ in: 'body', field: 'answers', message: 'answer at least one question yes, or give a severity' }] });
  });

  it('names query and path fields, and refuses unreadable JSON', async () => {
    const h = await setup();

    const query = await h.app.inject({ url: '/api/v1/incidents?severity=sev9&limit=0&open=yes&sort=asc', headers: bearer(h.tokens.auditor) });
    const params = await h.app.inject({ url: '/api/v1/incidents/latest', headers: bearer(h.tokens.auditor) });
    const json = await h.app.inject({ method: 'POST', url: '/api/v1/check-runs', headers: { ...bearer(h.tokens.ops), 'content-type': 'application/json' }, payload: '{"reason": ' });

    expect(query.json()).toEqual({
      error: 'invalid request query',
      problems: [
        { in: 'query', field: 'open', message: 'expected true or false' },
        { in: 'query', field: 'severity', message: 'expected one of sev1, sev2, sev3, sev4' },
        { in: 'query', field: 'limit', message: 'at least 1' },
        { in: 'query', field: 'sort', message: 'unknown field' },
      ],
    });
    expect(params.json()).toEqual({ error: 'invalid request params', problems: [{ in: 'params', field: 'id', message: 'expected an incident id like INC-7' }] });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toMatchObject({ problems: [{ in: 'body', field: '' }] });
    expect(h.requested.checks).toEqual([]);
  });
});

describe('no existence leaks', () => {
  it('refuses a caller the same way whether the resource exists or not, before reading the body', async () => {
    const h = await setup();
    await h.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: bearer(h.tokens.oncall), payload: { title: 'API errors', severity: 'sev2', reason: 'alerts' } });
    const as = (token: string | undefined, method: 'GET' | 'POST', url: string, payload?: object | string) =>
      h.app.inject({ method, url, headers: { ...bearer(token), 'content-type': 'application/json' }, ...(payload ? { payload } : {}) }).then((r) => [r.statusCode, r.json()]);

    const auditorActs = [await as(h.tokens.auditor, 'POST', '/api/v1/incidents/INC-1/actions', { action: 'resolve', reason: 'x' }), await as(h.tokens.auditor, 'POST', '/api/v1/incidents/INC-404/actions', { action: 'resolve', reason: 'x' })];
    const opsReads = [await as(h.tokens.ops, 'GET', '/api/v1/reports/iso27001-2026-10'), await as(h.tokens.ops, 'GET', '/api/v1/reports/nope')];
    const anonymous = [await as(undefined, 'GET', '/api/v1/incidents/INC-1'), await as(undefined, 'GET', '/api/v1/incidents/INC-404'), await as(undefined, 'GET', '/api/v1/nowhere')];
    const forbiddenBadBody = await as(h.tokens.auditor, 'POST', '/api/v1/incidents/INC-1/actions', '{not json');

    expect(auditorActs[0]).toEqual([403, { error: 'the auditor role may not POST /api/v1/incidents/:id/actions' }]);
    expect(auditorActs[1]).toEqual(auditorActs[0]);
    expect(opsReads[0]).toEqual([403, { error: 'the ops role may not GET /api/v1/reports/:id' }]);
    expect(opsReads[1]).toEqual(opsReads[0]);
    expect(anonymous.map((a) => a[0])).toEqual([401, 401, 401]);
    expect(new Set(anonymous.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(forbiddenBadBody).toEqual(auditorActs[0]);
  });

  it('tells a caller who may read a resource that it does not exist', async () => {
    const h = await setup();
    const get = (url: string) => h.app.inject({ url, headers: bearer(h.tokens.auditor) }).then((r) => [r.statusCode, r.json()]);

    expect(await get('/api/v1/incidents/INC-404')).toEqual([404, { error: 'no incident INC-404' }]);
    expect(await get('/api/v1/check-runs/run-404')).toEqual([404, { error: 'no check run run-404' }]);
    expect(await get('/api/v1/drills/drill-404')).toEqual([404, { error: 'no drill drill-404' }]);
    expect(await get('/api/v1/reports/nope')).toEqual([404, { error: 'no report nope' }]);
    expect(await get('/api/v1/nowhere')).toEqual([404, { error: 'no route GET /api/v1/nowhere' }]);
  });
});

describe('incidents through the API', () => {
  it('records api:<token name> and the reason for every change, with clocks and deliveries', async () => {
    const h = await setup();
    const post = (url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: bearer(h.tokens.oncall), payload });

    const open = await post('/api/v1/incidents', { title: 'Course player stalls', components: ['Content Delivery'], answers: { substantiallyDegraded: true }, reason: 'customers report stalls' });
    h.clock.advance(20 * MINUTE_MS);
    const ack = await post('/api/v1/incidents/inc-1/actions', { action: 'ack', commander: 'bob', reason: 'looking at the CDN' });
    h.clock.advance(40 * MINUTE_MS);
    const resolve = await post('/api/v1/incidents/INC-1/actions', { action: 'resolve', reason: 'CDN config rolled back' });
    const again = await post('/api/v1/incidents/INC-1/actions', { action: 'resolve', reason: 'again' });
    const shown = await h.app.inject({ url: '/api/v1/incidents/INC-1', headers: bearer(h.tokens.auditor) });

    expect(open.statusCode).toBe(201);
    expect(open.headers['location']).toBe('/api/v1/incidents/INC-1');
    expect(open.json()).toMatchObject({ incident: { id: 'INC-1', severity: 'sev2', state: 'triage' }, delivery: { failed: [], retrying: [] } });
    expect(ack.json()).toMatchObject({ incident: { state: 'investigating', commander: 'bob' } });
    expect(resolve.json()).toMatchObject({ incident: { state: 'resolved' } });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toEqual({
      error: 'not allowed in the current state',
      problems: [{ in: 'body', field: 'state', message: 'not allowed: cannot resolve incident INC-1: it is resolved, not open (reopen it first)' }],
    });
    const view = shown.json() as { incident: { timeline: Array<{ actor: string; reason: string; change: { kind: string } }> }; clocks: Record<string, { status: string }>; deliveries: Array<{ status: string }> };
    expect(view.incident.timeline.map((e) => [e.change.kind, e.actor, e.reason])).toEqual([
      ['opened', 'api:oncall-bot', 'customers report stalls'],
      ['state', 'api:oncall-bot', 'looking at the CDN'],
      ['commander', 'api:oncall-bot', 'looking at the CDN'],
      ['state', 'api:oncall-bot', 'CDN config rolled back'],
    ]);
    expect(view.clocks['workBegins']?.status).toBe('met');
    expect(view.clocks['final']?.status).toBe('met');
    expect(view.deliveries.length).toBeGreaterThan(0);
    expect(view.deliveries.every((d) => d.status === 'delivered')).toBe(true);
    expect(h.channels.pagerduty.calls.map((n) => n.subject === 'incident' && [n.event, n.actor])).toEqual([
      ['opened', 'api:oncall-bot'],
      ['acknowledged', 'api:oncall-bot'],
      ['resolved', 'api:oncall-bot'],
    ]);
  });

  it('approves held status-page posts, recording who approved them and why', async () => {
    const h = await setup({ statuspageApproval: true });
    const post = (url: string, payload: object) => h.app.inject({ method: 'POST', url, headers: bearer(h.tokens.oncall), payload });
    await post('/api/v1/incidents', { title: 'Site down', severity: 'sev1', reason: 'probe failing' });
    const heldBefore = (await h.store.incidents.listOutbox({ status: 'held' })).map((o) => o.channel);

    const approved = await post('/api/v1/incidents/INC-1/actions', { action: 'approve', reason: 'wording checked with support' });
    const nothingLeft = await post('/api/v1/incidents/INC-1/actions', { action: 'approve', reason: 'again' });

    expect(heldBefore).toEqual(['statuspage']);
    expect(approved.json()).toMatchObject({ released: 1, delivery: { delivered: [{ channel: 'statuspage' }] } });
    expect((approved.json() as { incident: { timeline: Array<{ actor: string; reason: string; change: { kind: string } }> } }).incident.timeline.at(-1)).toMatchObject({
      actor: 'api:oncall-bot',
      reason: 'wording checked with support',
      change: { kind: 'approval' },
    });
    expect(h.channels.statuspage.calls.length).toBe(1);
    expect(nothingLeft.statusCode).toBe(409);
  });

  it('lists incidents by ?open and ?severity, with their clocks', async () => {
    const h = await setup();
    const post = (payload: object) => h.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: bearer(h.tokens.oncall), payload });
    await post({ title: 'Site down', severity: 'sev1', reason: 'probe' });
    await post({ title: 'Typo', severity: 'sev4', reason: 'customer' });
    await h.app.inject({ method: 'POST', url: '/api/v1/incidents/INC-2/actions', headers: bearer(h.tokens.oncall), payload: { action: 'resolve', reason: 'fixed' } });

    const list = async (query: string) => ((await h.app.inject({ url: `/api/v1/incidents${query}`, headers: bearer(h.tokens.ops) })).json() as { incidents: Array<{ id: string; clocks: object; timeline?: unknown }> }).incidents;

    expect((await list('')).map((i) => i.id)).toEqual(['INC-2', 'INC-1']);
    expect((await list('?open=true')).map((i) => i.id)).toEqual(['INC-1']);
    expect((await list('?severity=sev4&open=false')).map((i) => i.id)).toEqual(['INC-2']);
    expect((await list('?open=true'))[0]).toMatchObject({ clocks: { workBegins: { status: 'running', dueAt: '2026-11-24T10:00:00.000Z' } } });
    expect((await list(''))[0]?.timeline).toBeUndefined();
  });
});

describe('runs, drills, schedules and reports', () => {
  it('reads check runs with their results, and hands new work to the queue with the actor and reason', async () => {
    const h = await setup();
    await h.store.startRun({ id: 'run-1', kind: 'check', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule' });
    await h.store.startRun({ id: 'job-1', kind: 'job', startedAt: '2026-11-24T03:00:00.000Z', trigger: 'schedule' });
    await h.store.appendCheckResults([
      { runId: 'run-1', checkId: 'rds-backup-retention', accountId: '222222222222', region: 'us-east-1', resource: 'arn:db-1', name: 'db-1', severity: 'high', remediation: 'runbooks/x.md', status: 'pass', message: 'db-1 keeps backups for 30 days.', facts: {}, params: {}, evaluatedAt: '2026-11-24T03:00:01.000Z' },
      { runId: 'run-1', checkId: 'rds-backup-retention', accountId: '222222222222', region: 'us-east-1', resource: 'arn:db-2', name: 'db-2', severity: 'high', remediation: 'runbooks/x.md', status: 'fail', message: 'db-2 keeps backups for 1 day.', facts: {}, params: {}, evaluatedAt: '2026-11-24T03:00:01.000Z' },
    ]);
    const get = (url: string) => h.app.inject({ url, headers: bearer(h.tokens.ops) });

    const runs = await get('/api/v1/check-runs');
    const failed = await get('/api/v1/check-runs/run-1?status=fail');
    const notACheckRun = await get('/api/v1/check-runs/job-1');
    const queued = await h.app.inject({ method: 'POST', url: '/api/v1/check-runs', headers: bearer(h.tokens.ops), payload: { checkIds: ['rds-backup-retention'], regions: ['us-east-1'], reason: 'after the fix' } });
    const drills = await h.app.inject({ method: 'POST', url: '/api/v1/drills', headers: bearer(h.tokens.ops), payload: { targets: ['analytics-prod'], reason: 'verify restore' } });

    expect((runs.json() as { runs: Array<{ id: string }> }).runs.map((r) => r.id)).toEqual(['run-1']);
    expect((failed.json() as { results: Array<{ name: string }> }).results.map((r) => r.name)).toEqual(['db-2']);
    expect(notACheckRun.statusCode).toBe(404);
    expect([queued.statusCode, queued.json()]).toEqual([202, { accepted: { ref: 'job-checks-1' } }]);
    expect([drills.statusCode, drills.json()]).toEqual([202, { accepted: { ref: 'job-drills-1' } }]);
    expect(h.requested.checks).toEqual([[{ checkIds: ['rds-backup-retention'], regions: ['us-east-1'] }, { actor: 'api:ops-bot', reason: 'after the fix' }]]);
    expect(h.requested.drills).toEqual([[{ targets: ['analytics-prod'] }, { actor: 'api:ops-bot', reason: 'verify restore' }]]);
  });

  it('passes schedules and reports through from the service', async () => {
    const h = await setup();
    const get = (url: string) => h.app.inject({ url, headers: bearer(h.tokens.auditor) }).then((r) => r.json());

    expect(await get('/api/v1/schedules')).toEqual({ schedules: [{ name: 'retention-daily', jobKind: 'checks', cron: '30 3 * * *', timeZone: 'UTC', nextRun: '2026-11-25T03:30:00.000Z' }] });
    expect(await get('/api/v1/reports')).toEqual({ reports: [{ id: 'iso27001-2026-10', title: 'ISO 27001 evidence, October 2026' }] });
    expect(await get('/api/v1/reports/iso27001-2026-10')).toEqual({ report: { id: 'iso27001-2026-10', title: 'ISO 27001 evidence, October 2026' } });
  });
});

describe('health', () => {
  it('answers /healthz and /readyz without a token, and /readyz 503 while the service is not ready', async () => {
    const h = await setup();

    const health = await h.app.inject({ url: '/healthz' });
    const ready = await h.app.inject({ url: '/readyz' });
    h.state.ready = false;
    const starting = await h.app.inject({ url: '/readyz' });

    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok' }]);
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
    expect([starting.statusCode, starting.json()]).toEqual([503, { status: 'not ready', reasons: ['the service is starting or stopping'] }]);
  });

  it('refuses to register a route that does not say who may call it', async () => {
    const h = await setup();
    const { buildServer } = await import('../../src/service/http/server.js');
    const app = buildServer(h.deps);

    expect(() => app.get('/overview', async () => 'staff only')).toThrow('GET /overview declares neither config.public nor config.roles');
    await app.close();
  });
});

describe('logs', () => {
  it('never carry a token, whatever the request did', async () => {
    const h = await setup();
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/tokens', headers: bearer(h.tokens.admin), payload: { name: 'ci', role: 'ops', reason: 'pipeline' } });
    const ciToken = (created.json() as { token: string }).token;
    h.state.failSchedules = true;

    const failed = await h.app.inject({ url: '/api/v1/schedules', headers: bearer(ciToken) });
    await h.app.inject({ url: `/api/v1/nowhere?token=${h.tokens.oncall}`, headers: bearer(h.tokens.oncall) });
    await h.app.inject({ url: '/api/v1/tokens', headers: { ...bearer(h.tokens.auditor), cookie: `token=${h.tokens.auditor}` } });
    await h.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: bearer(h.tokens.oncall), payload: { title: 'x', severity: 'sev3', reason: `pasted ${h.tokens.ops} by mistake` } });

    const log = h.logs.join('');
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({ error: 'internal error; the service log has the details', requestId: expect.any(String) });
    expect(log).toContain('the scheduler is gone');
    expect(log).toContain('"url":"/api/v1/nowhere?token=vgl_****"');
    for (const token of [...Object.values(h.tokens), ciToken]) expect(log).not.toContain(token.slice(4));
    expect(log.toLowerCase()).not.toContain('authorization');
    expect(log.toLowerCase()).not.toContain('bearer');
  });
});
