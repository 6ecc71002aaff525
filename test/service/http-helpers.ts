/** A server over a temp store, a manual clock, recording channels and fake job-queue callbacks, for inject tests. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { IncidentRuntime } from '../../src/incidents/runtime.js';
import type { CheckRunSelection, DrillRunSelection, Requester, ScheduleView, ServerDeps } from '../../src/service/http/deps.js';
import { createServiceMetrics } from '../../src/service/http/metrics.js';
import { buildServer } from '../../src/service/http/server.js';
import { ROLES, type Role } from '../../src/service/roles.js';
import { createToken } from '../../src/service/tokens.js';
import { pipeline } from '../incidents/pipeline-helpers.js';

export const SCHEDULES: ScheduleView[] = [
  { name: 'retention-daily', jobKind: 'checks', cron: '30 3 * * *', timeZone: 'UTC', nextRun: '2026-11-25T03:30:00.000Z' },
];
export const REPORT = { id: 'iso27001-2026-10', title: 'ISO 27001 evidence, October 2026' };

export type Harness = Awaited<ReturnType<typeof harness>>;

/**
 * Everything a test needs. The logger is plain pino at trace level with no redaction hook, so a token that
 * reached a log line would show up in `logs` as is.
 */
export async function harness(options: Parameters<typeof pipeline>[0] = {}) {
  const p = pipeline(options);
  const logs: string[] = [];
  const logger = pino({ level: 'trace', base: undefined }, new Writable({ write: (chunk: Buffer, _enc, done) => (logs.push(chunk.toString()), done()) }));
  const requested: { checks: Array<[CheckRunSelection, Requester]>; drills: Array<[DrillRunSelection, Requester]> } = { checks: [], drills: [] };
  const state = { ready: true, failSchedules: false };
  const incidents: IncidentRuntime = {
    ...p.deps,
    dispatch: { initialBackoffMs: 1000, maxBackoffMs: 60_000 },
    probes: [],
    probeStore: p.store.probes,
    prober: { probe: async () => Promise.reject(new Error('no probes in these tests')) },
  };
  const metrics = createServiceMetrics({ store: p.store });
  const deps: ServerDeps = {
    store: p.store,
    clock: p.clock,
    logger,
    incidents,
    metrics,
    schedules: async () => {
      if (state.failSchedules) throw new Error('the scheduler is gone');
      return SCHEDULES;
    },
    requestCheckRun: async (selection, who) => (requested.checks.push([selection, who]), { ref: `job-checks-${requested.checks.length}` }),
    requestDrillRun: async (selection, who) => (requested.drills.push([selection, who]), { ref: `job-drills-${requested.drills.length}` }),
    reports: async () => [REPORT],
    report: async (id) => (id === REPORT.id ? REPORT : undefined),
    ready: () => state.ready,
  };
  const app = buildServer(deps);
  await app.ready();
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    tokens[role] = (await createToken(p.store.tokens, { name: `${role}-bot`, role }, { actor: 'setup', reason: 'test fixture', clock: p.clock })).token;
  }
  return { ...p, app, deps, logs, requested, state, tokens, metrics };
}

export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
