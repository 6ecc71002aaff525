/**
 * AWS's request rate limits as the benchmark estates serve them: one token bucket per rate-limit scope
 * (a service or one API, in one account and region), answered with each service's real throttling
 * error, and a latency drawn for every call. The figures are AWS's published ones (or, where AWS
 * publishes none, the same conservative guesses Vigil starts from), copied here on purpose rather than
 * imported from Vigil: the sandbox models AWS, and Vigil must not be graded by its own numbers.
 *
 * A time-compression factor k multiplies every rate and divides every latency, bursts unchanged, so a
 * benchmark fits in CI while every ratio between calls, pages and waits stays what it is in AWS.
 */
import { performance } from 'node:perf_hooks';
import type { CallLimiter, FaultTarget } from '../faults.js';

export interface Limit {
  /** Tokens added per second, before time compression. */
  ratePerSecond: number;
  burst: number;
}

/** Rate-limit scopes: a service whose reads share one bucket, or one API with a bucket of its own. */
export const LIMIT_SCOPES = ['ec2', 'rds', 'cloudtrail', 'cloudtrail:LookupEvents', 'guardduty', 'iam', 's3', 'organizations', 'sts'] as const;
export type LimitScope = (typeof LIMIT_SCOPES)[number];

export const PUBLISHED_LIMITS: Readonly<Record<LimitScope, Limit>> = {
  // https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html: non-mutating actions, a
  // bucket of 100 refilled at 20 per second, per account and region.
  ec2: { ratePerSecond: 20, burst: 100 },
  // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-api-throttling.html: "up to 300
  // requests in a burst and a sustained 12 requests per second", per account and region.
  rds: { ratePerSecond: 12, burst: 300 },
  // https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html: "two per
  // second, per account, per Region"; no burst is published.
  'cloudtrail:LookupEvents': { ratePerSecond: 2, burst: 1 },
  // Not published for DescribeTrails, GetTrailStatus and GetEventSelectors.
  cloudtrail: { ratePerSecond: 10, burst: 20 },
  // Not published (the GuardDuty quotas page lists resource quotas only).
  guardduty: { ratePerSecond: 10, burst: 20 },
  // Not published; IAM is global, so its scope is one per account.
  iam: { ratePerSecond: 10, burst: 20 },
  // S3 publishes per-prefix data-plane rates only; bucket-configuration reads are not published.
  s3: { ratePerSecond: 100, burst: 100 },
  // Not published.
  organizations: { ratePerSecond: 5, burst: 10 },
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html publishes 600 per
  // second; the estates serve the share a scanner should take of it.
  sts: { ratePerSecond: 50, burst: 100 },
};

/** AWS's per-call latency as the estates draw it, uniformly, before time compression. */
export const LATENCY_MS = { min: 30, max: 100 } as const;

export const MEAN_LATENCY_MS = (LATENCY_MS.min + LATENCY_MS.max) / 2;

/** Which scope a call counts against: its own API's, if it has one, else its service's. */
export function limitScopeOf(service: string, operation: string): LimitScope | undefined {
  const own = `${service}:${operation}`;
  if ((LIMIT_SCOPES as readonly string[]).includes(own)) return own as LimitScope;
  return (LIMIT_SCOPES as readonly string[]).includes(service) ? (service as LimitScope) : undefined;
}

/** One bucket's key: the scope in one account and region (`ec2|222222222222|us-east-1`). */
export function scopeKey(scope: LimitScope, account: string, region: string): string {
  return `${scope}|${account}|${region}`;
}

/** Calls one scope served and refused, and when its first and last calls came (ms on the limiter's clock). */
export interface ScopeCount {
  scope: string;
  served: number;
  throttled: number;
  firstAtMs: number;
  lastAtMs: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  served: number;
  throttled: number;
  firstAtMs: number;
  lastAtMs: number;
}

export interface EstateLimiterOptions {
  /** The time-compression factor: rates times k, latencies divided by k. */
  timeCompression: number;
  /** Seeds the latency draws, so two runs of a benchmark see the same latencies. */
  seed?: number;
  /** Milliseconds on a clock that never goes back; real time unless a test injects one. */
  nowMs?: () => number;
}

/** The estates' AWS limits, plugged into the sandbox's fault machinery (faults.ts) as its limiter. */
export class EstateLimiter implements CallLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly k: number;
  private readonly nowMs: () => number;
  private random: () => number;

  constructor(options: EstateLimiterOptions) {
    if (!(options.timeCompression > 0)) throw new Error(`the time-compression factor must be positive, got ${options.timeCompression}`);
    this.k = options.timeCompression;
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.random = seededRandom(options.seed ?? 7);
  }

  get timeCompression(): number {
    return this.k;
  }

  /** Services that are not AWS (Vault, Slack, ...) and unknown services pass untouched. */
  decide(target: FaultTarget): { delayMs: number; throttle: boolean } {
    const scope = limitScopeOf(target.service, target.operation);
    if (!scope) return { delayMs: 0, throttle: false };
    const delayMs = (LATENCY_MS.min + this.random() * (LATENCY_MS.max - LATENCY_MS.min)) / this.k;
    const limit = PUBLISHED_LIMITS[scope];
    const key = scopeKey(scope, target.account ?? 'unknown', target.region ?? 'unknown');
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: limit.burst, updatedAt: now, served: 0, throttled: 0, firstAtMs: now, lastAtMs: now };
      this.buckets.set(key, bucket);
    }
    bucket.lastAtMs = now;
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * limit.ratePerSecond * this.k);
    bucket.updatedAt = now;
    if (bucket.tokens < 1) {
      bucket.throttled += 1;
      return { delayMs, throttle: true };
    }
    bucket.tokens -= 1;
    bucket.served += 1;
    return { delayMs, throttle: false };
  }

  /** Every scope that has seen a call, with what it served and refused. */
  counts(): ScopeCount[] {
    return [...this.buckets.entries()]
      .map(([scope, b]) => ({ scope, served: b.served, throttled: b.throttled, firstAtMs: b.firstAtMs, lastAtMs: b.lastAtMs }))
      .sort((a, b) => a.scope.localeCompare(b.scope));
  }

  /** Full buckets and zero counts, as after a quiet spell: between benchmark runs. */
  reset(seed?: number): void {
    this.buckets.clear();
    if (seed !== undefined) this.random = seededRandom(seed);
  }
}

/** mulberry32: small, seeded, good enough for latencies and generated estates. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
