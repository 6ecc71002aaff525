/**
 * One measured scan of a benchmark estate, shared by bench/scan.bench.ts and the CI smoke test
 * (test/bench/scan-smoke.test.ts) so both go through the same code: the sandbox serves the estate in
 * this process; Vigil scans it in a child process (bench/scan-child.ts), so the peak RSS measured is
 * Vigil's alone and the sandbox's event loop never waits for Vigil's. The figures come from both
 * sides: wall time, errors and RSS from Vigil; calls served and throttled per rate-limit scope from
 * the sandbox, which also checks that every call Vigil made is one the estate's declared model has.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/core/paths.js';
import { callsByOperation, type EstateSandbox, type LowerBound } from '../src/sandbox/estates/index.js';
import { compiledChild } from './compiled.js';
import type { NaiveScanInput, NaiveScanOutput } from './naive-scan.js';
import type { ScanChildInput, ScanChildOutput } from './scan-child.js';

export interface ScanFigures {
  profile: string;
  timeCompression: number;
  accounts: number;
  /** Wall time of the scan, from the first call to the last result stored. */
  seconds: number;
  lowerBound: LowerBound;
  /** seconds / lowerBound.seconds. */
  ratio: number;
  /** AWS calls made, throttled ones included, and the minimum the estate's model needs. */
  calls: number;
  minimumCalls: number;
  /** Calls the sandbox answered with a throttling error, across every scope, and by limit (`ec2`, `cloudtrail:LookupEvents`). */
  throttledCalls: number;
  throttledByLimit: Record<string, number>;
  /** The binding scope's calls, and when its first and last came (seconds after the scan's first call). */
  binding: { scope: string; minimum: number; served: number; throttled: number; throttledPercent: number; firstSecond?: number; lastSecond?: number };
  /** The scopes whose last call came latest: what the scan was still waiting for at its end. */
  lastScopes: Array<{ scope: string; calls: number; lastSecond: number }>;
  /** Vigil's CPU time during the scan. */
  cpuSeconds: number;
  /** The most heap Vigil had in use right after a full collection. */
  liveHeapMB: number;
  /** Node flags the scan ran with (a heap cap, say), if any. */
  nodeArgs: string[];
  results: number;
  counts: Record<string, number>;
  errors: number;
  throttledErrors: number;
  errorSamples: string[];
  peakRssMB: number;
  /** `service:operation` pairs Vigil called that the model does not declare: should be none. */
  unmodelled: string[];
  /** APIs where Vigil made more calls than the model's minimum, worst first. */
  overMinimum: Array<{ operation: string; calls: number; minimum: number }>;
}

export interface ScanOptions {
  /** Vigil's `aws.maxInFlight`; its default when absent. */
  maxInFlight?: number;
  /** The child is killed after this long; 15 minutes by default. */
  timeoutMs?: number;
  /** Node flags for Vigil's process, e.g. `--max-old-space-size=384`. */
  nodeArgs?: string[];
  /**
   * Run Vigil's compiled JavaScript (dist/, built first) as the `vigil` bin does, rather than its
   * TypeScript through tsx: the bench measures what a deployment runs; the CI smoke test needs no build.
   */
  compiled?: boolean;
}

/** Runs a child script (TypeScript through `--import tsx`, JavaScript as it is) and returns the JSON object on the last line it prints. */
export function runChild<T>(script: string, args: string[], timeoutMs: number, flags: string[] = []): Promise<T> {
  return new Promise((resolve, reject) => {
    // VIGIL_BENCH_NODE_ARGS passes Node flags to the child, e.g. `--cpu-prof --cpu-prof-dir /tmp/prof` to see where its time goes.
    const nodeArgs = (process.env['VIGIL_BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, ...flags, ...(script.endsWith('.js') ? [] : ['--import', 'tsx']), script, ...args], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (process.env['VIGIL_BENCH_TRACE'] === '1') process.stderr.write(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        reject(new Error(`${script} ended with ${signal ?? `exit code ${code}`}: ${stderr.trim().split('\n').slice(-15).join('\n')}`));
        return;
      }
      resolve(JSON.parse(last) as T);
    });
  });
}

/** How a child process reaches the estate: its endpoint, the management account's key and the audit role. */
export function estateInput(estate: EstateSandbox): ScanChildInput {
  const { access } = estate.estate;
  return {
    endpoint: estate.sandbox.info.awsEndpoint,
    accessKeyId: access.accessKeyId,
    secretAccessKey: access.secretAccessKey,
    roleName: access.roleName,
    externalId: access.externalId,
    drRegion: access.drRegion,
    vaultToken: access.vaultToken,
    timeCompression: estate.limiter.timeCompression,
  };
}

/** Scans the estate once from fresh buckets and counts, and gathers both sides' figures. */
export async function scanEstate(estate: EstateSandbox, options: ScanOptions = {}): Promise<ScanFigures> {
  estate.resetCounts();
  const input = { ...estateInput(estate), ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}) };
  const script = options.compiled ? compiledChild('scan-child') : join(PROJECT_ROOT, 'bench', 'scan-child.ts');
  const out = await runChild<ScanChildOutput>(script, [JSON.stringify(input)], options.timeoutMs ?? 15 * 60_000, options.nodeArgs);
  return figuresOf(estate, out, options.maxInFlight, options.nodeArgs ?? []);
}

function figuresOf(estate: EstateSandbox, out: ScanChildOutput, maxInFlight: number | undefined, nodeArgs: string[]): ScanFigures {
  const report = estate.report(maxInFlight);
  const bound = report.lowerBound;
  const calls = report.scopes.reduce((n, s) => n + s.served + s.throttled, 0);
  const throttledCalls = report.scopes.reduce((n, s) => n + s.throttled, 0);
  const throttledByLimit: Record<string, number> = {};
  for (const s of report.scopes) if (s.throttled > 0) throttledByLimit[s.scope.split('|')[0] as string] = (throttledByLimit[s.scope.split('|')[0] as string] ?? 0) + s.throttled;
  const bindingName = bound.binding.term === 'scope' ? bound.binding.name : (bound.scopes[0]?.scope ?? '');
  const binding = report.scopes.find((s) => s.scope === bindingName) ?? { scope: bindingName, minimum: 0, served: 0, throttled: 0 };
  const lastScopes = report.scopes
    .filter((s) => s.lastSecond !== undefined)
    .sort((a, b) => (b.lastSecond ?? 0) - (a.lastSecond ?? 0))
    .slice(0, 5)
    .map((s) => ({ scope: s.scope, calls: s.served + s.throttled, lastSecond: s.lastSecond ?? 0 }));
  const made = callsMade(estate);
  const minimum = callsByOperation(estate.model);
  return {
    profile: report.profile,
    timeCompression: report.timeCompression,
    accounts: out.accounts,
    seconds: out.seconds,
    lowerBound: bound,
    ratio: out.seconds / bound.seconds,
    calls,
    minimumCalls: report.minimumCalls,
    throttledCalls,
    throttledByLimit,
    binding: {
      scope: binding.scope,
      minimum: binding.minimum,
      served: binding.served,
      throttled: binding.throttled,
      throttledPercent: binding.served + binding.throttled > 0 ? (100 * binding.throttled) / (binding.served + binding.throttled) : 0,
      ...(binding.firstSecond !== undefined ? { firstSecond: binding.firstSecond, lastSecond: binding.lastSecond } : {}),
    },
    lastScopes,
    cpuSeconds: out.cpuSeconds,
    liveHeapMB: out.liveHeapMB,
    nodeArgs,
    results: out.results,
    counts: out.counts,
    errors: out.errors,
    throttledErrors: out.throttledErrors,
    errorSamples: out.errorSamples,
    peakRssMB: out.peakRssMB,
    unmodelled: [...made.keys()].filter((op) => !minimum.has(op)).sort(),
    overMinimum: [...made]
      .filter(([op, n]) => n > (minimum.get(op) ?? 0))
      .map(([operation, n]) => ({ operation, calls: n, minimum: minimum.get(operation) ?? 0 }))
      .sort((a, b) => b.calls - b.minimum - (a.calls - a.minimum)),
  };
}

/** AWS calls the sandbox recorded since the last reset, by `service:operation`, throttled ones included. */
export function callsMade(estate: EstateSandbox): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of estate.sandbox.world.recorder.summary()) {
    if (!c.service.startsWith('aws:')) continue;
    const op = `${c.service.slice('aws:'.length)}:${c.operation}`;
    out.set(op, (out.get(op) ?? 0) + c.calls);
  }
  return out;
}

export interface NaiveFigures extends NaiveScanOutput {
  profile: string;
  timeCompression: number;
  /** Throttled answers the sandbox gave it. */
  throttledCalls: number;
}

/** Runs the naive sequential baseline (bench/naive-scan.ts) against the estate once, from fresh buckets. */
export async function naiveScan(estate: EstateSandbox, options: { timeoutMs?: number } = {}): Promise<NaiveFigures> {
  estate.resetCounts();
  const input: NaiveScanInput = estateInput(estate);
  const out = await runChild<NaiveScanOutput>(join(PROJECT_ROOT, 'bench', 'naive-scan.ts'), [JSON.stringify(input)], options.timeoutMs ?? 15 * 60_000);
  const report = estate.report();
  return { ...out, profile: report.profile, timeCompression: report.timeCompression, throttledCalls: report.scopes.reduce((n, s) => n + s.throttled, 0) };
}
