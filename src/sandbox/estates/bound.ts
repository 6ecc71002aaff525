/**
 * T_LB, the lower bound on a complete scan's wall time for the estate the sandbox serves, and what
 * sets it. No scanner can beat the largest of:
 *
 *  (a) per rate-limit scope: (calls the scope must serve - its burst) / its rate;
 *  (b) the longest chain of calls that must follow one another, times the mean latency;
 *  (c) all calls times the mean latency, divided by the scanner's cap on calls in flight.
 *
 * Rates are multiplied and latencies divided by the time-compression factor, as the sandbox serves them.
 */
import { MEAN_LATENCY_MS, PUBLISHED_LIMITS, type LimitScope } from './limits.js';
import { callsByScope, type MinimumModel } from './model.js';

export interface BoundOptions {
  timeCompression: number;
  /** The scanner's cap on calls in flight (Vigil's `aws.maxInFlight`, 64 by default). */
  inFlight?: number;
}

export interface ScopeBound {
  scope: string;
  calls: number;
  burst: number;
  ratePerSecond: number;
  seconds: number;
}

export interface LowerBound {
  seconds: number;
  /** What sets the bound: a scope (`rds|<account>|<region>`), the longest chain, or the in-flight cap. */
  binding: { term: 'scope' | 'chain' | 'in-flight'; name: string };
  /** The slowest scopes first. */
  scopes: ScopeBound[];
  chain: { name: string; calls: number; seconds: number };
  inFlight: { calls: number; cap: number; seconds: number };
  timeCompression: number;
  meanLatencyMs: number;
  totalCalls: number;
}

export const DEFAULT_IN_FLIGHT = 64;

export function lowerBound(model: MinimumModel, options: BoundOptions): LowerBound {
  const k = options.timeCompression;
  const latencyMs = MEAN_LATENCY_MS / k;
  const scopes: ScopeBound[] = [];
  for (const [scope, calls] of callsByScope(model)) {
    const limit = PUBLISHED_LIMITS[scope.split('|')[0] as LimitScope];
    const ratePerSecond = limit.ratePerSecond * k;
    scopes.push({ scope, calls, burst: limit.burst, ratePerSecond, seconds: Math.max(0, calls - limit.burst) / ratePerSecond });
  }
  scopes.sort((a, b) => b.seconds - a.seconds || b.calls - a.calls);
  const longest = model.chains.reduce((a, b) => (b.calls > a.calls ? b : a), { name: 'none', calls: 0 });
  const chain = { ...longest, seconds: (longest.calls * latencyMs) / 1000 };
  const cap = options.inFlight ?? DEFAULT_IN_FLIGHT;
  const inFlight = { calls: model.totalCalls, cap, seconds: (model.totalCalls * latencyMs) / cap / 1000 };
  const slowest = scopes[0];
  const candidates: Array<{ term: LowerBound['binding']['term']; name: string; seconds: number }> = [
    ...(slowest ? [{ term: 'scope' as const, name: slowest.scope, seconds: slowest.seconds }] : []),
    { term: 'chain', name: chain.name, seconds: chain.seconds },
    { term: 'in-flight', name: `${model.totalCalls} calls / ${cap} in flight`, seconds: inFlight.seconds },
  ];
  const binding = candidates.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  return { seconds: binding.seconds, binding: { term: binding.term, name: binding.name }, scopes, chain, inFlight, timeCompression: k, meanLatencyMs: latencyMs, totalCalls: model.totalCalls };
}
