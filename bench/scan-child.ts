/**
 * The Vigil side of bench/scan.bench.ts, in its own process so its peak RSS is Vigil's alone: the
 * standard scan (every enabled check; accounts discovered through AWS Organizations; the CloudTrail
 * window one day, as on a first run) against a benchmark estate, through exactly the code `vigil
 * check run` uses. Vigil is pointed at the sandbox by configuration only (bench/scan-config.ts).
 *
 * Usage: node --import tsx bench/scan-child.ts '<json ScanChildInput>'. Prints one JSON line (ScanChildOutput).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { AwsAccountDirectory } from '../src/adapters/aws/accounts.js';
import { AwsClients } from '../src/adapters/aws/clients.js';
import { createAwsInventory } from '../src/adapters/aws/inventory-all.js';
import { createVaultClient } from '../src/adapters/vault.js';
import { loadCheckDefinitions } from '../src/checks/definitions.js';
import { EVALUATORS } from '../src/checks/registry.js';
import { runChecks } from '../src/checks/run.js';
import { systemClock } from '../src/core/clock.js';
import { applyHeapPolicy } from '../src/core/heap.js';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { benchConfig, useEstateEndpoint, type ScanChildInput } from './scan-config.js';

export type { ScanChildInput };

export interface ScanChildOutput {
  seconds: number;
  accounts: number;
  results: number;
  counts: Record<string, number>;
  /** Results in error, and those whose reason is throttling (retries exhausted). */
  errors: number;
  throttledErrors: number;
  /** Up to five error messages, to say what went wrong. */
  errorSamples: string[];
  /** Vigil's own view: throttled answers its pacer saw, per scope, where any. */
  pacerThrottled: Record<string, number>;
  peakRssMB: number;
  /** CPU time the scan took in this process (user and system), in seconds. */
  cpuSeconds: number;
  /**
   * The most heap in use right after a full collection: what the scan holds, without the garbage not
   * yet collected (the heap in use at the end when no full collection happened).
   */
  liveHeapMB: number;
}

// As the `vigil` command does at its start (src/cli/main.ts); flags given to this child (the capped runs) win.
applyHeapPolicy();
const input = JSON.parse(process.argv[2] ?? '{}') as ScanChildInput;
if (!input.endpoint) throw new Error("usage: scan-child.ts '<json ScanChildInput>'");

useEstateEndpoint(input);
const config = benchConfig(input);

const checks = loadCheckDefinitions({ root: PROJECT_ROOT, evaluators: EVALUATORS });
const clients = new AwsClients(config.aws);
const vault = createVaultClient({ address: input.endpoint, token: input.vaultToken });
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-scan-'));
const store = SqliteStore.open(dir);

const started = performance.now();
const cpuAtStart = process.cpuUsage();
const trace = process.env['VIGIL_BENCH_TRACE'] === '1';
// Peak RSS counts garbage V8 has not collected yet (it collects lazily when memory is plentiful);
// the heap in use after each full collection is what the scan actually holds.
let liveHeap = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if ((entry as { detail?: { kind?: number } }).detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const live = process.memoryUsage().heapUsed;
    liveHeap = Math.max(liveHeap, live);
    if (trace) console.error(`${((performance.now() - started) / 1000).toFixed(1)}s full collection: ${Math.round(live / 1024 / 1024)} MB live`);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

let units = 0;
// VIGIL_BENCH_TRACE=1: memory once a second on stderr, to see what the peak is made of.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
if (trace) loopDelay.enable();
const memoryTrace = trace
  ? setInterval(() => {
      const m = process.memoryUsage();
      const mb = (n: number) => Math.round(n / 1024 / 1024);
      console.error(`${((performance.now() - started) / 1000).toFixed(1)}s rss ${mb(m.rss)} heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} external ${mb(m.external)} buffers ${mb(m.arrayBuffers)} units ${units} in flight ${clients.pacer.callsInFlight} loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(0)} max ${(loopDelay.max / 1e6).toFixed(0)} ms`);
      loopDelay.reset();
    }, 1000)
  : undefined;
const outcome = await runChecks(
  { trigger: 'cli', reason: 'benchmark scan' },
  { config, checks, evaluators: EVALUATORS, inventory: createAwsInventory(clients, vault), store, clock: systemClock, accounts: new AwsAccountDirectory(clients, config) },
  (unit) => {
    units += 1;
    if (trace && (units === 1 || units % 200 === 0)) console.error(`${((performance.now() - started) / 1000).toFixed(2)}s unit ${units} ${unit.checkId} ${unit.accountId}/${unit.region}`);
  },
  // The results stream into the store; holding them for the outcome would be the bench's memory, not the scan's.
  { results: false },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(memoryTrace);
// Taken before the errors are read back below, which is the bench's work and not the scan's.
const peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
const cpu = process.cpuUsage(cpuAtStart);
const heapAtEnd = process.memoryUsage().heapUsed;
gcObserver.disconnect();

const errors = outcome.counts.error > 0 ? (await store.checkResults(outcome.run.id)).filter((r) => r.status === 'error') : [];
const pacerThrottled: Record<string, number> = {};
for (const scope of clients.pacer.scopes()) {
  const throttled = clients.pacer.stats(scope)?.throttled ?? 0;
  if (throttled > 0) pacerThrottled[scope] = throttled;
}
const output: ScanChildOutput = {
  seconds,
  accounts: (outcome.run.summary['accounts'] as string[]).length,
  results: Number(outcome.run.summary['results'] ?? 0),
  counts: outcome.counts,
  errors: outcome.counts.error,
  throttledErrors: errors.filter((r) => /throttl/i.test(r.message)).length,
  errorSamples: [...new Set(errors.map((r) => r.message))].slice(0, 5),
  pacerThrottled,
  peakRssMB,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  // A scan too short for any full collection held at most what is in use at its end.
  liveHeapMB: Math.round((liveHeap || heapAtEnd) / 1024 / 1024),
};
clients.destroy();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(output));
