/**
 * The scan benchmark (issue #9): the standard scan (every check; accounts discovered through AWS
 * Organizations; the CloudTrail window one day) of the sandbox's benchmark estates at time compression
 * k = 10, against the lower bound T_LB the sandbox computes for each estate.
 *
 *  - S and M: the median of three runs (each from full buckets and zero counts), with T, T_LB and its
 *    binding scope, T / T_LB, AWS calls made against the minimum, throttled calls on the binding scope,
 *    checks in error (and from throttling), Vigil's peak RSS and the heap it actually held. Vigil runs
 *    as the `vigil` command does: compiled (bench/compiled.ts), with its heap policy (src/core/heap.ts).
 *  - L once as Vigil runs by default: it must complete within the same peak RSS.
 *  - M three times more and L once with Node's heap capped at HEAP_CAP_MB by the operator, as the README
 *    suggests for a 512 MB container (shown, not judged: the targets are for Vigil as it ships).
 *  - M once at k = 3, with Vigil's CPU time: at k = 10 the scan's CPU is about T_LB, so the gap there is
 *    Vigil's one busy core, which k = 3 takes away.
 *  - The naive sequential baseline (bench/naive-scan.ts) on S, and its ratio to Vigil's T; on M too with
 *    VIGIL_BENCH_NAIVE_M=1 (it takes several minutes there).
 *
 * Targets (profile M): T <= 1.25 x T_LB, calls <= 1.02 x the minimum, <= 5 % throttled on the binding
 * scope, no check in error from throttling, peak RSS <= 512 MB; L completes within 512 MB, with no
 * check in error from throttling. Everything is also written to bench/results/scan.json. The machine's
 * load is printed: the sandbox and Vigil share its cores with whatever else runs, and at k = 10 their
 * CPU is part of the wall time.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startEstateSandbox, type EstateProfile } from '../src/sandbox/estates/index.js';
import type { BenchResult } from './index.js';
import { naiveScan, scanEstate, type NaiveFigures, type ScanFigures } from './scan-run.js';

export const TIME_COMPRESSION = 10;
/** A second, gentler compression for M, to show the gap at k = 10 is Vigil's CPU, not its pacing. */
const SLOWER_COMPRESSION = 3;
const RUNS = 3;
const MEMORY_TARGET_MB = 512;
/** The operator's old-space cap of the capped runs (README, "The service"): a 512 MB container. */
export const HEAP_CAP_MB = 384;
const TARGETS = { ratio: 1.25, calls: 1.02, throttledPercent: 5 } as const;
export const RESULTS_FILE = join(import.meta.dirname, 'results', 'scan.json');

interface ProfileResult {
  runs: ScanFigures[];
  /** The run with the median wall time. */
  median: ScanFigures;
}

function median(runs: ScanFigures[]): ScanFigures {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)] as ScanFigures;
}

function log(message: string): void {
  console.error(`[scan bench] ${message}`);
}

function summary(f: ScanFigures): string {
  return `T ${f.seconds.toFixed(1)} s (T_LB ${f.lowerBound.seconds.toFixed(1)} s, x${f.ratio.toFixed(2)}), ${f.calls} calls (min ${f.minimumCalls}), ${f.throttledCalls} throttled, ${f.errors} errors, RSS ${f.peakRssMB} MB`;
}

async function profile(name: EstateProfile, runs: number, nodeArgs: string[] = [], timeCompression = TIME_COMPRESSION): Promise<{ result: ProfileResult; naive?: NaiveFigures }> {
  const estate = await startEstateSandbox({ profile: name, timeCompression });
  try {
    const out: ScanFigures[] = [];
    for (let i = 0; i < runs; i++) {
      const f = await scanEstate(estate, { nodeArgs, compiled: true });
      log(`${name}${nodeArgs.length ? ` (${nodeArgs.join(' ')})` : ''}${timeCompression !== TIME_COMPRESSION ? ` (k = ${timeCompression})` : ''} run ${i + 1}/${runs}: ${summary(f)}`);
      out.push(f);
    }
    const wantsNaive = nodeArgs.length === 0 && timeCompression === TIME_COMPRESSION && (name === 'S' || (name === 'M' && process.env['VIGIL_BENCH_NAIVE_M'] === '1'));
    const naive = wantsNaive ? await naiveScan(estate) : undefined;
    if (naive) log(`${name} naive baseline: T ${naive.seconds.toFixed(1)} s, ${naive.calls} calls, ${naive.failed} failed after retries`);
    return { result: { runs: out, median: median(out) }, naive };
  } finally {
    await estate.stop();
  }
}

/** The figures `npm run bench` prints for one scan; with `targets`, each judged against the issue's targets. */
export function scanFigures(label: string, f: ScanFigures, targets: boolean): BenchResult['figures'] {
  const callRatio = f.calls / f.minimumCalls;
  return [
    { label: `${label} T`, value: f.seconds, unit: 's' },
    { label: `${label} T_LB (binding: ${f.lowerBound.binding.term} ${f.lowerBound.binding.name})`, value: f.lowerBound.seconds, unit: 's' },
    { label: `${label} T / T_LB`, value: f.ratio, unit: 'x', ...(targets ? { target: `<= ${TARGETS.ratio}`, met: f.ratio <= TARGETS.ratio } : {}) },
    { label: `${label} AWS calls (minimum ${f.minimumCalls})`, value: f.calls, unit: 'calls' },
    { label: `${label} calls / minimum`, value: callRatio, unit: 'x', ...(targets ? { target: `<= ${TARGETS.calls}`, met: callRatio <= TARGETS.calls } : {}) },
    { label: `${label} throttled on the binding scope (${f.binding.throttled} of ${f.binding.served + f.binding.throttled})`, value: f.binding.throttledPercent, unit: '%', ...(targets ? { target: `<= ${TARGETS.throttledPercent}`, met: f.binding.throttledPercent <= TARGETS.throttledPercent } : {}) },
    { label: `${label} throttled calls, every scope`, value: f.throttledCalls, unit: 'calls' },
    { label: `${label} checks in error (${f.results} results)`, value: f.errors, unit: 'results' },
    { label: `${label} checks in error from throttling`, value: f.throttledErrors, unit: 'results', ...(targets ? { target: '0', met: f.throttledErrors === 0 } : {}) },
    { label: `${label} peak RSS of Vigil`, value: f.peakRssMB, unit: 'MB', ...(targets ? { target: `<= ${MEMORY_TARGET_MB}`, met: f.peakRssMB <= MEMORY_TARGET_MB } : {}) },
    { label: `${label} heap Vigil held (after full collections)`, value: f.liveHeapMB, unit: 'MB' },
  ];
}

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const machine = { cpus: cpus().length, node: process.version, loadBefore: loadavg().map((n) => Number(n.toFixed(2))) };
  const capped = [`--max-old-space-size=${HEAP_CAP_MB}`];

  const s = await profile('S', RUNS);
  const m = await profile('M', RUNS);
  const mCapped = await profile('M', RUNS, capped);
  // Where the gap to T_LB comes from: at k = 10 Vigil's CPU time for M is about T_LB itself, so its one
  // core is busy throughout; at k = 3 the same scan needs the same CPU over a floor 3.3 times longer.
  const mSlower = await profile('M', 1, [], SLOWER_COMPRESSION);
  const lCapped = await profile('L', 1, capped);
  const l = await profile('L', 1);

  const results = {
    timeCompression: TIME_COMPRESSION,
    machine: { ...machine, loadAfter: loadavg().map((n) => Number(n.toFixed(2))) },
    seconds: (performance.now() - started) / 1000,
    S: s.result,
    M: m.result,
    M_heapCapped: mCapped.result,
    M_slower: mSlower.result.median,
    L: l.result.median,
    L_heapCapped: lCapped.result.median,
    naive: { S: s.naive, ...(m.naive ? { M: m.naive } : {}) },
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);

  const naiveFigures = (name: string, naive: NaiveFigures | undefined, vigil: ScanFigures): BenchResult['figures'] =>
    naive
      ? [
          { label: `${name} naive sequential baseline T (${naive.calls} calls, ${naive.failed} failed after retries)`, value: naive.seconds, unit: 's' },
          { label: `${name} naive T / Vigil T`, value: naive.seconds / vigil.seconds, unit: 'x' },
        ]
      : [];
  return {
    name: `scan (k = ${TIME_COMPRESSION}; ${machine.cpus} CPUs, load ${machine.loadBefore.join(' ')}; results in bench/results/scan.json)`,
    figures: [
      ...scanFigures(`S (median of ${RUNS})`, s.result.median, false),
      ...naiveFigures('S', s.naive, s.result.median),
      ...scanFigures(`M (median of ${RUNS})`, m.result.median, true),
      ...naiveFigures('M', m.naive, m.result.median),
      { label: `M Vigil CPU time (user + system, one process)`, value: m.result.median.cpuSeconds, unit: 's' },
      { label: `M at k = ${SLOWER_COMPRESSION}: T (T_LB ${mSlower.result.median.lowerBound.seconds.toFixed(1)} s, CPU ${mSlower.result.median.cpuSeconds.toFixed(1)} s)`, value: mSlower.result.median.seconds, unit: 's' },
      { label: `M at k = ${SLOWER_COMPRESSION}: T / T_LB`, value: mSlower.result.median.ratio, unit: 'x' },
      { label: `M, heap capped at ${HEAP_CAP_MB} MB (median of ${RUNS}): T`, value: mCapped.result.median.seconds, unit: 's' },
      { label: `M, heap capped at ${HEAP_CAP_MB} MB (median of ${RUNS}): T / T_LB`, value: mCapped.result.median.ratio, unit: 'x' },
      { label: `M, heap capped at ${HEAP_CAP_MB} MB (median of ${RUNS}): peak RSS`, value: mCapped.result.median.peakRssMB, unit: 'MB' },
      { label: `L T (${l.result.median.accounts} accounts, ${l.result.median.calls} calls, ${l.result.median.errors} in error)`, value: l.result.median.seconds, unit: 's' },
      { label: 'L checks in error from throttling', value: l.result.median.throttledErrors, unit: 'results', target: '0', met: l.result.median.throttledErrors === 0 },
      { label: 'L peak RSS of Vigil', value: l.result.median.peakRssMB, unit: 'MB', target: `<= ${MEMORY_TARGET_MB}`, met: l.result.median.peakRssMB <= MEMORY_TARGET_MB },
      { label: 'L heap Vigil held (after full collections)', value: l.result.median.liveHeapMB, unit: 'MB' },
      { label: `L, heap capped at ${HEAP_CAP_MB} MB: T (${lCapped.result.median.errors} in error)`, value: lCapped.result.median.seconds, unit: 's' },
      { label: `L, heap capped at ${HEAP_CAP_MB} MB: peak RSS`, value: lCapped.result.median.peakRssMB, unit: 'MB' },
      { label: 'the whole scan benchmark', value: results.seconds, unit: 's' },
    ],
  };
}
