/**
 * Issue #10's benchmark: the profile M scan split over 1, 2 and 3 replicas sharing one PostgreSQL, each
 * replica its own process with its own pacer (bench/replica-child.ts), against the same estate sandbox
 * as bench/scan.bench.ts (k = 10). For each: wall time, T_LB, AWS calls against the minimum, throttled
 * calls, and the units each replica worked. The point is what does not change: the scan is bound by the
 * estate's busiest per-account scope (its lower bound), not by coordination, and splitting it costs no
 * extra calls and no throttling. `npm run bench -- replicas`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { startEstateSandbox, type EstateSandbox } from '../src/sandbox/estates/index.js';
import { startTestPostgres } from '../test/helpers/postgres.js';
import type { BenchResult } from './index.js';
import type { ReplicaChildInput, ReplicaChildOutput } from './replica-child.js';
import { estateInput } from './scan-run.js';

const PROFILE = (process.env['VIGIL_BENCH_REPLICAS_PROFILE'] ?? 'M') as 'S' | 'M' | 'L';
const K = 10;
const UNITS_IN_FLIGHT = 16;
const SCRIPT = join(PROJECT_ROOT, 'bench', 'replica-child.ts');

interface ReplicaFigures {
  replicas: number;
  seconds: number;
  lowerBoundSeconds: number;
  binding: string;
  ratio: number;
  calls: number;
  minimumCalls: number;
  throttledCalls: number;
  unitsBy: Record<string, number>;
  counts: Record<string, number>;
  peakRssMB: number[];
}

/** A child replica; `ready` resolves when a worker has joined, `done` with its last JSON line. */
function startReplica(input: ReplicaChildInput): { ready: Promise<void>; done: Promise<ReplicaChildOutput>; stop: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(input)], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (stdout.includes('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<ReplicaChildOutput>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`replica ${input.replicaId} ended with ${signal ?? `exit code ${code}`}: ${stderr.trim().split('\n').slice(-10).join('\n')}`));
      else resolve(JSON.parse(last) as ReplicaChildOutput);
    });
  });
  return { ready, done, stop: () => child.kill('SIGTERM') };
}

async function scanWith(estate: EstateSandbox, replicas: number, postgresUrl: string): Promise<ReplicaFigures> {
  estate.resetCounts();
  const base = estateInput(estate);
  const input = (n: number, role: ReplicaChildInput['role']): ReplicaChildInput => ({ ...base, postgresUrl, replicaId: `replica-${n}`, role, unitsInFlight: UNITS_IN_FLIGHT });
  const workers = Array.from({ length: replicas - 1 }, (_, i) => startReplica(input(i + 2, 'worker')));
  await Promise.all(workers.map((w) => w.ready));
  const coordinator = startReplica(input(1, 'coordinator'));
  const led = await coordinator.done;
  for (const w of workers) w.stop();
  const others = await Promise.all(workers.map((w) => w.done));
  const report = estate.report();
  const bound = report.lowerBound;
  return {
    replicas,
    seconds: led.seconds,
    lowerBoundSeconds: bound.seconds,
    binding: `${bound.binding.term} ${bound.binding.name}`,
    ratio: led.seconds / bound.seconds,
    calls: report.scopes.reduce((n, s) => n + s.served + s.throttled, 0),
    minimumCalls: report.minimumCalls,
    throttledCalls: report.scopes.reduce((n, s) => n + s.throttled, 0),
    unitsBy: led.unitsBy ?? {},
    counts: led.counts ?? {},
    peakRssMB: [led.peakRssMB, ...others.map((o) => o.peakRssMB)],
  };
}

export async function run(): Promise<BenchResult> {
  const estate = await startEstateSandbox({ profile: PROFILE, timeCompression: K });
  const postgres = await startTestPostgres();
  const runs: ReplicaFigures[] = [];
  try {
    for (const replicas of [1, 2, 3]) runs.push(await scanWith(estate, replicas, await postgres.newDatabase()));
  } finally {
    await estate.stop();
    await postgres.stop();
  }
  mkdirSync(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(PROJECT_ROOT, 'bench', 'results', 'replicas.json'), `${JSON.stringify({ profile: PROFILE, timeCompression: K, runs }, null, 2)}\n`);
  const one = runs[0] as ReplicaFigures;
  // The issue sets no time target here: what must hold is that more replicas neither slow the scan nor
  // add calls, because the estate's busiest per-account scope (the lower bound) sets its pace.
  return {
    name: `scan of profile ${PROFILE} (k = ${K}) over replicas on one PostgreSQL, bound T_LB ${one.lowerBoundSeconds.toFixed(1)} s by ${one.binding} (bench/results/replicas.json)`,
    figures: runs.flatMap((r) => [
      { label: `${r.replicas} replica(s): wall time (${r.ratio.toFixed(2)} x T_LB; units by replica ${JSON.stringify(r.unitsBy)})`, value: r.seconds, unit: 's', target: 'within 15 % of one replica', met: r.seconds <= 1.15 * one.seconds },
      { label: `${r.replicas} replica(s): AWS calls (minimum ${r.minimumCalls}, ${(r.calls / r.minimumCalls).toFixed(3)} x; throttled ${r.throttledCalls})`, value: r.calls, unit: 'calls', target: 'within 2 % of one replica', met: r.calls <= 1.02 * one.calls },
    ]),
  };
}
