/**
 * A sandbox serving a benchmark estate (`vigil sandbox --estate M --time-compression 10`, or in
 * process for tests and `npm run bench`): the generated organization, AWS's rate limits and latency
 * at the given time compression, the lower bound T_LB for a complete scan of it, and per rate-limit
 * scope the calls served and throttled. `GET /_sandbox/estate[?inFlight=64]` answers the same report.
 */
import type { Emulator } from '../http-types.js';
import { startSandbox, type Sandbox } from '../index.js';
import { lowerBound, DEFAULT_IN_FLIGHT, type LowerBound } from './bound.js';
import { generateEstate } from './generate.js';
import { EstateLimiter } from './limits.js';
import { callsByScope, minimumCalls, type MinimumModel } from './model.js';
import type { Estate, EstateProfile } from './profiles.js';

export { ESTATE_PROFILES, PROFILE_SPECS, type Estate, type EstateProfile, type EstateAccess, type EstateFacts } from './profiles.js';
export { generateEstate } from './generate.js';
export { minimumCalls, callsByOperation, callsByScope, type MinimumModel, type CallNeed } from './model.js';
export { lowerBound, type LowerBound } from './bound.js';
export { EstateLimiter, PUBLISHED_LIMITS, LATENCY_MS, limitScopeOf, scopeKey } from './limits.js';

export interface EstateSandboxOptions {
  profile: EstateProfile;
  /** k: every rate times k, every latency divided by k. */
  timeCompression: number;
  host?: string;
  port?: number;
  tlsPort?: number;
  stateDir?: string;
  seed?: number;
  /** The limiter's clock (milliseconds, never going back); tests freeze it so buckets do not refill. */
  nowMs?: () => number;
}

/**
 * One scope's calls: what the estate's minimum needs of it, what it served and what it refused, and
 * when its first and last calls came, in seconds after the first call of the scan (none if it had none).
 */
export interface ScopeUse {
  scope: string;
  minimum: number;
  served: number;
  throttled: number;
  firstSecond?: number;
  lastSecond?: number;
}

export interface EstateReport {
  profile: EstateProfile;
  timeCompression: number;
  accounts: number;
  lowerBound: LowerBound;
  minimumCalls: number;
  scopes: ScopeUse[];
}

export interface EstateSandbox {
  sandbox: Sandbox;
  estate: Estate;
  model: MinimumModel;
  limiter: EstateLimiter;
  lowerBound(inFlight?: number): LowerBound;
  report(inFlight?: number): EstateReport;
  /** Full buckets, zero counts and an empty call log, as before a first scan. */
  resetCounts(): void;
  stop(): Promise<void>;
}

export async function startEstateSandbox(options: EstateSandboxOptions): Promise<EstateSandbox> {
  const estate = generateEstate({ profile: options.profile, seed: options.seed });
  const model = minimumCalls(estate.facts);
  const limiter = new EstateLimiter({ timeCompression: options.timeCompression, seed: options.seed, nowMs: options.nowMs });
  const bound = (inFlight = DEFAULT_IN_FLIGHT) => lowerBound(model, { timeCompression: options.timeCompression, inFlight });
  const report = (inFlight?: number): EstateReport => estateReport(estate, model, limiter, bound(inFlight));
  const view: Emulator = {
    name: 'estate',
    route: () => undefined,
    inspect: {
      estate: (_world, query) => {
        const inFlight = Number(query.get('inFlight') ?? DEFAULT_IN_FLIGHT);
        return report(Number.isInteger(inFlight) && inFlight > 0 ? inFlight : DEFAULT_IN_FLIGHT);
      },
    },
  };
  const sandbox = await startSandbox({ scenario: estate.scenario, host: options.host, port: options.port ?? 0, tlsPort: options.tlsPort, stateDir: options.stateDir, extraEmulators: [view] });
  sandbox.world.faults.setLimiter(limiter);
  return {
    sandbox,
    estate,
    model,
    limiter,
    lowerBound: bound,
    report,
    resetCounts: () => {
      limiter.reset(options.seed);
      sandbox.world.recorder.reset();
    },
    stop: () => sandbox.stop(),
  };
}

function estateReport(estate: Estate, model: MinimumModel, limiter: EstateLimiter, bound: LowerBound): EstateReport {
  const minimum = callsByScope(model);
  const counted = new Map(limiter.counts().map((c) => [c.scope, c]));
  const names = new Set([...minimum.keys(), ...counted.keys()]);
  const start = Math.min(...[...counted.values()].map((c) => c.firstAtMs));
  const scopes = [...names].sort().map((scope): ScopeUse => {
    const c = counted.get(scope);
    const use: ScopeUse = { scope, minimum: minimum.get(scope) ?? 0, served: c?.served ?? 0, throttled: c?.throttled ?? 0 };
    return c ? { ...use, firstSecond: (c.firstAtMs - start) / 1000, lastSecond: (c.lastAtMs - start) / 1000 } : use;
  });
  return { profile: estate.profile, timeCompression: limiter.timeCompression, accounts: estate.facts.accounts.length, lowerBound: bound, minimumCalls: model.totalCalls, scopes };
}
