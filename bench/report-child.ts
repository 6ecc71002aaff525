/**
 * The report side of bench/report.bench.ts, in its own process so its peak RSS is the report's alone:
 * what `vigil report iso27001 --from FROM --to TO --out DIR` does, step by step, timed. Prints one JSON
 * line of figures. Usage: node --import tsx bench/report-child.ts DATA_DIR FROM TO
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadCheckDefinitions } from '../src/checks/definitions.js';
import { EVALUATORS } from '../src/checks/registry.js';
import { ManualClock } from '../src/core/clock.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { loadDrillDefinitions } from '../src/drills/definitions.js';
import { writeBundle } from '../src/evidence/bundle.js';
import { parsePeriod } from '../src/evidence/dates.js';
import { loadFramework } from '../src/evidence/framework.js';
import { renderReport, verifyLedgerForPeriod } from '../src/evidence/produce.js';
import { buildReport } from '../src/evidence/report.js';
import { DEFAULT_SLA_POLICY } from '../src/incidents/sla.js';
import { SqliteStore } from '../src/store/sqlite.js';

const [dir, from, to] = process.argv.slice(2);
if (!dir || !from || !to) throw new Error('usage: report-child.ts DATA_DIR FROM TO');

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const peakRssMB = () => Math.round(process.resourceUsage().maxRSS / 1024);
const seconds = (since: number) => (performance.now() - since) / 1000;

const clock = new ManualClock(new Date(Date.parse(`${to}T00:00:00Z`) + 15 * 86_400_000));
const { period, problems } = parsePeriod(from, to, clock.now());
if (!period) throw new Error(JSON.stringify(problems));
const framework = loadFramework(PROJECT_ROOT);
const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS, knownControls: new Set(framework.controls.map((c) => c.id)) });
const drills = loadDrillDefinitions(PROJECT_ROOT);
const store = SqliteStore.open(dir);

let started = performance.now();
const ledger = await verifyLedgerForPeriod(store, period);
const verifySeconds = seconds(started);
if (!ledger.ok) throw new Error(`the seeded ledger does not verify: ${JSON.stringify(ledger.break)}`);

started = performance.now();
const report = await buildReport(store, { framework, checks, drills, period, applicability: [], policy: DEFAULT_SLA_POLICY, clock, generatedBy: 'vigil bench', ledger });
const buildSeconds = seconds(started);
const heapAfterBuildMB = mb(process.memoryUsage().heapUsed);

started = performance.now();
await renderReport(report, 'md');
const json = await renderReport(report, 'json');
const renderSeconds = seconds(started);
const reportPeakRssMB = peakRssMB();

const out = mkdtempSync(join(tmpdir(), 'vigil-bench-bundle-'));
started = performance.now();
await writeBundle(store, join(out, 'bundle'), { report, rendered: { 'report.json': json }, version: 'bench' });
const bundleSeconds = seconds(started);
rmSync(out, { recursive: true, force: true });
await store.close();

console.log(
  JSON.stringify({
    verifySeconds,
    buildSeconds,
    renderSeconds,
    bundleSeconds,
    ledgerEntries: ledger.entries,
    evaluations: report.summary.checkEvaluations,
    heapAfterBuildMB,
    peakRssMB: reportPeakRssMB,
    bundlePeakRssMB: peakRssMB(),
  }),
);
