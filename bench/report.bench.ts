/**
 * The report's benchmark (issue #8): a year of hourly check runs over an estate the size of the demo
 * scenario (every check, two resources each across accounts and regions: 112 results an hour, about a
 * million a year, each with its ledger entry), weekly drills of four targets, forty incidents, then the
 * report over that year. Targets: buildReport under 30 s and the report process under 512 MB.
 *
 * The store is seeded here through one connection with large transactions (a year one run at a time
 * would take an fsync per run); the report runs in a child process (bench/report-child.ts) exactly as
 * `vigil report` would, so its peak RSS is the report's own and not the seeding's.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { loadCheckDefinitions } from '../src/checks/definitions.js';
import { EVALUATORS } from '../src/checks/registry.js';
import { HOUR_MS, ManualClock } from '../src/core/clock.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import type { Status } from '../src/core/results.js';
import { loadFramework } from '../src/evidence/framework.js';
import { DEFAULT_SLA_POLICY } from '../src/incidents/sla.js';
import { applyAction, openIncident, type ActionRequest } from '../src/incidents/transitions.js';
import { INCIDENT_SEVERITIES } from '../src/incidents/types.js';
import { checkResultEntry, runEntry } from '../src/store/ledger-entries.js';
import type { NewLedgerEntry } from '../src/store/ledger-types.js';
import { DB_FILE, SqliteStore } from '../src/store/sqlite.js';
import { appendInTransaction } from '../src/store/sqlite-ledger.js';
import type { CheckResultRecord, RunRecord } from '../src/store/types.js';
import type { BenchResult } from './index.js';

export const YEAR = { from: '2025-01-01', to: '2025-12-31' };
/**
 * Two resources per check: 112 results an hour, the "about a million" a year. The demo estate's
 * full check run is 263 results; VIGIL_BENCH_RESOURCES_PER_CHECK=5 (280 an hour, 2.45 million a year)
 * runs every check hourly at that size.
 */
const RESOURCES_PER_CHECK = Number(process.env['VIGIL_BENCH_RESOURCES_PER_CHECK'] ?? 2);
const BUILD_TARGET_SECONDS = 30;
const MEMORY_TARGET_MB = 512;
const SCOPES = [
  { accountId: '222222222222', region: 'us-east-1' },
  { accountId: '333333333333', region: 'us-west-2' },
];
const DRILL_TARGETS = ['lms-prod', 'reporting-prod', 'analytics-prod', 'course-content'];

/** A deterministic spread of outcomes: mostly passing, a few failures, errors and not-applicable. */
function statusOf(run: number, slot: number): Status {
  const x = (run * 7919 + slot * 104_729) % 1000;
  if (x < 30) return 'fail';
  if (x < 40) return 'error';
  if (x < 60) return 'not_applicable';
  return 'pass';
}

function seedChecks(dir: string): number {
  const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: new Set(loadFramework(PROJECT_ROOT).controls.map((c) => c.id)) });
  const db = new Database(join(dir, DB_FILE));
  // Seeding only: a crash here loses nothing anyone needs.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insertRun = db.prepare('INSERT INTO runs (id, kind, started_at, finished_at, status, trigger, actor, reason, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertResult = db.prepare(
    'INSERT INTO check_results (run_id, seq, check_id, account_id, region, resource, resource_name, severity, status, message, facts, params, remediation, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const start = Date.parse(`${YEAR.from}T00:05:00Z`);
  const hours = (Date.parse(`${YEAR.to}T00:00:00Z`) + 24 * HOUR_MS - start) / HOUR_MS;
  let total = 0;
  const seedDay = db.transaction((firstHour: number) => {
    const entries: NewLedgerEntry[] = [];
    for (let h = firstHour; h < Math.min(firstHour + 24, hours); h++) {
      const startedAt = new Date(start + h * HOUR_MS);
      const runId = `run-${h}`;
      const perRun = checks.length * RESOURCES_PER_CHECK;
      const run: RunRecord = { id: runId, kind: 'check', startedAt: startedAt.toISOString(), finishedAt: new Date(startedAt.getTime() + (perRun + 1) * 50).toISOString(), status: 'succeeded', trigger: 'schedule', summary: { results: perRun } };
      insertRun.run(run.id, run.kind, run.startedAt, run.finishedAt, run.status, run.trigger, null, null, JSON.stringify(run.summary));
      let seq = 0;
      for (const check of checks) {
        for (let r = 0; r < RESOURCES_PER_CHECK; r++) {
          seq += 1;
          const scope = SCOPES[r % SCOPES.length] as (typeof SCOPES)[number];
          const name = `${check.resource}-${r + 1}`;
          const status = statusOf(h, seq);
          const result: CheckResultRecord = {
            runId,
            checkId: check.id,
            ...scope,
            resource: `arn:aws:${check.resource}:${scope.region}:${scope.accountId}:${name}`,
            name,
            severity: check.severity,
            status,
            message: `${name} ${status === 'pass' ? 'meets' : 'does not meet'} "${check.title}".`,
            facts: { observedAt: startedAt.toISOString(), value: status === 'pass' ? 30 : 7, expected: 30, tags: { env: 'production', team: 'platform' } },
            params: check.params,
            remediation: check.remediation,
            evaluatedAt: new Date(startedAt.getTime() + seq * 50).toISOString(),
          };
          insertResult.run(runId, seq, result.checkId, result.accountId, result.region, result.resource, result.name, result.severity, result.status, result.message, JSON.stringify(result.facts), JSON.stringify(result.params), result.remediation, result.evaluatedAt);
          entries.push(checkResultEntry(result, seq, 'scheduler'));
        }
      }
      entries.push(runEntry(run));
      total += seq;
    }
    appendInTransaction(db, entries);
  });
  for (let h = 0; h < hours; h += 24) seedDay(h);
  db.close();
  return total;
}

async function seedOthers(store: SqliteStore): Promise<void> {
  const start = Date.parse(`${YEAR.from}T05:00:00Z`);
  for (let week = 0; week < 52; week++) {
    for (const [i, target] of DRILL_TARGETS.entries()) {
      const at = new Date(start + (week * 7 * 24 + i) * HOUR_MS).toISOString();
      const failed = (week + i) % 17 === 0;
      await store.createDrill({
        id: `drill-${week}-${target}`,
        target,
        accountId: '222222222222',
        region: 'us-west-2',
        status: failed ? 'failed' : 'succeeded',
        trigger: 'schedule',
        owner: 'bench@local',
        startedAt: at,
        heartbeatAt: at,
        finishedAt: at,
        phases: [],
        verification: [{ name: 'rows', passed: !failed }],
        measures: { rtoSeconds: 900 + ((week * 37 + i * 11) % 1800), rpoSeconds: 3600 + ((week * 53) % 40_000), rtoTargetSeconds: 7200, rpoTargetSeconds: 86_400 },
        ...(failed ? { failure: 'verification step "rows" returned 0 rows' } : {}),
      });
    }
  }
  const steps: Array<Array<[number, ActionRequest['action']]>> = [
    [[0.5, 'ack'], [3, 'mitigate'], [6, 'resolve']],
    [[2, 'ack'], [30, 'mitigate'], [200, 'resolve']],
    [[1, 'ack'], [100, 'resolve']],
  ];
  for (let n = 0; n < 40; n++) {
    const reportedAt = new Date(start + n * 9 * 24 * HOUR_MS).toISOString();
    const severity = INCIDENT_SEVERITIES[n % 4] as (typeof INCIDENT_SEVERITIES)[number];
    await store.incidents.createIncident((id) => {
      const clock = new ManualClock(reportedAt);
      let incident = openIncident({ id, severity, title: `Incident ${n}`, components: ['web'], classification: { explanation: 'bench' } }, { actor: 'bench', reason: 'bench', clock }, DEFAULT_SLA_POLICY);
      for (const [hoursAfter, action] of steps[n % steps.length] ?? []) {
        clock.set(Date.parse(reportedAt) + hoursAfter * HOUR_MS);
        incident = applyAction(incident, { action } as ActionRequest, { actor: 'bench', reason: action, clock }, DEFAULT_SLA_POLICY);
      }
      return { incident, notifications: [] };
    });
  }
  await store.evidence.createAttestation({ control: 'A.5.1', owner: 'CISO', reason: 'Policy set approved.', at: `${YEAR.from}T00:00:00.000Z`, actor: 'bench' });
  await store.evidence.createWaiver({ checkId: 'rds-multi-az', resource: '*', reason: 'replica being rebuilt', until: '2026-01-01T00:00:00.000Z', at: `${YEAR.from}T00:00:00.000Z`, actor: 'bench' });
}

interface ChildFigures {
  verifySeconds: number;
  buildSeconds: number;
  renderSeconds: number;
  bundleSeconds: number;
  ledgerEntries: number;
  evaluations: number;
  heapAfterBuildMB: number;
  peakRssMB: number;
  bundlePeakRssMB: number;
}

/** Seeds a fresh store in `dir` with the year; returns how many check results it wrote. */
export async function seedYear(dir: string): Promise<number> {
  await SqliteStore.open(dir).close();
  const results = seedChecks(dir);
  const store = SqliteStore.open(dir);
  await seedOthers(store);
  await store.close();
  return results;
}

export async function run(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-report-'));
  try {
    const seedStarted = performance.now();
    const results = await seedYear(dir);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const child = join(import.meta.dirname, 'report-child.ts');
    const output = execFileSync(process.execPath, ['--import', 'tsx', child, dir, YEAR.from, YEAR.to], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const figures = JSON.parse(output.trim().split('\n').pop() as string) as ChildFigures;
    if (figures.evaluations !== results) throw new Error(`the report counted ${figures.evaluations} evaluations, the bench wrote ${results}`);

    return {
      name: `report (a year of hourly checks: ${results.toLocaleString('en')} results, ${figures.ledgerEntries.toLocaleString('en')} ledger entries)`,
      figures: [
        { label: 'seed', value: seedSeconds, unit: 's' },
        { label: 'buildReport', value: figures.buildSeconds, unit: 's', target: `< ${BUILD_TARGET_SECONDS} s`, met: figures.buildSeconds < BUILD_TARGET_SECONDS },
        { label: 'verify the ledger over the year', value: figures.verifySeconds, unit: 's' },
        { label: 'render md and json', value: figures.renderSeconds, unit: 's' },
        {
          label: 'vigil report (verify, build, render)',
          value: figures.verifySeconds + figures.buildSeconds + figures.renderSeconds,
          unit: 's',
          target: `< ${BUILD_TARGET_SECONDS} s`,
          met: figures.verifySeconds + figures.buildSeconds + figures.renderSeconds < BUILD_TARGET_SECONDS,
        },
        { label: 'heap after buildReport', value: figures.heapAfterBuildMB, unit: 'MB' },
        { label: 'peak RSS of the report process', value: figures.peakRssMB, unit: 'MB', target: `< ${MEMORY_TARGET_MB} MB`, met: figures.peakRssMB < MEMORY_TARGET_MB },
        { label: 'bundle (--out: raw evidence streamed to CSV and JSON)', value: figures.bundleSeconds, unit: 's' },
        { label: 'peak RSS with the bundle', value: figures.bundlePeakRssMB, unit: 'MB', target: `< ${MEMORY_TARGET_MB} MB`, met: figures.bundlePeakRssMB < MEMORY_TARGET_MB },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
