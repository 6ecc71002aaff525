/**
 * Fault injection per service and operation: latency, token-bucket throttling (answered with each
 * service's real throttling error by the caller), a 5xx rate and hanging connections.
 * Buckets run on real monotonic time, not the world's clock: SDK retries and backoff are real.
 */
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

export const faultRuleSchema = z.strictObject({
  /** `ec2`, `rds`, `s3`, ..., `vault`, `slack`, `pagerduty`, `statuspage`, or `*`. */
  service: z.string().min(1),
  /** Operation name, `*` wildcards allowed (`Describe*`). */
  operation: z.string().min(1).default('*'),
  account: z.string().optional(),
  region: z.string().optional(),
  latencyMs: z.union([z.number().min(0), z.strictObject({ min: z.number().min(0), max: z.number().min(0) })]).optional(),
  throttle: z
    .strictObject({
      ratePerSecond: z.number().positive(),
      burst: z.number().int().min(1),
      /** One bucket per operation (AWS's per-API limits) or one for the whole service. */
      per: z.enum(['operation', 'service']).default('operation'),
    })
    .optional(),
  /** Fraction of matching calls answered with a 5xx. */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503)]).default(500),
  /** Fraction of matching calls that never get an answer. */
  hangRate: z.number().min(0).max(1).optional(),
  /** Apply the error/hang part only to the first N matching calls (deterministic tests). */
  times: z.number().int().min(1).optional(),
});
export type FaultRule = z.output<typeof faultRuleSchema>;
export const faultRulesSchema = z.array(faultRuleSchema);

export interface FaultTarget {
  service: string;
  operation: string;
  account?: string;
  region?: string;
}

export interface FaultDecision {
  delayMs: number;
  action: 'pass' | 'throttle' | 'error' | 'hang';
  errorStatus?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A model of a whole cloud's limits and latency (the benchmark estates' AWS, src/sandbox/estates/),
 * consulted for every call before the rules. Its throttling is answered like a rule's.
 */
export interface CallLimiter {
  decide(target: FaultTarget): { delayMs: number; throttle: boolean };
}

export class Faults {
  private rules: FaultRule[] = [];
  private buckets = new Map<string, Bucket>();
  private fired = new Map<number, number>();
  private random: () => number;
  private readonly nowMs: () => number;
  private limiter?: CallLimiter;

  constructor(options: { seed?: number; nowMs?: () => number } = {}) {
    this.random = mulberry32(options.seed ?? 42);
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  set(rules: FaultRule[], seed?: number): void {
    this.rules = rules;
    this.buckets.clear();
    this.fired.clear();
    if (seed !== undefined) this.random = mulberry32(seed);
  }

  list(): FaultRule[] {
    return this.rules;
  }

  /** Installs (or, with undefined, removes) the limiter; rules set later keep applying on top of it. */
  setLimiter(limiter: CallLimiter | undefined): void {
    this.limiter = limiter;
  }

  decide(target: FaultTarget): FaultDecision {
    const decision: FaultDecision = { delayMs: 0, action: 'pass' };
    if (this.limiter) {
      const limited = this.limiter.decide(target);
      decision.delayMs += limited.delayMs;
      if (limited.throttle) decision.action = 'throttle';
    }
    this.rules.forEach((rule, index) => {
      if (!matches(rule, target)) return;
      if (rule.latencyMs !== undefined) {
        decision.delayMs +=
          typeof rule.latencyMs === 'number' ? rule.latencyMs : rule.latencyMs.min + this.random() * (rule.latencyMs.max - rule.latencyMs.min);
      }
      if (decision.action !== 'pass') return;
      if (rule.throttle && !this.take(index, rule, target)) {
        decision.action = 'throttle';
        return;
      }
      const budget = rule.times === undefined || (this.fired.get(index) ?? 0) < rule.times;
      if (!budget) return;
      if (rule.hangRate !== undefined && this.random() < rule.hangRate) {
        decision.action = 'hang';
      } else if (rule.errorRate !== undefined && this.random() < rule.errorRate) {
        decision.action = 'error';
        decision.errorStatus = rule.errorStatus;
      }
      if (decision.action !== 'pass') this.fired.set(index, (this.fired.get(index) ?? 0) + 1);
    });
    return decision;
  }

  private take(index: number, rule: FaultRule, target: FaultTarget): boolean {
    const throttle = rule.throttle as NonNullable<FaultRule['throttle']>;
    const scope = throttle.per === 'operation' ? target.operation : '*';
    const key = `${index}|${target.service}|${scope}|${target.account ?? ''}|${target.region ?? ''}`;
    const now = this.nowMs();
    const bucket = this.buckets.get(key) ?? { tokens: throttle.burst, updatedAt: now };
    bucket.tokens = Math.min(throttle.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * throttle.ratePerSecond);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

function matches(rule: FaultRule, target: FaultTarget): boolean {
  return (
    (rule.service === '*' || rule.service === target.service) &&
    glob(rule.operation, target.operation) &&
    (rule.account === undefined || rule.account === target.account) &&
    (rule.region === undefined || rule.region === target.region)
  );
}

function glob(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

/** Small seeded PRNG so fault rates are reproducible run to run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
